/**
 * `keyguard`: the break-glass CLI, for when Slack is down (or not to be trusted). The same
 * playbook engine on the same table as the bot, with the operator's own AWS credentials.
 * The actor of every record is the OS user, flagged `break-glass:`; approval is the plan
 * confirmed by typing the key id back; destructive steps also need `--second-approver`.
 *
 * Exit codes (EXIT below): 0 done; 1 unexpected error; 2 bad usage or configuration;
 * 3 refused (confirmation did not match, second approver missing, the rules said no);
 * 4 a step or an AWS call failed; 5 not found (incident, key).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { randomUUID } from 'node:crypto';
import { Command, CommanderError, Option } from 'commander';
import { SingleBar, Presets } from 'cli-progress';
import { ConfigError, loadCliConfig } from '../config';
import { createLogger } from '../logger';
import { isKeyguardError } from '../errors';
import { parseKeyId } from '../domain/key-id';
import type { LookupProgress } from '../domain/trail-progress';
import type { StepRecord } from '../domain/incident';
import { keyOwnerBlocks } from '../slack/key-owner-blocks';
import { trailSummaryBlocks } from '../slack/trail-blocks';
import { incidentCard, planLines } from '../slack/incident-card';
import { reviewPackNames, reviewPackText } from '../timeline/review-pack';
import { pngRenderer } from '../timeline/chart-png';
import { renderBlocks } from './plain-text';
import { breakGlassActor, secondApproverActor, typedConfirmationActor } from './terminal-adapters';
import { BreakGlass, openBreakGlass } from '../wiring';

export const EXIT = { ok: 0, unexpected: 1, usage: 2, refused: 3, failed: 4, notFound: 5 } as const;

class CliExit extends Error {
  constructor(readonly code: number, message: string) {
    super(message);
  }
}

interface Io {
  out: (s: string) => void;
  err: (s: string) => void;
  /** One line typed by the operator (stdin), or undefined at end of input. */
  ask: (prompt: string) => Promise<string | undefined>;
  isTTY: boolean;
}

function stdIo(): Io {
  let rl: readline.Interface | undefined;
  const lines: string[] = [];
  const waiting: Array<(l: string | undefined) => void> = [];
  let ended = false;
  const open = () => {
    if (rl) return;
    rl = readline.createInterface({ input: process.stdin, terminal: false });
    rl.on('line', (l) => (waiting.length ? waiting.shift()!(l) : lines.push(l)));
    rl.on('close', () => {
      ended = true;
      while (waiting.length) waiting.shift()!(undefined);
    });
  };
  return {
    out: (s) => process.stdout.write(`${s}\n`),
    err: (s) => process.stderr.write(`${s}\n`),
    ask: (prompt) => {
      process.stderr.write(prompt);
      open();
      if (lines.length) return Promise.resolve(lines.shift());
      if (ended) return Promise.resolve(undefined);
      return new Promise((r) => waiting.push(r));
    },
    isTTY: Boolean(process.stderr.isTTY),
  };
}

/** A progress bar on stderr per CloudTrail pull (regions done of all, events so far). */
function progressBars(io: Io, enabled: boolean) {
  return (label: string) => {
    let bar: SingleBar | undefined;
    return (p: LookupProgress) => {
      if (!enabled) return;
      if (!bar) {
        bar = new SingleBar({ format: `${label} [{bar}] {value}/{total} regions | {events} events | {throttled} throttled`, stream: process.stderr, noTTYOutput: false }, Presets.shades_classic);
        bar.start(p.regionsTotal, p.regionsDone, { events: p.events, throttled: p.throttled });
      }
      bar.update(p.regionsDone, { events: p.events, throttled: p.throttled });
      if (p.finished) bar.stop();
    };
  };
}

function stepLine(s: StepRecord): string {
  const approvals = s.approvalsRequired > 0 ? ` (${s.approvals.length}/${s.approvalsRequired} approvals${s.approvals.length ? `: ${s.approvals.map((a) => a.userId).join(', ')}` : ''})` : '';
  return `  ${String(s.seq).padStart(2)}. ${s.title} [${s.name}]: ${s.state.replace('_', ' ')}${approvals}${s.note ? ` — ${s.note}` : ''}`;
}

export interface RunOptions {
  io?: Io;
  env?: NodeJS.ProcessEnv;
  /** The operator (default: the OS user). */
  osUser?: string;
  /** The clock (tests replay an attack that ended minutes ago). */
  now?: () => Date;
}

export async function run(argv: readonly string[], opts: RunOptions = {}): Promise<number> {
  const io = opts.io ?? stdIo();
  const osUser = opts.osUser ?? os.userInfo().username;
  const actor = breakGlassActor(osUser);
  let bg: BreakGlass | undefined;
  let json = false;

  const open = async (quiet: boolean) => {
    let config;
    try {
      config = loadCliConfig(opts.env);
    } catch (e) {
      if (e instanceof ConfigError) throw new CliExit(EXIT.usage, e.message);
      throw e;
    }
    const logger = createLogger(config.logLevel === 'debug' ? 'debug' : 'warn', process.stderr);
    bg = await openBreakGlass({ config, logger, say: (t) => (json ? io.err(t) : io.out(t)), progress: progressBars(io, !quiet), now: opts.now, instanceId: `cli-${randomUUID().slice(0, 8)}` });
    return { bg, config };
  };
  const print = (human: () => string, data: unknown) => (json ? io.out(JSON.stringify(data, null, 2)) : io.out(human()));

  const keyArg = (text: string) => {
    const parsed = parseKeyId(text);
    if (!parsed.ok) throw new CliExit(EXIT.usage, parsed.problem === 'secret-pasted' ? 'That looks like a secret access key. Never paste it anywhere; give the key id (AKIA…/ASIA…).' : `Not an access key id: ${parsed.detail}.`);
    return parsed;
  };

  const bundleOf = async (id: string) => {
    const b = await bg!.store.get(id);
    if (!b) throw new CliExit(EXIT.notFound, `No incident ${id}.`);
    return b;
  };

  /** The typed confirmation: the key id typed back, from --confirm or the terminal. */
  const confirm = async (keyId: string, what: string, given: string | undefined) => {
    const typed = given ?? (await io.ask(`Type the key id ${keyId} to approve ${what}: `))?.trim();
    if (typed !== keyId) throw new CliExit(EXIT.refused, `Not confirmed: "${typed ?? ''}" is not ${keyId}. Nothing was changed.`);
  };

  /** Approve a step as break-glass: the operator's typed confirmation, plus the second approver when it needs two. */
  const approveStep = async (incidentId: string, stepName: string, o: { confirm?: string; secondApprover?: string }) => {
    const { incident, steps } = await bundleOf(incidentId);
    let step = steps.find((s) => s.name === stepName);
    if (!step) throw new CliExit(EXIT.notFound, `Incident ${incidentId} has no step ${stepName}.`);
    // An offered step (a removal, Undo) is asked for first, as its button does in Slack.
    if (step.offer && (step.state === 'pending' || step.state === 'expired' || step.state === 'withdrawn' || step.state === 'denied')) {
      const asked = await bg!.engine.rerequest(incidentId, stepName, actor);
      if (!asked.ok) throw new CliExit(EXIT.refused, asked.message.replace(/[*`]/g, ''));
      step = (await bundleOf(incidentId)).steps.find((s) => s.name === stepName)!;
    }
    if (step.state !== 'awaiting_approval') throw new CliExit(EXIT.refused, `${step.title} is ${step.state.replace('_', ' ')}: nothing to approve.`);
    const needed = step.approvalsRequired - step.approvals.length;
    if (needed > 1 && !o.secondApprover) throw new CliExit(EXIT.refused, `${step.title} needs ${step.approvalsRequired} approvals: name the second operator with --second-approver. Nothing was changed.`);
    if (o.secondApprover && o.secondApprover === osUser) throw new CliExit(EXIT.refused, `The second approver must be another person than ${osUser}.`);
    if (!json) {
      io.err(`${step.title}: the exact plan`);
      io.err(planLines(step.plan).map((l) => `  ${l}`).join('\n'));
    }
    await confirm(incident.keyId, step.title, o.confirm);
    const approvers = [typedConfirmationActor(osUser), ...(needed > 1 ? [secondApproverActor(o.secondApprover!)] : [])];
    for (const who of approvers) {
      const current = (await bundleOf(incidentId)).steps.find((s) => s.name === stepName)!;
      const r = await bg!.engine.approve(incidentId, stepName, current.version, who, { advance: false });
      if (r.ok && !json) io.err(r.message.replace(/[*`]/g, ''));
      if (!r.ok) throw new CliExit(EXIT.refused, r.message.replace(/[*`]/g, ''));
    }
    await bg!.engine.advance(incidentId);
    const after = (await bundleOf(incidentId)).steps.find((s) => s.name === stepName)!;
    if (after.state === 'failed') throw new CliExit(EXIT.failed, `${after.title} failed: ${after.note ?? 'see the record'}`);
  };

  const summary = async (incidentId: string) => {
    const b = await bundleOf(incidentId);
    return { incident: b.incident, steps: b.steps.map((s) => ({ name: s.name, title: s.title, state: s.state, approvals: s.approvals, approvalsRequired: s.approvalsRequired, note: s.note })) };
  };
  const humanSteps = async (incidentId: string) => {
    const b = await bundleOf(incidentId);
    const waiting = b.steps.filter((s) => s.state === 'awaiting_approval');
    return [
      `Incident ${b.incident.id} (${b.incident.status}) for ${b.incident.keyId}, requested by ${b.incident.requester}`,
      ...b.steps.map(stepLine),
      ...waiting.map((s) => `Awaiting approval: keyguard incident approve ${b.incident.id} ${s.name}${s.approvalsRequired - s.approvals.length > 1 ? ' --second-approver <name>' : ''}`),
    ].join('\n');
  };

  const program = new Command('keyguard')
    .description('Break-glass access to the keyguard playbook when Slack is unavailable. Uses your own AWS credentials.')
    .option('--json', 'machine-readable output on stdout')
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.out(s.trimEnd()), writeErr: (s) => io.err(s.trimEnd()) })
    .hook('preAction', (cmd) => {
      json = Boolean(cmd.optsWithGlobals().json);
    });
  program.addHelpText('after', '\nExit codes: 0 done, 1 unexpected error, 2 bad usage or configuration, 3 refused, 4 a step or AWS call failed, 5 not found.');

  program
    .command('key-owner')
    .description('who owns a key and how risky it is (read-only)')
    .argument('<access-key-id>')
    .action(async (key: string) => {
      const parsed = keyArg(key);
      await open(true);
      const facts = await bg!.keyOwner.lookup(parsed.keyId, parsed.kind);
      print(() => renderBlocks(keyOwnerBlocks(facts, new Date()).blocks).join('\n'), facts);
    });

  program
    .command('revoke-key')
    .description('open an incident for a leaked key and contain it (typed confirmation)')
    .argument('<access-key-id>')
    .argument('[reason...]', 'what happened')
    .addOption(new Option('--severity <level>', 'severity').choices(['low', 'medium', 'high', 'critical']).default('high'))
    .option('--confirm <access-key-id>', 'the key id typed back (otherwise asked on the terminal)')
    .option('--ticket <url>', 'ticket link')
    .action(async (key: string, reason: string[], o: { severity: 'low' | 'medium' | 'high' | 'critical'; confirm?: string; ticket?: string }) => {
      const parsed = keyArg(key);
      const { config } = await open(false);
      const opened = await bg!.engine.open({
        keyId: parsed.keyId,
        keyKind: parsed.kind,
        requester: actor,
        channel: config.channelId ?? 'break-glass',
        reason: reason.join(' ') || 'break-glass revoke',
        severity: o.severity,
        ticket: o.ticket,
      });
      const id = opened.created ? opened.incident.id : opened.existingIncidentId;
      if (!opened.created && !json) io.err(`An incident is already open for ${parsed.keyId}: ${id}. Continuing it.`);
      await bg!.engine.advance(id);
      const contain = (await bundleOf(id)).steps.find((s) => s.name === 'contain')!;
      if (contain.state === 'awaiting_approval') await approveStep(id, 'contain', { confirm: o.confirm });
      else if (contain.state === 'failed' || (await bundleOf(id)).steps.find((s) => s.name === 'identify')?.state === 'failed') {
        throw new CliExit(EXIT.failed, await humanSteps(id));
      }
      if (!json) io.out(await humanSteps(id));
      else io.out(JSON.stringify(await summary(id), null, 2));
    });

  program
    .command('trail')
    .description('CloudTrail history of a key, every region (progress on stderr)')
    .argument('<access-key-id>')
    .option('--since <iso>', 'start (ISO 8601); default 7 days ago')
    .option('--until <iso>', 'end (ISO 8601); default now')
    .action(async (key: string, o: { since?: string; until?: string }) => {
      const parsed = keyArg(key);
      const end = o.until ? new Date(o.until) : new Date();
      const start = o.since ? new Date(o.since) : new Date(end.getTime() - 7 * 86_400_000);
      if (Number.isNaN(start.getTime()) || Number.isNaN(end.getTime()) || start >= end) throw new CliExit(EXIT.usage, '--since and --until must be ISO 8601 times, since before until.');
      await open(false);
      const r = await bg!.trail.pull({
        subject: { kind: 'key', accessKeyId: parsed.keyId, temporary: parsed.kind === 'temporary' },
        start,
        end,
        exportFiles: true,
        onProgress: progressBars(io, true)(`CloudTrail ${parsed.keyId}`),
        progressIntervalMs: 200,
      });
      const ctx = { subject: parsed.keyId, window: { start: start.toISOString(), end: end.toISOString() }, regionsQueried: r.regions.length, regionsFailed: r.progress.regionsFailed, duplicatesDropped: r.progress.duplicatesDropped };
      print(() => [...renderBlocks(trailSummaryBlocks(r.summary, ctx).blocks), ...(r.files ? [`Full export: ${r.files.csv} and ${r.files.ndjson}`] : [])].join('\n'), { summary: r.summary, regions: r.regions, progress: r.progress, files: r.files });
      if (r.progress.regionsFailed.length > 0) throw new CliExit(EXIT.failed, `CloudTrail failed in ${r.progress.regionsFailed.map((f) => f.region).join(', ')}.`);
    });

  const incident = program.command('incident').description('incidents in the record');
  incident
    .command('list')
    .description('open incidents')
    .action(async () => {
      await open(true);
      const open_ = await bg!.store.listOpenIncidents();
      print(() => (open_.length ? open_.map((i) => `${i.id}  ${i.keyId}  ${i.severity}  opened ${i.createdAt} by ${i.requester}`).join('\n') : 'No open incidents.'), open_);
    });
  incident
    .command('show')
    .argument('<incident-id>')
    .action(async (id: string) => {
      await open(true);
      const b = await bundleOf(id);
      const steps = await humanSteps(id);
      print(() => [...renderBlocks(incidentCard(b.incident, b.steps).blocks), '', steps].join('\n'), await summary(id));
    });
  incident
    .command('approve')
    .description('approve a step awaiting approval (typed confirmation; two-approval steps need --second-approver)')
    .argument('<incident-id>')
    .argument('<step>', 'the step name, e.g. eradicate or remove-1')
    .option('--confirm <access-key-id>', 'the key id typed back (otherwise asked on the terminal)')
    .option('--second-approver <name>', 'the second operator who reviewed the plan (recorded)')
    .action(async (id: string, step: string, o: { confirm?: string; secondApprover?: string }) => {
      await open(false);
      await approveStep(id, step, o);
      if (json) io.out(JSON.stringify(await summary(id), null, 2));
      else io.out(await humanSteps(id));
    });
  incident
    .command('timeline')
    .argument('<incident-id>')
    .option('--out <dir>', 'where to write the review pack', '.')
    .action(async (id: string, o: { out: string }) => {
      await open(true);
      const b = await bundleOf(id);
      const pack = reviewPackText(b);
      const names = reviewPackNames(id);
      fs.mkdirSync(o.out, { recursive: true });
      const png = await pngRenderer().render(pack.chart);
      const written = [
        [names.markdown, pack.markdown],
        [names.csv, pack.csv],
        [names.json, pack.json],
        [names.png, png],
      ].map(([name, content]) => {
        const file = path.join(o.out, name as string);
        fs.writeFileSync(file, content as string | Buffer);
        return file;
      });
      print(() => `Review pack of ${id} (${pack.entries} timeline entries):\n${written.map((f) => `  ${f}`).join('\n')}`, { incidentId: id, metrics: pack.metrics, files: written });
    });
  incident
    .command('close')
    .description('close an incident; with something left open (Eradicate or a removal not done, containment undone, a step awaiting approval) a second operator closes it')
    .argument('<incident-id>')
    .argument('<resolution...>')
    .option('--second-approver <name>', 'the second operator who agrees to close with something left open (recorded as the closer)')
    .action(async (id: string, resolution: string[], o: { secondApprover?: string }) => {
      await open(true);
      await bundleOf(id);
      if (o.secondApprover && o.secondApprover === osUser) throw new CliExit(EXIT.refused, `The second approver must be another person than ${osUser}.`);
      const r = await bg!.engine.close(id, o.secondApprover ? secondApproverActor(o.secondApprover) : actor, resolution.join(' '));
      if (!r.ok) throw new CliExit(EXIT.refused, r.message.replace(/[*`]/g, ''));
      print(() => `Closed ${id}.`, await summary(id));
    });
  incident
    .command('card')
    .description('when Slack is back: post or update the incident card from the record')
    .argument('<incident-id>')
    .action(async (id: string) => {
      const { config } = await open(true);
      if (!config.slackConfigured) throw new CliExit(EXIT.usage, 'SLACK_BOT_TOKEN is not set: the card cannot be posted.');
      await bundleOf(id);
      await bg!.slackEngine().refreshCard(id);
      const after = await bundleOf(id);
      if (!after.incident.cardTs) throw new CliExit(EXIT.failed, 'Slack did not take the card (see the log above); the record is unchanged.');
      print(() => `The card of ${id} is up to date in ${after.incident.channel} (ts ${after.incident.cardTs}).`, { incidentId: id, channel: after.incident.channel, cardTs: after.incident.cardTs });
    });

  try {
    await program.parseAsync(argv, { from: 'user' });
    return EXIT.ok;
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? EXIT.ok : EXIT.usage;
    if (e instanceof CliExit) {
      if (json) io.out(JSON.stringify({ error: e.message, exitCode: e.code }));
      io.err(e.message);
      return e.code;
    }
    if (isKeyguardError(e)) {
      io.err(e.userMessage);
      return e.code === 'AWS_NOT_FOUND' ? EXIT.notFound : e.code === 'BAD_INPUT' ? EXIT.usage : e.code === 'GUARD_RAIL' ? EXIT.refused : EXIT.failed;
    }
    io.err(`Unexpected error: ${e instanceof Error ? e.message : String(e)}`);
    return EXIT.unexpected;
  } finally {
    await bg?.close().catch(() => undefined);
  }
}

if (require.main === module) {
  run(process.argv.slice(2)).then((code) => process.exit(code));
}

/**
 * The Slack face of keyguard: the Bolt app (HTTP receiver or Socket Mode), its commands,
 * buttons, modals and App Home, the incident card notifier, the watch, the sweeps, and
 * automatic intake, on top of the shared core (core.ts).
 */
import { App, HTTPReceiver, LogLevel } from '@slack/bolt';
import type { ExtendedErrorHandlerArgs } from '@slack/bolt/dist/App';
import { registerCommands } from '../../commands';
import type { IncidentDeps } from '../../commands/incident-deps';
import type { CommandDeps } from '../ports';
import { sleep } from '../sleep';
import type { PlaybookEngine } from '../../workflows/engine';
import type { Watcher } from '../../workflows/watch';
import { accessPolicy, SlackGroupResolver } from '../slack/directory';
import { boltLogger } from '../slack/bolt-logger';
import { errorReply } from '../slack/error-reply';
import { HomeRefreshingNotifier, HomeTab } from '../slack/home-publisher';
import { clickText } from '../slack/incident-messages';
import { SlackOwnerContact } from '../slack/owner-contact';
import { SlackInvestigation } from '../slack/investigation';
import { checkOrigin, originRefusalText, requestOrigin, type Installation } from '../slack/team-gate';
import { httpFrontDoor, HttpFrontDoor } from '../http-server';
import { BackgroundQueue, DEFAULT_BACKGROUND, type BackgroundQueueOptions } from '../background-queue';
import { AUTO_CONTAIN_POLICY } from '../intake/intake-service';
import { buildCore, type Core, type CoreOptions } from './core';
import { startIntake, type IntakeHooks, type RunningIntake } from './intake';

export interface AppParts extends CoreOptions {
  /** From auth.test at start-up (main.ts), so Bolt does not call it again. */
  botId?: string;
  botUserId?: string;
  /** Limits of the queue request work runs through after the ack; default DEFAULT_BACKGROUND. */
  background?: BackgroundQueueOptions;
  /** Intake: GitHub API and poll timings (tests point these at local servers). */
  intake?: IntakeHooks;
  /** The workspace the bot is installed in (auth.test); absent: asked once with auth.test. */
  installation?: Installation;
}

export interface RunningApp {
  app: App;
  core: Core;
  engine: PlaybookEngine;
  watcher: Watcher;
  /** Port in HTTP mode; undefined in Socket Mode. */
  port?: number;
  intake?: RunningIntake;
  stop(): Promise<void>;
}

/** Listeners still running; `drain` waits for them (graceful shutdown). */
export interface Inflight {
  count: number;
}

async function drain(inflight: Inflight, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (inflight.count > 0 && Date.now() < deadline) await sleep(20);
}

function buildApp(parts: AppParts): { app: App; core: Core; frontDoor?: HttpFrontDoor; deps: CommandDeps; engine: PlaybookEngine; inflight: Inflight; watcher: Watcher; notifier: HomeRefreshingNotifier } {
  const inflight: Inflight = { count: 0 };
  const { config, logger } = parts;
  const socketMode = Boolean(config.slack.appToken);
  const receiver = socketMode
    ? undefined
    : new HTTPReceiver({
        signingSecret: config.slack.signingSecret!,
        logger: boltLogger(logger),
        // Slack retries unanswered requests after 3 s; answer every request at once and
        // do the work after ack().
        processBeforeResponse: false,
      });
  const app = new App({
    token: config.slack.botToken,
    receiver,
    socketMode,
    appToken: config.slack.appToken,
    botId: parts.botId,
    botUserId: parts.botUserId,
    logger: boltLogger(logger),
    logLevel: LogLevel.WARN,
    extendedErrorHandler: true,
    clientOptions: {
      slackApiUrl: config.slack.apiUrl,
      // Interactive paths must not wait minutes on rate limits: a short retry policy.
      retryConfig: { retries: 2, factor: 2, minTimeout: 250, maxTimeout: 2000 },
      rejectRateLimitedCalls: false,
    },
  });
  // One Slack team: a request from another workspace or Enterprise Grid org, or from a
  // Slack Connect user of another organisation, is refused before any listener sees it.
  let installed: Promise<Installation> | undefined = parts.installation ? Promise.resolve(parts.installation) : undefined;
  const installation = (): Promise<Installation> => {
    installed ??= app.client.auth.test().then((r) => ({ teamId: r.team_id as string, enterpriseId: (r.enterprise_id as string | undefined) || undefined }));
    const asked = installed;
    asked.catch(() => (installed = undefined));
    return asked;
  };
  app.use(async (args) => {
    const origin = requestOrigin(args.body);
    const verdict = checkOrigin(origin, await installation());
    if (verdict === 'ok') return args.next();
    logger.warn({ verdict, team: origin.teamId, enterprise: origin.enterpriseId, userTeam: origin.userTeamId }, 'request from outside the installed workspace refused');
    const ack = (args as { ack?: (r?: unknown) => Promise<void> }).ack;
    const isCommand = typeof (args.body as { command?: unknown }).command === 'string';
    if (ack) await ack(isCommand ? { response_type: 'ephemeral', text: originRefusalText(verdict) } : undefined);
  });
  // Count listeners still working after ack(), so a shutdown can let them finish.
  app.use(async ({ next }) => {
    inflight.count++;
    try {
      await next();
    } finally {
      inflight.count--;
    }
  });
  const core = buildCore(parts);
  const groups = new SlackGroupResolver(app.client);
  const deps: CommandDeps = {
    keyOwner: core.keyOwner,
    trail: core.trail,
    access: accessPolicy(config.responders, config.approvers, groups),
    logger,
    now: core.now,
    // Read-only output (/trail) goes to the incident channel or a DM, never where it was typed.
    outputChannel: config.channelId,
  };
  const home = new HomeTab({ client: app.client, store: core.store, access: deps.access, logger, now: core.now });
  // The card notifier also republishes the App Home of recent viewers when an incident changes.
  const notifier = new HomeRefreshingNotifier(app.client, logger, home, { approvers: config.approvers });
  const watcher = core.watcher(notifier, () => engine);
  const engine: PlaybookEngine = core.engine({
    notifier,
    access: deps.access,
    ownerContact: new SlackOwnerContact(app.client, logger),
    investigation: new SlackInvestigation(core.trail, app.client, logger),
    describe: clickText,
    // A policy approval (IR_AUTO_CONTAIN) holds at run time only while the policy is configured.
    approvalPolicies: config.intake.autoContain.length > 0 ? [AUTO_CONTAIN_POLICY] : [],
    // Containment done: watch for the key, or a session it minted, being used anyway.
    onStepSucceeded: async (incident, step) => {
      if (step.name === 'contain' && !incident.dryRun) await watcher.schedule(incident, step.startedAt ?? step.updatedAt);
    },
  });
  // Work after the ack (lookups, steps, card updates, replies): a few at a time, bounded,
  // and started only once the requests waiting for their ack have had it.
  let frontDoor: HttpFrontDoor | undefined;
  const background = new BackgroundQueue({ ...DEFAULT_BACKGROUND, ...parts.background, yieldWhile: () => (frontDoor?.waiting ?? 0) > 0 });
  const incidents: IncidentDeps = { engine, store: core.store, access: deps.access, notifier, logger, channelId: config.channelId, home, background };
  registerCommands(app, deps, background, incidents);

  // The one error path: known errors become a specific ephemeral message; anything else a
  // correlation id, logged with the error.
  app.error(async ({ error, body }: ExtendedErrorHandlerArgs) => {
    const reply = errorReply(error);
    const original = (error as { original?: unknown }).original ?? error;
    if (reply.correlationId) {
      logger.error({ correlationId: reply.correlationId, err: original }, 'unexpected error');
    } else {
      logger.warn({ code: (original as { code?: string }).code, msg: reply.text }, 'request refused');
    }
    const b = body as { response_url?: string; user?: { id?: string }; user_id?: string } | undefined;
    const text = `:warning: ${reply.text}`;
    if (b?.response_url) {
      await fetch(b.response_url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ response_type: 'ephemeral', replace_original: false, text }),
      }).catch((e) => logger.error({ err: e }, 'could not deliver the error message'));
      return;
    }
    // Modal submissions carry no response_url: tell the person directly.
    const userId = b?.user?.id ?? b?.user_id;
    if (userId) {
      try {
        const dm = await app.client.conversations.open({ users: userId });
        await app.client.chat.postMessage({ channel: dm.channel!.id!, text });
      } catch (e) {
        logger.error({ err: e }, 'could not deliver the error message');
      }
    }
  });

  frontDoor = receiver ? httpFrontDoor({ receiver, signingSecret: config.slack.signingSecret!, logger }) : undefined;
  return { app, core, frontDoor, deps, engine, inflight, watcher, notifier };
}

/** Logged at start-up when IR_DIRECT_WRITES=true. */
const DIRECT_WRITES_WARNING =
  "IR_DIRECT_WRITES=true: IAM writes use the bot's own credentials, without the responder role's session policy. " +
  'For a trial only: every step record and card says so. Deploy the keyguard-responder role and unset IR_DIRECT_WRITES.';

export async function startApp(parts: AppParts, host?: string): Promise<RunningApp> {
  const { app, core, frontDoor, engine, inflight, watcher, notifier } = buildApp(parts);
  // Least privilege: writing with the bot's own credentials is a trial mode, said loudly.
  if (parts.config.privilege?.directWrites) parts.logger.warn({ directWrites: true }, DIRECT_WRITES_WARNING);
  // Finish what a previous process left running, then keep expiring stale approvals. Start-up
  // never depends on an old incident's health: a failure here is logged and the bot serves.
  try {
    const reconciled = await engine.reconcile();
    if (reconciled.resumed.length > 0) parts.logger.info({ resumed: reconciled.resumed }, 'reconciled steps left running');
    if (reconciled.failed.length > 0) parts.logger.error({ failed: reconciled.failed }, 'some incidents could not be reconciled at start-up; each is recorded, the sweep tries again every minute');
  } catch (e) {
    parts.logger.error({ err: e }, 'reconcile at start-up failed; the bot serves and the sweep tries again every minute');
  }
  // Every minute: expire approvals that ran out, and take over steps whose runner died
  // (its lease ran out) — a crashed replica's work is finished by the others.
  const sweep = setInterval(() => {
    engine.expireDue().catch((e) => parts.logger.error({ err: e }, 'approval expiry sweep failed'));
    engine.reconcile().catch((e) => parts.logger.error({ err: e }, 'reconcile sweep failed'));
  }, 60_000);
  sweep.unref();
  const watching = setInterval(() => {
    watcher.tick().catch((e) => parts.logger.error({ err: e }, 'watch tick failed'));
  }, 30_000);
  watching.unref();
  // Automatic intake: before the listener opens, so its route is there from the start.
  const intake = await startIntake({ core, engine, notifier, frontDoor, host, sqs: parts.clients.sqs, ...parts.intake });
  if (frontDoor) {
    const port = await frontDoor.listen(parts.config.slack.port, host);
    parts.logger.info({ port, path: '/slack/events' }, 'keyguard listening (HTTP mode)');
    return { app, core, engine, watcher, port, intake, stop: async () => {
        clearInterval(sweep);
        clearInterval(watching);
        await intake?.stop();
        await frontDoor.close();
        await drain(inflight);
      } };
  }
  await app.start();
  parts.logger.info('keyguard connected (Socket Mode)');
  return { app, core, engine, watcher, intake, stop: async () => {
      clearInterval(sweep);
      clearInterval(watching);
      await intake?.stop();
      await app.stop();
      await drain(inflight);
    } };
}

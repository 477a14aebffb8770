/**
 * The break-glass CLI against moto (IAM, STS and the DynamoDB table) and the CloudTrail
 * emulator: the playbook run through the CLI's commands, with the typed confirmation, the
 * second approver, --json and the documented exit codes; the Slack card catching up from
 * the record afterwards.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CreateAccessKeyCommand, CreateLoginProfileCommand, CreateUserCommand, GetUserCommand, IAMClient, ListAccessKeysCommand } from '@aws-sdk/client-iam';
import { motoIam, motoDynamo } from '../support/aws-clients';
import { resetMoto } from '../../sandbox/moto';
import { startCloudTrailEmulator, CloudTrailEmulator } from '../../sandbox/cloudtrail-emulator';
import { attackerScenario, loadEvents } from '../../sandbox/cloudtrail-fixtures';
import { startFakeSlack, FakeSlack } from '../../sandbox/fake-slack';
import { EXIT, run } from '../../src/cli/main';
import { DynamoIncidentStore } from '../../src/store/incident-store';
import { pngSize } from '../../src/timeline/chart-png';
import { CHART_HEIGHT, CHART_WIDTH } from '../../src/timeline/review-pack';

jest.setTimeout(300_000);

const TABLE = 'keyguard-cli-test';
let emu: CloudTrailEmulator;
let keyId: string;
let now: () => Date;

function env(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { IR_TABLE_NAME: TABLE, IR_CREATE_TABLE: 'true', IR_REGIONS: 'us-east-1,eu-west-1,ap-southeast-3', LOG_LEVEL: 'warn', ...extra };
}

/** One CLI invocation in-process: what it printed, what it returned. */
async function cli(args: string[], o: { typed?: string[]; env?: NodeJS.ProcessEnv } = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const typed = [...(o.typed ?? [])];
  const prompts: string[] = [];
  const code = await run(args, {
    io: {
      out: (s) => out.push(s),
      err: (s) => err.push(s),
      ask: async (p) => {
        prompts.push(p);
        return typed.shift();
      },
      isTTY: false,
    },
    env: o.env ?? env(),
    osUser: 'oncall-ops',
    now,
  });
  return { code, out: out.join('\n'), err: err.join('\n'), prompts };
}

const store = () => new DynamoIncidentStore(motoDynamo(), TABLE);
const keyStatus = async (iam: IAMClient, user: string, id: string) => (await iam.send(new ListAccessKeysCommand({ UserName: user }))).AccessKeyMetadata?.find((k) => k.AccessKeyId === id)?.Status ?? 'absent';

beforeEach(async () => {
  await resetMoto(process.env.MOTO_URL!);
  emu = await startCloudTrailEmulator({ requestsPerSecond: 100 });
  process.env.AWS_ENDPOINT_URL_CLOUDTRAIL = emu.url;
  const iam = motoIam();
  await iam.send(new CreateUserCommand({ UserName: 'leaky' }));
  const k = await iam.send(new CreateAccessKeyCommand({ UserName: 'leaky' }));
  keyId = k.AccessKey!.AccessKeyId!;
  // The attacker, with the leaked key itself, makes a back-door user.
  const attacker = new IAMClient({ region: 'us-east-1', endpoint: process.env.MOTO_URL, credentials: { accessKeyId: keyId, secretAccessKey: k.AccessKey!.SecretAccessKey! } });
  await attacker.send(new CreateUserCommand({ UserName: 'backup-svc' }));
  await attacker.send(new CreateLoginProfileCommand({ UserName: 'backup-svc', Password: 'Attacker-chosen-1!' }));
  const t0 = Date.now();
  const attack = attackerScenario({ seed: 3, principal: { accountId: '123456789012', userName: 'leaky', accessKeyId: keyId }, startMs: t0 + 1000 });
  loadEvents(emu, attack.events);
  const shift = attack.endMs - t0 + 60_000;
  now = () => new Date(Date.now() + shift);
});
afterEach(async () => {
  delete process.env.AWS_ENDPOINT_URL_CLOUDTRAIL;
  await emu.close();
});

it('runs the playbook through the CLI: typed confirmation, second approver, --json, exit codes, the card catching up', async () => {
  const iam = motoIam();

  // A wrong key typed back: refused (3), nothing changed in IAM.
  const wrong = await cli(['revoke-key', keyId, 'found', 'in', 'a', 'public', 'repo'], { typed: ['AKIAIOSFODNN7EXAMPLE'] });
  expect(wrong.code).toBe(EXIT.refused);
  expect(wrong.prompts).toEqual([`Type the key id ${keyId} to approve Contain: `]);
  expect(wrong.err).toContain('UpdateAccessKey'); // the exact plan was shown before asking
  expect(wrong.err).toMatch(/Not confirmed: .* Nothing was changed\./);
  expect(await keyStatus(iam, 'leaky', keyId)).toBe('Active');

  // Typed right: contained (the same incident continues), investigated, the rest waits.
  const ok = await cli(['revoke-key', keyId, 'found in a public repo'], { typed: [keyId] });
  expect({ code: ok.code, err: ok.err.slice(-2000) }).toMatchObject({ code: EXIT.ok });
  expect(ok.err).toContain('already open');
  expect(await keyStatus(iam, 'leaky', keyId)).toBe('Inactive');
  expect(ok.out).toMatch(/Contain \[contain\]: succeeded \(1\/1 approvals: break-glass:oncall-ops\/typed-confirmation\)/);
  expect(ok.out).toMatch(/Investigate \(CloudTrail\) \[investigate\]: succeeded/);
  expect(ok.out).toContain('CloudTrail for'); // the summary, as the thread would show it
  expect(ok.out).toMatch(/Awaiting approval: keyguard incident approve (IR-\S+) eradicate --second-approver <name>/);
  const id = /Incident (IR-\S+) \(open\)/.exec(ok.out)![1];

  // A destructive step without a second approver: refused before any prompt.
  const alone = await cli(['incident', 'approve', id, 'eradicate', '--confirm', keyId]);
  expect(alone.code).toBe(EXIT.refused);
  expect(alone.err).toContain('--second-approver');
  expect(await keyStatus(iam, 'leaky', keyId)).toBe('Inactive');

  // The attacker's user, removed with the operator's confirmation and a second approver.
  const removal = (await store().get(id))!.steps.find((s) => s.title === 'Remove IAM user backup-svc')!;
  const removed = await cli(['--json', 'incident', 'approve', id, removal.name, '--confirm', keyId, '--second-approver', 'dana']);
  expect(removed.code).toBe(EXIT.ok);
  const removedJson = JSON.parse(removed.out);
  expect(removedJson.steps.find((s: { name: string }) => s.name === removal.name)).toMatchObject({
    state: 'succeeded',
    approvals: [expect.objectContaining({ userId: 'break-glass:oncall-ops/typed-confirmation' }), expect.objectContaining({ userId: 'break-glass:dana/second-approver' })],
  });
  await expect(iam.send(new GetUserCommand({ UserName: 'backup-svc' }))).rejects.toMatchObject({ name: 'NoSuchEntityException' });

  const eradicated = await cli(['incident', 'approve', id, 'eradicate', '--second-approver', 'dana'], { typed: [keyId] });
  expect(eradicated.code).toBe(EXIT.ok);
  expect(await keyStatus(iam, 'leaky', keyId)).toBe('absent');
  expect(eradicated.out).toMatch(/Recover \(tell the owner\) \[recover\]: (succeeded|skipped)/);

  // --json for scripting: every record the CLI wrote is flagged break-glass.
  const shown = await cli(['--json', 'incident', 'show', id]);
  expect(shown.code).toBe(EXIT.ok);
  expect(JSON.parse(shown.out).incident).toMatchObject({ id, requester: 'break-glass:oncall-ops', keyId });
  const events = (await store().get(id))!.events;
  const actors = new Set(events.map((e) => e.actor).filter((a): a is string => Boolean(a)));
  expect(actors.size).toBeGreaterThan(0);
  for (const a of actors) expect(a).toMatch(/^break-glass:/);

  const closed = await cli(['incident', 'close', id, 'key', 'deleted,', 'back-door', 'removed']);
  expect(closed).toMatchObject({ code: EXIT.ok, out: `Closed ${id}.` });
  expect(await cli(['incident', 'close', id, 'again'])).toMatchObject({ code: EXIT.refused });
  expect((await cli(['--json', 'incident', 'list'])).out).toBe('[]');

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'keyguard-cli-'));
  const timeline = await cli(['--json', 'incident', 'timeline', id, '--out', dir]);
  expect(timeline.code).toBe(EXIT.ok);
  expect(fs.readdirSync(dir).sort()).toEqual([`${id}-activity.png`, `${id}-timeline.csv`, `${id}-timeline.json`, `${id}-timeline.md`]);
  expect(fs.readFileSync(path.join(dir, `${id}-timeline.md`), 'utf8')).toContain('break-glass:dana/second-approver');
  expect(pngSize(fs.readFileSync(path.join(dir, `${id}-activity.png`)))).toEqual({ width: CHART_WIDTH, height: CHART_HEIGHT });
  fs.rmSync(dir, { recursive: true, force: true });

  // Slack is back: the card is posted from the record, break-glass actors and all.
  const slack: FakeSlack = await startFakeSlack({ token: 'xoxb-cli-test-not-real' });
  try {
    const card = await cli(['incident', 'card', id], { env: env({ SLACK_BOT_TOKEN: 'xoxb-cli-test-not-real', SLACK_API_URL: slack.apiUrl, IR_CHANNEL_ID: 'C0INCIDENT' }) });
    expect(card.code).toBe(EXIT.ok);
    const posted = slack.callsTo('chat.postMessage').find((c) => Array.isArray(c.args.blocks))!;
    expect(JSON.stringify(posted.args.blocks)).toContain('CLOSED');
    expect(JSON.stringify(posted.args.blocks)).toContain('break-glass:dana/second-approver');
    expect((await store().getIncident(id))!.cardTs).toBe(card.out.match(/ts (\S+)\)/)![1]);
  } finally {
    await slack.close();
  }
});

it('bin/keyguard: usage errors exit 2, an unknown incident exits 5 with a JSON error', async () => {
  const bin = path.resolve(__dirname, '../../bin/keyguard');
  const exec = (args: string[]) =>
    new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      const child = spawn(bin, args, { env: { ...process.env, ...env() }, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d) => (stdout += d));
      child.stderr.on('data', (d) => (stderr += d));
      child.on('exit', (code) => resolve({ code, stdout, stderr }));
    });
  const missing = await exec(['--json', 'incident', 'show', 'IR-20990101-NOPE']);
  expect(missing.code).toBe(EXIT.notFound);
  expect(JSON.parse(missing.stdout)).toEqual({ error: 'No incident IR-20990101-NOPE.', exitCode: EXIT.notFound });
  const bad = await exec(['key-owner', 'not-a-key']);
  expect(bad.code).toBe(EXIT.usage);
  expect(bad.stderr).toContain('Not an access key id');
  const pasted = await exec(['revoke-key', 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY']);
  expect(pasted.code).toBe(EXIT.usage);
  expect(pasted.stderr).toContain('secret access key');
});

it('reads IR_PROTECTED_PRINCIPALS as the bot does: a removal that writes to a named principal is refused, nothing is written', async () => {
  const iam = motoIam();
  const protectedEnv = env({ IR_PROTECTED_PRINCIPALS: 'user/backup-svc' });
  const ok = await cli(['revoke-key', keyId, 'found in a public repo', '--confirm', keyId], { env: protectedEnv });
  expect(ok.code).toBe(EXIT.ok);
  const id = /Incident (IR-\S+) \(open\)/.exec(ok.out)![1];
  const removal = (await store().get(id))!.steps.find((s) => s.title === 'Remove IAM user backup-svc')!;
  expect(removal).toBeDefined();

  const refused = await cli(['incident', 'approve', id, removal.name, '--confirm', keyId, '--second-approver', 'dana'], { env: protectedEnv });
  expect(refused.code).toBe(EXIT.refused);
  // The bot's own words (src/domain/protection.ts), from the same check the bot runs, said once.
  expect(refused.err).toContain('user backup-svc is named in IR_PROTECTED_PRINCIPALS (break-glass): defender-protected, so keyguard never deletes it');
  expect(refused.err.match(/Nothing was sent to AWS/g)).toHaveLength(1);
  await expect(iam.send(new GetUserCommand({ UserName: 'backup-svc' }))).resolves.toBeDefined();
  expect((await store().get(id))!.steps.find((s) => s.name === removal.name)!.state).not.toBe('succeeded');

  // With the removal and Eradicate not done, the operator alone does not close; a second operator does.
  const alone = await cli(['incident', 'close', id, 'handled', 'by', 'hand'], { env: protectedEnv });
  expect(alone.code).toBe(EXIT.refused);
  expect(alone.err).toMatch(/Eradicate .*Closing it now needs an approver/);
  const both = await cli(['incident', 'close', id, 'handled', 'by', 'hand', '--second-approver', 'dana'], { env: protectedEnv });
  expect(both).toMatchObject({ code: EXIT.ok, out: `Closed ${id}.` });
  expect((await store().getIncident(id))!.closedBy).toBe('break-glass:dana/second-approver');
});

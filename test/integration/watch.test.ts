/**
 * The watch after containment: CloudTrail is re-checked on a schedule kept in the store; use
 * of the contained key (success or AccessDenied) and new persistence are posted to the
 * incident thread; a restarted bot carries on with the schedule.
 */
import { startHarness, Harness } from '../support/harness';
import { motoIam } from '../support/aws-clients';
import { seedUser } from '../../sandbox/iam-seed';
import { resetMoto } from '../../sandbox/moto';
import { startCloudTrailEmulator, CloudTrailEmulator } from '../../sandbox/cloudtrail-emulator';
import { buildEvent, FixtureRandom, iamUserIdentity, loadEvents } from '../../sandbox/cloudtrail-fixtures';
import { startFakeSlack, FakeSlack } from '../../sandbox/fake-slack';
import { latestCard, buttonOn, click } from '../../sandbox/clicks';
import { startEmbeddedDynamo, EmbeddedDynamo } from '../../src/store/embedded-dynamo';
import { ensureTable } from '../../src/store/table-setup';
import { DynamoIncidentStore } from '../../src/store/incident-store';
import { DynamoWatchStore } from '../../src/store/watch-store';
import { ACTION } from '../../src/slack/ids';
import { TEST_BOT_TOKEN } from '../support/harness';

const REQUESTER = 'U0REQUEST';
const APPROVER = 'U0APPROVE1';
const CHANNEL = 'C0INCIDENT';
const ENV = { IR_RESPONDERS: REQUESTER, IR_APPROVERS: APPROVER, IR_CHANNEL_ID: CHANNEL, IR_WATCH_MINUTES: '30', IR_WATCH_INTERVAL_MINUTES: '5' };

let emu: CloudTrailEmulator;
let slack: FakeSlack;
let dynamo: EmbeddedDynamo;
let shared: { store: DynamoIncidentStore; watches: DynamoWatchStore };
const apps: Harness[] = [];
let clockShiftMs = 0;
const now = () => new Date(Date.now() + clockShiftMs);

beforeEach(async () => {
  await resetMoto(process.env.MOTO_URL!);
  emu = await startCloudTrailEmulator({ requestsPerSecond: 100 });
  slack = await startFakeSlack({ token: TEST_BOT_TOKEN });
  dynamo = await startEmbeddedDynamo();
  await ensureTable(dynamo.client, 'watch-test', true);
  shared = { store: new DynamoIncidentStore(dynamo.client, 'watch-test', now), watches: new DynamoWatchStore(dynamo.client, 'watch-test') };
  clockShiftMs = 0;
});
afterEach(async () => {
  await new Promise((r) => setTimeout(r, 100));
  for (const h of apps.splice(0)) await h.close();
  await emu.close();
  await slack.close();
  await dynamo.close();
});

async function app() {
  const h = await startHarness(ENV, { cloudTrailUrl: emu.url, shared, slack, now });
  apps.push(h);
  return h;
}

async function incidentBundle() {
  const [inc] = await shared.store.listOpenIncidents();
  return (await shared.store.get(inc.id))!;
}


async function contain(h: Harness, keyId: string) {
  await h.slash('/revoke-key', `${keyId} leaked`, REQUESTER);
  const approve = await slack.waitFor(() => buttonOn(latestCard(h, CHANNEL), ACTION.approve), 'Approve');
  await click(h, approve, APPROVER);
  await slack.waitFor(() => slack.callsTo('chat.postMessage').find((c) => /Watching/.test(c.args.text ?? '')), 'watch started');
}

it('posts when the contained key is still used or new persistence appears, and survives a restart', async () => {
  const { keyIds: [keyId] } = await seedUser(motoIam(), { userName: 'leaky' });
  const first = await app();
  await contain(first, keyId);
  const b = await incidentBundle();
  expect(b.events.map((e) => e.type)).toContain('watch_started');

  // Not due yet: nothing runs.
  expect(await first.app.watcher.tick()).toBe(0);

  // The attacker tries again after containment: denied calls, and a user created with a session.
  const rng = new FixtureRandom(3);
  const identity = iamUserIdentity({ accountId: '123456789012', userName: 'leaky', accessKeyId: keyId });
  const t = Date.now() + 60_000;
  loadEvents(emu, [
    buildEvent({ service: 'iam', name: 'ListUsers', region: 'us-east-1', identity, sourceIp: '198.51.100.7', timeMs: t, errorCode: 'AccessDenied', userAgent: 'aws-cli/2' }, rng),
    buildEvent({ service: 's3', name: 'ListBuckets', region: 'us-east-1', identity, sourceIp: '198.51.100.7', timeMs: t + 1000, errorCode: 'AccessDenied', userAgent: 'aws-cli/2' }, rng),
    buildEvent({ service: 'iam', name: 'CreateUser', region: 'us-east-1', identity, sourceIp: '198.51.100.7', timeMs: t + 2000, requestParameters: { userName: 'sneaky' }, responseElements: { user: { userName: 'sneaky', arn: 'arn:aws:iam::123456789012:user/sneaky' } }, userAgent: 'aws-cli/2' }, rng),
  ]);

  // The bot restarts; the schedule is in the store, and the new process runs the check.
  await first.close();
  apps.splice(apps.indexOf(first), 1);
  clockShiftMs = 6 * 60_000;
  const second = await app();
  expect(await second.app.watcher.tick()).toBe(1);
  const alert = await slack.waitFor(() => slack.callsTo('chat.postMessage').find((c) => /\*Watch:\*/.test(c.args.text ?? '')), 'watch alert');
  expect(alert.args.thread_ts).toBeDefined();
  expect(alert.args.text).toContain('3 new call(s)');
  expect(alert.args.text).toContain('2 were denied');
  expect(alert.args.text).toContain('198.51.100.7');
  expect(alert.args.text).toContain('iam-user sneaky');

  // Five minutes later nothing new: no second alert. Two replicas tick at the same moment:
  // exactly one of them runs the check.
  const third = await app();
  clockShiftMs = 12 * 60_000;
  const ran = await Promise.all([second.app.watcher.tick(), third.app.watcher.tick()]);
  expect(ran[0] + ran[1]).toBe(1);
  expect(slack.callsTo('chat.postMessage').filter((c) => /\*Watch:\*/.test(c.args.text ?? ''))).toHaveLength(1);

  // At the end of the watch, a closing line, and the watch is no longer due.
  clockShiftMs = 40 * 60_000;
  expect(await second.app.watcher.tick()).toBe(1);
  await slack.waitFor(() => slack.callsTo('chat.postMessage').find((c) => /Watch ended/.test(c.args.text ?? '')), 'watch ended');
  clockShiftMs = 50 * 60_000;
  expect(await second.app.watcher.tick()).toBe(0);
  const types = (await incidentBundle()).events.map((e) => e.type);
  expect(types.filter((x) => x === 'watch_alert')).toHaveLength(1);
  expect(types).toContain('watch_ended');
});

it('stops when an approver other than the requester closes the incident', async () => {
  const { keyIds: [keyId] } = await seedUser(motoIam(), { userName: 'leaky' });
  const h = await app();
  await contain(h, keyId);
  const id = (await incidentBundle()).incident.id;
  expect((await h.app.engine.close(id, APPROVER, 'rotated and confirmed')).ok).toBe(true);
  clockShiftMs = 6 * 60_000;
  expect(await h.app.watcher.tick()).toBe(1);
  await slack.waitFor(() => slack.callsTo('chat.postMessage').find((c) => /Watch stopped: the incident is closed/.test(c.args.text ?? '')), 'watch stopped');
  clockShiftMs = 12 * 60_000;
  expect(await h.app.watcher.tick()).toBe(0);
});


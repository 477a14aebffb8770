/**
 * One incident never stalls itself, the sweep or the bot, through the real Bolt app (signed
 * requests, the fake Slack, IAM in moto, CloudTrail in the emulator, one table shared by two
 * processes):
 *  - a step whose plan cannot be made (here: a GetSessionToken key whose trace shows no
 *    long-term key) is failed with the reason, on the card and in the thread, with Retry;
 *  - the reconcile and expiry sweeps go on past an incident that throws: the newer ones still
 *    advance, and the failure is logged and recorded on the broken one;
 *  - a restarted bot serves with both of them in the table.
 */
import { ListAccessKeysCommand } from '@aws-sdk/client-iam';
import { startHarness, Harness, blocksText } from '../support/harness';
import { motoIam } from '../support/aws-clients';
import { seedUser } from '../../sandbox/iam-seed';
import { resetMoto } from '../../sandbox/moto';
import { startCloudTrailEmulator, CloudTrailEmulator } from '../../sandbox/cloudtrail-emulator';
import { ACCOUNT_ID, loadEvents } from '../../sandbox/cloudtrail-fixtures';
import { startFakeSlack, FakeSlack } from '../../sandbox/fake-slack';
import { ask, cardWith, latestCard } from '../../sandbox/clicks';
import { startEmbeddedDynamo, EmbeddedDynamo } from '../../src/store/embedded-dynamo';
import { ensureTable } from '../../src/store/table-setup';
import { DynamoIncidentStore } from '../../src/store/incident-store';
import { DynamoWatchStore } from '../../src/store/watch-store';
import type { Incident, StepRecord } from '../../src/domain/incident';
import { userSessionMinted } from '../support/minted-credentials';
import { TEST_BOT_TOKEN, responsesTo } from '../support/harness';

const REQUESTER = 'U0REQUEST';
const APPROVER = 'U0APPROVE1';
const CHANNEL = 'C0INCIDENT';
const ENV = { IR_RESPONDERS: REQUESTER, IR_APPROVERS: APPROVER, IR_CHANNEL_ID: CHANNEL };

let emu: CloudTrailEmulator;
let slack: FakeSlack;
let dynamo: EmbeddedDynamo;
let shared: { store: DynamoIncidentStore; watches: DynamoWatchStore };
const apps: Harness[] = [];
let clockShiftMs = 0;
const now = () => new Date(Date.now() + clockShiftMs);
const iam = motoIam();

beforeEach(async () => {
  await resetMoto(process.env.MOTO_URL!);
  emu = await startCloudTrailEmulator({ requestsPerSecond: 100 });
  slack = await startFakeSlack({ token: TEST_BOT_TOKEN });
  dynamo = await startEmbeddedDynamo();
  await ensureTable(dynamo.client, 'stuck-test', true);
  shared = { store: new DynamoIncidentStore(dynamo.client, 'stuck-test', now), watches: new DynamoWatchStore(dynamo.client, 'stuck-test') };
  clockShiftMs = 0;
});
afterEach(async () => {
  await new Promise((r) => setTimeout(r, 100));
  for (const h of apps.splice(0)) await h.close();
  await emu.close();
  await slack.close();
  await dynamo.close();
});

async function app(): Promise<Harness> {
  const h = await startHarness(ENV, { cloudTrailUrl: emu.url, shared, slack, now });
  apps.push(h);
  return h;
}

async function until(what: string, pred: () => Promise<boolean>, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await pred())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

const bundleFor = async (keyId: string) => {
  const inc = (await shared.store.listOpenIncidents()).find((i) => i.keyId === keyId);
  return inc ? shared.store.get(inc.id) : undefined;
};
const stepOf = async (keyId: string, name: string) => (await bundleFor(keyId))?.steps.find((s) => s.name === name);
const stepIs = (keyId: string, name: string, state: string) => async () => (await stepOf(keyId, name))?.state === state;

/** A GetSessionToken key whose issuing event carries no caller key: its long-term key is unknown. */
function sessionWithoutRootKey(userName: string, userKey: string) {
  const minted = userSessionMinted({ seed: 51, principal: { accountId: ACCOUNT_ID, userName, accessKeyId: userKey }, via: 'GetSessionToken', startMs: Date.now() - 600_000 });
  const [issuing, ...usage] = minted.events;
  const record = JSON.parse(issuing.CloudTrailEvent);
  delete record.userIdentity.accessKeyId;
  const { AccessKeyId: _dropped, ...rest } = issuing;
  return { events: [{ ...rest, CloudTrailEvent: JSON.stringify(record) }, ...usage], issuedKey: minted.issuedKey };
}

/** An incident as an older process (or a damaged record) left it: a step this playbook does not know. */
async function plantBrokenIncident(createdAt: string): Promise<Incident> {
  const incident: Incident = {
    id: 'IR-20200101-BRKN', keyId: 'AKIABROKENINCIDENT01', keyKind: 'long-term', requester: REQUESTER, severity: 'high',
    reason: 'left by an older version', status: 'open', channel: CHANNEL, dryRun: false, createdAt, version: 1,
  };
  const step = (seq: number, name: string, state: StepRecord['state']): StepRecord => ({
    incidentId: incident.id, seq, name, title: name, state, version: 1, approvalsRequired: 1, updatedAt: createdAt,
    // Approved a minute ago: it runs (and throws) in the reconcile sweep, lapses (and throws) in the expiry sweep.
    approvals: state === 'approved' ? [{ userId: APPROVER, at: new Date(Date.now() - 60_000).toISOString() }] : [],
  });
  await shared.store.openIncident(incident, [step(1, 'identify', 'succeeded'), step(2, 'retired-step', 'approved')]);
  return incident;
}

it('a plan that cannot be made fails the step with the reason, on the card and in the thread, with Retry', async () => {
  const { keyIds: [userKey] } = await seedUser(iam, { userName: 'dev-laptop' });
  const { events, issuedKey } = sessionWithoutRootKey('dev-laptop', userKey);
  loadEvents(emu, events);
  const h = await app();

  await h.slash('/revoke-key', `${issuedKey} in a screenshot`, REQUESTER);
  await until('contain failed', stepIs(issuedKey, 'contain', 'failed'));
  const contain = (await stepOf(issuedKey, 'contain'))!;
  expect(contain.error).toMatchObject({ code: 'NOT_AVAILABLE', message: expect.stringContaining('did not show the long-term key that minted it') });
  expect(contain.plan).toBeUndefined();
  expect((await bundleFor(issuedKey))!.events.filter((e) => e.type === 'plan_failed')).toHaveLength(1);

  // The card: the step failed with why, and Retry Contain to plan it again.
  const card = blocksText(await cardWith(h, CHANNEL, 'Contain*: failed'));
  expect(card).toContain('could not be planned: Temporary key');
  const thread = await slack.waitFor(() => slack.callsTo('chat.postMessage').find((c) => c.args.thread_ts && /\*Contain\* could not be planned/.test(c.args.text ?? '')), 'the reason in the thread');
  expect(thread.args.text).toContain('Nothing was sent to AWS');
  // Investigate waits for Contain; nothing else moved.
  expect((await stepOf(issuedKey, 'investigate'))!.state).toBe('pending');

  // Retry plans again: the cause is still there, so it fails again, said to the person who clicked.
  const retried = await ask(h, CHANNEL, 'Retry Contain', REQUESTER);
  await until('a second plan_failed', async () => (await bundleFor(issuedKey))!.events.filter((e) => e.type === 'plan_failed').length === 2);
  const answer = await slack.waitFor(() => responsesTo(h, retried.responseUrl)[0], 'the answer to Retry');
  expect(answer.args.text).toContain('*Contain* could not be planned');
  expect((await stepOf(issuedKey, 'contain'))!.state).toBe('failed');
  expect((await iam.send(new ListAccessKeysCommand({ UserName: 'dev-laptop' }))).AccessKeyMetadata![0].Status).toBe('Active');
});

it('the sweeps go on past an incident that throws; a restarted bot serves with it in the table', async () => {
  await plantBrokenIncident(new Date(Date.now() - 3_600_000).toISOString());
  const { keyIds: [keyA] } = await seedUser(iam, { userName: 'alpha' });
  const { keyIds: [keyB] } = await seedUser(iam, { userName: 'bravo' });
  const { keyIds: [keyC] } = await seedUser(iam, { userName: 'charlie' });
  // The bot starts although the broken incident is in the table.
  const first = await app();

  // Newer incident A: Contain approved, never started (as if its runner died before running it).
  await first.slash('/revoke-key', `${keyA} leaked`, REQUESTER);
  await until('A awaiting approval', stepIs(keyA, 'contain', 'awaiting_approval'));
  const a = (await bundleFor(keyA))!;
  const approved = await first.app.engine.approve(a.incident.id, 'contain', a.steps.find((s) => s.name === 'contain')!.version, APPROVER, { advance: false });
  expect(approved.ok).toBe(true);
  // Newer incident B: Contain awaiting approval, about to expire.
  await first.slash('/revoke-key', `${keyB} leaked`, REQUESTER);
  await until('B awaiting approval', stepIs(keyB, 'contain', 'awaiting_approval'));

  // The reconcile sweep: the broken (oldest) incident throws, A still advances (Contain runs).
  const swept = await first.app.engine.reconcile();
  expect(swept.failed).toEqual(['IR-20200101-BRKN']);
  await until('A contained', stepIs(keyA, 'contain', 'succeeded'));
  expect((await iam.send(new ListAccessKeysCommand({ UserName: 'alpha' }))).AccessKeyMetadata![0].Status).toBe('Inactive');
  const broken = (await shared.store.get('IR-20200101-BRKN'))!;
  expect(broken.events.find((e) => e.type === 'sweep_failed')).toMatchObject({ detail: { sweep: 'reconcile', error: { message: expect.stringContaining('unknown step retired-step') } } });
  expect(first.logs.some((l) => l.includes('one incident failed in the sweep'))).toBe(true);

  // The expiry sweep, an hour later: the broken incident throws again, B's approval still expires.
  clockShiftMs = 61 * 60_000;
  await first.app.engine.expireDue();
  await until('B expired', stepIs(keyB, 'contain', 'expired'));
  expect((await shared.store.get('IR-20200101-BRKN'))!.events.filter((e) => e.type === 'sweep_failed').map((e) => e.detail?.sweep)).toContain('expire');

  // The bot restarts with the broken incident in the table and serves.
  await first.close();
  apps.splice(apps.indexOf(first), 1);
  const second = await app();
  await second.slash('/revoke-key', `${keyC} leaked`, REQUESTER);
  await until('C awaiting approval', stepIs(keyC, 'contain', 'awaiting_approval'));
  expect(latestCard(second, CHANNEL)).toBeDefined();
  expect(second.logs.some((l) => l.includes('some incidents could not be reconciled at start-up'))).toBe(true);
});

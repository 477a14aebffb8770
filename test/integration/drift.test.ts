/**
 * Containment that holds, through the real Bolt app (signed requests, the fake Slack, IAM in
 * moto, CloudTrail in the emulator, one table shared by the bot and the test). While the watch
 * runs, every interval re-reads what Contain set; when another principal undoes it (here: the
 * key re-activated and the quarantine policy detached with another admin's key, through moto),
 * the thread says what and who (from CloudTrail), and one Approve re-applies the containment
 * with a fresh cut-off. With IR_AUTO_CONTAIN naming the incident's source it is re-applied at
 * once. Undo (a false positive) is not drift.
 */
import { CreateAccessKeyCommand, CreateUserCommand, DetachUserPolicyCommand, GetUserPolicyCommand, IAMClient, ListAccessKeysCommand, ListAttachedUserPoliciesCommand, UpdateAccessKeyCommand } from '@aws-sdk/client-iam';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { startHarness, Harness, blocksText } from '../support/harness';
import { motoIam } from '../support/aws-clients';
import { seedUser } from '../../sandbox/iam-seed';
import { resetMoto } from '../../sandbox/moto';
import { startCloudTrailEmulator, CloudTrailEmulator } from '../../sandbox/cloudtrail-emulator';
import { ACCOUNT_ID, buildEvent, FixtureRandom, iamUserIdentity, loadEvents } from '../../sandbox/cloudtrail-fixtures';
import { startFakeSlack, FakeSlack } from '../../sandbox/fake-slack';
import { buttonOn, cardWith, click, latestCard } from '../../sandbox/clicks';
import { startEmbeddedDynamo, EmbeddedDynamo } from '../../src/store/embedded-dynamo';
import { ensureTable } from '../../src/store/table-setup';
import { DynamoIncidentStore } from '../../src/store/incident-store';
import { DynamoWatchStore } from '../../src/store/watch-store';
import { ACTION } from '../../src/slack/ids';
import { TEST_BOT_TOKEN } from '../support/harness';
import { readRevocation, USER_REVOKE_POLICY_NAME } from '../../src/domain/aws-plan';
import { deliver, intakeQueues, motoSqs } from '../support/sqs';
import { healthEvent } from '../support/intake-events';

const REQUESTER = 'U0REQUEST';
const APPROVER = 'U0APPROVE1';
const APPROVER2 = 'U0APPROVE2';
const CHANNEL = 'C0INCIDENT';
const ENV = { IR_RESPONDERS: REQUESTER, IR_APPROVERS: `${APPROVER},${APPROVER2}`, IR_CHANNEL_ID: CHANNEL, IR_WATCH_MINUTES: '30', IR_WATCH_INTERVAL_MINUTES: '5' };
const QUARANTINE = 'arn:aws:iam::aws:policy/AWSCompromisedKeyQuarantineV3';

let emu: CloudTrailEmulator;
let slack: FakeSlack;
let dynamo: EmbeddedDynamo;
let shared: { store: DynamoIncidentStore; watches: DynamoWatchStore };
let h: Harness | undefined;
let clockShiftMs = 0;
const now = () => new Date(Date.now() + clockShiftMs);
const iam = motoIam();

beforeEach(async () => {
  await resetMoto(process.env.MOTO_URL!);
  emu = await startCloudTrailEmulator({ requestsPerSecond: 100 });
  slack = await startFakeSlack({ token: TEST_BOT_TOKEN });
  dynamo = await startEmbeddedDynamo();
  await ensureTable(dynamo.client, 'drift-test', true);
  shared = { store: new DynamoIncidentStore(dynamo.client, 'drift-test', now), watches: new DynamoWatchStore(dynamo.client, 'drift-test') };
  clockShiftMs = 0;
});
afterEach(async () => {
  await new Promise((r) => setTimeout(r, 100));
  await h?.close();
  h = undefined;
  await emu.close();
  await slack.close();
  await dynamo.close();
});

async function until(what: string, pred: () => Promise<boolean>, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await pred())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

const bundle = async () => {
  const [inc] = await shared.store.listOpenIncidents();
  return (await shared.store.get(inc.id))!;
};
const step = async (name: string) => (await bundle()).steps.find((s) => s.name === name);
const stepIs = (name: string, state: string) => async () => (await step(name))?.state === state;
const keyStatus = async (userName: string) => (await iam.send(new ListAccessKeysCommand({ UserName: userName }))).AccessKeyMetadata![0].Status;
const quarantined = async (userName: string) => ((await iam.send(new ListAttachedUserPoliciesCommand({ UserName: userName }))).AttachedPolicies ?? []).some((p) => p.PolicyArn === QUARANTINE);
const denyCutoff = async (userName: string) => {
  const r = readRevocation((await iam.send(new GetUserPolicyCommand({ UserName: userName, PolicyName: USER_REVOKE_POLICY_NAME }))).PolicyDocument);
  return r.kind === 'own' ? r.cutoff : undefined;
};
const driftMessages = () => slack.callsTo('chat.postMessage').filter((c) => c.args.thread_ts && /Containment no longer holds/.test(c.args.text ?? ''));

/** Another administrator in the account (the attacker's second foothold): its own key, through moto. */
async function rogueAdmin(): Promise<{ client: IAMClient; keyId: string }> {
  await iam.send(new CreateUserCommand({ UserName: 'rogue-admin' }));
  const k = (await iam.send(new CreateAccessKeyCommand({ UserName: 'rogue-admin' }))).AccessKey!;
  const client = new IAMClient({ region: 'us-east-1', endpoint: process.env.MOTO_URL, credentials: { accessKeyId: k.AccessKeyId!, secretAccessKey: k.SecretAccessKey! } });
  return { client, keyId: k.AccessKeyId! };
}

/** Undo the containment as that administrator, and what CloudTrail records of it. */
async function undoBehindTheBotsBack(userName: string, keyId: string, rogue: { client: IAMClient; keyId: string }, detach = true) {
  await rogue.client.send(new UpdateAccessKeyCommand({ UserName: userName, AccessKeyId: keyId, Status: 'Active' }));
  if (detach) await rogue.client.send(new DetachUserPolicyCommand({ UserName: userName, PolicyArn: QUARANTINE }));
  const rng = new FixtureRandom(71);
  const identity = iamUserIdentity({ accountId: ACCOUNT_ID, userName: 'rogue-admin', accessKeyId: rogue.keyId });
  const t = now().getTime() + 1000;
  loadEvents(emu, [
    buildEvent({ service: 'iam', name: 'UpdateAccessKey', region: 'us-east-1', identity, sourceIp: '203.0.113.66', timeMs: t, userAgent: 'aws-cli/2', requestParameters: { userName, accessKeyId: keyId, status: 'Active' } }, rng),
    ...(detach ? [buildEvent({ service: 'iam', name: 'DetachUserPolicy', region: 'us-east-1', identity, sourceIp: '203.0.113.66', timeMs: t + 1000, userAgent: 'aws-cli/2', requestParameters: { userName, policyArn: QUARANTINE } }, rng)] : []),
  ]);
}

it('drift (key re-activated, quarantine detached by another principal) is reported with who, and re-applied after one Approve with a fresh cut-off', async () => {
  const { keyIds: [keyId] } = await seedUser(iam, { userName: 'leaky' });
  const rogue = await rogueAdmin();
  h = await startHarness(ENV, { cloudTrailUrl: emu.url, shared, slack, now });
  await h.slash('/revoke-key', `${keyId} leaked in a gist`, REQUESTER);
  await click(h, await slack.waitFor(() => buttonOn(latestCard(h!, CHANNEL), ACTION.approve), 'Approve'), APPROVER);
  await until('contain done', stepIs('contain', 'succeeded'));
  await slack.waitFor(() => slack.callsTo('chat.postMessage').find((c) => /Watching/.test(c.args.text ?? '')), 'watch started');
  const firstCutoff = (await denyCutoff('leaky'))!;
  expect(await keyStatus('leaky')).toBe('Inactive');

  // Nothing changed: the first interval finds no drift.
  clockShiftMs = 6 * 60_000;
  expect(await h.app.watcher.tick()).toBe(1);
  expect(driftMessages()).toHaveLength(0);

  // Another administrator re-activates the key and detaches the quarantine policy.
  await undoBehindTheBotsBack('leaky', keyId, rogue);
  expect(await keyStatus('leaky')).toBe('Active');
  clockShiftMs = 12 * 60_000;
  expect(await h.app.watcher.tick()).toBe(1);

  // The thread: what no longer holds, who changed it (CloudTrail), and one Approve to re-apply.
  const said = await slack.waitFor(() => driftMessages()[0], 'the drift in the thread');
  expect(said.args.text).toContain(`key ${keyId} of leaky Active again`);
  expect(said.args.text).toContain('quarantine policy AWSCompromisedKeyQuarantineV3 on user leaky detached');
  expect(said.args.text).toContain(`UpdateAccessKey at`);
  expect(said.args.text).toContain(`arn:aws:iam::${ACCOUNT_ID}:user/rogue-admin`);
  expect(said.args.text).toContain(rogue.keyId);
  expect(said.args.text).toContain('*Re-apply containment* needs 1 approval(s)');
  const events = (await bundle()).events;
  expect(events.find((e) => e.type === 'containment_drift')).toMatchObject({ detail: { changes: expect.arrayContaining([expect.objectContaining({ eventName: 'DetachUserPolicy', accessKeyId: rogue.keyId })]) } });
  expect((await step('reapply-1'))?.state).toBe('awaiting_approval');

  // The same drift is said once, however many intervals pass before someone approves.
  clockShiftMs = 18 * 60_000;
  expect(await h.app.watcher.tick()).toBe(1);
  expect(driftMessages()).toHaveLength(1);

  // One Approve: the containment again, with a fresh cut-off (sessions minted meanwhile are denied).
  const card = await cardWith(h, CHANNEL, 'Re-apply containment* needs 1 more');
  expect(blocksText(card)).toContain('iam:UpdateAccessKey');
  const approve = (card.blocks.find((b: any) => b.block_id === 'kg_actions_reapply-1') as any).elements[0];
  await click(h, { ...approve, block_id: 'kg_actions_reapply-1' }, APPROVER2);
  await until('re-applied', stepIs('reapply-1', 'succeeded'));
  expect(await keyStatus('leaky')).toBe('Inactive');
  expect(await quarantined('leaky')).toBe(true);
  const freshCutoff = (await denyCutoff('leaky'))!;
  expect(Date.parse(freshCutoff)).toBeGreaterThan(Date.parse(firstCutoff));
  expect(Date.parse(freshCutoff)).toBeGreaterThanOrEqual(now().getTime() - 60_000);

  // The next interval finds containment holding again: nothing more is said.
  clockShiftMs = 24 * 60_000;
  expect(await h.app.watcher.tick()).toBe(1);
  expect(driftMessages()).toHaveLength(1);
  expect((await bundle()).steps.filter((s) => s.name.startsWith('reapply-'))).toHaveLength(1);
});

it('with IR_AUTO_CONTAIN naming the incident\'s source, drift is re-applied at once, approved by policy', async () => {
  const sqs: SQSClient = motoSqs();
  const queues = await intakeQueues(sqs, 2);
  const { keyIds: [keyId] } = await seedUser(iam, { userName: 'leaky' });
  const rogue = await rogueAdmin();
  h = await startHarness({ ...ENV, IR_INTAKE_QUEUE_URL: queues.queueUrl, IR_AUTO_CONTAIN: 'aws-health' }, {
    cloudTrailUrl: emu.url, shared, slack, now, intake: { sqs, poll: { waitTimeSeconds: 1, retryDelaySeconds: 0, visibilityTimeoutSeconds: 30 } },
  });
  await deliver(sqs, queues.queueUrl, healthEvent([keyId]));
  await until('contained by policy', async () => (await shared.store.listOpenIncidents()).length === 1 && (await stepIs('contain', 'succeeded')()));
  await slack.waitFor(() => slack.callsTo('chat.postMessage').find((c) => /Watching/.test(c.args.text ?? '')), 'watch started');
  const firstCutoff = (await denyCutoff('leaky'))!;

  await undoBehindTheBotsBack('leaky', keyId, rogue, false);
  clockShiftMs = 6 * 60_000;
  expect(await h.app.watcher.tick()).toBe(1);
  await until('re-applied by policy', stepIs('reapply-1', 'succeeded'));
  const reapply = (await step('reapply-1'))!;
  expect(reapply.approvals.map((a) => a.userId)).toEqual(['policy:IR_AUTO_CONTAIN']);
  expect(await keyStatus('leaky')).toBe('Inactive');
  expect(Date.parse((await denyCutoff('leaky'))!)).toBeGreaterThan(Date.parse(firstCutoff));
  const said = await slack.waitFor(() => driftMessages()[0], 'the drift in the thread');
  expect(said.args.text).toContain('Re-applied at once, approved by policy IR_AUTO_CONTAIN');
});

it('Undo (a false positive) is not drift: the key made active again by Undo is not re-applied', async () => {
  const { keyIds: [keyId] } = await seedUser(iam, { userName: 'leaky' });
  h = await startHarness(ENV, { cloudTrailUrl: emu.url, shared, slack, now });
  await h.slash('/revoke-key', `${keyId} false alarm`, REQUESTER);
  await click(h, await slack.waitFor(() => buttonOn(latestCard(h!, CHANNEL), ACTION.approve), 'Approve'), APPROVER);
  await until('contain done', stepIs('contain', 'succeeded'));
  await h.app.engine.rerequest((await bundle()).incident.id, 'undo', REQUESTER);
  for (const approver of [APPROVER, APPROVER2]) {
    const undo = (await step('undo'))!;
    await h.app.engine.approve(undo.incidentId, 'undo', undo.version, approver);
  }
  await until('undone', stepIs('undo', 'succeeded'));
  expect(await keyStatus('leaky')).toBe('Active');
  clockShiftMs = 6 * 60_000;
  expect(await h.app.watcher.tick()).toBe(1);
  await slack.waitFor(() => slack.callsTo('chat.postMessage').find((c) => /Watch stopped: containment was undone/.test(c.args.text ?? '')), 'watch stopped');
  expect(driftMessages()).toHaveLength(0);
  expect((await bundle()).steps.some((s) => s.name.startsWith('reapply-'))).toBe(false);
  expect(await keyStatus('leaky')).toBe('Active');
});

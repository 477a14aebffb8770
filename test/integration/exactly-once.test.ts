/**
 * Exactly once: concurrent clicks, Slack retries, two replicas and crashes must never run an
 * AWS side effect twice. UpdateAccessKey calls are counted at a proxy in front of moto, i.e.
 * what AWS would actually have received.
 */
import { ListAccessKeysCommand } from '@aws-sdk/client-iam';
import { startHarness, Harness, blocksText, responsesTo } from '../support/harness';
import { motoIam } from '../support/aws-clients';
import { seedUser } from '../../sandbox/iam-seed';
import { resetMoto } from '../../sandbox/moto';
import { useFaultProxy, FaultProxy } from '../support/fault-proxy';
import { startFakeSlack, FakeSlack } from '../../sandbox/fake-slack';
import { latestCard, buttonOn, click } from '../../sandbox/clicks';
import { incidentProbe } from '../../sandbox/incident-probe';
import { startEmbeddedDynamo, EmbeddedDynamo } from '../../src/store/embedded-dynamo';
import { ensureTable } from '../../src/store/table-setup';
import { DynamoIncidentStore } from '../../src/store/incident-store';
import { DynamoWatchStore } from '../../src/store/watch-store';
import { ACTION } from '../../src/slack/ids';
import { TEST_BOT_TOKEN } from '../support/harness';

const REQUESTER = 'U0REQUEST';
const CHANNEL = 'C0INCIDENT';
const APPROVERS = Array.from({ length: 50 }, (_, i) => `U0APP${String(i).padStart(3, '0')}`);
const ENV = { IR_RESPONDERS: REQUESTER, IR_APPROVERS: 'S0APPROVERS', IR_CHANNEL_ID: CHANNEL };

let proxy: FaultProxy;
let slack: FakeSlack;
let dynamo: EmbeddedDynamo;
let store: DynamoIncidentStore;
let keyId: string;
const running: Harness[] = [];

async function replica(opts: { crashPoint?: (label: string) => void; instanceId?: string; now?: () => Date } = {}) {
  const h = await startHarness(ENV, { iamEndpoint: proxy.url, shared: { store, watches: new DynamoWatchStore(dynamo.client, 'shared') }, slack, ...opts });
  running.push(h);
  return h;
}

const probe = incidentProbe(() => store);
const incident = probe.current;
const waitFor = probe.until;
const stepIs = probe.stepIs;

/**
 * A replica that dies at `point` while `drive` makes it work, then is gone: what a killed
 * process leaves in the table. By default `drive` opens an incident and approves Contain.
 */
async function crashAt(point: string, drive?: (h: Harness) => Promise<unknown>): Promise<void> {
  let armed = true;
  const dying = await replica({
    instanceId: 'dying',
    crashPoint: (l) => {
      if (armed && l === point) {
        armed = false;
        throw new Error(`simulated crash at ${l}`);
      }
    },
  });
  if (drive) await drive(dying);
  else await click(dying, await openIncident(dying), APPROVERS[0]);
  await waitFor('the crash', async () => !armed);
  await new Promise((r) => setTimeout(r, 100));
  await dying.close();
  running.splice(running.indexOf(dying), 1);
}

async function keyStatus() {
  const r = await motoIam().send(new ListAccessKeysCommand({ UserName: 'leaky' }));
  return r.AccessKeyMetadata?.find((k) => k.AccessKeyId === keyId)?.Status;
}

async function openIncident(h: Harness) {
  await h.slash('/revoke-key', `${keyId} leaked`, REQUESTER);
  await waitFor('contain awaiting approval', stepIs('contain', 'awaiting_approval'));
  await slack.waitFor(() => buttonOn(latestCard(h, CHANNEL), ACTION.approve), 'the Approve button');
  return buttonOn(latestCard(h, CHANNEL), ACTION.approve);
}

const faults = useFaultProxy();

beforeEach(async () => {
  await resetMoto(process.env.MOTO_URL!);
  proxy = faults();
  ({ keyIds: [keyId] } = await seedUser(motoIam(), { userName: 'leaky' }));
  slack = await startFakeSlack({ token: TEST_BOT_TOKEN });
  slack.userGroups.set('S0APPROVERS', APPROVERS);
  dynamo = await startEmbeddedDynamo();
  await ensureTable(dynamo.client, 'shared', true);
  store = new DynamoIncidentStore(dynamo.client, 'shared');
});

afterEach(async () => {
  // Let in-flight work finish before the store goes away.
  await new Promise((r) => setTimeout(r, 200));
  for (const h of running.splice(0)) await h.close();
  await slack.close();
  await dynamo.close();
});

it('50 concurrent Approve clicks from 50 approvers, spread over two replicas, deactivate the key once', async () => {
  const a = await replica({ instanceId: 'replica-a' });
  const b = await replica({ instanceId: 'replica-b' });
  const approve = await openIncident(a);
  const clicks = await Promise.all(APPROVERS.map((u, i) => click(i % 2 ? a : b, approve, u)));
  expect(clicks.every((c) => c.status === 200)).toBe(true);
  await waitFor('contain to succeed', stepIs('contain', 'succeeded'));
  await waitFor('every click answered', async () => clicks.every((c) => responsesTo(a, c.responseUrl).length === 1));
  expect(proxy.count('UpdateAccessKey')).toBe(1);
  expect(await keyStatus()).toBe('Inactive');
  const b1 = (await incident())!;
  const contain = b1.steps.find((s) => s.name === 'contain')!;
  expect(contain.approvals).toHaveLength(1);
  expect(b1.events.filter((e) => e.type === 'approved')).toHaveLength(1);
  expect(b1.events.filter((e) => e.type === 'step_started' && e.step === 'contain')).toHaveLength(1);
  expect(b1.events.filter((e) => e.type === 'click_refused')).toHaveLength(49);
  const replies = clicks.map((c) => responsesTo(a, c.responseUrl)[0].args.text as string);
  expect(replies.filter((t) => t.includes('Approved *Contain*'))).toHaveLength(1);
  expect(replies.filter((t) => t.includes('out of date'))).toHaveLength(49);
});

it('one person double-clicking counts once and runs once', async () => {
  const a = await replica();
  const approve = await openIncident(a);
  await Promise.all([click(a, approve, APPROVERS[0]), click(a, approve, APPROVERS[0]), click(a, approve, APPROVERS[0])]);
  await waitFor('contain to succeed', stepIs('contain', 'succeeded'));
  expect(proxy.count('UpdateAccessKey')).toBe(1);
  expect((await incident())!.steps.find((s) => s.name === 'contain')!.approvals).toHaveLength(1);
});

it('Slack retries of a click (x-slack-retry-num) are ignored', async () => {
  const a = await replica();
  const b = await replica();
  const approve = await openIncident(a);
  // A retry is the same payload again: same trigger id, same action_ts.
  const same = { triggerId: 'trig-retried', actionTs: '1764300000.000100' };
  const first = await click(a, approve, APPROVERS[0], same);
  const retries = await Promise.all([1, 2].map((n) => click(n === 1 ? a : b, approve, APPROVERS[0], { ...same, retryNum: n })));
  await waitFor('contain to succeed', stepIs('contain', 'succeeded'));
  await slack.waitFor(() => responsesTo(a, first.responseUrl)[0], 'the reply to the click');
  await new Promise((r) => setTimeout(r, 200));
  for (const r of retries) expect(responsesTo(a, r.responseUrl)).toHaveLength(0);
  expect(proxy.count('UpdateAccessKey')).toBe(1);
  expect((await incident())!.events.filter((e) => e.type === 'click_refused')).toHaveLength(0);
});

it('a retried /revoke-key lands once', async () => {
  const a = await replica();
  const b = await replica();
  await Promise.all([
    a.slash('/revoke-key', `${keyId} leaked`, REQUESTER, { trigger_id: 'trig-cmd' }),
    b.slash('/revoke-key', `${keyId} leaked`, REQUESTER, { trigger_id: 'trig-cmd', retryNum: 1 }),
    a.slash('/revoke-key', `${keyId} leaked`, REQUESTER, { trigger_id: 'trig-cmd', retryNum: 2 }),
  ]);
  await waitFor('contain awaiting approval', stepIs('contain', 'awaiting_approval'));
  await new Promise((r) => setTimeout(r, 200));
  const inc = (await incident())!;
  expect(await store.listOpenIncidents()).toHaveLength(1);
  expect(inc.events.filter((e) => e.type === 'incident_opened')).toHaveLength(1);
  expect(inc.events.filter((e) => e.type === 'duplicate_request')).toHaveLength(0);
  expect(slack.callsTo('chat.postMessage').filter((c) => c.args.channel === CHANNEL && !c.args.thread_ts)).toHaveLength(1);
});

describe('crash between two writes of a step', () => {
  it.each([
    ['after the approval is written, before running', 'after-approved:contain', 0],
    ['after running is written, before AWS is called', 'after-running:contain', 0],
    ['after the snapshot is written, before AWS is called', 'after-snapshot:contain', 0],
    ['after AWS answered, before the result is written', 'after-aws:contain', 1],
    ['in the automatic Identify step, before AWS', 'after-running:identify', 0],
    ['after Identify stored what it learned, before it is marked done', 'after-effects:identify', 0],
    ['after Contain\'s effects (the watch), before it is marked done', 'after-effects:contain', 1],
  ])('%s: the restarted bot finishes the step, AWS is called once', async (_label, point, callsBeforeRestart) => {
    await crashAt(point, point.endsWith('identify') ? (h) => h.slash('/revoke-key', `${keyId} leaked`, REQUESTER) : undefined);
    expect(proxy.count('UpdateAccessKey')).toBe(callsBeforeRestart);
    // The process is gone. A replica starting at once must not take the step over: its
    // lease has not run out, and for all it knows the runner is alive.
    // (An approved step has no runner yet: the first replica to look runs it.)
    const early = await replica({ instanceId: 'early' });
    if (point.startsWith('after-approved')) {
      await waitFor('contain to succeed', stepIs('contain', 'succeeded'));
    } else {
      const stuck = (await incident())!.steps.find((s) => s.state === 'running');
      expect(stuck?.runner).toBe('dying');
      expect(proxy.count('UpdateAccessKey')).toBe(callsBeforeRestart);
    }
    await early.close();
    running.splice(running.indexOf(early), 1);
    // Past the lease, a new process takes over, reads AWS first, and finishes the step.
    const fresh = await replica({ instanceId: 'fresh', now: () => new Date(Date.now() + 5 * 60_000) });
    if (point.endsWith('identify')) {
      await waitFor('contain awaiting approval', stepIs('contain', 'awaiting_approval'));
      await slack.waitFor(() => buttonOn(latestCard(fresh, CHANNEL), ACTION.approve), 'Approve');
      await click(fresh, buttonOn(latestCard(fresh, CHANNEL), ACTION.approve), APPROVERS[1]);
    }
    await waitFor('contain to succeed', stepIs('contain', 'succeeded'));
    await waitFor('the playbook to reach Eradicate', stepIs('eradicate', 'awaiting_approval'));
    expect(proxy.count('UpdateAccessKey')).toBe(1);
    expect(await keyStatus()).toBe('Inactive');
    const inc = (await incident())!;
    expect(inc.steps.filter((s) => s.state === 'running')).toHaveLength(0);
    if (/after-(aws|running|snapshot|effects):contain/.test(point)) {
      expect(inc.events.filter((e) => e.type === 'step_reconciling').map((e) => e.detail?.runner)).toEqual(['fresh']);
      expect(inc.events.find((e) => e.type === 'step_reconciling')).toMatchObject({ step: 'contain', detail: { previousRunner: 'dying', runner: 'fresh' } });
    }
    await slack.waitFor(() => /2\. Contain\*: done/.test(blocksText(latestCard(fresh, CHANNEL)!)), 'the card to show Contain done');
  });
});

it('two responders opening the same key at the same moment get one incident', async () => {
  const a = await replica();
  const b = await replica();
  const users = ['U0REQUEST', 'U0REQUEST', 'U0REQUEST', 'U0REQUEST'];
  await Promise.all(users.map((u, i) => (i % 2 ? a : b).slash('/revoke-key', `${keyId} leaked #${i}`, u, { trigger_id: `trig-open-${i}` })));
  await waitFor('contain awaiting approval', stepIs('contain', 'awaiting_approval'));
  await new Promise((r) => setTimeout(r, 300));
  expect(await store.listOpenIncidents()).toHaveLength(1);
  const inc = (await incident())!;
  expect(inc.events.filter((e) => e.type === 'incident_opened')).toHaveLength(1);
  expect(inc.events.filter((e) => e.type === 'duplicate_request')).toHaveLength(3);
});

it('Undo after a crash mid-Contain still reverses exactly what the bot changed', async () => {
  await crashAt('after-aws:contain');
  const fresh = await replica({ instanceId: 'fresh', now: () => new Date(Date.now() + 5 * 60_000) });
  await waitFor('contain to succeed', stepIs('contain', 'succeeded'));
  expect(await keyStatus()).toBe('Inactive');
  // The re-run found everything already done; the snapshot still knows what was changed.
  await fresh.app.engine.rerequest((await incident())!.incident.id, 'undo', REQUESTER);
  await waitFor('undo awaiting approval', stepIs('undo', 'awaiting_approval'));
  const undo = (await incident())!.steps.find((s) => s.name === 'undo')!;
  // Undo re-activates the key: two approvers.
  await fresh.app.engine.approve(undo.incidentId, 'undo', undo.version, APPROVERS[1]);
  await fresh.app.engine.approve(undo.incidentId, 'undo', undo.version, APPROVERS[2]);
  await waitFor('undo to succeed', stepIs('undo', 'succeeded'));
  expect(await keyStatus()).toBe('Active');
  const { ListUserPoliciesCommand, ListAttachedUserPoliciesCommand } = await import('@aws-sdk/client-iam');
  expect((await motoIam().send(new ListUserPoliciesCommand({ UserName: 'leaky' }))).PolicyNames ?? []).toEqual([]);
  expect((await motoIam().send(new ListAttachedUserPoliciesCommand({ UserName: 'leaky' }))).AttachedPolicies ?? []).toEqual([]);
  // Eradicate and Recover are skipped: the key was a false positive.
  const steps = (await incident())!.steps;
  expect(steps.find((s) => s.name === 'eradicate')).toMatchObject({ state: 'skipped', note: expect.stringContaining('undone') });
});

it('two approvers clicking the same Eradicate card at once both count; it runs once', async () => {
  const a = await replica();
  const b = await replica();
  const approve = await openIncident(a);
  await click(a, approve, APPROVERS[0]);
  await waitFor('eradicate awaiting approval', stepIs('eradicate', 'awaiting_approval'));
  const card = await slack.waitFor(() => {
    const c = latestCard(a, CHANNEL);
    return c && blocksText(c).includes('Eradicate* needs 2') ? c : undefined;
  }, 'the Eradicate card');
  const eradicate = buttonOn(card, ACTION.approve);
  const clicks = await Promise.all([click(a, eradicate, APPROVERS[1]), click(b, eradicate, APPROVERS[2])]);
  await waitFor('eradicate done', stepIs('eradicate', 'succeeded'));
  expect(proxy.count('DeleteAccessKey')).toBe(1);
  const step = (await incident())!.steps.find((s) => s.name === 'eradicate')!;
  expect(step.approvals.map((x) => x.userId).sort()).toEqual([APPROVERS[1], APPROVERS[2]].sort());
  for (const c of clicks) expect((await slack.waitFor(() => responsesTo(a, c.responseUrl)[0], 'reply')).args.text).not.toContain('out of date');
});

it('closing an incident whose step lost its runner records the step as abandoned, not running', async () => {
  await crashAt('after-running:contain');
  const id = (await incident())!.incident.id;
  // Another replica starts while the dead runner's lease still holds (so it does not take the
  // step over); by the time a responder closes the incident the lease has run out.
  let shift = 0;
  const later = await replica({ instanceId: 'later', now: () => new Date(Date.now() + shift) });
  expect((await store.get(id))!.steps.find((s) => s.name === 'contain')!.state).toBe('running');
  shift = 5 * 60_000;
  expect((await later.app.engine.close(id, APPROVERS[0], 'handled by hand')).ok).toBe(true);
  const b = (await store.get(id))!;
  const contain = b.steps.find((s) => s.name === 'contain')!;
  expect(contain).toMatchObject({ state: 'failed', error: { code: 'ABANDONED' } });
  expect(b.steps.filter((s) => s.state === 'running')).toHaveLength(0);
  expect(b.events.find((e) => e.type === 'step_abandoned')).toMatchObject({ step: 'contain', detail: { runner: 'dying' } });
  expect(proxy.count('UpdateAccessKey')).toBe(0);
});


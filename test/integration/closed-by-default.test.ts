/**
 * The bot's own security, end to end (real Bolt app with signed requests, real IAM on moto
 * through the counting proxy, the record in dynalite): one Slack team only, approvals
 * re-verified at run time, and a runner that lost its lease sending no further IAM call.
 */
import { ListAccessKeysCommand, ListUserPoliciesCommand } from '@aws-sdk/client-iam';
import { startHarness, Harness, blocksText, TEST_TEAM_ID } from '../support/harness';
import { motoIam } from '../support/aws-clients';
import { seedUser } from '../../sandbox/iam-seed';
import { resetMoto } from '../../sandbox/moto';
import { useFaultProxy, FaultProxy } from '../support/fault-proxy';
import { latestCard, buttonOn, click } from '../../sandbox/clicks';
import { incidentProbe } from '../../sandbox/incident-probe';
import { ACTION } from '../../src/slack/ids';
import { startEmbeddedDynamo, EmbeddedDynamo } from '../../src/store/embedded-dynamo';
import { ensureTable } from '../../src/store/table-setup';
import { DynamoIncidentStore } from '../../src/store/incident-store';
import type { IncidentStore } from '../../src/ports';
import { DynamoWatchStore } from '../../src/store/watch-store';
import type { StepRecord, StepState } from '../../src/domain/incident';

const REQUESTER = 'U0REQUEST';
const APPROVER = 'U0APPROVE1';
const CHANNEL = 'C0INCIDENT';
const ENV = { IR_RESPONDERS: REQUESTER, IR_APPROVERS: `${APPROVER},U0APPROVE2`, IR_CHANNEL_ID: CHANNEL };

let h: Harness;
let proxy: FaultProxy;
let keyId: string;
let store: () => IncidentStore = () => h.store;

const faults = useFaultProxy();
const probe = incidentProbe(() => store());
const waitForStep = (name: string, state: string) => probe.until(`${name} to be ${state}`, probe.stepIs(name, state), 30_000);

async function keyStatus(): Promise<string | undefined> {
  const r = await motoIam().send(new ListAccessKeysCommand({ UserName: 'leaky' }));
  return r.AccessKeyMetadata?.find((k) => k.AccessKeyId === keyId)?.Status;
}

async function startIncident(): Promise<void> {
  const res = await h.slash('/revoke-key', `${keyId} leaked in public repo`, REQUESTER);
  expect(res.status).toBe(200);
  await waitForStep('contain', 'awaiting_approval');
  await h.slack.waitFor(() => blocksText(latestCard(h, CHANNEL) ?? {}).includes('Contain* needs'), 'the card asking for approval');
}

/** A click as Slack sends it, from wherever `origin` says. */
async function clickFrom(button: any, userId: string, origin: { team: string; userTeam: string; enterprise?: string }) {
  const responseUrl = h.slack.responseUrl();
  const res = await h.interact({
    type: 'block_actions',
    user: { id: userId, username: userId.toLowerCase(), name: userId.toLowerCase(), team_id: origin.userTeam },
    api_app_id: 'A1', token: 'unused',
    team: { id: origin.team, domain: 'elsewhere' },
    ...(origin.enterprise ? { enterprise: { id: origin.enterprise, name: 'Other Org' }, is_enterprise_install: false } : {}),
    container: { type: 'message', message_ts: '1', channel_id: CHANNEL, is_ephemeral: false },
    channel: { id: CHANNEL, name: 'incidents' },
    message: { ts: '1', text: 'card', blocks: [] },
    trigger_id: `trig-${Date.now()}`, response_url: responseUrl,
    actions: [{ type: 'button', action_id: button.action_id, block_id: button.block_id, value: button.value, text: button.text, action_ts: `${Date.now() / 1000}` }],
  });
  return { ...res, responseUrl };
}

beforeEach(async () => {
  await resetMoto(process.env.MOTO_URL!);
  proxy = faults();
  store = () => h.store;
  ({ keyIds: [keyId] } = await seedUser(motoIam(), { userName: 'leaky', tags: { slack: 'U0OWNER' } }));
});
afterEach(() => h?.close());

describe('one Slack team', () => {
  beforeEach(async () => {
    h = await startHarness(ENV, { iamEndpoint: proxy.url });
    await startIncident();
  });

  it.each([
    ['another workspace', { team: 'T0OTHER', userTeam: 'T0OTHER' }],
    ['another Enterprise Grid org', { team: TEST_TEAM_ID, userTeam: TEST_TEAM_ID, enterprise: 'E0OTHER' }],
    ['a Slack Connect user of another organisation in a shared channel', { team: TEST_TEAM_ID, userTeam: 'T0PARTNER' }],
  ])('an approver id clicking Approve from %s is refused and nothing changes', async (_l, origin) => {
    const button = buttonOn(latestCard(h, CHANNEL), ACTION.approve);
    const r = await clickFrom(button, APPROVER, origin);
    expect(r.status).toBe(200);
    // Refused before any listener: no approval, no call to IAM, the refusal in the log.
    await h.slack.waitFor(() => (h.logs.some((l) => l.includes('request from outside the installed workspace refused')) ? true : undefined), 'the refusal in the log');
    const b = (await probe.current())!;
    expect(b.steps.find((s) => s.name === 'contain')).toMatchObject({ state: 'awaiting_approval', approvals: [] });
    expect(b.events.some((e) => e.type === 'approved')).toBe(false);
    expect(proxy.count('UpdateAccessKey')).toBe(0);
    expect(await keyStatus()).toBe('Active');
    // The same person from the installed workspace is heard.
    await click(h, button, APPROVER);
    await waitForStep('contain', 'succeeded');
    expect(await keyStatus()).toBe('Inactive');
  });

  it('a slash command from another workspace gets a clear refusal and opens nothing', async () => {
    const { signedPost, slashCommandBody } = await import('../../sandbox/slack-signer');
    const { TEST_SIGNING_SECRET } = await import('../support/harness');
    const body = slashCommandBody({ command: '/revoke-key', text: `${keyId} again`, user_id: REQUESTER, response_url: h.slack.responseUrl(), team_id: 'T0OTHER' });
    const res = await signedPost({ url: h.url, signingSecret: TEST_SIGNING_SECRET, body });
    expect(res.json).toMatchObject({ response_type: 'ephemeral', text: expect.stringContaining('only serves the Slack workspace it is installed in') });
    const b = (await probe.current())!;
    expect(b.events.filter((e) => e.type === 'duplicate_request')).toEqual([]);
  });
});

describe('approvals re-verified at run time', () => {
  it('a tampered approved step planted in the table is refused by the reconcile sweep and recorded; IAM is never called', async () => {
    h = await startHarness(ENV, { iamEndpoint: proxy.url });
    await startIncident();
    const contain = (await probe.current())!.steps.find((s) => s.name === 'contain')!;
    // Someone with write access to the table marks Contain approved, naming a real approver.
    await h.store.updateStep({ ...contain, state: 'approved', approvals: [{ userId: APPROVER, at: new Date().toISOString() }] }, { from: ['awaiting_approval'], version: contain.version });
    await h.app.engine.reconcile();
    const b = (await probe.current())!;
    expect(b.steps.find((s) => s.name === 'contain')).toMatchObject({ state: 'failed', error: { code: 'APPROVAL_INVALID' } });
    expect(b.events.find((e) => e.type === 'approval_rejected')?.detail).toMatchObject({ problem: 'plan_changed', userId: APPROVER });
    expect(proxy.count('UpdateAccessKey') + proxy.count('PutUserPolicy') + proxy.count('AttachUserPolicy')).toBe(0);
    expect(await keyStatus()).toBe('Active');
    const said = await h.slack.waitFor(() => h.slack.callsTo('chat.postMessage').find((c) => c.args.thread_ts && /did not run/.test(c.args.text)), 'the thread message');
    expect(said.args.text).toContain('Nothing was sent to AWS');
  });
});

describe('fencing', () => {
  let dynamo: EmbeddedDynamo;
  afterEach(() => dynamo?.close());

  it('a runner that loses its lease mid-Contain sends no further IAM call', async () => {
    dynamo = await startEmbeddedDynamo();
    await ensureTable(dynamo.client, 'fenced', true);
    let stealAfterFirstWrite = false;
    // The table as another replica sees it: once the first IAM write went out, that replica
    // takes the step over (the runner's lease had lapsed while the store was away).
    const shared = new (class extends DynamoIncidentStore {
      override async updateStep(step: StepRecord, expect: { from: readonly StepState[]; version: number }) {
        if (stealAfterFirstWrite && step.name === 'contain' && step.state === 'running' && proxy.count('UpdateAccessKey') > 0) {
          stealAfterFirstWrite = false;
          const stored = (await this.getStep(step.incidentId, step.seq, step.name))!;
          await super.updateStep({ ...stored, runner: 'other-replica', leaseUntil: new Date(Date.now() + 600_000).toISOString() }, { from: ['running'], version: stored.version });
        }
        return super.updateStep(step, expect);
      }
    })(dynamo.client, 'fenced');
    h = await startHarness(ENV, { iamEndpoint: proxy.url, shared: { store: shared, watches: new DynamoWatchStore(dynamo.client, 'fenced') } });
    store = () => shared;
    await startIncident();
    stealAfterFirstWrite = true;
    await click(h, buttonOn(latestCard(h, CHANNEL), ACTION.approve), APPROVER);
    await h.slack.waitFor(() => (h.logs.some((l) => l.includes('lost the lease while running')) ? true : undefined), 'the runner to notice it lost the step', 30_000);
    // The first call went out; the fence stopped every call after it.
    expect(proxy.count('UpdateAccessKey')).toBe(1);
    expect(proxy.count('PutUserPolicy')).toBe(0);
    expect(proxy.count('AttachUserPolicy')).toBe(0);
    expect((await motoIam().send(new ListUserPoliciesCommand({ UserName: 'leaky' }))).PolicyNames ?? []).toEqual([]);
    // The step is the other replica's now: this runner recorded nothing over it.
    expect((await probe.current())!.steps.find((s) => s.name === 'contain')).toMatchObject({ state: 'running', runner: 'other-replica' });
  });
});

/**
 * Safety rules end to end, each where a single broken line would otherwise go unnoticed:
 * the real Bolt app with signed requests, IAM through a counting proxy in front of moto, the
 * fake Slack, the record in DynamoDB (dynalite).
 */
import { ListAccessKeysCommand, ListAttachedUserPoliciesCommand, ListUserPoliciesCommand } from '@aws-sdk/client-iam';
import { startHarness, Harness, responsesTo, blocksText } from '../support/harness';
import { motoIam } from '../support/aws-clients';
import { seedUser } from '../../sandbox/iam-seed';
import { resetMoto } from '../../sandbox/moto';
import { useFaultProxy, FaultProxy } from '../support/fault-proxy';
import { latestCard, buttonOn, click } from '../../sandbox/clicks';
import { incidentProbe } from '../../sandbox/incident-probe';
import { ACTION } from '../../src/slack/ids';

const REQUESTER = 'U0REQUEST';
/** May use every command, may not approve. */
const RESPONDER = 'U0RESPONDER';
const APPROVER = 'U0APPROVE1';
const CHANNEL = 'C0INCIDENT';
const ENV = { IR_RESPONDERS: `${REQUESTER},${RESPONDER}`, IR_APPROVERS: `${APPROVER},U0APPROVE2`, IR_CHANNEL_ID: CHANNEL };

let h: Harness;
let proxy: FaultProxy;
let keyId: string;

const faults = useFaultProxy();
const probe = incidentProbe(() => h.store);
const waitForStep = (name: string, state: string) => probe.until(`${name} to be ${state}`, probe.stepIs(name, state), 15_000);

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

beforeEach(async () => {
  await resetMoto(process.env.MOTO_URL!);
  proxy = faults();
  ({ keyIds: [keyId] } = await seedUser(motoIam(), { userName: 'leaky', tags: { slack: 'U0OWNER' } }));
});
afterEach(() => h?.close());

it('a responder who is not an approver clicking Approve is refused, recorded, and changes nothing', async () => {
  h = await startHarness(ENV, { iamEndpoint: proxy.url });
  // The responder can use the commands (so the refusal below is about approving, not access).
  const lookup = await h.slash('/key-owner', keyId, RESPONDER);
  expect(lookup.json.text).toContain('Looking up');
  await startIncident();

  const r = await click(h, buttonOn(latestCard(h, CHANNEL), ACTION.approve), RESPONDER);
  expect(r.status).toBe(200);
  const refusal = await h.slack.waitFor(() => responsesTo(h, r.responseUrl)[0], 'refusal');
  expect(refusal.args.text).toContain('Only approvers listed in IR_APPROVERS can approve');
  expect(refusal.args.response_type).toBe('ephemeral');
  const b = (await probe.current())!;
  expect(b.events.filter((e) => e.type === 'click_refused')).toEqual([
    expect.objectContaining({ actor: RESPONDER, detail: expect.objectContaining({ refusal: 'not_approver' }) }),
  ]);
  const contain = b.steps.find((s) => s.name === 'contain')!;
  expect(contain.state).toBe('awaiting_approval');
  expect(contain.approvals).toEqual([]);
  expect(await keyStatus()).toBe('Active');
  expect(proxy.count('UpdateAccessKey')).toBe(0);

  // The refusal used nothing up: an approver's click still contains the key.
  const ok = await click(h, buttonOn(latestCard(h, CHANNEL), ACTION.approve), APPROVER);
  await h.slack.waitFor(() => responsesTo(h, ok.responseUrl)[0], 'approval reply');
  await waitForStep('eradicate', 'awaiting_approval');
  expect(await keyStatus()).toBe('Inactive');
  expect((await probe.current())!.steps.find((s) => s.name === 'contain')!.approvals.map((a) => a.userId)).toEqual([APPROVER]);
});

it('IR_QUARANTINE=false: the plan offers no quarantine policy and AttachUserPolicy never reaches IAM', async () => {
  h = await startHarness({ ...ENV, IR_QUARANTINE: 'false' }, { iamEndpoint: proxy.url });
  await startIncident();
  const card = blocksText(latestCard(h, CHANNEL)!);
  expect(card).toContain('iam:UpdateAccessKey');
  expect(card).not.toContain('AttachUserPolicy');
  expect(card).not.toContain('AWSCompromisedKeyQuarantine');

  const ok = await click(h, buttonOn(latestCard(h, CHANNEL), ACTION.approve), APPROVER);
  await h.slack.waitFor(() => responsesTo(h, ok.responseUrl)[0], 'approval reply');
  await waitForStep('eradicate', 'awaiting_approval');
  // Containment ran for real: key off, older sessions denied …
  expect(await keyStatus()).toBe('Inactive');
  expect(proxy.count('UpdateAccessKey')).toBe(1);
  expect(proxy.count('PutUserPolicy')).toBe(1);
  expect((await motoIam().send(new ListUserPoliciesCommand({ UserName: 'leaky' }))).PolicyNames).toContain('keyguard-revoke-older-sessions');
  // … and no quarantine policy was sent to IAM or is attached there.
  expect(proxy.count('AttachUserPolicy')).toBe(0);
  expect((await motoIam().send(new ListAttachedUserPoliciesCommand({ UserName: 'leaky' }))).AttachedPolicies).toEqual([]);
  const contain = (await probe.current())!.steps.find((s) => s.name === 'contain')!;
  expect(contain.state).toBe('succeeded');
  expect(JSON.stringify(contain.plan)).not.toContain('AttachUserPolicy');
});

/**
 * `/revoke-key` end to end: the real Bolt app with signed requests, real IAM through a
 * counting proxy in front of moto, the fake Slack, and the record in DynamoDB (dynalite).
 */
import { ListAccessKeysCommand, ListUserPoliciesCommand } from '@aws-sdk/client-iam';
import { startHarness, Harness, responsesTo, blocksText } from '../support/harness';
import { motoIam } from '../support/aws-clients';
import { seedUser } from '../../sandbox/iam-seed';
import { resetMoto } from '../../sandbox/moto';
import { useFaultProxy, FaultProxy } from '../support/fault-proxy';
import { latestCard, buttonOn, click, submitView } from '../../sandbox/clicks';
import { incidentProbe } from '../../sandbox/incident-probe';
import { ACTION, VIEW, FIELD } from '../../src/slack/ids';

const REQUESTER = 'U0REQUEST';
const APPROVER1 = 'U0APPROVE1';
const APPROVER2 = 'U0APPROVE2';
const CHANNEL = 'C0INCIDENT';
const ENV = { IR_RESPONDERS: REQUESTER, IR_APPROVERS: `${APPROVER1},${APPROVER2},${REQUESTER}`, IR_CHANNEL_ID: CHANNEL };

let h: Harness;
let proxy: FaultProxy;
let keyId: string;

async function keyStatus(): Promise<string | undefined> {
  const r = await motoIam().send(new ListAccessKeysCommand({ UserName: 'leaky' }));
  return r.AccessKeyMetadata?.find((k) => k.AccessKeyId === keyId)?.Status;
}

const probe = incidentProbe(() => h.store);
const stepState = async (name: string) => (await probe.current())?.steps.find((s) => s.name === name)?.state;
const waitForStep = (name: string, state: string) => probe.until(`${name} to be ${state}`, probe.stepIs(name, state), 15_000);

/** The card as drawn once it shows `what` (the engine redraws it after each write). */
async function cardShowing(what: string | RegExp) {
  return h.slack.waitFor(() => {
    const c = latestCard(h, CHANNEL);
    const t = c ? blocksText(c) : '';
    return (typeof what === 'string' ? t.includes(what) : what.test(t)) ? c : undefined;
  }, `the card to show ${what}`);
}

async function startIncident(text = `${keyId} leaked in public repo`) {
  const res = await h.slash('/revoke-key', text, REQUESTER, { channel_id: 'C0WHEREVER' });
  expect(res.status).toBe(200);
  await waitForStep('contain', 'awaiting_approval');
  await cardShowing('Contain* needs');
  return res;
}

async function theIncident() {
  const [inc] = await h.store.listOpenIncidents();
  return (await h.store.get(inc.id))!;
}

const faults = useFaultProxy();

beforeEach(async () => {
  await resetMoto(process.env.MOTO_URL!);
  proxy = faults();
  ({ keyIds: [keyId] } = await seedUser(motoIam(), { userName: 'leaky', tags: { slack: 'U0OWNER' }, consolePassword: true }));
});
afterEach(() => h?.close());

describe('the happy path', () => {
  beforeEach(async () => {
    h = await startHarness(ENV, { iamEndpoint: proxy.url });
  });

  it('start → self-approval refused → approval → key Inactive → card updated → all recorded', async () => {
    const res = await startIncident();
    const ack = res.json;
    expect(ack.text).toContain('Opening an incident');
    const told = await h.slack.waitFor(() => responsesTo(h, res.responseUrl)[0], 'reply to requester');
    expect(told.args.text).toMatch(/Incident \*IR-\d{8}-[A-Z0-9]{4}\* opened/);

    // One card in IR_CHANNEL_ID with the plan and the buttons.
    const card = latestCard(h, CHANNEL)!;
    const text = blocksText(card);
    expect(text).toContain(keyId);
    expect(text).toContain('user leaky');
    expect(text).toContain('<@U0REQUEST>');
    expect(text).toContain('Contain* needs 1 more approval');
    expect(text).toContain(`iam:UpdateAccessKey {"UserName":"leaky","AccessKeyId":"${keyId}","Status":"Inactive"}`);
    expect(text).toContain('PutUserPolicy');
    expect(text).toContain('AWSCompromisedKeyQuarantineV3');
    expect(buttonOn(card, ACTION.approve).text.text).toBe('Approve');
    expect(buttonOn(card, ACTION.deny).text.text).toBe('Deny');
    expect(h.slack.callsTo('chat.postMessage').filter((c) => c.args.channel === CHANNEL && !c.args.thread_ts)).toHaveLength(1);

    // The requester cannot approve their own incident.
    const self = await click(h, buttonOn(card, ACTION.approve), REQUESTER);
    expect(self.status).toBe(200);
    const refusal = await h.slack.waitFor(() => responsesTo(h, self.responseUrl)[0], 'refusal');
    expect(refusal.args.text).toContain('You requested this incident, so someone else must approve it');
    expect(refusal.args.response_type).toBe('ephemeral');
    expect(await keyStatus()).toBe('Active');

    // An approver approves: the key is deactivated in IAM.
    const ok = await click(h, buttonOn(latestCard(h, CHANNEL), ACTION.approve), APPROVER1);
    await h.slack.waitFor(() => responsesTo(h, ok.responseUrl)[0], 'approval reply');
    await waitForStep('eradicate', 'awaiting_approval');
    expect(await keyStatus()).toBe('Inactive');
    expect(proxy.count('UpdateAccessKey')).toBe(1);
    const policies = await motoIam().send(new ListUserPoliciesCommand({ UserName: 'leaky' }));
    expect(policies.PolicyNames).toContain('keyguard-revoke-older-sessions');

    // The card was updated in place.
    const after = blocksText((await cardShowing('Eradicate* needs'))!);
    expect(h.slack.callsTo('chat.update').length).toBeGreaterThan(0);
    expect(after).toMatch(/2\. Contain\*: done \(1\/1 approvals: <@U0APPROVE1>\)/);
    expect(after).toMatch(/3\. Investigate \(CloudTrail\)\*: done — 0 events in 2 regions/);
    expect(after).toContain('Eradicate* needs 2 more approval(s) from distinct approvers');
    // Details in the thread.
    const thread = h.slack.callsTo('chat.postMessage').filter((c) => c.args.thread_ts);
    expect(thread.map((c) => c.args.text).join('\n')).toContain('*Contain*');

    // Every step, approval and refusal is in the table.
    const b = await theIncident();
    const contain = b.steps.find((s) => s.name === 'contain')!;
    expect(contain.state).toBe('succeeded');
    expect(contain.approvals.map((a) => a.userId)).toEqual([APPROVER1]);
    expect(JSON.stringify(contain.result)).toMatch(/"requestId":"[A-Za-z0-9]+"/);
    expect(contain.startedAt).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(b.incident.principal).toMatchObject({ type: 'user', name: 'leaky' });
    const types = b.events.map((e) => e.type);
    expect(types).toEqual(expect.arrayContaining(['incident_opened', 'step_started', 'step_succeeded', 'approval_requested', 'click_refused', 'approved']));
    expect(b.events.find((e) => e.type === 'click_refused')).toMatchObject({ actor: REQUESTER, detail: { refusal: 'self_approval' } });
    expect(b.events.find((e) => e.type === 'approved')).toMatchObject({ actor: APPROVER1, step: 'contain' });
  });

  it('eradicate needs two distinct approvers; one person counts once; then the owner is told', async () => {
    await startIncident();
    await click(h, buttonOn(latestCard(h, CHANNEL), ACTION.approve), APPROVER1);
    await waitForStep('eradicate', 'awaiting_approval');
    const first = await click(h, buttonOn(await cardShowing('Eradicate* needs 2'), ACTION.approve), APPROVER1);
    expect((await h.slack.waitFor(() => responsesTo(h, first.responseUrl)[0], 'reply')).args.text).toContain('1 of 2');
    const again = await click(h, buttonOn(await cardShowing('Eradicate* needs 1'), ACTION.approve), APPROVER1);
    expect((await h.slack.waitFor(() => responsesTo(h, again.responseUrl)[0], 'reply')).args.text).toContain('You already approved');
    expect(await stepState('eradicate')).toBe('awaiting_approval');
    await click(h, buttonOn(await cardShowing('Eradicate* needs 1'), ACTION.approve), APPROVER2);
    await waitForStep('recover', 'succeeded');
    expect(await keyStatus()).toBeUndefined(); // deleted
    const dm = await h.slack.waitFor(() => h.slack.callsTo('chat.postMessage').find((c) => String(c.args.channel).startsWith('DU0OWNER')), 'DM to the owner');
    expect(dm.args.text).toContain(keyId);
  });

  it('a key with an open incident links to it instead of starting another', async () => {
    await startIncident();
    const second = await h.slash('/revoke-key', `${keyId} seen again`, REQUESTER);
    const reply = await h.slack.waitFor(() => responsesTo(h, second.responseUrl)[0], 'reply');
    expect(reply.args.text).toMatch(/already has an open incident: \*IR-/);
    expect(reply.args.text).toContain('https://example.slack.com/archives/C0INCIDENT/');
    expect(await h.store.listOpenIncidents()).toHaveLength(1);
    expect((await theIncident()).events.filter((e) => e.type === 'duplicate_request')).toHaveLength(1);
  });

  it('deny asks for a reason in a modal and records it; nothing changes in AWS', async () => {
    await startIncident();
    const deny = buttonOn(latestCard(h, CHANNEL), ACTION.deny);
    await click(h, deny, APPROVER1);
    const open = await h.slack.waitFor(() => h.slack.callsTo('views.open')[0], 'deny modal');
    const view = open.args.view;
    expect(view.callback_id).toBe(VIEW.denyReason);
    const tooShort = await submitView(h, VIEW.denyReason, APPROVER1, { [FIELD.denyReason.block]: { value: { type: 'plain_text_input', value: 'no' } } }, view.private_metadata);
    expect(tooShort.json.response_action).toBe('errors');
    const res = await submitView(h, VIEW.denyReason, APPROVER1, { [FIELD.denyReason.block]: { value: { type: 'plain_text_input', value: 'false positive: test key' } } }, view.private_metadata);
    expect(res.status).toBe(200);
    await waitForStep('contain', 'denied');
    expect(await keyStatus()).toBe('Active');
    expect(proxy.count('UpdateAccessKey')).toBe(0);
    const b = await theIncident();
    expect(b.events.find((e) => e.type === 'denied')).toMatchObject({ actor: APPROVER1, detail: { reason: 'false positive: test key' } });
    await cardShowing('denied by <@U0APPROVE1>: false positive: test key');
  });

  it('someone who is not an approver is refused, and that is recorded', async () => {
    await startIncident();
    const r = await click(h, buttonOn(latestCard(h, CHANNEL), ACTION.approve), 'U0RANDOM');
    expect((await h.slack.waitFor(() => responsesTo(h, r.responseUrl)[0], 'refusal')).args.text).toContain('Only approvers listed in IR_APPROVERS');
    expect(await keyStatus()).toBe('Active');
    expect((await theIncident()).events.find((e) => e.type === 'click_refused')).toMatchObject({ actor: 'U0RANDOM', detail: { refusal: 'not_approver' } });
  });

  it('/revoke-key alone opens a modal; its submission starts the incident', async () => {
    const res = await h.slash('/revoke-key', '', REQUESTER, { channel_id: 'C0WHEREVER', trigger_id: 'trig-modal' });
    expect(res.status).toBe(200);
    const open = await h.slack.waitFor(() => h.slack.callsTo('views.open')[0], 'modal');
    expect(open.args.trigger_id).toBe('trig-modal');
    const meta = open.args.view.private_metadata;
    const bad = await submitView(h, VIEW.revokeKey, REQUESTER, {
      [FIELD.keyId.block]: { value: { type: 'plain_text_input', value: 'AKIA123' } },
      [FIELD.reason.block]: { value: { type: 'plain_text_input', value: 'x' } },
      [FIELD.severity.block]: { value: { type: 'static_select', selected_option: { value: 'critical' } } },
    }, meta);
    expect(bad.json.response_action).toBe('errors');
    expect(bad.json.errors[FIELD.keyId.block]).toContain('found 3');
    await submitView(h, VIEW.revokeKey, REQUESTER, {
      [FIELD.keyId.block]: { value: { type: 'plain_text_input', value: keyId } },
      [FIELD.reason.block]: { value: { type: 'plain_text_input', value: 'pasted in #general' } },
      [FIELD.severity.block]: { value: { type: 'static_select', selected_option: { value: 'critical' } } },
      [FIELD.ticket.block]: { value: { type: 'plain_text_input', value: 'https://tickets.example.com/SEC-1' } },
    }, meta);
    await waitForStep('contain', 'awaiting_approval');
    const inc = (await theIncident()).incident;
    expect(inc).toMatchObject({ severity: 'critical', reason: 'pasted in #general', ticket: 'https://tickets.example.com/SEC-1', requester: REQUESTER });
    const eph = await h.slack.waitFor(() => h.slack.callsTo('chat.postEphemeral')[0], 'ephemeral to requester');
    expect(eph.args).toMatchObject({ channel: 'C0WHEREVER', user: REQUESTER });
  });

  it('a modal start whose reply cannot be delivered still runs the playbook and tells the person by DM', async () => {
    await h.slash('/revoke-key', '', REQUESTER, { channel_id: 'C0NOTMEMBER' });
    const open = await h.slack.waitFor(() => h.slack.callsTo('views.open')[0], 'modal');
    h.slack.failNext('chat.postEphemeral', 'channel_not_found', 5);
    await submitView(h, VIEW.revokeKey, REQUESTER, {
      [FIELD.keyId.block]: { value: { type: 'plain_text_input', value: keyId } },
      [FIELD.reason.block]: { value: { type: 'plain_text_input', value: 'seen in a gist' } },
      [FIELD.severity.block]: { value: { type: 'static_select', selected_option: { value: 'high' } } },
    }, open.args.view.private_metadata);
    await waitForStep('contain', 'awaiting_approval');
    const dm = await h.slack.waitFor(() => h.slack.callsTo('chat.postMessage').find((c) => String(c.args.channel).startsWith('D') && /reference/.test(c.args.text ?? '')), 'DM with the error');
    expect(dm.args.text).toMatch(/`[0-9a-f]{8}`/);
  });
});

describe('expiry', () => {
  it('a click after the approval expired is refused, recorded, and the card offers to ask again', async () => {
    let now = Date.now();
    h = await startHarness({ ...ENV, IR_APPROVAL_TTL_MINUTES: '30' }, { iamEndpoint: proxy.url, now: () => new Date(now) });
    await startIncident();
    const approve = buttonOn(latestCard(h, CHANNEL), ACTION.approve);
    now += 31 * 60_000;
    const r = await click(h, approve, APPROVER1);
    expect((await h.slack.waitFor(() => responsesTo(h, r.responseUrl)[0], 'refusal')).args.text).toContain('expired');
    await waitForStep('contain', 'expired');
    expect(await keyStatus()).toBe('Active');
    const card = await cardShowing('approval expired');
    expect(buttonOn(card, ACTION.approve)).toBeUndefined();
    const again = buttonOn(card, ACTION.rerequest);
    expect(again.text.text).toBe('Request approval again');
    const b = await theIncident();
    expect(b.events.map((e) => e.type)).toEqual(expect.arrayContaining(['click_refused', 'approval_expired']));
    await click(h, again, REQUESTER);
    await waitForStep('contain', 'awaiting_approval');
    await cardShowing('Contain* needs');
    await click(h, buttonOn(latestCard(h, CHANNEL), ACTION.approve), APPROVER1);
    await waitForStep('contain', 'succeeded');
    expect(await keyStatus()).toBe('Inactive');
  });

  it('a stale card (the step moved on) is refused and refreshed', async () => {
    h = await startHarness(ENV, { iamEndpoint: proxy.url });
    await startIncident();
    const old = buttonOn(latestCard(h, CHANNEL), ACTION.approve);
    await click(h, old, APPROVER1);
    await waitForStep('eradicate', 'awaiting_approval');
    const updatesBefore = h.slack.callsTo('chat.update').length;
    const r = await click(h, old, APPROVER2);
    expect((await h.slack.waitFor(() => responsesTo(h, r.responseUrl)[0], 'refusal')).args.text).toContain('That card was out of date');
    await h.slack.waitFor(() => h.slack.callsTo('chat.update').length > updatesBefore, 'card refresh');
    expect(proxy.count('UpdateAccessKey')).toBe(1);
  });
});

describe('dry run', () => {
  it('records every step but makes no mutating AWS call; the card says DRY RUN', async () => {
    h = await startHarness({ ...ENV, IR_DRY_RUN: 'true' }, { iamEndpoint: proxy.url });
    await startIncident();
    expect(blocksText(latestCard(h, CHANNEL)!)).toContain('DRY RUN');
    await click(h, buttonOn(latestCard(h, CHANNEL), ACTION.approve), APPROVER1);
    await waitForStep('eradicate', 'awaiting_approval');
    expect(await keyStatus()).toBe('Active');
    for (const a of ['UpdateAccessKey', 'PutUserPolicy', 'AttachUserPolicy']) expect(proxy.count(a)).toBe(0);
    const contain = (await theIncident()).steps.find((s) => s.name === 'contain')!;
    expect(contain.state).toBe('succeeded');
    expect(JSON.stringify(contain.result)).toContain('"outcome":"dry-run"');
    expect(contain.note).toMatch(/^DRY RUN/);
  });
});

describe('AWS faults during a step', () => {
  it('AccessDenied fails the step with the missing action named, recorded, and offers a retry', async () => {
    h = await startHarness(ENV, { iamEndpoint: proxy.url });
    await startIncident();
    proxy.failNext('UpdateAccessKey', 'access-denied', 10);
    await click(h, buttonOn(latestCard(h, CHANNEL), ACTION.approve), APPROVER1);
    await waitForStep('contain', 'failed');
    expect(await keyStatus()).toBe('Active');
    const thread = await h.slack.waitFor(() => h.slack.callsTo('chat.postMessage').find((c) => c.args.thread_ts && /Contain/.test(c.args.text)), 'thread message');
    expect(thread.args.text).toContain('iam:UpdateAccessKey');
    const card = await cardShowing('2. Contain*: failed');
    expect(buttonOn(card, ACTION.rerequest).text.text).toBe('Retry Contain');
    const contain = (await theIncident()).steps.find((s) => s.name === 'contain')!;
    expect(contain.error?.message).toContain('iam:UpdateAccessKey');
    expect((await theIncident()).events.find((e) => e.type === 'step_failed')).toMatchObject({ step: 'contain' });

    // The permission is granted; a responder asks again and an approver approves.
    proxy.reset();
    await click(h, buttonOn(card, ACTION.rerequest), REQUESTER);
    await waitForStep('contain', 'awaiting_approval');
    await cardShowing('Contain* needs');
    await click(h, buttonOn(latestCard(h, CHANNEL), ACTION.approve), APPROVER2);
    await waitForStep('contain', 'succeeded');
    expect(await keyStatus()).toBe('Inactive');
  });

  it('throttling is retried by the SDK and the step still succeeds', async () => {
    h = await startHarness(ENV, { iamEndpoint: proxy.url });
    await startIncident();
    proxy.failNext('UpdateAccessKey', 'throttling', 1);
    await click(h, buttonOn(latestCard(h, CHANNEL), ACTION.approve), APPROVER1);
    await waitForStep('contain', 'succeeded');
    expect(await keyStatus()).toBe('Inactive');
    expect(proxy.requests('UpdateAccessKey').map((r) => r.injected ?? 'forwarded')).toEqual(['throttling', 'forwarded']);
  });
});

describe('/incident', () => {
  it('lists, shows and closes an incident; closing frees the key and records the resolution', async () => {
    h = await startHarness(ENV, { iamEndpoint: proxy.url });
    await startIncident();
    const id = (await theIncident()).incident.id;
    const list = await h.slash('/incident', 'list', REQUESTER);
    expect((await h.slack.waitFor(() => responsesTo(h, list.responseUrl)[0], 'list')).args.text).toContain(id);
    const show = await h.slash('/incident', `show ${id.toLowerCase()}`, REQUESTER);
    expect(blocksText((await h.slack.waitFor(() => responsesTo(h, show.responseUrl)[0], 'show')).args)).toContain('Contain* needs');
    const noReason = await h.slash('/incident', `close ${id}`, REQUESTER);
    expect(noReason.json.text).toContain('Say how it was resolved');
    // The requester, an approver too, does not close alone what is still open (Contain awaits approval).
    const alone = await h.slash('/incident', `close ${id} false positive, test key`, REQUESTER);
    expect((await h.slack.waitFor(() => responsesTo(h, alone.responseUrl)[0], 'close refused')).args.text).toMatch(/\*Contain\* awaiting approval.*other than <@U0REQUEST>/);
    const close = await h.slash('/incident', `close ${id} false positive, test key`, APPROVER1);
    expect((await h.slack.waitFor(() => responsesTo(h, close.responseUrl)[0], 'close')).args.text).toBe(`Closed ${id}.`);
    const b = (await h.store.get(id))!;
    expect(b.incident).toMatchObject({ status: 'closed', resolution: 'false positive, test key' });
    expect(b.steps.find((s) => s.name === 'contain')!.state).toBe('skipped');
    expect(b.steps.find((s) => s.name === 'close')!.state).toBe('succeeded');
    expect(b.events.find((e) => e.type === 'incident_closed')).toMatchObject({ actor: APPROVER1 });
    await cardShowing('CLOSED');
    expect(buttonOn(latestCard(h, CHANNEL), ACTION.approve)).toBeUndefined();
    // Closing posts the post-incident timeline into the incident's thread.
    // The review pack draws its chart first: allow for a loaded machine.
    const upload = await h.slack.waitFor(() => h.slack.callsTo('files.completeUploadExternal')[0], 'the timeline upload', 30_000);
    expect(upload.args.thread_ts).toBeDefined();
    const timeline = [...h.slack.uploads.values()].find((f) => f.filename === `${id}-timeline.md`)!.content.toString();
    expect(timeline).toContain(`# ${id}: leaked access key ${keyId}`);
    expect(timeline).toContain('incident closed: false positive, test key');
    expect(timeline).toContain('| 2 | Contain | skipped |');
    const again2 = await h.slash('/incident', `timeline ${id}`, REQUESTER);
    expect((await h.slack.waitFor(() => responsesTo(h, again2.responseUrl)[0], 'timeline reply', 30_000)).args.text).toContain(`The timeline of ${id} is in the incident's thread`);
    // The key can be the subject of a new incident now.
    const again = await h.slash('/revoke-key', `${keyId} leaked again`, REQUESTER);
    expect((await h.slack.waitFor(() => responsesTo(h, again.responseUrl)[0], 'reply')).args.text).toMatch(/Incident \*IR-.*opened/);
  });
});

describe('undo (false positive)', () => {
  it('is offered after containment, needs two approvals, and restores exactly the prior state', async () => {
    h = await startHarness(ENV, { iamEndpoint: proxy.url });
    await startIncident();
    await click(h, buttonOn(latestCard(h, CHANNEL), ACTION.approve), APPROVER1);
    await waitForStep('contain', 'succeeded');
    expect(await keyStatus()).toBe('Inactive');
    const undo = await h.slack.waitFor(() => {
      const asks = latestCard(h, CHANNEL)?.blocks.find((b: any) => b.block_id === 'kg_asks') as any;
      return asks?.elements.find((e: any) => e.text.text.startsWith('Undo'));
    }, 'the Undo button');
    await click(h, { ...undo, block_id: 'kg_asks' }, REQUESTER);
    await waitForStep('undo', 'awaiting_approval');
    const withUndo = await cardShowing('Undo containment (false positive)* needs 2 more approval');
    expect(blocksText(withUndo)).toContain('DeleteUserPolicy');
    const approveUndo = (withUndo.blocks.find((b: any) => b.block_id === 'kg_actions_undo') as any).elements[0];
    await click(h, { ...approveUndo, block_id: 'kg_actions_undo' }, APPROVER2);
    // One approval re-activates nothing.
    await cardShowing('Undo containment (false positive)* needs 1 more approval');
    expect(await keyStatus()).toBe('Inactive');
    await click(h, { ...approveUndo, block_id: 'kg_actions_undo' }, APPROVER1);
    await waitForStep('undo', 'succeeded');
    expect(await keyStatus()).toBe('Active');
    const policies = await motoIam().send(new ListUserPoliciesCommand({ UserName: 'leaky' }));
    expect(policies.PolicyNames ?? []).not.toContain('keyguard-revoke-older-sessions');
    const b = await theIncident();
    expect(b.steps.find((s) => s.name === 'undo')!.approvals.map((a) => a.userId)).toEqual([APPROVER2, APPROVER1]);
    expect(b.events.filter((e) => e.step === 'undo').map((e) => e.type)).toEqual(expect.arrayContaining(['approval_requested', 'approved', 'step_started', 'step_succeeded']));
  });
});

describe('undo: who asked cannot approve', () => {
  it('the approver who asked for Undo is refused as its approver; the key stays off', async () => {
    h = await startHarness(ENV, { iamEndpoint: proxy.url });
    await startIncident();
    await click(h, buttonOn(latestCard(h, CHANNEL), ACTION.approve), APPROVER1);
    await waitForStep('contain', 'succeeded');
    const undo = await h.slack.waitFor(() => {
      const asks = latestCard(h, CHANNEL)?.blocks.find((b: any) => b.block_id === 'kg_asks') as any;
      return asks?.elements.find((e: any) => e.text.text.startsWith('Undo'));
    }, 'the Undo button');
    await click(h, { ...undo, block_id: 'kg_asks' }, APPROVER1);
    await waitForStep('undo', 'awaiting_approval');
    const card = await cardShowing(`other than <@${REQUESTER}> and <@${APPROVER1}>`);
    const approveUndo = (card.blocks.find((b: any) => b.block_id === 'kg_actions_undo') as any).elements[0];
    const self = await click(h, { ...approveUndo, block_id: 'kg_actions_undo' }, APPROVER1);
    const refusal = await h.slack.waitFor(() => responsesTo(h, self.responseUrl)[0], 'the refusal');
    expect(refusal.args.text).toContain('You asked for *Undo containment (false positive)*, so someone else must approve it');
    const b = await theIncident();
    expect(b.steps.find((s) => s.name === 'undo')).toMatchObject({ state: 'awaiting_approval', approvals: [], requestedBy: APPROVER1 });
    expect(b.events).toEqual(expect.arrayContaining([expect.objectContaining({ type: 'click_refused', actor: APPROVER1, detail: expect.objectContaining({ refusal: 'self_approval' }) })]));
    expect(await keyStatus()).toBe('Inactive');
  });
});

describe('people and their words', () => {
  it('the requester (not an approver) may withdraw with a reason; hostile text is escaped everywhere', async () => {
    h = await startHarness({ ...ENV, IR_APPROVERS: `${APPROVER1},${APPROVER2}` }, { iamEndpoint: proxy.url });
    await startIncident(`${keyId} <!channel> see <https://evil.example|reset your password>`);
    await click(h, buttonOn(latestCard(h, CHANNEL), ACTION.deny), REQUESTER);
    const open = await h.slack.waitFor(() => h.slack.callsTo('views.open')[0], 'deny modal');
    await submitView(h, VIEW.denyReason, REQUESTER, { [FIELD.denyReason.block]: { value: { type: 'plain_text_input', value: 'my mistake <!channel>' } } }, open.args.view.private_metadata);
    // Who asked takes it back: withdrawn (it can be asked again), not denied.
    await waitForStep('contain', 'withdrawn');
    const thread = await h.slack.waitFor(() => h.slack.callsTo('chat.postMessage').find((c) => c.args.thread_ts && /withdrawn by/.test(c.args.text)), 'thread');
    // A reason is words: mentions and broadcasts lose their markup.
    expect(thread.args.text).toContain('my mistake channel');
    const everything = h.slack.calls.map((c) => JSON.stringify(c.args)).join('\n');
    expect(everything).not.toMatch(/[^;]<!channel>/);
    expect(everything).not.toContain('<https://evil.example|');
    // Withdrawn containment stops the playbook until asked again: Eradicate is never asked for.
    await new Promise((r) => setTimeout(r, 200));
    await h.app.engine.advance((await theIncident()).incident.id);
    expect(await stepState('eradicate')).toBe('pending');
    expect(blocksText(latestCard(h, CHANNEL)!)).not.toContain('Eradicate* needs');
  });

  it('a reason with a pasted secret is refused and nothing is stored', async () => {
    h = await startHarness(ENV, { iamEndpoint: proxy.url });
    const res = await h.slash('/revoke-key', `${keyId} aws_secret_access_key=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY`, REQUESTER);
    expect(blocksText(res.json)).toContain('looks like a secret access key');
    expect(blocksText(res.json)).not.toContain('wJalrXUtnFEMI');
    expect(await h.store.listOpenIncidents()).toHaveLength(0);
  });
});


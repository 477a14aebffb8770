/**
 * The App Home through the real Bolt receiver: signed `app_home_opened` events, views.publish
 * to the fake Slack (which refuses a Home tab over 100 blocks or otherwise malformed), and
 * the tab's Approve button answered by the card's own handler and rules.
 */
import { startHarness, Harness, blocksText } from '../support/harness';
import { signedPost } from '../../sandbox/slack-signer';
import { TEST_SIGNING_SECRET } from '../support/harness';
import { motoIam } from '../support/aws-clients';
import { seedUser } from '../../sandbox/iam-seed';
import { resetMoto } from '../../sandbox/moto';
import { latestCard, buttonOn } from '../../sandbox/clicks';
import { incidentProbe } from '../../sandbox/incident-probe';
import { viewProblems } from '../../sandbox/slack-limits-check';
import { ACTION } from '../../src/slack/ids';
import { homeView, HOME_LIMITS } from '../../src/slack/home-tab';
import { reviewScenario } from '../support/review-scenario';

const REQUESTER = 'U0REQUEST';
const APPROVER = 'U0APPROVE1';
const OUTSIDER = 'U0OUTSIDER';
const CHANNEL = 'C0INCIDENT';
// The requester is an approver too: only the self-approval rule keeps the button off their tab.
const ENV = { IR_RESPONDERS: REQUESTER, IR_APPROVERS: `${APPROVER},${REQUESTER}`, IR_CHANNEL_ID: CHANNEL };

let h: Harness;
let keyId: string;
let seq = 0;
const probe = incidentProbe(() => h.store);
const waitForStep = (name: string, state: string) => probe.until(`${name} to be ${state}`, probe.stepIs(name, state), 20_000);

/** What Slack sends when someone opens the app's Home tab. */
async function openHome(userId: string) {
  const body = JSON.stringify({
    token: 'unused', team_id: 'T1', api_app_id: 'A1', type: 'event_callback', event_id: `Ev${++seq}${Date.now()}`, event_time: Math.floor(Date.now() / 1000),
    event: { type: 'app_home_opened', user: userId, channel: `D${userId}`, tab: 'home', event_ts: `${Date.now() / 1000}` },
  });
  const res = await signedPost({ url: h.url, signingSecret: TEST_SIGNING_SECRET, body, contentType: 'application/json' });
  expect(res.status).toBe(200);
}

const publishesFor = (userId: string) => h.slack.callsTo('views.publish').filter((c) => c.args.user_id === userId);
/** The Home tab last published for a user, once `pred` holds for it. */
function homeOf(userId: string, pred: (text: string, view: any) => boolean, what: string) {
  return h.slack.waitFor(() => {
    const v = h.slack.homeViews.get(userId);
    return v && pred(blocksText(v), v) ? v : undefined;
  }, `${userId}'s Home tab to show ${what}`);
}

/** A click on a Home tab button: a view container, no response_url, no channel. */
async function clickOnHome(button: any, userId: string) {
  return h.interact({
    type: 'block_actions', user: { id: userId, username: userId.toLowerCase(), name: userId.toLowerCase(), team_id: 'T1' }, api_app_id: 'A1', token: 'unused',
    team: { id: 'T1', domain: 'example' }, container: { type: 'view', view_id: 'VHOME' }, view: { id: 'VHOME', type: 'home', blocks: [], team_id: 'T1', app_id: 'A1', bot_id: 'BBOT', hash: 'h', private_metadata: '', callback_id: '', state: { values: {} } },
    trigger_id: `trig-home-${++seq}`,
    actions: [{ type: 'button', action_id: button.action_id, block_id: button.block_id, value: button.value, text: button.text, action_ts: `${Date.now() / 1000}` }],
  });
}

function homeButton(view: any, actionId: string) {
  for (const b of view.blocks) {
    if (b.accessory?.action_id === actionId) return { ...b.accessory, block_id: b.block_id };
    for (const e of b.elements ?? []) if (e.action_id === actionId) return { ...e, block_id: b.block_id };
  }
  return undefined;
}

beforeEach(async () => {
  await resetMoto(process.env.MOTO_URL!);
  ({ keyIds: [keyId] } = await seedUser(motoIam(), { userName: 'leaky', tags: { slack: 'U0OWNER' } }));
  h = await startHarness(ENV);
  h.slack.users.set(APPROVER, { id: APPROVER, name: 'approver', tz: 'Europe/Berlin' });
});
afterEach(() => h?.close());

it('shows each viewer what waits for them; Approve on the tab runs the card\'s rules; the tab follows the incident to its close', async () => {
  await h.slash('/revoke-key', `${keyId} leaked in public repo`, REQUESTER, { channel_id: CHANNEL });
  await waitForStep('contain', 'awaiting_approval');
  const id = (await probe.current())!.incident.id;

  await openHome(APPROVER);
  await openHome(REQUESTER);
  await openHome(OUTSIDER);
  const approverHome = await homeOf(APPROVER, (t) => t.includes('Waiting for your approval* (1)'), 'one approval');
  expect(blocksText(approverHome)).toContain(`*Contain* needs 1 more approval(s); requested by <@${REQUESTER}>`);
  // The same action ids and values as on the card.
  const approve = homeButton(approverHome, ACTION.approve);
  const cardApprove = buttonOn(latestCard(h, CHANNEL), ACTION.approve);
  expect(approve.value).toBe(cardApprove.value);
  expect(homeButton(approverHome, ACTION.deny).value).toBe(cardApprove.value);
  // Times in the approver's zone (Berlin: CET in December).
  expect(blocksText(approverHome)).toMatch(/until \w{3} \d{1,2} \w{3} \d\d:\d\d GMT\+1/);

  // The requester may not approve their own request: nothing to approve, the incident listed.
  const requesterHome = await homeOf(REQUESTER, (t) => t.includes('Open incidents* (1)'), 'the open incident');
  expect(blocksText(requesterHome)).toContain('Waiting for your approval* (0)');
  expect(homeButton(requesterHome, ACTION.approve)).toBeUndefined();
  expect(blocksText(requesterHome)).toMatch(new RegExp(`\\*${id}\\* · \`${keyId}\` · high · open \\d+ s\\nContain: awaiting approval \\(0/1\\)`));
  // Someone who is neither a responder nor an approver is told how to get access, and nothing else.
  const outsiderHome = await homeOf(OUTSIDER, (t) => t.includes('IR_RESPONDERS'), 'how to get access');
  expect(blocksText(outsiderHome)).toContain('you are not one of them');
  // Every published tab passed the fake Slack's Block Kit checks.
  expect(h.slack.callsTo('views.publish').every((c) => viewProblems(c.args.view).length === 0)).toBe(true);

  // The requester clicking a copy of the approver's button is refused, on the server, as on the card.
  await clickOnHome(approve, REQUESTER);
  const refused = await h.slack.waitFor(() => h.slack.callsTo('chat.postMessage').find((c) => c.args.channel === REQUESTER && /someone else must approve/.test(c.args.text)), 'the refusal in the app\'s messages');
  expect(refused.args.text).toContain(':no_entry_sign:');
  expect((await probe.current())!.steps.find((s) => s.name === 'contain')!.state).toBe('awaiting_approval');

  // The approver approves from the tab: containment runs; the answer arrives in the app's messages.
  const published = publishesFor(REQUESTER).length;
  await clickOnHome(approve, APPROVER);
  await waitForStep('contain', 'succeeded');
  await h.slack.waitFor(() => h.slack.callsTo('chat.postMessage').find((c) => c.args.channel === APPROVER && c.args.text.startsWith(':white_check_mark:')), 'the approval answer');
  // Both recent viewers' tabs are republished without being reopened.
  await homeOf(APPROVER, (t, v) => t.includes('Waiting for your approval* (0)') && !homeButton(v, ACTION.approve), 'nothing left to approve');
  await homeOf(REQUESTER, (t) => !t.includes('Contain: awaiting approval'), 'containment no longer waiting');
  expect(publishesFor(REQUESTER).length).toBeGreaterThan(published);

  // Closed (by an approver other than the requester: Eradicate is not done): it moves to
  // "recently closed", with a Timeline button that posts the review pack.
  await h.slash('/incident', `close ${id} rotated`, APPROVER);
  const closedHome = await homeOf(REQUESTER, (t) => t.includes('Open incidents* (0)') && t.includes(`*${id}*`), 'the closed incident');
  const timeline = homeButton(closedHome, ACTION.homeTimeline);
  expect(timeline.value).toBe(id);
  const packs = () => h.slack.callsTo('files.completeUploadExternal').filter((c) => String(c.args.initial_comment).startsWith(`Review pack of ${id}`));
  await h.slack.waitFor(() => packs().length === 1, 'the pack posted on close', 30_000);
  await clickOnHome(timeline, REQUESTER);
  await h.slack.waitFor(() => packs().length === 2, 'the pack posted from the Home tab', 30_000);
  await h.slack.waitFor(() => h.slack.callsTo('chat.postMessage').find((c) => c.args.channel === REQUESTER && c.args.text.includes(`The timeline of *${id}* is in the incident's thread`)), 'the answer to the Timeline button', 30_000);
  // Someone who is not a responder gets no timeline.
  await clickOnHome(timeline, OUTSIDER);
  await h.slack.waitFor(() => h.slack.callsTo('chat.postMessage').find((c) => c.args.channel === OUTSIDER && c.args.text.includes('Only incident responders')), 'the refusal');
  expect(packs()).toHaveLength(2);

  // The outsider's tab was published on opening and again on every change while they were a
  // recent viewer: not one of those showed an incident, a key, a state or a count.
  await openHome(OUTSIDER);
  await h.slack.waitFor(() => publishesFor(OUTSIDER).length >= 2 && publishesFor(OUTSIDER), 'the outsider\'s tab published again');
  for (const p of publishesFor(OUTSIDER)) {
    const text = JSON.stringify(p.args.view);
    for (const hidden of [id, keyId, 'Contain', 'awaiting', 'Open incidents', 'Recently closed', 'rotated', 'Waiting for your approval']) expect(text).not.toContain(hidden);
    expect(homeButton(p.args.view, ACTION.approve)).toBeUndefined();
    expect(homeButton(p.args.view, ACTION.homeTimeline)).toBeUndefined();
  }
});

it('a trial open to the workspace (IR_RESPONDERS=*) says so on every member\'s tab', async () => {
  await h.close();
  h = await startHarness({ ...ENV, IR_RESPONDERS: '*' });
  await openHome(OUTSIDER);
  const v = await homeOf(OUTSIDER, (t) => t.includes('Open incidents'), 'the tab');
  expect(blocksText(v)).toContain('every member of this workspace is a responder');
});

it('a Home tab with more incidents than fit stays within Slack\'s 100 blocks and says how many more', () => {
  const { incident, steps } = reviewScenario(0);
  const many = Array.from({ length: 60 }, (_, i) => ({
    incident: { ...incident, id: `IR-20261101-${String(i).padStart(4, '0')}`, status: 'open' as const },
    steps: steps.map((s) => (s.name === 'eradicate' ? { ...s, state: 'awaiting_approval' as const, approvals: [] } : s)),
  }));
  const view = homeView({ viewer: 'U0X', tz: 'UTC', now: new Date('2026-11-05T00:00:00Z'), open: many, closed: Array(30).fill({ ...incident }), mayApprove: () => true });
  expect(viewProblems(view)).toEqual([]);
  const text = blocksText(view);
  expect(text).toContain(`…and ${60 - HOME_LIMITS.approvals} more step(s) waiting for you`);
  expect(text).toContain(`…and ${60 - HOME_LIMITS.open} more open incident(s)`);
  expect(view.blocks.filter((b: any) => b.accessory?.action_id === ACTION.homeTimeline)).toHaveLength(HOME_LIMITS.closed);
});

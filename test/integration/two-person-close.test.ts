/**
 * Two people to end what two people started, through the real Bolt app (signed requests,
 * the fake Slack), IAM in moto and the CloudTrail emulator: the requester may take back a
 * request nobody approved (withdrawn, asked again from the card), but cannot then close an
 * incident whose Eradicate is not done, and a close by one person alone never ends the
 * watch early; an approver other than the requester closes, and only that ends the watch.
 */
import { incidentRig } from '../support/incident-rig';
import { motoIam } from '../support/aws-clients';
import { seedUser } from '../../sandbox/iam-seed';
import { buttonOn, click, submitView } from '../../sandbox/clicks';
import { buildEvent, FixtureRandom, iamUserIdentity, loadEvents } from '../../sandbox/cloudtrail-fixtures';
import { responsesTo } from '../support/harness';
import { ACTION, FIELD, VIEW } from '../../src/slack/ids';

const REQUESTER = 'U0REQUEST';
const APPROVER1 = 'U0APPROVE1';
const APPROVER2 = 'U0APPROVE2';
const ENV = { IR_RESPONDERS: REQUESTER, IR_APPROVERS: `${APPROVER1},${APPROVER2}`, IR_WATCH_MINUTES: '30', IR_WATCH_INTERVAL_MINUTES: '5' };

const rig = incidentRig({ settleMsBeforeClose: 100 });
let shiftMs = 0;
const now = () => new Date(Date.now() + shiftMs);
let keyId: string;

beforeEach(async () => {
  shiftMs = 0;
  ({ keyIds: [keyId] } = await seedUser(motoIam(), { userName: 'leaky' }));
  await rig.start(ENV, { now });
});

const thread = (re: RegExp) => rig.h.slack.callsTo('chat.postMessage').filter((c) => c.args.thread_ts && re.test(c.args.text ?? ''));

async function slashReply(text: string, userId: string): Promise<string> {
  const r = await rig.h.slash('/incident', text, userId);
  return (await rig.h.slack.waitFor(() => responsesTo(rig.h, r.responseUrl)[0], `the reply to /incident ${text.split(' ')[0]}`)).args.text;
}

/** Contained by APPROVER1, investigated, the watch started, Eradicate waiting for two approvers. */
async function containedWithEradicateWaiting(): Promise<string> {
  await rig.containAndInvestigate(keyId, 'leaked in a public repo', REQUESTER, APPROVER1);
  await rig.probe.until('eradicate awaiting approval', rig.probe.stepIs('eradicate', 'awaiting_approval'));
  await rig.h.slack.waitFor(() => thread(/Watching/)[0], 'the watch to start');
  return (await rig.incident()).incident!.id;
}

it('the requester alone withdraws Eradicate but cannot close nor end the watch; an approver other than the requester closes', async () => {
  const id = await containedWithEradicateWaiting();

  // The requester (not an approver) takes Eradicate back: withdrawn, not denied.
  const card = await rig.cardWith('Eradicate* needs');
  const deny = card.blocks.find((b: any) => b.block_id === 'kg_actions_eradicate').elements.find((e: any) => e.action_id === ACTION.deny);
  await click(rig.h, { ...deny, block_id: 'kg_actions_eradicate' }, REQUESTER);
  const modal = await rig.h.slack.waitFor(() => rig.h.slack.callsTo('views.open').at(-1), 'the reason modal');
  await submitView(rig.h, VIEW.denyReason, REQUESTER, { [FIELD.denyReason.block]: { value: { type: 'plain_text_input', value: 'the owner will rotate it' } } }, modal.args.view.private_metadata);
  await rig.probe.until('eradicate withdrawn', rig.probe.stepIs('eradicate', 'withdrawn'));
  expect((await rig.stepTitled('Eradicate'))!.note).toBe(`withdrawn by <@${REQUESTER}>: the owner will rotate it`);
  await rig.h.slack.waitFor(() => thread(/\*Eradicate\* withdrawn by <@U0REQUEST>/)[0], 'the withdrawal in the thread');

  // Alone, the requester cannot close: Eradicate is not done.
  const refused = await slashReply(`close ${id} nothing more to do`, REQUESTER);
  expect(refused).toBe(`Incident ${id} still has *Eradicate* withdrawn. Closing it now needs an approver (IR_APPROVERS) other than <@${REQUESTER}>: two people end what two people started. Nothing was changed.`);
  expect((await rig.h.store.getIncident(id))!.status).toBe('open');

  // The watch goes on: its next check runs and nothing says it stopped.
  shiftMs = 6 * 60_000;
  expect(await rig.h.app.watcher.tick()).toBe(1);
  expect(thread(/Watch stopped/)).toHaveLength(0);

  // A withdrawn step is not final: it is asked again from the card.
  await rig.ask('Request approval again', REQUESTER);
  await rig.probe.until('eradicate asked again', rig.probe.stepIs('eradicate', 'awaiting_approval'));
  expect((await rig.stepTitled('Eradicate'))!.requestedBy).toBe(REQUESTER);

  // An approver who asked for none of it closes; that close ends the watch.
  expect(await slashReply(`close ${id} owner rotated the key; deleting it is left to them`, APPROVER2)).toBe(`Closed ${id}.`);
  const closed = (await rig.h.store.get(id))!;
  expect(closed.incident).toMatchObject({ status: 'closed', closedBy: APPROVER2 });
  expect(closed.incident.watchOutlivesClose).toBeUndefined();
  expect(closed.events.filter((e) => e.type === 'close_refused')).toEqual([expect.objectContaining({ actor: REQUESTER, detail: expect.objectContaining({ why: 'needs_second_person' }) })]);
  shiftMs = 12 * 60_000;
  expect(await rig.h.app.watcher.tick()).toBe(1);
  await rig.h.slack.waitFor(() => thread(/Watch stopped: the incident is closed/)[0], 'the watch to stop');
});

it('a close by the requester alone, with everything done, leaves the watch running its full time', async () => {
  const id = await containedWithEradicateWaiting();
  await rig.approve({ title: 'Eradicate', name: 'eradicate' }, [APPROVER1, APPROVER2]);
  await rig.probe.until('eradicate done', rig.probe.stepIs('eradicate', 'succeeded'));
  await rig.probe.until('recover finished', async () => ['succeeded', 'skipped', 'failed'].includes((await rig.stepTitled('Recover (tell the owner)'))?.state ?? ''));

  const reply = await slashReply(`close ${id} key deleted`, REQUESTER);
  expect(reply).toMatch(new RegExp(`^Closed ${id}\\. The watch on the key, if one is running, keeps its full time`));
  expect(await rig.h.store.getIncident(id)).toMatchObject({ status: 'closed', closedBy: REQUESTER, watchOutlivesClose: true });

  // The attacker tries the key after the close: the watch still sees it and says so.
  const identity = iamUserIdentity({ accountId: '123456789012', userName: 'leaky', accessKeyId: keyId });
  loadEvents(rig.emu, [buildEvent({ service: 's3', name: 'ListBuckets', region: 'us-east-1', identity, sourceIp: '198.51.100.9', timeMs: Date.now() + 60_000, errorCode: 'InvalidClientTokenId', userAgent: 'aws-cli/2' }, new FixtureRandom(5))]);
  shiftMs = 6 * 60_000;
  expect(await rig.h.app.watcher.tick()).toBe(1);
  const alert = await rig.h.slack.waitFor(() => thread(/\*Watch:\*/)[0], 'the watch alert after the close');
  expect(alert.args.text).toContain('198.51.100.9');
  expect(thread(/Watch stopped/)).toHaveLength(0);

  // It ends when its time is up, not before.
  shiftMs = 40 * 60_000;
  expect(await rig.h.app.watcher.tick()).toBe(1);
  await rig.h.slack.waitFor(() => thread(/Watch ended/)[0], 'the watch to end at its time');
  expect(thread(/Watch stopped/)).toHaveLength(0);
});

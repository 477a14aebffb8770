/**
 * The review pack end to end: the real Bolt app with signed requests, IAM in moto, the
 * fake Slack. Closing an incident and `/incident timeline` put the Markdown, CSV, JSON and
 * PNG files in the incident's thread; the reply shows the metrics in the viewer's zone.
 */
import { startHarness, Harness, responsesTo, blocksText } from '../support/harness';
import { motoIam } from '../support/aws-clients';
import { seedUser } from '../../sandbox/iam-seed';
import { resetMoto } from '../../sandbox/moto';
import { latestCard, buttonOn, click, submitView } from '../../sandbox/clicks';
import { incidentProbe } from '../../sandbox/incident-probe';
import { ACTION, FIELD, VIEW } from '../../src/slack/ids';
import { pngSize } from '../../src/timeline/chart-png';
import { CHART_HEIGHT, CHART_WIDTH } from '../../src/timeline/review-pack';

const REQUESTER = 'U0REQUEST';
const APPROVER = 'U0APPROVE1';
const CHANNEL = 'C0INCIDENT';
const ENV = { IR_RESPONDERS: REQUESTER, IR_APPROVERS: APPROVER, IR_CHANNEL_ID: CHANNEL };

let h: Harness;
let keyId: string;
const probe = incidentProbe(() => h.store);
const waitForStep = (name: string, state: string) => probe.until(`${name} to be ${state}`, probe.stepIs(name, state), 20_000);

beforeEach(async () => {
  await resetMoto(process.env.MOTO_URL!);
  ({ keyIds: [keyId] } = await seedUser(motoIam(), { userName: 'leaky', tags: { slack: 'U0OWNER' } }));
  h = await startHarness(ENV);
  h.slack.users.set(REQUESTER, { id: REQUESTER, name: 'requester', tz: 'America/New_York' });
  h.slack.users.set(APPROVER, { id: APPROVER, name: 'approver', tz: 'America/New_York' });
});
afterEach(() => h?.close());

const detectedField = (epochSeconds: number) => ({ [FIELD.detectedAt.block]: { value: { type: 'datetimepicker', selected_date_time: epochSeconds } } });
const modalValues = (extra: Record<string, unknown> = {}) => ({
  [FIELD.keyId.block]: { value: { type: 'plain_text_input', value: keyId } },
  [FIELD.reason.block]: { value: { type: 'plain_text_input', value: 'found in a public gist' } },
  [FIELD.severity.block]: { value: { type: 'static_select', selected_option: { value: 'critical' } } },
  ...extra,
});

it('closing posts the whole review pack to the thread; the timeline reply shows the metrics in the viewer\'s zone', async () => {
  // Detected 40 minutes before anyone opened the incident: the modal's "detected at".
  const detected = Math.floor(Date.now() / 1000) - 40 * 60;
  const future = await submitView(h, VIEW.revokeKey, REQUESTER, modalValues(detectedField(Math.floor(Date.now() / 1000) + 3600)), JSON.stringify({ channel: CHANNEL }));
  expect(future.json).toMatchObject({ response_action: 'errors', errors: { [FIELD.detectedAt.block]: expect.stringContaining('in the future') } });
  await submitView(h, VIEW.revokeKey, REQUESTER, modalValues(detectedField(detected)), JSON.stringify({ channel: CHANNEL }));
  await waitForStep('contain', 'awaiting_approval');
  const opened = (await probe.current())!;
  expect(opened.incident.detectedAt).toBe(new Date(detected * 1000).toISOString());
  const id = opened.incident.id;

  const card = await h.slack.waitFor(() => buttonOn(latestCard(h, CHANNEL), ACTION.approve) && latestCard(h, CHANNEL), 'the card with Approve');
  await click(h, buttonOn(card, ACTION.approve), APPROVER);
  await waitForStep('contain', 'succeeded');
  // The card carries the time to contain, measured from the recorded detection (40 min and more).
  const withMetrics = await h.slack.waitFor(() => {
    const t = blocksText(latestCard(h, CHANNEL) ?? {});
    return /Time to .*contain (4\d|5\d) min/.test(t) ? t : undefined;
  }, 'the card to show the time to contain');
  expect(withMetrics).toContain(':stopwatch:');

  // Eradicate is not done: an approver other than the requester closes.
  const close = await h.slash('/incident', `close ${id} key rotated, nothing else found`, APPROVER);
  expect((await h.slack.waitFor(() => responsesTo(h, close.responseUrl)[0], 'close reply')).args.text).toBe(`Closed ${id}.`);
  const packUploads = () => h.slack.callsTo('files.completeUploadExternal').filter((c) => String(c.args.initial_comment).startsWith('Review pack'));
  const upload = await h.slack.waitFor(() => packUploads()[0], 'the review pack upload', 30_000);
  expect(upload.args).toMatchObject({ channel_id: CHANNEL, thread_ts: (await h.store.getIncident(id))!.cardTs });
  expect(upload.args.initial_comment).toMatch(new RegExp(`Review pack of ${id} .*Time to .*contain`));
  const uploaded = new Map([...h.slack.uploads.values()].map((f) => [f.filename, f.content]));
  expect(upload.args.files.map((f: { id: string }) => h.slack.uploads.get(f.id)?.filename)).toEqual([`${id}-timeline.md`, `${id}-timeline.csv`, `${id}-timeline.json`, `${id}-activity.png`]);

  const md = uploaded.get(`${id}-timeline.md`)!.toString();
  expect(md).toMatch(/- Time to contain: \*\*(4\d|5\d) min\*\*/);
  expect(md).toContain('## What happened');
  expect(md).toMatch(/- Detected: [\d-]+T[\d:]+\+00:00 \([\d-]+T[\d:]+-0[45]:00 America\/New_York\)/);
  const csv = uploaded.get(`${id}-timeline.csv`)!.toString();
  expect(csv.split('\r\n')[0]).toBe('"time_utc","source","actor","what","step","event","region","source_ip","error","flagged_rule"');
  expect(csv).toContain('"incident closed: key rotated, nothing else found"');
  const json = JSON.parse(uploaded.get(`${id}-timeline.json`)!.toString());
  expect(json.incident).toMatchObject({ id, status: 'closed', detectedAt: new Date(detected * 1000).toISOString().replace('Z', '+00:00') });
  expect(json.timeline.map((e: { what: string }) => e.what)).toEqual(expect.arrayContaining(['contain started', expect.stringMatching(/^contain succeeded/)]));
  const png = uploaded.get(`${id}-activity.png`)!;
  expect(pngSize(png)).toEqual({ width: CHART_WIDTH, height: CHART_HEIGHT });

  // Asked again: the files go to the thread again, and the reply is in the viewer's zone.
  const again = await h.slash('/incident', `timeline ${id}`, REQUESTER);
  const reply = await h.slack.waitFor(() => responsesTo(h, again.responseUrl)[0], 'timeline reply', 30_000);
  const text = blocksText(reply.args);
  expect(text).toContain(`The timeline of *${id}* is in the incident's thread`);
  expect(text).toMatch(/\*Detected\* \w{3} \d{1,2} \w{3} \d\d:\d\d E[SD]T/);
  expect(text).toContain('Times in your time zone (America/New_York)');
  expect(h.slack.callsTo('users.info').some((c) => c.args.user === REQUESTER)).toBe(true);
  await h.slack.waitFor(() => packUploads().length === 2, 'the second upload', 30_000);
});

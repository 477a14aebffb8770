/**
 * `/trail` and `/incident` do their lookups and uploads through the bounded background queue,
 * like `/key-owner`: signed slash commands into the real Bolt app, a CloudTrail emulator slow
 * enough that a pull holds its slot while the next commands arrive. Each command is
 * acknowledged at once; a command that finds the backlog full is told the bot is busy and
 * nothing is started for it.
 */
import { startHarness, Harness, responsesTo, blocksText } from '../support/harness';
import { startCloudTrailEmulator, CloudTrailEmulator } from '../../sandbox/cloudtrail-emulator';
import { BUSY_MESSAGE } from '../../src/background-queue';

const RESPONDER = 'U0RESPOND';
const KEY = 'AKIAQUEUETESTKEYABCD';

let h: Harness;
let emu: CloudTrailEmulator;

beforeEach(async () => {
  // Every LookupEvents answer takes 700 ms: a pull over two regions holds its slot for seconds.
  emu = await startCloudTrailEmulator({ requestsPerSecond: 100, latencyMs: 700 });
  h = await startHarness({ IR_RESPONDERS: RESPONDER }, { cloudTrailUrl: emu.url, background: { concurrency: 1, maxBacklog: 1 } });
});
afterEach(async () => {
  await h.close();
  await emu.close();
});

const pullingMessages = () => h.slack.callsTo('chat.postMessage').filter((c) => /Pulling CloudTrail/.test(c.args.text ?? ''));
const trailSummary = () =>
  h.slack.waitFor(() => h.slack.callsTo('chat.update').find((c) => Array.isArray(c.args.blocks) && c.args.blocks[0]?.type === 'header' && blocksText(c.args).includes(`CloudTrail for ${KEY}`)), 'the /trail summary', 30_000);

it('acknowledges at once, queues /incident behind a running /trail, and answers busy when the backlog is full', async () => {
  // 1. /trail takes the one slot.
  const first = await h.slash('/trail', `${KEY} 1d`, RESPONDER);
  expect(first.status).toBe(200);
  expect(first.json.text).toContain('Searching CloudTrail for');
  await h.slack.waitFor(() => pullingMessages().length === 1, 'the first pull to start');

  // 2. /incident list is acknowledged, then waits in the backlog (its one place).
  const list = await h.slash('/incident', 'list', RESPONDER);
  expect(list.status).toBe(200);

  // 3. Backlog full: a second /trail and an /incident are told so in their ack, and nothing starts.
  const busyTrail = await h.slash('/trail', `${KEY} 2d`, RESPONDER);
  expect(busyTrail.status).toBe(200);
  expect(busyTrail.json.text).toContain(BUSY_MESSAGE);
  const busyIncident = await h.slash('/incident', 'show IR-20261202-0001', RESPONDER);
  expect(busyIncident.json.text).toContain(BUSY_MESSAGE);
  expect(h.logs.filter((l) => l.includes('refused: busy'))).toHaveLength(2);

  // The queued /incident list has not run while the pull holds the slot.
  expect(responsesTo(h, list.responseUrl)).toHaveLength(0);

  // 4. The pull finishes; then the queued /incident list answers.
  const summary = await trailSummary();
  const answer = await h.slack.waitFor(() => responsesTo(h, list.responseUrl)[0], 'the /incident list answer');
  expect(answer.args.text).toBe('No open incidents.');
  expect(answer.at).toBeGreaterThanOrEqual(summary.at);
  // Only the first /trail ever pulled anything; the busy one left no trace in the channel.
  expect(pullingMessages()).toHaveLength(1);
  expect(responsesTo(h, busyIncident.responseUrl)).toHaveLength(0);

  // 5. With the queue free again, the same /trail is accepted.
  const again = await h.slash('/trail', `${KEY} 2d`, RESPONDER);
  expect(again.json.text).toContain('Searching CloudTrail for');
  await h.slack.waitFor(() => pullingMessages().length === 2, 'the second pull to start');
});

it('a refused or mistyped command still gets its own answer when the queue has room, and frees its slot', async () => {
  const notAllowed = await h.slash('/incident', 'list', 'U0STRANGER');
  expect(blocksText(notAllowed.json)).toMatch(/not|responder/i);
  const usage = await h.slash('/incident', 'frobnicate', RESPONDER);
  expect(usage.json.text).toContain('Usage:');
  const badTrail = await h.slash('/trail', 'not a key or anything @@', RESPONDER);
  expect(badTrail.status).toBe(200);
  expect(badTrail.json.text).not.toContain(BUSY_MESSAGE);
  // None of them kept a slot: the queue (one slot, one place) takes two lookups in a row.
  const a = await h.slash('/incident', 'list', RESPONDER);
  const b = await h.slash('/incident', 'list', RESPONDER);
  for (const r of [a, b]) {
    expect(r.json?.text ?? '').not.toContain(BUSY_MESSAGE);
    const answer = await h.slack.waitFor(() => responsesTo(h, r.responseUrl)[0], 'the /incident list answer');
    expect(answer.args.text).toBe('No open incidents.');
  }
});

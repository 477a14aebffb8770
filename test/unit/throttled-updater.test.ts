import { ThrottledUpdater, UpdateBudget } from '../../src/slack/throttled-updater';

const unlimited = { tryTake: () => true };

beforeEach(() => jest.useFakeTimers({ now: 0 }));
afterEach(() => jest.useRealTimers());

it('sends at most one update per interval, and the latest state wins', async () => {
  const sent: Array<[number, number]> = [];
  const u = new ThrottledUpdater<number>(async (v) => void sent.push([Date.now(), v]), 3000, Date.now, unlimited);
  for (let i = 1; i <= 10; i++) {
    u.push(i);
    await jest.advanceTimersByTimeAsync(500);
  }
  await jest.advanceTimersByTimeAsync(5000);
  expect(sent.map(([, v]) => v)).toEqual([1, 6, 10]);
  const times = sent.map(([t]) => t);
  for (let i = 1; i < times.length; i++) expect(times[i] - times[i - 1]).toBeGreaterThanOrEqual(3000);
});

it('never has two updates in flight', async () => {
  let inFlight = 0;
  let maxInFlight = 0;
  const u = new ThrottledUpdater<number>(async () => {
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    await new Promise((r) => setTimeout(r, 10_000));
    inFlight--;
  }, 1000, Date.now, unlimited);
  for (let i = 0; i < 20; i++) {
    u.push(i);
    await jest.advanceTimersByTimeAsync(1000);
  }
  await jest.advanceTimersByTimeAsync(60_000);
  expect(maxInFlight).toBe(1);
});

it('stop() drops what is pending', async () => {
  const sent: number[] = [];
  const u = new ThrottledUpdater<number>(async (v) => void sent.push(v), 3000, Date.now, unlimited);
  u.push(1);
  u.push(2);
  await u.stop();
  await jest.advanceTimersByTimeAsync(10_000);
  expect(sent).toEqual([1]);
});

it('many progress messages together stay within the shared per-minute budget', async () => {
  const budget = new UpdateBudget(30);
  let sent = 0;
  const updaters = Array.from({ length: 10 }, () => new ThrottledUpdater<number>(async () => void sent++, 3000, Date.now, budget));
  for (let t = 0; t < 120; t++) {
    updaters.forEach((u, i) => u.push(t * 10 + i));
    await jest.advanceTimersByTimeAsync(1000);
  }
  // Two minutes: at most 30 a minute plus the initial 10-second burst.
  expect(sent).toBeLessThanOrEqual(65);
  expect(sent).toBeGreaterThanOrEqual(50);
});


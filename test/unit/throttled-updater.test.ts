import { ThrottledUpdater } from '../../src/slack/throttled-updater';

beforeEach(() => jest.useFakeTimers({ now: 0 }));
afterEach(() => jest.useRealTimers());

it('sends at most one update per interval, and the latest state wins', async () => {
  const sent: Array<[number, number]> = [];
  const u = new ThrottledUpdater<number>(async (v) => void sent.push([Date.now(), v]), 3000);
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
  }, 1000);
  for (let i = 0; i < 20; i++) {
    u.push(i);
    await jest.advanceTimersByTimeAsync(1000);
  }
  await jest.advanceTimersByTimeAsync(60_000);
  expect(maxInFlight).toBe(1);
});

it('stop() drops what is pending', async () => {
  const sent: number[] = [];
  const u = new ThrottledUpdater<number>(async (v) => void sent.push(v), 3000);
  u.push(1);
  u.push(2);
  await u.stop();
  await jest.advanceTimersByTimeAsync(10_000);
  expect(sent).toEqual([1]);
});

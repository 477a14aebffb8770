/** The bounded queue that request work runs through after the ack. */
import { BackgroundQueue, BusyError, BUSY_MESSAGE } from '../../src/background-queue';
import { isKeyguardError } from '../../src/errors';

/** A job that runs until released, recording when it started. */
function gate(log: string[], name: string) {
  let release!: (v: string) => void;
  let fail!: (e: Error) => void;
  const done = new Promise<string>((res, rej) => {
    release = res;
    fail = rej;
  });
  return { job: () => (log.push(`start ${name}`), done), release: () => release(name), fail: (e: Error) => fail(e) };
}
const turn = () => new Promise((r) => setImmediate(r));

describe('BackgroundQueue', () => {
  it('runs at most `concurrency` jobs at once, the rest in arrival order', async () => {
    const q = new BackgroundQueue({ concurrency: 2, maxBacklog: 10 });
    const log: string[] = [];
    const jobs = ['a', 'b', 'c', 'd'].map((n) => gate(log, n));
    const results = jobs.map((j) => q.run(j.job));
    expect(log).toEqual(['start a', 'start b']);
    expect([q.running, q.backlog]).toEqual([2, 2]);
    jobs[1].release();
    await turn();
    await turn();
    expect(log).toEqual(['start a', 'start b', 'start c']);
    expect([q.running, q.backlog]).toEqual([2, 1]);
    jobs[0].release();
    jobs[2].release();
    await turn();
    await turn();
    expect(log).toEqual(['start a', 'start b', 'start c', 'start d']);
    jobs[3].release();
    await expect(Promise.all(results)).resolves.toEqual(['a', 'b', 'c', 'd']);
    expect([q.running, q.backlog]).toEqual([0, 0]);
  });

  it('never runs more than `concurrency` at once, even when new work arrives as a slot frees', async () => {
    const q = new BackgroundQueue({ concurrency: 3, maxBacklog: 100 });
    let now = 0;
    let peak = 0;
    const job = async () => {
      peak = Math.max(peak, ++now);
      await turn();
      now--;
    };
    const all: Promise<void>[] = [];
    for (let i = 0; i < 30; i++) {
      all.push(q.run(job));
      if (i % 3 === 0) await turn();
    }
    await Promise.all(all);
    expect(peak).toBe(3);
  });

  it('refuses a job beyond the backlog with a clear "busy" error and does not run it', async () => {
    const q = new BackgroundQueue({ concurrency: 1, maxBacklog: 1 });
    const log: string[] = [];
    const a = gate(log, 'a');
    const b = gate(log, 'b');
    const pa = q.run(a.job);
    const pb = q.run(b.job);
    expect(q.full).toBe(true);
    let ranC = false;
    const err = await q.run(async () => void (ranC = true)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BusyError);
    expect(isKeyguardError(err) && err.userMessage).toBe(BUSY_MESSAGE);
    expect(BUSY_MESSAGE).toMatch(/busy.*nothing was done.*Try again/);
    a.release();
    b.release();
    await Promise.all([pa, pb]);
    expect(ranC).toBe(false);
    expect(q.full).toBe(false);
  });

  it('a failing job rejects its own caller and frees its slot', async () => {
    const q = new BackgroundQueue({ concurrency: 1, maxBacklog: 5 });
    const log: string[] = [];
    const a = gate(log, 'a');
    const pa = q.run(a.job);
    const pb = q.run(async () => 'b');
    a.fail(new Error('lookup failed'));
    await expect(pa).rejects.toThrow('lookup failed');
    await expect(pb).resolves.toBe('b');
    await expect(q.run(() => Promise.reject(new Error('sync-ish')))).rejects.toThrow('sync-ish');
    expect([q.running, q.backlog]).toEqual([0, 0]);
  });

  it('a job waits while requests are waiting for their ack, then starts', async () => {
    let acksDue = true;
    const q = new BackgroundQueue({ concurrency: 2, maxBacklog: 5, yieldWhile: () => acksDue, maxDeferMs: 60_000 });
    const log: string[] = [];
    const done = q.run(async () => void log.push('ran'));
    await new Promise((r) => setTimeout(r, 30));
    expect(log).toEqual([]);
    acksDue = false;
    await done;
    expect(log).toEqual(['ran']);
  });

  it('a job waits for the acks at most maxDeferMs (no starvation under a steady stream)', async () => {
    const q = new BackgroundQueue({ concurrency: 1, maxBacklog: 5, yieldWhile: () => true, maxDeferMs: 20 });
    await expect(q.run(async () => 'ran anyway')).resolves.toBe('ran anyway');
  });

  it('enter() takes a slot for work the caller runs itself, in turn, and gives it back on release', async () => {
    const q = new BackgroundQueue({ concurrency: 1, maxBacklog: 1 });
    const releaseA = await q.enter();
    expect([q.running, q.backlog]).toEqual([1, 0]);
    let bEntered = false;
    const b = q.enter().then((release) => {
      bEntered = true;
      return release;
    });
    await turn();
    expect(bEntered).toBe(false);
    expect(q.full).toBe(true);
    // Full: a third caller is refused at once and takes nothing.
    await expect(q.enter()).rejects.toBeInstanceOf(BusyError);
    releaseA();
    const releaseB = await b;
    expect(bEntered).toBe(true);
    expect([q.running, q.backlog]).toEqual([1, 0]);
    releaseB();
    await turn();
    expect([q.running, q.backlog]).toEqual([0, 0]);
  });

  it('refuses limits that could never run anything', () => {
    expect(() => new BackgroundQueue({ concurrency: 0, maxBacklog: 1 })).toThrow(/limits/);
    expect(() => new BackgroundQueue({ concurrency: 1, maxBacklog: -1 })).toThrow(/limits/);
  });
});

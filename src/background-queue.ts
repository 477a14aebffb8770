/**
 * The work a Slack request starts after its ack (lookups, playbook steps, card updates and
 * replies) runs through one bounded queue per process: at most `concurrency` jobs at a time,
 * at most `maxBacklog` waiting. A burst of commands is acknowledged at once and worked off a
 * few at a time, so the event loop stays free to acknowledge the next request within Slack's
 * 3 s; a request beyond the backlog is told plainly that the bot is busy, and nothing is
 * started for it.
 *
 * A job's promise settles with the job's own result, so a listener that awaits it still
 * reports errors through the app's one error path and still counts as in flight at shutdown.
 */
import { KeyguardError } from './errors';

export interface BackgroundQueueOptions {
  /** Jobs running at once. */
  concurrency: number;
  /** Jobs waiting for a turn; one more is refused with BusyError. */
  maxBacklog: number;
  /**
   * True while requests are waiting for their ack (the HTTP front door's count): a job about
   * to start waits until they are answered, at most `maxDeferMs`, so acks come first.
   */
  yieldWhile?: () => boolean;
  /** Longest a job waits for the acks before it starts anyway (no starvation). Default 2000. */
  maxDeferMs?: number;
}

/** Four at a time: a few incidents' playbooks and lookups side by side, without crowding the acks. */
export const DEFAULT_BACKGROUND: BackgroundQueueOptions = { concurrency: 4, maxBacklog: 200 };

export const BUSY_MESSAGE = 'keyguard is busy right now (too many requests at once); nothing was done for this one. Try again in a minute.';

export class BusyError extends KeyguardError {
  constructor() {
    super('NOT_AVAILABLE', BUSY_MESSAGE);
  }
}

export class BackgroundQueue {
  private active = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(private readonly opts: BackgroundQueueOptions = DEFAULT_BACKGROUND) {
    if (!(opts.concurrency >= 1) || !(opts.maxBacklog >= 0)) throw new Error(`bad background queue limits: ${JSON.stringify(opts)}`);
  }

  /** Jobs running now. */
  get running(): number {
    return this.active;
  }

  /** Jobs waiting for a turn. */
  get backlog(): number {
    return this.waiting.length;
  }

  /** True when a job queued now would be refused (answer "busy" before acknowledging). */
  get full(): boolean {
    return this.active >= this.opts.concurrency && this.waiting.length >= this.opts.maxBacklog;
  }

  /** Run `job` when a slot is free; rejects with BusyError, without running it, when full. */
  run<T>(job: () => Promise<T>): Promise<T> {
    if (this.active < this.opts.concurrency) {
      this.active++;
      return this.execute(job);
    }
    if (this.waiting.length >= this.opts.maxBacklog) return Promise.reject(new BusyError());
    return new Promise<T>((resolve, reject) => {
      this.waiting.push(() => void this.execute(job).then(resolve, reject));
    });
  }

  /**
   * Take a slot for work the caller runs itself (a handler that goes on after its ack): the
   * slot is counted at once, the promise resolves when it is the caller's turn, with the
   * function that gives it back. Rejects with BusyError, taking nothing, when full.
   */
  async enter(): Promise<() => void> {
    let release!: () => void;
    const finished = new Promise<void>((r) => (release = r));
    let started!: () => void;
    const turn = new Promise<void>((r) => (started = r));
    const job = this.run(() => {
      started();
      return finished;
    });
    await Promise.race([turn, job]);
    return release;
  }

  private async yieldToAcks(): Promise<void> {
    const waiting = this.opts.yieldWhile;
    if (!waiting) return;
    const until = Date.now() + (this.opts.maxDeferMs ?? 2000);
    while (waiting() && Date.now() < until) await new Promise((r) => setTimeout(r, 2));
  }

  /** Runs in a slot already counted in `active`; hands the slot to the next job, if any. */
  private async execute<T>(job: () => Promise<T>): Promise<T> {
    try {
      if (this.opts.yieldWhile) await this.yieldToAcks();
      return await job();
    } finally {
      const next = this.waiting.shift();
      // The next job starts after pending I/O (new requests to acknowledge) has had its turn.
      if (next) setImmediate(next);
      else this.active--;
    }
  }
}

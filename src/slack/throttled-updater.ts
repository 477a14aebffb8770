/**
 * A per-process budget of chat.update calls shared by every progress message (Tier 3 is
 * about 50 a minute per workspace; progress may use part of it, the incident cards the rest).
 * A token bucket: `tryTake` says whether an update may go now.
 */
export class UpdateBudget {
  private tokens: number;
  private last: number;
  constructor(private readonly perMinute: number, private readonly now: () => number = Date.now) {
    this.tokens = perMinute / 6; // a 10-second burst
    this.last = now();
  }
  tryTake(): boolean {
    const t = this.now();
    this.tokens = Math.min(this.perMinute / 6, this.tokens + ((t - this.last) / 60_000) * this.perMinute);
    this.last = t;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}

/** Progress updates for the whole process: 30 a minute, leaving room for the incident cards. */
const PROGRESS_BUDGET = new UpdateBudget(30);

/**
 * Keeps one Slack message up to date without exceeding chat.update's Tier 3 rate: at most
 * one update per interval, never two in flight, within the shared budget (an update the
 * budget has no room for waits for the next interval), and the latest state always wins.
 */
export class ThrottledUpdater<T> {
  private last = Number.NEGATIVE_INFINITY;
  private inFlight?: Promise<void>;
  private pending?: T;
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly send: (view: T) => Promise<unknown>,
    private readonly intervalMs: number,
    private readonly now: () => number = Date.now,
    private readonly budget: Pick<UpdateBudget, 'tryTake'> = PROGRESS_BUDGET,
  ) {}

  push(view: T): void {
    this.pending = view;
    if (this.inFlight || this.timer) return;
    const wait = this.last + this.intervalMs - this.now();
    if (wait <= 0) this.fire();
    else this.timer = setTimeout(() => {
      this.timer = undefined;
      this.fire();
    }, wait);
  }

  private fire(): void {
    const view = this.pending;
    if (view === undefined) return;
    if (!this.budget.tryTake()) {
      // No room in the shared budget: try again after another interval, with the latest state.
      this.last = this.now();
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.fire();
      }, this.intervalMs);
      return;
    }
    this.pending = undefined;
    this.last = this.now();
    this.inFlight = this.send(view)
      .then(() => undefined, () => undefined) // progress is best effort; the caller sends the final state
      .finally(() => {
        this.inFlight = undefined;
        if (this.pending !== undefined) this.push(this.pending);
      });
  }

  /** Drop anything pending and wait for the update in flight: the caller sends the final state. */
  async stop(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.pending = undefined;
    await this.inFlight;
  }
}

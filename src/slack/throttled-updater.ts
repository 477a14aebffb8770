/**
 * Keeps one Slack message up to date without exceeding chat.update's Tier 3 rate: at most
 * one update per interval, never two in flight, and the latest state always wins.
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

/**
 * A bounded async queue between producers (one per region) and a single consumer. When the
 * consumer is slower than the producers, `put` waits: that back-pressure is what keeps
 * memory flat however many events a pull returns.
 */
export class BoundedQueue<T> {
  private readonly items: T[] = [];
  private readonly waitingTakers: Array<(item: T | undefined) => void> = [];
  private readonly waitingPutters: Array<() => void> = [];
  private closed = false;

  constructor(private readonly capacity: number) {
    if (!(capacity >= 1)) throw new RangeError('capacity must be at least 1');
  }

  /**
   * Adds an item, waiting while the queue is full. Resolves false, dropping the item, once
   * the queue is closed (the consumer has gone away).
   */
  async put(item: T): Promise<boolean> {
    while (!this.closed && this.items.length >= this.capacity && this.waitingTakers.length === 0) {
      await new Promise<void>((resolve) => this.waitingPutters.push(resolve));
    }
    if (this.closed) return false;
    const taker = this.waitingTakers.shift();
    if (taker) taker(item);
    else this.items.push(item);
    return true;
  }

  /** The next item, or undefined once the queue is closed and drained. */
  take(): Promise<T | undefined> {
    if (this.items.length > 0) {
      const item = this.items.shift()!;
      this.waitingPutters.shift()?.();
      return Promise.resolve(item);
    }
    if (this.closed) return Promise.resolve(undefined);
    return new Promise((resolve) => this.waitingTakers.push(resolve));
  }

  /** No more puts; takers drain what is left, then get undefined. */
  close(): void {
    this.closed = true;
    for (const resolve of this.waitingPutters.splice(0)) resolve();
    if (this.items.length === 0) for (const resolve of this.waitingTakers.splice(0)) resolve(undefined);
  }

  get length(): number {
    return this.items.length;
  }
}

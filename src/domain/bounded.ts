/**
 * Bounded collections for streaming aggregation. An attacker controls how many distinct
 * user agents, IPs and events there are, so nothing that grows with the input may be kept
 * without a cap. Pure.
 */

export interface Tally {
  key: string;
  count: number;
  firstMs: number;
  lastMs: number;
}

/**
 * Counts per key, with first and last time seen. Keeps at most `maxKeys` distinct keys;
 * later new keys are counted in `overflow` (the first ones seen win, which keeps memory
 * fixed and is good enough: the cap is far above what a summary shows).
 */
export class CappedTally {
  private readonly byKey = new Map<string, Tally>();
  /** Events whose key arrived after the cap was reached. */
  overflowCount = 0;
  /** Distinct keys refused by the cap (counted once per add, so an upper bound). */
  overflowKeys = 0;

  constructor(private readonly maxKeys: number) {}

  add(key: string, timeMs: number): void {
    const t = this.byKey.get(key);
    if (t) {
      t.count++;
      if (timeMs < t.firstMs) t.firstMs = timeMs;
      if (timeMs > t.lastMs) t.lastMs = timeMs;
      return;
    }
    if (this.byKey.size >= this.maxKeys) {
      this.overflowCount++;
      this.overflowKeys++;
      return;
    }
    this.byKey.set(key, { key, count: 1, firstMs: timeMs, lastMs: timeMs });
  }

  get size(): number {
    return this.byKey.size;
  }

  /** Most frequent first; ties by key so the output is deterministic. */
  sorted(): Tally[] {
    return [...this.byKey.values()].sort((a, b) => b.count - a.count || a.key.localeCompare(b.key));
  }
}

/**
 * Keeps the `capacity` best items seen, by `better(a, b) > 0` when a is better than b.
 * A binary min-heap with the worst kept item at the root: O(log n) per add, fixed memory.
 */
export class BestOf<T> {
  private readonly heap: T[] = [];
  /** Items seen and not kept. */
  dropped = 0;

  constructor(
    private readonly capacity: number,
    private readonly better: (a: T, b: T) => number,
  ) {}

  add(item: T): void {
    if (this.capacity <= 0) {
      this.dropped++;
      return;
    }
    if (this.heap.length < this.capacity) {
      this.heap.push(item);
      this.siftUp(this.heap.length - 1);
      return;
    }
    this.dropped++;
    if (this.better(item, this.heap[0]) > 0) {
      this.heap[0] = item;
      this.siftDown(0);
    }
  }

  get size(): number {
    return this.heap.length;
  }

  items(): T[] {
    return [...this.heap];
  }

  /** True when a should sit above b in the min-heap, i.e. a is worse. */
  private worse(a: T, b: T): boolean {
    return this.better(a, b) < 0;
  }

  private siftUp(i: number): void {
    const h = this.heap;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.worse(h[i], h[parent])) break;
      [h[i], h[parent]] = [h[parent], h[i]];
      i = parent;
    }
  }

  private siftDown(i: number): void {
    const h = this.heap;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let worst = i;
      if (l < h.length && this.worse(h[l], h[worst])) worst = l;
      if (r < h.length && this.worse(h[r], h[worst])) worst = r;
      if (worst === i) return;
      [h[i], h[worst]] = [h[worst], h[i]];
      i = worst;
    }
  }
}

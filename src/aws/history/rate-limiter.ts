/**
 * Request pacing for APIs with a per-region rate limit (CloudTrail LookupEvents: 2 requests
 * per second per account per region).
 *
 * Each region gets its own limiter that hands out start times spaced 1/rate apart, so a
 * region never sends faster than the configured rate however many streams share it. The
 * default rate, 1.9/s, stays just under the limit: close enough to get ~95 % of the ceiling,
 * far enough that clock jitter does not trip it.
 *
 * The limit is per *account*, so anything else reading the same account's CloudTrail (a
 * second /trail, the watch) competes for it. When a throttle comes back anyway the limiter
 * halves its rate and then climbs back by 5 % of the target per success (AIMD), instead of
 * hammering at the configured rate.
 */
import { sleep } from '../../sleep';

export const CLOUDTRAIL_REQUESTS_PER_SECOND = 2;
const DEFAULT_REQUESTS_PER_SECOND = 1.9;

export interface RateLimiterOptions {
  /** Target rate per region. Default 1.9 (CloudTrail allows 2). */
  requestsPerSecond?: number;
  /** The rate never drops below this after throttles. Default: a tenth of the target. */
  minRequestsPerSecond?: number;
  now?: () => number;
}

export { abortReason, sleep } from '../../sleep';

class RegionRateLimiter {
  private readonly target: number;
  private readonly floor: number;
  private readonly now: () => number;
  private rate: number;
  /** Earliest time the next request may start, epoch ms. */
  private nextStartMs = Number.NEGATIVE_INFINITY;

  constructor(options: RateLimiterOptions = {}) {
    this.target = options.requestsPerSecond ?? DEFAULT_REQUESTS_PER_SECOND;
    if (!(this.target > 0)) throw new RangeError('requestsPerSecond must be positive');
    this.floor = Math.min(this.target, options.minRequestsPerSecond ?? this.target / 10);
    this.rate = this.target;
    this.now = options.now ?? Date.now;
  }

  /** The rate in force now (lower than the target after throttles). */
  get currentRate(): number {
    return this.rate;
  }

  /**
   * Waits for this caller's turn. Slots are reserved synchronously, so concurrent callers
   * line up one interval apart instead of all waking at once.
   */
  async acquire(signal?: AbortSignal): Promise<void> {
    const now = this.now();
    const start = Math.max(now, this.nextStartMs);
    this.nextStartMs = start + 1000 / this.rate;
    await sleep(start - now, signal);
  }

  onThrottled(): void {
    this.rate = Math.max(this.floor, this.rate / 2);
    // Push the next slot out too: the requests already queued were paced for the old rate.
    this.nextStartMs = Math.max(this.nextStartMs, this.now()) + 1000 / this.rate;
  }

  onSuccess(): void {
    this.rate = Math.min(this.target, this.rate + this.target * 0.05);
  }
}

/**
 * One limiter per region. Share one pool between everything that reads the same account's
 * CloudTrail, so that together they stay under the account's limit.
 */
export class RateLimiterPool {
  private readonly limiters = new Map<string, RegionRateLimiter>();

  constructor(private readonly options: RateLimiterOptions = {}) {}

  forRegion(region: string): RegionRateLimiter {
    let limiter = this.limiters.get(region);
    if (!limiter) {
      limiter = new RegionRateLimiter(this.options);
      this.limiters.set(region, limiter);
    }
    return limiter;
  }

  get requestsPerSecond(): number {
    return this.options.requestsPerSecond ?? DEFAULT_REQUESTS_PER_SECOND;
  }
}

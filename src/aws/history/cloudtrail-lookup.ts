/**
 * The CloudTrail engine behind `/trail`, the Investigate step and the watch: a principal's
 * LookupEvents history from many regions, as one stream, at the API's speed limit.
 *
 * - Regions run in parallel, each paced by its own limiter (rate-limiter.ts) just under
 *   2 requests/s. ThrottlingException is retried with backoff and never ends a region.
 *   The SDK's own retries must be off (see createCloudTrailClientFactory) so that every
 *   request, retries included, goes through the limiter.
 * - One lookup attribute per call is all the API allows, so a user is looked up twice
 *   (AccessKeyId and Username). Each region merges its streams newest first; a duplicate
 *   (an event found by both) has the same EventTime as its twin, so remembering the ids
 *   delivered at the current timestamp is enough to drop it. Memory for dedup is bounded
 *   by the events in one second, not by the size of the pull.
 * - Events are yielded one at a time through a bounded queue; producers wait when the
 *   consumer is slow. Nothing holds a whole pull in memory.
 * - Resumable: `cursor()` is plain JSON (per region: the NextToken of each stream's current
 *   page and the watermark above). A later run given that cursor re-fetches at most one
 *   page per stream and skips what was already delivered, so it delivers each event once.
 *   An expired NextToken restarts that stream from the top, the watermark skipping what
 *   was delivered.
 */
import { CloudTrailClient, CloudTrailClientConfig, Event, LookupAttributeKey, LookupEventsCommand } from '@aws-sdk/client-cloudtrail';
import { awsErrorName, isThrottled, KeyguardError } from '../../errors';
import { BoundedQueue } from './bounded-queue';
import { abortReason, RateLimiterPool, sleep } from './rate-limiter';

export type CloudTrailClientFactory = (region: string) => CloudTrailClient;

/**
 * Regional clients with the SDK's retries off (maxAttempts 1): throttles must come back to
 * the engine, which waits for the limiter before retrying. A request timeout turns a hung
 * connection into a retryable TimeoutError instead of a pull that never ends. Clients are
 * cached per region.
 */
export function createCloudTrailClientFactory(config: Omit<CloudTrailClientConfig, 'region' | 'maxAttempts'> = {}): CloudTrailClientFactory {
  const clients = new Map<string, CloudTrailClient>();
  return (region) => {
    let client = clients.get(region);
    if (!client) {
      client = new CloudTrailClient({
        requestHandler: { connectionTimeout: 5_000, requestTimeout: 30_000 },
        ...config,
        region,
        maxAttempts: 1,
      });
      clients.set(region, client);
    }
    return client;
  };
}

export interface LookupAttributeSpec {
  key: LookupAttributeKey;
  value: string;
}

/** The lookups for a principal: its key, and for a user also its name (console and other keys). */
export function principalLookupAttributes(p: { accessKeyId?: string; userName?: string }): LookupAttributeSpec[] {
  const attrs: LookupAttributeSpec[] = [];
  if (p.accessKeyId) attrs.push({ key: 'AccessKeyId', value: p.accessKeyId });
  if (p.userName) attrs.push({ key: 'Username', value: p.userName });
  if (attrs.length === 0) throw new KeyguardError('BAD_INPUT', 'Give an access key id or a user name to look up.');
  return attrs;
}

export interface LookupWindow {
  start: Date;
  end: Date;
}

/** Where one attribute's paging stands in a region. */
export interface StreamCursor {
  /** Token of the page to fetch next; absent means the first page. */
  nextToken?: string;
  done: boolean;
}

export interface RegionCursor {
  state: 'pending' | 'in-progress' | 'done' | 'failed';
  /** One per lookup attribute, in the order of `attributes`. */
  streams: StreamCursor[];
  /** Newest-first position of the last delivered event: its time and the ids delivered at that time. */
  watermark?: { timeMs: number; ids: string[] };
}

/** Everything needed to resume a pull; plain JSON, safe to store. */
export interface LookupCursor {
  version: 1;
  attributes: LookupAttributeSpec[];
  window: { startMs: number; endMs: number };
  regions: Record<string, RegionCursor>;
}

export type { LookupProgress, RegionFailure } from '../../domain/trail-progress';
import type { LookupProgress, RegionFailure } from '../../domain/trail-progress';

export interface LookedUpEvent {
  region: string;
  event: Event;
}

export interface RetryOptions {
  /** First backoff after a throttle; doubles each time. Default: one request interval. */
  throttleBaseDelayMs?: number;
  /** Backoff cap. Default 20 s. */
  maxThrottleDelayMs?: number;
  /** Total throttle backoff one page may accumulate before its region is reported failed. Default 10 min. */
  maxThrottleWaitMs?: number;
  /** Retries of 5xx and network errors per page. Default 4. */
  transientRetries?: number;
}

export interface CloudTrailLookupOptions {
  clientFor: CloudTrailClientFactory;
  attributes: LookupAttributeSpec[];
  window: LookupWindow;
  regions: readonly string[];
  /** Share one pool across lookups of the same account. Default: a new pool at `requestsPerSecond`. */
  limiters?: RateLimiterPool;
  requestsPerSecond?: number;
  resumeFrom?: LookupCursor;
  onProgress?: (p: LookupProgress) => void;
  /** onProgress is called at most this often, plus when a region ends and at the end. Default 1 s. */
  progressIntervalMs?: number;
  retry?: RetryOptions;
  /** Events buffered between the regions and the consumer. Default 500 (ten pages). */
  bufferSize?: number;
  /** Events per page. Default 50, the API's maximum. */
  pageSize?: number;
  signal?: AbortSignal;
  now?: () => number;
  random?: () => number;
}

type QueueItem =
  | { kind: 'event'; region: string; event: Event; checkpoint: RegionCheckpoint }
  | { kind: 'region-done'; region: string }
  | { kind: 'region-failed'; region: string; failure: RegionFailure };

/** A region's state right after an event was emitted; committed when the consumer gets it. */
interface RegionCheckpoint {
  streams: StreamCursor[];
  watermarkMs: number;
  /** The live id set of the watermark's timestamp, and how many of its ids were delivered. */
  watermarkIds: Set<string>;
  watermarkCount: number;
}

interface StreamState {
  attribute: LookupAttributeSpec;
  buffer: Event[];
  pos: number;
  /** The token that fetched the buffered page (a resume re-fetches it). */
  pageToken?: string;
  nextToken?: string;
  lastPageFetched: boolean;
}

const DEFAULT_BUFFER = 500;
const MAX_PAGE_SIZE = 50;

function eventMillis(e: Event): number {
  return e.EventTime instanceof Date ? e.EventTime.getTime() : Number.NEGATIVE_INFINITY;
}

function sameAttributes(a: readonly LookupAttributeSpec[], b: readonly LookupAttributeSpec[]): boolean {
  return a.length === b.length && a.every((x, i) => x.key === b[i].key && x.value === b[i].value);
}

function isTransient(e: unknown): boolean {
  const status = (e as { $metadata?: { httpStatusCode?: number } })?.$metadata?.httpStatusCode;
  if (status !== undefined) return status >= 500;
  // No HTTP status: the request never got an answer (reset, timeout, DNS).
  return ['TimeoutError', 'RequestTimeout', 'ECONNRESET', 'EPIPE', 'ECONNREFUSED', 'ETIMEDOUT'].some(
    (n) => awsErrorName(e) === n || (e as { code?: string })?.code === n,
  );
}

export class CloudTrailLookup {
  private readonly opts: CloudTrailLookupOptions;
  private readonly limiters: RateLimiterPool;
  private readonly now: () => number;
  private readonly random: () => number;
  private readonly regionCursors = new Map<string, RegionCursor>();
  /** Each region's checkpoint after its last delivered event; turned into a RegionCursor only when asked. */
  private readonly checkpoints = new Map<string, RegionCheckpoint>();
  private readonly stats = { events: 0, duplicatesDropped: 0, pages: 0, throttled: 0 };
  private readonly failures: RegionFailure[] = [];
  private readonly internalAbort = new AbortController();
  private startedAtMs?: number;
  private finishedAtMs?: number;
  private lastProgressMs = Number.NEGATIVE_INFINITY;
  private iterated = false;

  constructor(options: CloudTrailLookupOptions) {
    if (options.attributes.length === 0) throw new KeyguardError('BAD_INPUT', 'Nothing to look up: no lookup attribute given.');
    if (options.window.start.getTime() > options.window.end.getTime()) {
      throw new KeyguardError('BAD_INPUT', 'The start of the time window is after its end.');
    }
    this.opts = options;
    this.limiters = options.limiters ?? new RateLimiterPool({ requestsPerSecond: options.requestsPerSecond, now: options.now });
    this.now = options.now ?? Date.now;
    this.random = options.random ?? Math.random;
    const resume = options.resumeFrom;
    if (resume) this.checkResumable(resume);
    for (const region of new Set(options.regions)) {
      const saved = resume?.regions[region];
      this.regionCursors.set(
        region,
        saved
          ? structuredClone(saved)
          : { state: 'pending', streams: options.attributes.map(() => ({ done: false })) },
      );
    }
  }

  /** The resume point: covers every event yielded so far. */
  cursor(): LookupCursor {
    return {
      version: 1,
      attributes: this.opts.attributes.map((a) => ({ ...a })),
      window: { startMs: this.opts.window.start.getTime(), endMs: this.opts.window.end.getTime() },
      regions: Object.fromEntries([...this.regionCursors].map(([r, c]) => [r, this.regionCursor(r, c)])),
    };
  }

  private regionCursor(region: string, c: RegionCursor): RegionCursor {
    const cp = this.checkpoints.get(region);
    if (!cp || c.state === 'done') return structuredClone(c);
    return {
      state: c.state,
      streams: cp.streams.map((s) => ({ ...s })),
      watermark: { timeMs: cp.watermarkMs, ids: [...cp.watermarkIds].slice(0, cp.watermarkCount) },
    };
  }

  progress(): LookupProgress {
    const cursors = [...this.regionCursors.values()];
    const end = this.finishedAtMs ?? this.now();
    return {
      regionsTotal: cursors.length,
      regionsDone: cursors.filter((c) => c.state === 'done').length,
      regionsFailed: [...this.failures],
      ...this.stats,
      elapsedMs: this.startedAtMs === undefined ? 0 : end - this.startedAtMs,
      finished: this.finishedAtMs !== undefined,
    };
  }

  /** The events, one at a time, deduplicated. Iterate once; breaking out stops every region. */
  async *events(): AsyncGenerator<LookedUpEvent> {
    if (this.iterated) throw new Error('CloudTrailLookup.events() can only be iterated once');
    this.iterated = true;
    this.startedAtMs = this.now();
    const external = this.opts.signal;
    const onExternalAbort = () => this.internalAbort.abort(abortReason(external!));
    if (external?.aborted) onExternalAbort();
    external?.addEventListener('abort', onExternalAbort, { once: true });

    const queue = new BoundedQueue<QueueItem>(this.opts.bufferSize ?? DEFAULT_BUFFER);
    const toRun = [...this.regionCursors].filter(([, c]) => c.state !== 'done').map(([r]) => r);
    const workers = toRun.map((region) => this.runRegion(region, queue));
    const allSettled = Promise.allSettled(workers).then(() => queue.close());
    try {
      for (;;) {
        const item = await queue.take();
        if (item === undefined) break;
        if (item.kind === 'event') {
          this.commit(item.region, item.checkpoint);
          this.stats.events++;
          this.reportProgress(false);
          yield { region: item.region, event: item.event };
        } else if (item.kind === 'region-done') {
          this.regionCursors.set(item.region, { state: 'done', streams: this.opts.attributes.map(() => ({ done: true })) });
          this.checkpoints.delete(item.region);
          this.reportProgress(true);
        } else {
          this.regionCursors.get(item.region)!.state = 'failed';
          this.failures.push(item.failure);
          this.reportProgress(true);
        }
      }
      if (external?.aborted) throw abortReason(external);
    } finally {
      this.internalAbort.abort();
      queue.close();
      await allSettled;
      external?.removeEventListener('abort', onExternalAbort);
      this.finishedAtMs = this.now();
      this.reportProgress(true);
    }
  }

  private checkResumable(c: LookupCursor): void {
    const w = this.opts.window;
    if (c.version !== 1 || !sameAttributes(c.attributes, this.opts.attributes) || c.window.startMs !== w.start.getTime() || c.window.endMs !== w.end.getTime()) {
      throw new KeyguardError('BAD_INPUT', 'That saved position belongs to a different lookup (other principal or time window).');
    }
  }

  /** Cheap on purpose (it runs per event): the cursor is built from the checkpoint only when asked for. */
  private commit(region: string, cp: RegionCheckpoint): void {
    this.regionCursors.get(region)!.state = 'in-progress';
    this.checkpoints.set(region, cp);
  }

  private reportProgress(force: boolean): void {
    const { onProgress } = this.opts;
    if (!onProgress) return;
    const now = this.now();
    if (!force && now - this.lastProgressMs < (this.opts.progressIntervalMs ?? 1000)) return;
    this.lastProgressMs = now;
    onProgress(this.progress());
  }

  /** Fetches, merges and dedups one region's streams into the queue. Never throws. */
  private async runRegion(region: string, queue: BoundedQueue<QueueItem>): Promise<void> {
    const signal = this.internalAbort.signal;
    const saved = this.regionCursors.get(region)!;
    const streams: StreamState[] = this.opts.attributes.map((attribute, i) => {
      const s = saved.streams[i] ?? { done: false };
      return { attribute, buffer: [], pos: 0, pageToken: s.nextToken, nextToken: s.nextToken, lastPageFetched: s.done };
    });
    let wmMs = saved.watermark?.timeMs ?? Number.POSITIVE_INFINITY;
    let wmIds = new Set(saved.watermark?.ids ?? []);
    try {
      for (;;) {
        for (const s of streams) {
          while (s.pos >= s.buffer.length && !s.lastPageFetched) await this.fetchPage(region, s, signal);
        }
        // Merge: the stream whose next event is newest goes first.
        let next: StreamState | undefined;
        for (const s of streams) {
          if (s.pos < s.buffer.length && (!next || eventMillis(s.buffer[s.pos]) > eventMillis(next.buffer[next.pos]))) next = s;
        }
        if (!next) break;
        const event = next.buffer[next.pos++];
        const t = eventMillis(event);
        const id = event.EventId ?? '';
        // Newer than the watermark, or at it and already seen: delivered before (a twin, or before a resume).
        if (t > wmMs || (t === wmMs && wmIds.has(id))) {
          this.stats.duplicatesDropped++;
          continue;
        }
        if (t < wmMs) {
          wmMs = t;
          wmIds = new Set();
        }
        wmIds.add(id);
        const checkpoint: RegionCheckpoint = {
          streams: streams.map(streamCursor),
          watermarkMs: wmMs,
          watermarkIds: wmIds,
          watermarkCount: wmIds.size,
        };
        if (!(await queue.put({ kind: 'event', region, event, checkpoint }))) return;
      }
      await queue.put({ kind: 'region-done', region });
    } catch (e) {
      if (signal.aborted) return;
      await queue.put({
        kind: 'region-failed',
        region,
        failure: { region, errorName: awsErrorName(e) ?? 'Error', message: e instanceof Error ? e.message : String(e) },
      });
    }
  }

  /** One page into `s.buffer`, retrying throttles (paced by the limiter) and transient errors. */
  private async fetchPage(region: string, s: StreamState, signal: AbortSignal): Promise<void> {
    const limiter = this.limiters.forRegion(region);
    const retry = this.opts.retry ?? {};
    const baseDelay = retry.throttleBaseDelayMs ?? 1000 / this.limiters.requestsPerSecond;
    const maxDelay = retry.maxThrottleDelayMs ?? 20_000;
    const maxThrottleWait = retry.maxThrottleWaitMs ?? 10 * 60_000;
    let throttles = 0;
    let throttleWaitMs = 0;
    let transientFailures = 0;
    let restarted = false;
    for (;;) {
      await limiter.acquire(signal);
      try {
        const response = await this.opts.clientFor(region).send(
          new LookupEventsCommand({
            LookupAttributes: [{ AttributeKey: s.attribute.key, AttributeValue: s.attribute.value }],
            StartTime: this.opts.window.start,
            EndTime: this.opts.window.end,
            MaxResults: Math.min(this.opts.pageSize ?? MAX_PAGE_SIZE, MAX_PAGE_SIZE),
            NextToken: s.nextToken,
          }),
          { abortSignal: signal },
        );
        limiter.onSuccess();
        this.stats.pages++;
        s.buffer = response.Events ?? [];
        s.pos = 0;
        s.pageToken = s.nextToken;
        s.nextToken = response.NextToken;
        s.lastPageFetched = !response.NextToken;
        return;
      } catch (e) {
        if (signal.aborted) throw e;
        const name = awsErrorName(e);
        if (isThrottled(e)) {
          this.stats.throttled++;
          limiter.onThrottled();
          // Exponential backoff with jitter, on top of the limiter's own slowdown.
          const delay = Math.min(maxDelay, baseDelay * 2 ** throttles++) * (0.5 + this.random() / 2);
          throttleWaitMs += delay;
          if (throttleWaitMs > maxThrottleWait) throw e;
          await sleep(delay, signal);
        } else if (name === 'InvalidNextTokenException' && s.nextToken !== undefined && !restarted) {
          // Tokens expire. Start the stream over; the watermark skips what was delivered.
          restarted = true;
          s.nextToken = undefined;
        } else if (isTransient(e) && transientFailures < (retry.transientRetries ?? 4)) {
          await sleep(baseDelay * 2 ** transientFailures++ * (0.5 + this.random() / 2), signal);
        } else {
          throw e;
        }
      }
    }
  }
}

function streamCursor(s: StreamState): StreamCursor {
  if (s.pos < s.buffer.length) return s.pageToken === undefined ? { done: false } : { nextToken: s.pageToken, done: false };
  if (s.lastPageFetched) return { done: true };
  return s.nextToken === undefined ? { done: false } : { nextToken: s.nextToken, done: false };
}

/** A lookup of one attribute in one region, for callers that want events, not progress (the ASIA trace). */
export function lookupOneAttribute(options: Omit<CloudTrailLookupOptions, 'attributes' | 'regions'> & { region: string }) {
  // One pool for every lookup made through this function, so consecutive lookups share the pacing.
  const limiters = options.limiters ?? new RateLimiterPool({ requestsPerSecond: options.requestsPerSecond, now: options.now });
  return (attribute: LookupAttributeSpec): AsyncIterable<Event> => {
    const lookup = new CloudTrailLookup({ ...options, limiters, attributes: [attribute], regions: [options.region] });
    return {
      async *[Symbol.asyncIterator]() {
        for await (const { event } of lookup.events()) yield event;
        const failed = lookup.progress().regionsFailed[0];
        if (failed) {
          throw new KeyguardError('AWS_FAILED', `CloudTrail lookup in ${failed.region} failed: ${failed.errorName}.`);
        }
      },
    };
  };
}

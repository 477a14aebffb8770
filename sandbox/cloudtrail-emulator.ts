/**
 * A CloudTrail LookupEvents emulator, because neither moto nor any other local AWS emulator
 * implements it. It speaks the real AWS JSON 1.1 wire protocol, so the real
 * `@aws-sdk/client-cloudtrail` (and the AWS CLI) talk to it unchanged:
 *
 *   POST /   X-Amz-Target: com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.LookupEvents
 *            (the JS SDK v3 sends the short form CloudTrail_20131101.LookupEvents)
 *            Content-Type: application/x-amz-json-1.1
 *   body     {"LookupAttributes":[{"AttributeKey":"AccessKeyId","AttributeValue":"AKIA…"}],
 *             "StartTime":1700000000,"EndTime":1700086400,"MaxResults":50,"NextToken":"…"}
 *   200      {"Events":[{"EventId":…,"EventTime":1700000123,…}],"NextToken":"…"}
 *   400      {"__type":"ThrottlingException","message":"Rate exceeded"}
 *
 * One endpoint serves every region (as `AWS_ENDPOINT_URL_CLOUDTRAIL` does for all regional
 * clients): the region is read from the SigV4 credential scope in the Authorization header.
 * Signatures are not verified; credentials are dummies.
 *
 * Like the real API: at most one lookup attribute a call, StartTime/EndTime inclusive,
 * MaxResults 1..50 (default 50), newest first, and a per-region rate limit (2 requests/s)
 * enforced with a token bucket. NextToken is a cursor on (EventTime, EventId) of the last
 * event returned, so events appended later (newer) do not shift a pull in progress.
 *
 * Listens on 127.0.0.1 only. `GET /__emulator/stats` answers the statistics as JSON, for
 * a bench that runs the emulator in another process.
 */
import http from 'node:http';
import { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';

export interface WireResource {
  ResourceType?: string;
  ResourceName?: string;
}

/** One event exactly as LookupEvents puts it on the wire. */
export interface WireEvent {
  EventId: string;
  EventName: string;
  ReadOnly?: string;
  AccessKeyId?: string;
  /** Epoch seconds. */
  EventTime: number;
  EventSource: string;
  Username?: string;
  Resources?: WireResource[];
  /** The full CloudTrail record, as a JSON string. */
  CloudTrailEvent: string;
}

export interface CloudTrailEmulatorOptions {
  /** Sustained LookupEvents rate per region. Real CloudTrail: 2. Raise it for fast tests. */
  requestsPerSecond?: number;
  /** Token bucket capacity: requests that may arrive back to back. Default: one second's worth (min 1). */
  burst?: number;
  /** Added to every response, to imitate network and service latency. Default 0. */
  latencyMs?: number;
  /** Entries kept in the request log. Default 100,000. */
  requestLogLimit?: number;
}

export interface RegionStats {
  requests: number;
  throttled: number;
  succeeded: number;
  /** Errors other than throttling (bad input, injected faults). */
  failed: number;
  eventsReturned: number;
}

export interface EmulatorStats {
  total: RegionStats;
  byRegion: Record<string, RegionStats>;
}

export interface RequestLogEntry {
  /** Milliseconds since the emulator started. */
  atMs: number;
  region: string;
  attribute?: string;
  hadNextToken: boolean;
  status: 'ok' | 'throttled' | 'error';
  events: number;
}

export interface InjectedFault {
  status: number;
  type: string;
  message?: string;
}

export interface CloudTrailEmulator {
  url: string;
  /** Replace a region's events (any order; the emulator sorts). */
  setEvents(region: string, events: readonly WireEvent[]): void;
  /** Add events to a region, e.g. activity that happens during a watch. */
  appendEvents(region: string, events: readonly WireEvent[]): void;
  /** Remove every event in every region. */
  clearEvents(): void;
  stats(): EmulatorStats;
  resetStats(): void;
  requestLog(): readonly RequestLogEntry[];
  /** Answer the next `times` requests for `region` with this error (after rate limiting). */
  injectFault(region: string, fault: InjectedFault, times?: number): void;
  setRateLimit(requestsPerSecond: number, burst?: number): void;
  close(): Promise<void>;
}

/**
 * The X-Amz-Target values CloudTrail accepts for LookupEvents: botocore (the AWS CLI) sends
 * the model's full name; the schema-based JS SDK v3 sends the short service-target form.
 */
const LOOKUP_EVENTS_TARGETS: ReadonlySet<string> = new Set([
  'com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.LookupEvents',
  'CloudTrail_20131101.LookupEvents',
]);
const JSON_11 = 'application/x-amz-json-1.1';
const MAX_PAGE = 50;
const ATTRIBUTE_KEYS = new Set([
  'EventId', 'EventName', 'ReadOnly', 'Username', 'ResourceType', 'ResourceName', 'EventSource', 'AccessKeyId',
]);

class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    message: string,
  ) {
    super(message);
  }
}

/** Newest first; EventId breaks ties so that the order, and so NextToken, is total. */
function newestFirst(a: WireEvent, b: WireEvent): number {
  return b.EventTime - a.EventTime || (a.EventId < b.EventId ? 1 : a.EventId > b.EventId ? -1 : 0);
}

/** True when event e comes strictly after the cursor position (time, id) in newest-first order. */
function isAfterCursor(e: WireEvent, time: number, id: string): boolean {
  return e.EventTime < time || (e.EventTime === time && e.EventId < id);
}

/** First index in a newest-first list for which `pred` holds (pred must be monotone). */
function firstIndexWhere(list: readonly WireEvent[], pred: (e: WireEvent) => boolean): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (pred(list[mid])) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

function matchesAttribute(e: WireEvent, key: string, value: string): boolean {
  switch (key) {
    case 'EventId': return e.EventId === value;
    case 'EventName': return e.EventName === value;
    case 'ReadOnly': return e.ReadOnly === value;
    case 'Username': return e.Username === value;
    case 'AccessKeyId': return e.AccessKeyId === value;
    case 'EventSource': return e.EventSource === value;
    case 'ResourceType': return (e.Resources ?? []).some((r) => r.ResourceType === value);
    case 'ResourceName': return (e.Resources ?? []).some((r) => r.ResourceName === value);
    default: return false;
  }
}

/** Events of one region, sorted once, with a cache of per-attribute lists. */
class RegionStore {
  private sorted: WireEvent[] = [];
  private readonly byAttribute = new Map<string, WireEvent[]>();

  set(events: readonly WireEvent[]): void {
    this.sorted = [...events].sort(newestFirst);
    this.byAttribute.clear();
  }

  append(events: readonly WireEvent[]): void {
    this.set([...this.sorted, ...events]);
  }

  list(attribute?: { key: string; value: string }): readonly WireEvent[] {
    if (!attribute) return this.sorted;
    const cacheKey = `${attribute.key}\u0000${attribute.value}`;
    let list = this.byAttribute.get(cacheKey);
    if (!list) {
      list = this.sorted.filter((e) => matchesAttribute(e, attribute.key, attribute.value));
      this.byAttribute.set(cacheKey, list);
    }
    return list;
  }
}

class TokenBucket {
  private tokens: number;
  private last = performance.now();

  constructor(
    private rate: number,
    private capacity: number,
  ) {
    this.tokens = capacity;
  }

  reconfigure(rate: number, capacity: number): void {
    this.rate = rate;
    this.capacity = capacity;
    this.tokens = Math.min(this.tokens, capacity);
  }

  /** Takes a token if there is one; a refused request does not consume one. */
  tryTake(): boolean {
    const now = performance.now();
    this.tokens = Math.min(this.capacity, this.tokens + ((now - this.last) / 1000) * this.rate);
    this.last = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}

interface LookupRequest {
  attribute?: { key: string; value: string };
  startTime?: number;
  endTime?: number;
  maxResults: number;
  nextToken?: string;
}

interface TokenPayload {
  q: string;
  t: number;
  id: string;
}

function queryFingerprint(r: LookupRequest): string {
  return JSON.stringify([r.attribute?.key ?? '', r.attribute?.value ?? '', r.startTime ?? null, r.endTime ?? null]);
}

function encodeToken(p: TokenPayload): string {
  return Buffer.from(JSON.stringify(p)).toString('base64');
}

function decodeToken(token: string, r: LookupRequest): TokenPayload {
  let p: Partial<TokenPayload>;
  try {
    p = JSON.parse(Buffer.from(token, 'base64').toString('utf8')) as Partial<TokenPayload>;
  } catch {
    throw new ApiError(400, 'InvalidNextTokenException', 'Invalid NextToken');
  }
  if (typeof p.t !== 'number' || typeof p.id !== 'string' || p.q !== queryFingerprint(r)) {
    // The real API refuses a token used with different parameters the same way.
    throw new ApiError(400, 'InvalidNextTokenException', 'Invalid NextToken');
  }
  return p as TokenPayload;
}

function epochSeconds(v: unknown, field: string): number | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  throw new ApiError(400, 'SerializationException', `${field} must be a timestamp in epoch seconds`);
}

function parseLookupRequest(body: unknown): LookupRequest {
  const b = (body ?? {}) as Record<string, unknown>;
  const attrs = b.LookupAttributes;
  if (attrs !== undefined && !Array.isArray(attrs)) {
    throw new ApiError(400, 'SerializationException', 'LookupAttributes must be a list');
  }
  if (Array.isArray(attrs) && attrs.length > 1) {
    throw new ApiError(400, 'InvalidLookupAttributesException', 'You cannot specify more than one lookup attribute per request.');
  }
  let attribute: LookupRequest['attribute'];
  if (Array.isArray(attrs) && attrs.length === 1) {
    const a = attrs[0] as { AttributeKey?: unknown; AttributeValue?: unknown };
    if (typeof a.AttributeKey !== 'string' || !ATTRIBUTE_KEYS.has(a.AttributeKey)) {
      throw new ApiError(400, 'InvalidLookupAttributesException', `Invalid attribute key: ${String(a.AttributeKey)}`);
    }
    if (typeof a.AttributeValue !== 'string' || a.AttributeValue.length === 0 || a.AttributeValue.length > 2000) {
      throw new ApiError(400, 'InvalidLookupAttributesException', 'AttributeValue must be 1 to 2000 characters.');
    }
    attribute = { key: a.AttributeKey, value: a.AttributeValue };
  }
  const maxResults = b.MaxResults === undefined ? MAX_PAGE : b.MaxResults;
  if (typeof maxResults !== 'number' || !Number.isInteger(maxResults) || maxResults < 1 || maxResults > MAX_PAGE) {
    throw new ApiError(400, 'InvalidMaxResultsException', 'MaxResults must be between 1 and 50.');
  }
  const startTime = epochSeconds(b.StartTime, 'StartTime');
  const endTime = epochSeconds(b.EndTime, 'EndTime');
  if (startTime !== undefined && endTime !== undefined && startTime > endTime) {
    throw new ApiError(400, 'InvalidTimeRangeException', 'Start time must be before end time.');
  }
  if (b.NextToken !== undefined && typeof b.NextToken !== 'string') {
    throw new ApiError(400, 'InvalidNextTokenException', 'Invalid NextToken');
  }
  return { attribute, startTime, endTime, maxResults, nextToken: b.NextToken as string | undefined };
}

/** One page of a lookup: events in the window, after the token's cursor, newest first. */
function lookupPage(store: RegionStore, r: LookupRequest): { events: WireEvent[]; nextToken?: string } {
  const list = store.list(r.attribute);
  // Skip events newer than EndTime (binary search: the list is newest first).
  let from = r.endTime === undefined ? 0 : firstIndexWhere(list, (e) => e.EventTime <= r.endTime!);
  if (r.nextToken) {
    const cursor = decodeToken(r.nextToken, r);
    from = Math.max(from, firstIndexWhere(list, (e) => isAfterCursor(e, cursor.t, cursor.id)));
  }
  const inWindow = (e: WireEvent | undefined) => e !== undefined && (r.startTime === undefined || e.EventTime >= r.startTime);
  const events: WireEvent[] = [];
  let i = from;
  while (events.length < r.maxResults && inWindow(list[i])) events.push(list[i++]);
  if (!inWindow(list[i]) || events.length === 0) return { events };
  const last = events[events.length - 1];
  return { events, nextToken: encodeToken({ q: queryFingerprint(r), t: last.EventTime, id: last.EventId }) };
}

/** The region of a SigV4-signed request: Credential=AKID/20240101/us-east-1/cloudtrail/aws4_request. */
function regionFromAuthorization(authorization: string | undefined): string | undefined {
  const m = /Credential=[^/,\s]+\/\d{8}\/([a-z0-9-]+)\/([a-z0-9-]+)\/aws4_request/.exec(authorization ?? '');
  return m ? m[1] : undefined;
}

function emptyStats(): RegionStats {
  return { requests: 0, throttled: 0, succeeded: 0, failed: 0, eventsReturned: 0 };
}

export async function startCloudTrailEmulator(options: CloudTrailEmulatorOptions = {}): Promise<CloudTrailEmulator> {
  let rate = options.requestsPerSecond ?? 2;
  let burst = options.burst ?? Math.max(1, rate);
  const latencyMs = options.latencyMs ?? 0;
  const logLimit = options.requestLogLimit ?? 100_000;
  const stores = new Map<string, RegionStore>();
  const buckets = new Map<string, TokenBucket>();
  const faults = new Map<string, { fault: InjectedFault; remaining: number }>();
  let byRegion = new Map<string, RegionStats>();
  let log: RequestLogEntry[] = [];
  const startedAt = performance.now();

  const storeFor = (region: string) => {
    let s = stores.get(region);
    if (!s) stores.set(region, (s = new RegionStore()));
    return s;
  };
  const bucketFor = (region: string) => {
    let b = buckets.get(region);
    if (!b) buckets.set(region, (b = new TokenBucket(rate, burst)));
    return b;
  };
  const statsFor = (region: string) => {
    let s = byRegion.get(region);
    if (!s) byRegion.set(region, (s = emptyStats()));
    return s;
  };
  const snapshot = (): EmulatorStats => {
    const total = emptyStats();
    const regions: Record<string, RegionStats> = {};
    for (const [region, s] of byRegion) {
      regions[region] = { ...s };
      for (const k of Object.keys(total) as Array<keyof RegionStats>) total[k] += s[k];
    }
    return { total, byRegion: regions };
  };

  /** Answers one LookupEvents call; throws ApiError for every AWS-style error. */
  const handleLookup = (region: string, rawBody: string, entry: RequestLogEntry): unknown => {
    const stats = statsFor(region);
    stats.requests++;
    if (!bucketFor(region).tryTake()) {
      stats.throttled++;
      entry.status = 'throttled';
      throw new ApiError(400, 'ThrottlingException', 'Rate exceeded');
    }
    const fault = faults.get(region);
    if (fault && fault.remaining > 0) {
      if (--fault.remaining === 0) faults.delete(region);
      throw new ApiError(fault.fault.status, fault.fault.type, fault.fault.message ?? fault.fault.type);
    }
    let body: unknown;
    try {
      body = rawBody.length > 0 ? JSON.parse(rawBody) : {};
    } catch {
      throw new ApiError(400, 'SerializationException', 'Request body is not JSON');
    }
    const request = parseLookupRequest(body);
    entry.attribute = request.attribute?.key;
    entry.hadNextToken = request.nextToken !== undefined;
    const page = lookupPage(storeFor(region), request);
    stats.succeeded++;
    stats.eventsReturned += page.events.length;
    entry.events = page.events.length;
    return page.nextToken ? { Events: page.events, NextToken: page.nextToken } : { Events: page.events };
  };

  const send = (res: http.ServerResponse, status: number, payload: unknown, contentType = JSON_11) => {
    const text = JSON.stringify(payload);
    const write = () => {
      if (res.destroyed) return;
      res.writeHead(status, {
        'content-type': contentType,
        'content-length': Buffer.byteLength(text),
        'x-amzn-requestid': `emu-${Math.random().toString(16).slice(2, 10)}`,
      });
      res.end(text);
    };
    if (latencyMs > 0) setTimeout(write, latencyMs);
    else write();
  };

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const rawBody = Buffer.concat(chunks).toString('utf8');
      if (req.method === 'GET' && req.url === '/__emulator/stats') {
        send(res, 200, snapshot(), 'application/json');
        return;
      }
      const region = regionFromAuthorization(req.headers.authorization);
      const entry: RequestLogEntry = { atMs: performance.now() - startedAt, region: region ?? '?', hadNextToken: false, status: 'ok', events: 0 };
      try {
        if (req.method !== 'POST') throw new ApiError(404, 'UnknownOperationException', 'Only POST is supported');
        if (!region) throw new ApiError(403, 'MissingAuthenticationTokenException', 'Missing or unsigned Authorization header');
        const target = req.headers['x-amz-target'];
        if (typeof target !== 'string' || !LOOKUP_EVENTS_TARGETS.has(target)) throw new ApiError(400, 'UnknownOperationException', `Operation not emulated: ${String(target)}`);
        if (!String(req.headers['content-type'] ?? '').startsWith(JSON_11)) {
          throw new ApiError(400, 'SerializationException', `Content-Type must be ${JSON_11}`);
        }
        send(res, 200, handleLookup(region, rawBody, entry));
      } catch (e) {
        const err = e instanceof ApiError ? e : new ApiError(500, 'InternalFailure', 'emulator error');
        if (entry.status !== 'throttled') {
          entry.status = 'error';
          if (region) statsFor(region).failed++;
        }
        send(res, err.status, { __type: err.type, message: err.message });
      } finally {
        if (log.length < logLimit) log.push(entry);
      }
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    setEvents: (region, events) => storeFor(region).set(events),
    appendEvents: (region, events) => storeFor(region).append(events),
    clearEvents: () => stores.clear(),
    stats: snapshot,
    resetStats: () => {
      byRegion = new Map();
      log = [];
    },
    requestLog: () => log,
    injectFault: (region, fault, times = 1) => faults.set(region, { fault, remaining: times }),
    setRateLimit: (requestsPerSecond, newBurst) => {
      rate = requestsPerSecond;
      burst = newBurst ?? Math.max(1, requestsPerSecond);
      for (const b of buckets.values()) b.reconfigure(rate, burst);
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Keep-alive sockets of SDK clients would otherwise hold close() open.
        server.closeAllConnections();
      }),
  };
}

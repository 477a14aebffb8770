/**
 * One CloudTrail event as the rest of keyguard sees it: parsed once, typed, with the fields
 * a responder reads. Pure: no SDK import (the SDK's `Event` fits `RawLookupEvent`
 * structurally), no clock.
 *
 * LookupEvents returns a few top-level fields plus `CloudTrailEvent`, the full record as a
 * JSON string. The interesting facts (source IP, user agent, error code, request
 * parameters) are only in that string, so it is parsed here and nowhere else.
 */
import { DateTime } from 'luxon';

/** The shape LookupEvents returns for one event (the SDK's `Event`, without importing it). */
export interface RawLookupEvent {
  EventId?: string;
  EventName?: string;
  /** The SDK gives a Date; JSON on the wire carries epoch seconds; stored copies may hold ISO text. */
  EventTime?: Date | number | string;
  EventSource?: string;
  Username?: string;
  AccessKeyId?: string;
  ReadOnly?: string;
  Resources?: ReadonlyArray<{ ResourceType?: string; ResourceName?: string }>;
  CloudTrailEvent?: string;
}

/** `userIdentity` of a CloudTrail record, the parts keyguard reads. */
export interface TrailIdentity {
  type?: string;
  arn?: string;
  accountId?: string;
  principalId?: string;
  accessKeyId?: string;
  userName?: string;
  /** For AssumedRole/FederatedUser sessions: the role or user that issued the session. */
  sessionIssuerArn?: string;
  /** For SAML and web identity users. */
  identityProvider?: string;
  /** For calls made by an AWS service on the principal's behalf. */
  invokedBy?: string;
}

export interface TrailEvent {
  id: string;
  /** ISO 8601, UTC, millisecond precision: what the timeline and exports show. */
  time: string;
  /** Epoch milliseconds: what sorting and windows compare. */
  timeMs: number;
  name: string;
  /** e.g. iam.amazonaws.com */
  source: string;
  region: string;
  sourceIp?: string;
  userAgent?: string;
  errorCode?: string;
  errorMessage?: string;
  readOnly?: boolean;
  accessKeyId?: string;
  /** The LookupEvents `Username`: an IAM user name, or a role session name. */
  userName?: string;
  identity: TrailIdentity;
  requestParameters: Record<string, unknown> | null;
  responseElements: Record<string, unknown> | null;
  resources: Array<{ type?: string; name?: string }>;
  /** The full CloudTrail record (parsed `CloudTrailEvent`), kept for the NDJSON export. */
  record: Record<string, unknown> | null;
}

function asRecord(v: unknown): Record<string, unknown> | null {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
}

function asString(v: unknown): string | undefined {
  return typeof v === 'string' && v.length > 0 ? v : undefined;
}

/**
 * Reads a path through nested records and arrays: `pick(o, 'items', '0', 'id')` is
 * `o.items[0].id` when it exists, undefined otherwise.
 */
export function pick(root: unknown, ...path: string[]): unknown {
  let cur: unknown = root;
  for (const key of path) {
    if (Array.isArray(cur)) {
      cur = /^\d+$/.test(key) ? cur[Number(key)] : undefined;
      continue;
    }
    const rec = asRecord(cur);
    if (!rec) return undefined;
    cur = rec[key];
  }
  return cur;
}

export function pickString(root: unknown, ...path: string[]): string | undefined {
  return asString(pick(root, ...path));
}

function parseRecord(json: string | undefined): Record<string, unknown> | null {
  if (!json) return null;
  try {
    return asRecord(JSON.parse(json));
  } catch {
    // A record that is not JSON still has its top-level fields; it is not worth failing a pull.
    return null;
  }
}

function toMillis(t: RawLookupEvent['EventTime'], fallbackIso: string | undefined): number {
  if (t instanceof Date) return t.getTime();
  if (typeof t === 'number') return t * 1000;
  if (typeof t === 'string') return DateTime.fromISO(t, { zone: 'utc' }).toMillis();
  if (fallbackIso) return DateTime.fromISO(fallbackIso, { zone: 'utc' }).toMillis();
  return Number.NaN;
}

export function isoFromMillis(ms: number): string {
  return Number.isFinite(ms) ? DateTime.fromMillis(ms, { zone: 'utc' }).toISO()! : '';
}

function parseIdentity(record: Record<string, unknown> | null): TrailIdentity {
  const ui = pick(record, 'userIdentity');
  return {
    type: pickString(ui, 'type'),
    arn: pickString(ui, 'arn'),
    accountId: pickString(ui, 'accountId'),
    principalId: pickString(ui, 'principalId'),
    accessKeyId: pickString(ui, 'accessKeyId'),
    userName: pickString(ui, 'userName') ?? pickString(ui, 'sessionContext', 'sessionIssuer', 'userName'),
    sessionIssuerArn: pickString(ui, 'sessionContext', 'sessionIssuer', 'arn'),
    identityProvider: pickString(ui, 'identityProvider'),
    invokedBy: pickString(ui, 'invokedBy'),
  };
}

/** Keys whose values are credentials: never kept, summarised, exported or posted. */
const SECRET_KEYS = new Set(['sessiontoken', 'secretaccesskey', 'password', 'newpassword', 'oldpassword', 'privatekey']);

/**
 * A copy with every credential value replaced by "[redacted]", at any depth. CloudTrail
 * records the temporary credentials an AssumeRole/GetSessionToken/GetFederationToken call
 * returned (`responseElements.credentials.sessionToken`): they must not reach Slack.
 */
function redactSecrets<T>(value: T): T {
  if (Array.isArray(value)) return value.map((v) => redactSecrets(v)) as unknown as T;
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    out[k] = SECRET_KEYS.has(k.toLowerCase()) && v !== null && v !== undefined ? '[redacted]' : redactSecrets(v);
  }
  return out as T;
}

/**
 * Parse one LookupEvents result. `lookupRegion` is the region the event was looked up in,
 * used when the record does not say (`awsRegion` is authoritative when present).
 */
export function parseTrailEvent(raw: RawLookupEvent, lookupRegion: string): TrailEvent {
  const record = redactSecrets(parseRecord(raw.CloudTrailEvent));
  const timeMs = toMillis(raw.EventTime, pickString(record, 'eventTime'));
  const identity = parseIdentity(record);
  const readOnlyText = raw.ReadOnly ?? (typeof record?.readOnly === 'boolean' ? String(record.readOnly) : undefined);
  return {
    id: raw.EventId ?? pickString(record, 'eventID') ?? '',
    time: isoFromMillis(timeMs),
    timeMs,
    name: raw.EventName ?? pickString(record, 'eventName') ?? '',
    source: raw.EventSource ?? pickString(record, 'eventSource') ?? '',
    region: pickString(record, 'awsRegion') ?? lookupRegion,
    sourceIp: pickString(record, 'sourceIPAddress'),
    userAgent: pickString(record, 'userAgent'),
    errorCode: pickString(record, 'errorCode'),
    errorMessage: pickString(record, 'errorMessage'),
    readOnly: readOnlyText === undefined ? undefined : readOnlyText === 'true',
    accessKeyId: raw.AccessKeyId ?? identity.accessKeyId,
    userName: raw.Username ?? identity.userName,
    identity,
    requestParameters: asRecord(record?.requestParameters),
    responseElements: asRecord(record?.responseElements),
    resources: (raw.Resources ?? []).map((r) => ({ type: r.ResourceType, name: r.ResourceName })),
    record,
  };
}

/** The error codes that mean "the principal was not allowed": recon shows up as bursts of these. */
const DENIED_CODES = new Set([
  'AccessDenied',
  'AccessDeniedException',
  'UnauthorizedOperation',
  'Client.UnauthorizedOperation',
  'UnauthorizedAccess',
  'AuthorizationError',
]);

export function isAccessDeniedEvent(e: Pick<TrailEvent, 'errorCode'>): boolean {
  return e.errorCode !== undefined && DENIED_CODES.has(e.errorCode);
}

export function succeeded(e: Pick<TrailEvent, 'errorCode'>): boolean {
  return e.errorCode === undefined;
}

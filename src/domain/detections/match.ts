/**
 * Small matchers the rule files are written with. Pure.
 */
import { TrailEvent, isAccessDeniedEvent, pick, pickString } from '../trail-event';
import { ACCELERATED_FAMILY, AWS_INTERNAL_SOURCES, AWS_SERVICE_PRINCIPAL, INSTANCE_ID, LARGE_FAMILY, LARGE_SIZE_MIN_XLARGE, WIDEST_IPV4_PREFIX } from './data';
import { accountOf, isEveryonePrincipal, readDocument, statementsOf } from './policy';

export { isEveryonePrincipal };

/**
 * The API name without the version suffix some services log: Lambda records
 * `UpdateFunctionCode20150331v2`, `AddPermission20150331v2`, `ListFunctions20150331`.
 */
export function baseName(eventName: string): string {
  return eventName.replace(/\d{8}(v\d+)?$/, '');
}

/** A call to one of `names` on `service` ('iam', 'ec2-instance-connect'…), whatever its outcome. */
export function call(service: string, names: readonly string[]): (e: TrailEvent) => boolean {
  const source = `${service}.amazonaws.com`;
  const wanted = new Set(names);
  return (e) => e.source === source && wanted.has(baseName(e.name));
}

/** `service:Name` for each name, for a rule's `events` list. */
export function eventsOf(service: string, names: readonly string[]): string[] {
  return names.map((n) => `${service}:${n}`);
}

export type Outcome = 'done' | 'refused' | 'failed';

/**
 * `DryRunOperation`: the request would have succeeded, and the caller asked only to know
 * that. It changes nothing, but it is how tools probe what a stolen key may do.
 */
const DRY_RUN_CODES = new Set(['Client.DryRunOperation', 'DryRunOperation']);

/**
 * What became of a call: done, refused (AccessDenied, UnauthorizedOperation…, a console
 * sign-in that failed authentication, or a dry run that tested the permission) or failed for
 * another reason (bad input, expired token, already exists). Only `done` means the attacker
 * got what they asked for; a refusal is an attempt, reported as one; a call that failed for
 * another reason is no finding on its own.
 */
export function outcomeOf(e: TrailEvent): Outcome {
  if (e.name === 'ConsoleLogin' && pickString(e.responseElements, 'ConsoleLogin') === 'Failure') return 'refused';
  if (isAccessDeniedEvent(e) || (e.errorCode !== undefined && DRY_RUN_CODES.has(e.errorCode))) return 'refused';
  if (e.errorCode !== undefined) return 'failed';
  return 'done';
}

/** Inline policy documents arrive as URL-encoded JSON text; some tools log them as objects. */
export function documentAt(e: TrailEvent, ...path: string[]): unknown {
  return readDocument(pick(e.requestParameters, ...path));
}

/** Statements of a policy document, as an array whatever way it was written. */
function statements(doc: unknown): Array<Record<string, unknown>> {
  return statementsOf(doc);
}

/** The account the call acted in: the caller's, else the account that received the event. */
export function ownAccount(e: TrailEvent): string | undefined {
  return e.identity.accountId ?? pickString(e.record, 'recipientAccountId');
}

/** An account other than the caller's, named by an id or an ARN (undefined when it is the caller's own or unreadable). */
export function otherAccount(e: TrailEvent, value: unknown): string | undefined {
  const account = accountOf(value);
  return account && account !== ownAccount(e) ? account : undefined;
}

/** The first string among several request fields (CloudTrail's casing varies by service). */
export function param(e: TrailEvent, ...names: string[]): string | undefined {
  for (const n of names) {
    const v = pickString(e.requestParameters, n);
    if (v !== undefined) return v;
  }
  return undefined;
}

/** A boolean request field, whether logged as `true`, `"true"` or `{ value: true }`. */
export function flag(e: TrailEvent, ...path: string[]): boolean | undefined {
  const v = pick(e.requestParameters, ...path);
  const inner = v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>).value ?? (v as Record<string, unknown>).Value : v;
  if (inner === true || inner === 'true' || inner === 'True') return true;
  if (inner === false || inner === 'false' || inner === 'False') return false;
  return undefined;
}

/** True when some string anywhere in `value` satisfies `test` (depth-limited). */
export function someString(value: unknown, test: (s: string) => boolean, depth = 8): boolean {
  if (depth < 0) return false;
  if (typeof value === 'string') return test(value);
  if (Array.isArray(value)) return value.some((v) => someString(v, test, depth - 1));
  if (value !== null && typeof value === 'object') return Object.values(value).some((v) => someString(v, test, depth - 1));
  return false;
}

// ---- addresses ---------------------------------------------------------------------------

const PRIVATE_V4 = [/^10\./, /^192\.168\./, /^172\.(1[6-9]|2\d|3[01])\./, /^127\./, /^169\.254\./, /^100\.(6[4-9]|[7-9]\d|1[01]\d|12[0-7])\./];

/** Strips the zero padding some logs carry (`010.001.002.003`). */
export function normaliseIp(ip: string): string {
  return /^\d{1,3}(\.\d{1,3}){3}$/.test(ip) ? ip.split('.').map((o) => String(Number(o))).join('.') : ip.toLowerCase();
}

/** An address on the internet: not private, not link-local, not a service name or "AWS Internal". */
export function isPublicIp(source: string | undefined): boolean {
  if (!source || AWS_INTERNAL_SOURCES.includes(source) || AWS_SERVICE_PRINCIPAL.test(source)) return false;
  const ip = normaliseIp(source);
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(ip)) return !PRIVATE_V4.some((r) => r.test(ip));
  if (ip.includes(':')) return !(/^(fc|fd|fe80|::1$)/.test(ip));
  return false;
}

/** A CIDR range that reaches the whole internet: `0.0.0.0/0`, `::/0`, or a public IPv4 range of /8 or wider. */
export function isAnywhere(cidr: string): boolean {
  const c = cidr.trim().toLowerCase();
  const slash = c.lastIndexOf('/');
  if (slash < 0) return false;
  const prefix = Number(c.slice(slash + 1));
  const address = c.slice(0, slash);
  if (!Number.isInteger(prefix) || prefix < 0) return false;
  if (prefix === 0) return true;
  if (address.includes(':')) return false;
  return prefix <= WIDEST_IPV4_PREFIX && isPublicIp(address);
}

/** Request fields that hold an address range: cidrIp, cidrIpv6, CidrIpv4, cidrBlock, ipv6CidrBlock, cIDRIP… */
const CIDR_FIELD = /^(cidr(ip|ipv4|ipv6|block)?|ipv6cidrblock)$/i;

/** Every address range a request names, at any depth (security group rules, NACL entries, DB security groups). */
export function cidrsIn(value: unknown, depth = 8): string[] {
  if (depth < 0 || value === null || typeof value !== 'object') return [];
  if (Array.isArray(value)) return value.flatMap((v) => cidrsIn(v, depth - 1));
  const out: string[] = [];
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    if (typeof v === 'string' && CIDR_FIELD.test(k)) out.push(v);
    else if (v !== null && typeof v === 'object') out.push(...cidrsIn(v, depth - 1));
  }
  return out;
}

// ---- identities ------------------------------------------------------------------------------

/** The role session name of an AssumedRole identity (last part of its ARN). */
export function sessionName(e: TrailEvent): string | undefined {
  return e.identity.type === 'AssumedRole' ? e.identity.arn?.split('/').pop() : undefined;
}

/** The role a session was issued for, by name. */
export function issuerRoleName(e: TrailEvent): string | undefined {
  return e.identity.sessionIssuerArn?.split('/').pop();
}

/** An EC2 instance profile's session: delivered by the instance metadata service, named after the instance. */
export function isInstanceRoleSession(e: TrailEvent): boolean {
  if (e.identity.type !== 'AssumedRole') return false;
  return pick(e.record, 'userIdentity', 'sessionContext', 'ec2RoleDelivery') !== undefined || INSTANCE_ID.test(sessionName(e) ?? '');
}

// ---- instances -------------------------------------------------------------------------------

export const LAUNCH_CALLS = call('ec2', ['RunInstances', 'RequestSpotInstances', 'RequestSpotFleet', 'CreateFleet']);
export const LAUNCH_EVENTS = eventsOf('ec2', ['RunInstances', 'RequestSpotInstances', 'RequestSpotFleet', 'CreateFleet']);

export function isAcceleratedInstanceType(instanceType: string): boolean {
  return ACCELERATED_FAMILY.test(instanceType);
}

export function isLargeInstanceType(instanceType: string): boolean {
  if (LARGE_FAMILY.test(instanceType)) return true;
  const size = /\.(\d+)xlarge$/.exec(instanceType);
  return size !== null && Number(size[1]) >= LARGE_SIZE_MIN_XLARGE;
}

/** Instance types a launch asked for, wherever the API puts them. */
export function requestedInstanceTypes(e: TrailEvent): string[] {
  const p = e.requestParameters;
  const candidates = [
    pick(p, 'instanceType'),
    pick(p, 'launchSpecification', 'instanceType'),
    pick(p, 'spotFleetRequestConfig', 'launchSpecifications', 'instanceType'),
  ];
  const specs = pick(p, 'spotFleetRequestConfig', 'launchSpecifications');
  if (Array.isArray(specs)) candidates.push(...specs.map((s) => pick(s, 'instanceType')));
  const overrides = pick(p, 'CreateFleetRequest', 'LaunchTemplateConfigs', 'Overrides');
  if (Array.isArray(overrides)) candidates.push(...overrides.map((o) => pick(o, 'InstanceType')));
  return [...new Set(candidates.filter((t): t is string => typeof t === 'string' && t.length > 0))];
}

function asCount(v: unknown): number {
  const n = typeof v === 'string' ? Number(v) : v;
  return typeof n === 'number' && Number.isFinite(n) ? n : 0;
}

/** How many instances one launch asked for (the largest figure the request names). */
export function requestedInstanceCount(e: TrailEvent): number {
  const p = e.requestParameters;
  return Math.max(
    asCount(pick(p, 'instancesSet', 'items', '0', 'maxCount')),
    asCount(pick(p, 'instancesSet', 'items', '0', 'minCount')),
    asCount(pick(p, 'maxCount')),
    asCount(pick(p, 'minCount')),
    asCount(pick(p, 'instanceCount')),
    asCount(pick(p, 'spotFleetRequestConfig', 'targetCapacity')),
    asCount(pick(p, 'CreateFleetRequest', 'TargetCapacitySpecification', 'TotalTargetCapacity')),
  );
}

/**
 * Where did a temporary (ASIA…) key come from? Pure: the CloudTrail lookup is injected.
 *
 * STS writes the key it issues into the issuing event's `responseElements.credentials
 * .accessKeyId`, and CloudTrail event history lists that key among the event's resources
 * (`AWS::IAM::AccessKey`). So the issuing event is found by looking the key up as a
 * ResourceName (and, as a fallback, as an AccessKeyId) in us-east-1, where STS events are
 * recorded. The caller of that event is the next link: another ASIA key (role chaining) is
 * traced in turn, until a long-term AKIA key, a federated identity (SAML, web identity),
 * the root user or an AWS service is reached. A hop limit and a visited set stop loops.
 */
import { RawLookupEvent, TrailEvent, parseTrailEvent, pickString } from './trail-event';

export type TraceLookupAttribute = { key: 'ResourceName' | 'AccessKeyId'; value: string };

/** Looks events up by one attribute (in us-east-1). Breaking out of the iteration must stop it. */
export type TraceLookupFn = (attribute: TraceLookupAttribute) => AsyncIterable<RawLookupEvent>;

/** The STS calls that mint temporary keys. */
const ISSUING_EVENT_NAMES: ReadonlySet<string> = new Set([
  'AssumeRole',
  'AssumeRoleWithSAML',
  'AssumeRoleWithWebIdentity',
  'GetSessionToken',
  'GetFederationToken',
]);

export interface TraceHop {
  /** The temporary key this hop explains. */
  accessKeyId: string;
  issuedBy: string;
  eventId: string;
  eventTime: string;
  /** The role whose session this is (AssumeRole*, never anything else). */
  roleArn?: string;
  /** GetFederationToken: the federated user's ARN. A federated user is not a role: it is
   *  contained through the IAM user whose long-term key minted it. */
  federatedUserArn?: string;
  sessionName?: string;
  sourceIdentity?: string;
  sourceIp?: string;
  userAgent?: string;
  /** When the issued credentials stop working. */
  expiration?: string;
  caller: {
    type?: string;
    arn?: string;
    accessKeyId?: string;
    userName?: string;
  };
}

export type TraceOrigin =
  | { kind: 'long-term-key'; accessKeyId: string; userName?: string; userArn?: string }
  | { kind: 'federated'; via: string; identityProvider?: string; subject?: string }
  | { kind: 'root'; arn?: string; accessKeyId?: string }
  | { kind: 'aws-service'; service: string }
  | { kind: 'unknown'; reason: 'issuing-event-not-found' | 'hop-limit' | 'cycle' | 'no-caller-key'; accessKeyId?: string };

export interface AsiaTrace {
  accessKeyId: string;
  /** From the key asked about, back towards the origin. */
  hops: TraceHop[];
  origin: TraceOrigin;
}

export interface TraceOptions {
  /** AWS limits role chaining; 10 hops is far beyond any real chain. */
  maxHops?: number;
}

function issuedKey(e: TrailEvent): string | undefined {
  return pickString(e.responseElements, 'credentials', 'accessKeyId');
}

/** Finds the successful STS event that issued `keyId`, stopping the lookup as soon as it is found. */
async function findIssuingEvent(keyId: string, lookup: TraceLookupFn): Promise<TrailEvent | undefined> {
  for (const key of ['ResourceName', 'AccessKeyId'] as const) {
    for await (const raw of lookup({ key, value: keyId })) {
      const e = parseTrailEvent(raw, 'us-east-1');
      if (ISSUING_EVENT_NAMES.has(e.name) && !e.errorCode && issuedKey(e) === keyId) return e;
    }
  }
  return undefined;
}

function toHop(keyId: string, e: TrailEvent): TraceHop {
  const req = e.requestParameters;
  const res = e.responseElements;
  const federatedArn = pickString(res, 'federatedUser', 'arn');
  return {
    accessKeyId: keyId,
    issuedBy: e.name,
    eventId: e.id,
    eventTime: e.time,
    roleArn: e.name.startsWith('AssumeRole') ? pickString(req, 'roleArn') : undefined,
    federatedUserArn: e.name === 'GetFederationToken' ? federatedArn : undefined,
    sessionName: pickString(req, 'roleSessionName') ?? pickString(req, 'name'),
    sourceIdentity: pickString(res, 'sourceIdentity') ?? pickString(req, 'sourceIdentity'),
    sourceIp: e.sourceIp,
    userAgent: e.userAgent,
    expiration: pickString(res, 'credentials', 'expiration'),
    caller: {
      type: e.identity.type,
      arn: e.identity.arn,
      accessKeyId: e.identity.accessKeyId,
      userName: e.identity.userName,
    },
  };
}

/** Where the chain ends, if this event's caller is not itself a temporary key. */
function originOf(e: TrailEvent): TraceOrigin | undefined {
  const id = e.identity;
  if (e.name === 'AssumeRoleWithSAML' || e.name === 'AssumeRoleWithWebIdentity' || id.type === 'SAMLUser' || id.type === 'WebIdentityUser') {
    return { kind: 'federated', via: e.name, identityProvider: id.identityProvider, subject: id.userName ?? id.principalId };
  }
  if (id.type === 'AWSService' || (!id.accessKeyId && id.invokedBy)) {
    // e.g. EC2 assuming an instance role: the key was taken from a workload, not a person.
    return { kind: 'aws-service', service: id.invokedBy ?? pickString(e.record, 'userIdentity', 'invokedBy') ?? 'unknown' };
  }
  if (id.type === 'Root') return { kind: 'root', arn: id.arn, accessKeyId: id.accessKeyId };
  if (id.accessKeyId?.startsWith('AKIA')) {
    return { kind: 'long-term-key', accessKeyId: id.accessKeyId, userName: id.userName, userArn: id.arn };
  }
  if (!id.accessKeyId) return { kind: 'unknown', reason: 'no-caller-key' };
  return undefined;
}

/** Walks from a temporary key back to the long-term key or identity that started the chain. */
export async function traceTemporaryKey(accessKeyId: string, lookup: TraceLookupFn, options: TraceOptions = {}): Promise<AsiaTrace> {
  const maxHops = options.maxHops ?? 10;
  const hops: TraceHop[] = [];
  const visited = new Set<string>();
  let key = accessKeyId;
  for (;;) {
    if (visited.has(key)) return { accessKeyId, hops, origin: { kind: 'unknown', reason: 'cycle', accessKeyId: key } };
    if (hops.length >= maxHops) return { accessKeyId, hops, origin: { kind: 'unknown', reason: 'hop-limit', accessKeyId: key } };
    visited.add(key);
    const issuing = await findIssuingEvent(key, lookup);
    if (!issuing) return { accessKeyId, hops, origin: { kind: 'unknown', reason: 'issuing-event-not-found', accessKeyId: key } };
    hops.push(toHop(key, issuing));
    const origin = originOf(issuing);
    if (origin) return { accessKeyId, hops, origin };
    key = issuing.identity.accessKeyId!;
  }
}

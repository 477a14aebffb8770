/**
 * Exfiltration rules over data events: the calls LookupEvents never returns (S3 object
 * reads and writes, Lambda invokes) and the secret reads that are management events but
 * matter most when they come in bulk (Secrets Manager, SSM parameters with decryption, KMS
 * Decrypt). They need the trail's history (Athena or CloudTrail Lake) to see the data events.
 *
 * Same shape as detection-rules.ts (event rules and burst rules), category `data-access`;
 * register them with `...DATA_EVENT_RULES` in DETECTION_RULES. Pure.
 */
import type { BurstRule, DetectionRule, EventRule } from './detection-rules';
import { TrailEvent, pick, pickString, succeeded } from './trail-event';

const S3 = 's3.amazonaws.com';

function isCall(e: TrailEvent, source: string, names: ReadonlySet<string>): boolean {
  return e.source === source && names.has(e.name) && succeeded(e);
}

const OBJECT_READS = new Set(['GetObject', 'SelectObjectContent', 'GetObjectTorrent', 'RestoreObject']);
const OBJECT_WRITES = new Set(['PutObject', 'DeleteObject', 'DeleteObjects', 'CopyObject', 'CompleteMultipartUpload', 'PutObjectAcl', 'PutObjectRetention']);
const SECRET_READS = new Set(['GetSecretValue', 'BatchGetSecretValue']);
const PARAMETER_READS = new Set(['GetParameter', 'GetParameters', 'GetParametersByPath', 'GetParameterHistory']);

export function isObjectRead(e: TrailEvent): boolean {
  return isCall(e, S3, OBJECT_READS);
}

export function isObjectWrite(e: TrailEvent): boolean {
  return isCall(e, S3, OBJECT_WRITES);
}

/** The bucket an S3 data event names (request parameters, else its resource ARN). */
export function bucketOf(e: TrailEvent): string | undefined {
  const fromRequest = pickString(e.requestParameters, 'bucketName');
  if (fromRequest) return fromRequest;
  const resources = pick(e.record, 'resources');
  if (Array.isArray(resources)) {
    for (const r of resources) {
      const arn = pickString(r, 'ARN') ?? pickString(r, 'arn');
      const m = arn ? /^arn:aws[\w-]*:s3:::([^/]+)/.exec(arn) : null;
      if (m) return m[1];
    }
  }
  return undefined;
}

/** A secret value read: Secrets Manager, or an SSM parameter read with decryption. */
export function isSecretValueRead(e: TrailEvent): boolean {
  if (isCall(e, 'secretsmanager.amazonaws.com', SECRET_READS)) return true;
  return isCall(e, 'ssm.amazonaws.com', PARAMETER_READS) && pick(e.requestParameters, 'withDecryption') === true;
}

/**
 * KMS Decrypt called by the principal itself. Services decrypting on its behalf (S3 reading
 * an SSE-KMS object, Secrets Manager) record `invokedBy` or a service source IP.
 */
export function isDirectKmsDecrypt(e: TrailEvent): boolean {
  if (!isCall(e, 'kms.amazonaws.com', new Set(['Decrypt', 'ReEncrypt']))) return false;
  if (e.identity.invokedBy) return false;
  return !(e.sourceIp ?? '').endsWith('.amazonaws.com');
}

export function isLambdaInvoke(e: TrailEvent): boolean {
  return e.source === 'lambda.amazonaws.com' && /^Invoke(WithResponseStream|Async)?$/.test(e.name) && succeeded(e);
}

/**
 * Object reads from buckets outside `knownBuckets`. With none known (the default), every
 * bucket the leaked credential read from counts: the attacker's reads are what is searched.
 */
export function newBucketReadRule(knownBuckets: Iterable<string> = []): EventRule {
  const known = new Set(knownBuckets);
  return {
    kind: 'event',
    category: 'data-access',
    id: 'data.s3-new-bucket-read',
    severity: 'medium',
    title: 'Objects read from S3 buckets',
    why: 'Object reads with a leaked key are data leaving the account: each bucket read needs its owner told (needs S3 data events in the trail).',
    matches: (e) => isObjectRead(e) && !known.has(bucketOf(e) ?? ''),
  };
}

export const S3_BULK_READ: BurstRule = {
  kind: 'burst',
  category: 'data-access',
  id: 'data.s3-bulk-read',
  severity: 'high',
  title: 'Sustained bulk S3 object reads',
  why: 'Hundreds of object reads within an hour is bulk download, even when paced to stay under a burst alarm (needs S3 data events).',
  counts: isObjectRead,
  threshold: 500,
  windowMinutes: 60,
};

export const S3_BULK_WRITE: BurstRule = {
  kind: 'burst',
  category: 'data-access',
  id: 'data.s3-bulk-write',
  severity: 'high',
  title: 'Bulk S3 object writes or deletions',
  why: 'Overwriting or deleting many objects in minutes is how data is ransomed or wiped (needs S3 data events).',
  counts: isObjectWrite,
  threshold: 100,
  windowMinutes: 10,
};

export const SECRETS_BULK_READ: BurstRule = {
  kind: 'burst',
  category: 'data-access',
  id: 'data.secrets-bulk-read',
  severity: 'high',
  title: 'Secrets harvested in bulk',
  why: 'Reading many secret values or decrypted parameters in minutes is credential harvesting: rotate every one that was read.',
  counts: isSecretValueRead,
  threshold: 10,
  windowMinutes: 10,
};

export const KMS_DIRECT_DECRYPT: EventRule = {
  kind: 'event',
  category: 'data-access',
  id: 'data.kms-decrypt',
  severity: 'medium',
  title: 'KMS Decrypt called directly',
  why: 'A leaked key decrypting with KMS itself (not through a service) is reading encrypted data or data keys.',
  matches: isDirectKmsDecrypt,
};

export const LAMBDA_INVOKE: EventRule = {
  kind: 'event',
  category: 'data-access',
  id: 'data.lambda-invoke',
  severity: 'medium',
  title: 'Lambda functions invoked',
  why: "Invoking a function runs code with the function's role: a way to reach data the key itself cannot (needs Lambda data events).",
  matches: isLambdaInvoke,
};

/** Every data-event rule. Register with `...DATA_EVENT_RULES` in DETECTION_RULES. */
export const DATA_EVENT_RULES: readonly DetectionRule[] = [
  newBucketReadRule(),
  S3_BULK_READ,
  S3_BULK_WRITE,
  SECRETS_BULK_READ,
  KMS_DIRECT_DECRYPT,
  LAMBDA_INVOKE,
];

/**
 * Rules over data events: the calls LookupEvents never returns (S3 object reads and
 * writes, Lambda invokes) and the secret reads that are management events but matter most
 * when they come in bulk (Secrets Manager, SSM parameters with decryption, KMS Decrypt).
 * They need the trail's history (Athena or CloudTrail Lake) to see the data events. Each is
 * filed under its ATT&CK tactic like every other rule; they count completed calls only
 * (a refused read is no data out; refusals are counted by the AccessDenied burst). Pure.
 */
import type { BurstRule, DetectionRule, EventRule } from './types';
import { burstRule, eventRules } from './define';
import { TrailEvent, pick, pickString, succeeded } from '../trail-event';

const DATA_FROM_CLOUD_STORAGE = { id: 'T1530', name: 'Data from Cloud Storage' };
const CLOUD_SECRETS = { id: 'T1555.006', name: 'Credentials from Password Stores: Cloud Secrets Management Stores' };
const DATA_DESTRUCTION = { id: 'T1485', name: 'Data Destruction' };
const SERVERLESS_EXECUTION = { id: 'T1648', name: 'Serverless Execution' };

const S3 = 's3.amazonaws.com';

function isCall(e: TrailEvent, source: string, names: ReadonlySet<string>): boolean {
  return e.source === source && names.has(e.name) && succeeded(e);
}

const OBJECT_READS = new Set(['GetObject', 'SelectObjectContent', 'GetObjectTorrent', 'RestoreObject']);
const OBJECT_WRITES = new Set(['PutObject', 'DeleteObject', 'DeleteObjects', 'CopyObject', 'CompleteMultipartUpload', 'PutObjectAcl', 'PutObjectRetention']);
const SECRET_READS = new Set(['GetSecretValue', 'BatchGetSecretValue']);
const PARAMETER_READS = new Set(['GetParameter', 'GetParameters', 'GetParametersByPath', 'GetParameterHistory']);

function isObjectRead(e: TrailEvent): boolean {
  return isCall(e, S3, OBJECT_READS);
}

function isObjectWrite(e: TrailEvent): boolean {
  return isCall(e, S3, OBJECT_WRITES);
}

/** Objects one write touches: the keys a DeleteObjects call lists, else one. */
function objectsWritten(e: TrailEvent): number {
  if (e.name !== 'DeleteObjects') return 1;
  const objects = pick(e.requestParameters, 'delete', 'Object');
  return Array.isArray(objects) ? objects.length : 1;
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
function isSecretValueRead(e: TrailEvent): boolean {
  if (isCall(e, 'secretsmanager.amazonaws.com', SECRET_READS)) return true;
  return isCall(e, 'ssm.amazonaws.com', PARAMETER_READS) && pick(e.requestParameters, 'withDecryption') === true;
}

/**
 * KMS Decrypt called by the principal itself. Services decrypting on its behalf (S3 reading
 * an SSE-KMS object, Secrets Manager) record `invokedBy` or a service source IP.
 */
function isDirectKmsDecrypt(e: TrailEvent): boolean {
  if (!isCall(e, 'kms.amazonaws.com', new Set(['Decrypt', 'ReEncrypt']))) return false;
  if (e.identity.invokedBy) return false;
  return !(e.sourceIp ?? '').endsWith('.amazonaws.com');
}

function isLambdaInvoke(e: TrailEvent): boolean {
  return e.source === 'lambda.amazonaws.com' && /^Invoke(WithResponseStream|Async)?$/.test(e.name) && succeeded(e);
}

/**
 * Object reads from buckets outside `knownBuckets`. With none known (the default), every
 * bucket the leaked credential read from counts: the attacker's reads are what is searched.
 */
export function newBucketReadRule(knownBuckets: Iterable<string> = []): EventRule {
  const known = new Set(knownBuckets);
  return eventRules('collection', [{
    id: 'collection.s3-bucket-read',
    family: 'storage-and-encryption',
    dataEvents: true,
    severity: 'low',
    technique: DATA_FROM_CLOUD_STORAGE,
    title: 'Objects read from S3 buckets',
    why: 'Object reads with a leaked key are data leaving the account: each bucket read needs its owner told (needs S3 data events in the trail).',
    next: 'List the buckets and keys read (export) and tell each bucket\'s owner what it holds.',
    ignores: 'Refused reads; buckets the account owner lists as known; management events such as ListBuckets.',
    events: [...OBJECT_READS].map((n) => `s3:${n}`),
    matches: (e) => isObjectRead(e) && !known.has(bucketOf(e) ?? ''),
  }])[0];
}

export const S3_BULK_READ: BurstRule = burstRule('collection', {
  id: 'collection.s3-bulk-read',
  family: 'storage-and-encryption',
  dataEvents: true,
  severity: 'high',
  technique: DATA_FROM_CLOUD_STORAGE,
  title: 'Sustained bulk S3 object reads',
  why: 'Hundreds of object reads within an hour is bulk download, even when paced to stay under a burst alarm (needs S3 data events).',
  next: 'Treat it as a data breach: list the buckets and prefixes read and start the breach process.',
  ignores: 'Fewer than 500 completed reads in an hour (the five-minute GetObject burst catches fast downloads).',
  events: [...OBJECT_READS].map((n) => `s3:${n}`),
  counts: isObjectRead,
  threshold: 500,
  windowMinutes: 60,
});

export const S3_BULK_WRITE: BurstRule = burstRule('impact', {
  id: 'impact.s3-bulk-write',
  family: 'storage-and-encryption',
  dataEvents: true,
  severity: 'high',
  technique: DATA_DESTRUCTION,
  title: 'Bulk S3 object writes or deletions',
  why: 'Overwriting or deleting many objects in minutes is how data is ransomed or wiped (needs S3 data events).',
  next: 'Check versioning and backups of the buckets written; restore what was overwritten or deleted.',
  ignores: 'Fewer than 100 objects written or deleted in ten minutes (a DeleteObjects call counts each key it deletes); refused writes.',
  events: [...OBJECT_WRITES].map((n) => `s3:${n}`),
  counts: isObjectWrite,
  weight: objectsWritten,
  threshold: 100,
  windowMinutes: 10,
});

export const SECRETS_BULK_READ: BurstRule = burstRule('credential-access', {
  id: 'credentials.secrets-bulk-read',
  family: 'credentials-and-sessions',
  severity: 'high',
  technique: CLOUD_SECRETS,
  title: 'Secrets harvested in bulk',
  why: 'Reading many secret values or decrypted parameters in minutes is credential harvesting: rotate every one that was read.',
  next: 'Rotate every secret and parameter that was read, then look for where those credentials were used.',
  ignores: 'Fewer than 10 reads in ten minutes; SSM parameters read without decryption.',
  events: [...[...SECRET_READS].map((n) => `secretsmanager:${n}`), ...[...PARAMETER_READS].map((n) => `ssm:${n}`)],
  counts: isSecretValueRead,
  threshold: 10,
  windowMinutes: 10,
});

export const KMS_DIRECT_DECRYPT: BurstRule = burstRule('credential-access', {
  id: 'credentials.kms-decrypt-burst',
  family: 'storage-and-encryption',
  severity: 'medium',
  technique: CLOUD_SECRETS,
  title: 'Burst of direct KMS Decrypt',
  why: 'Applications decrypt a little all day; a leaked key decrypting dozens of times in minutes, itself and not through a service, is reading encrypted data or data keys in bulk.',
  next: 'Find what the decrypted ciphertext was (key policy, encryption context) and rotate what it protected.',
  ignores: 'Fewer than 50 direct decrypts in ten minutes (routine use); decrypts a service makes on the principal\'s behalf (invokedBy, a service source address); refused calls.',
  events: ['kms:Decrypt', 'kms:ReEncrypt'],
  counts: isDirectKmsDecrypt,
  threshold: 50,
  windowMinutes: 10,
});

export const LAMBDA_INVOKE: EventRule = eventRules('execution', [{
  id: 'execution.lambda-invoke',
  family: 'compute-and-functions',
  dataEvents: true,
  severity: 'medium',
  technique: SERVERLESS_EXECUTION,
  title: 'Lambda functions invoked',
  why: "Invoking a function runs code with the function's role: a way to reach data the key itself cannot (needs Lambda data events).",
  next: 'Read the function\'s code and role: what can it reach that the key could not? Check its logs for the invocations.',
  ignores: 'Refused invokes; listing or reading functions.',
  events: ['lambda:Invoke', 'lambda:InvokeAsync', 'lambda:InvokeWithResponseStream'],
  matches: isLambdaInvoke,
}])[0];

/** Every data-event rule; registered in DETECTION_RULES (index.ts). */
export const DATA_EVENT_RULES: readonly DetectionRule[] = [
  newBucketReadRule(),
  S3_BULK_READ,
  S3_BULK_WRITE,
  SECRETS_BULK_READ,
  KMS_DIRECT_DECRYPT,
  LAMBDA_INVOKE,
];

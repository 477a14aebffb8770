import {
  DATA_EVENT_RULES, KMS_DIRECT_DECRYPT, LAMBDA_INVOKE, newBucketReadRule, S3_BULK_READ, S3_BULK_WRITE, SECRETS_BULK_READ, bucketOf,
} from '../../src/domain/detections/data-events';
import { BurstRule, BurstTracker, DETECTION_RULES, EventRule, ruleContext } from '../../src/domain/detection-rules';
import { parseTrailEvent, TrailEvent } from '../../src/domain/trail-event';

const T0 = Date.parse('2026-11-20T03:00:00Z');
const ctx = ruleContext();

function ev(name: string, source: string, over: Record<string, unknown> = {}, atMs = T0): TrailEvent {
  const record = {
    eventID: `id-${Math.random()}`,
    eventTime: new Date(atMs).toISOString(),
    eventName: name,
    eventSource: source,
    awsRegion: 'eu-west-1',
    sourceIPAddress: '198.51.100.7',
    userIdentity: { type: 'IAMUser', accessKeyId: 'AKIAIOSFODNN7EXAMPLE', userName: 'ci' },
    ...over,
  };
  return parseTrailEvent({ CloudTrailEvent: JSON.stringify(record) }, 'eu-west-1');
}

const getObject = (bucket: string, at = T0) => ev('GetObject', 's3.amazonaws.com', { requestParameters: { bucketName: bucket, key: 'a.csv' } }, at);

function fires(rule: BurstRule, events: TrailEvent[]): number | undefined {
  const t = new BurstTracker(rule);
  events.forEach((e) => t.add(e));
  return t.densestWindow()?.count;
}

describe('collection.s3-bucket-read', () => {
  it('flags object reads from buckets not known to the account owner', () => {
    const rule = newBucketReadRule(['app-assets']);
    expect(rule.matches(getObject('payroll-exports'), ctx)).toBe(true);
    expect(rule.matches(getObject('app-assets'), ctx)).toBe(false);
    // A denied read is not data out.
    expect(rule.matches(ev('GetObject', 's3.amazonaws.com', { requestParameters: { bucketName: 'x' }, errorCode: 'AccessDenied' }), ctx)).toBe(false);
  });
  it('finds the bucket in the resource ARN when the request does not name it', () => {
    const e = ev('GetObject', 's3.amazonaws.com', { resources: [{ type: 'AWS::S3::Object', ARN: 'arn:aws:s3:::hr-records/2026/a.pdf' }] });
    expect(bucketOf(e)).toBe('hr-records');
    expect(newBucketReadRule(['hr-records']).matches(e, ctx)).toBe(false);
  });
});

describe('collection.s3-bulk-read', () => {
  it('fires on 500 object reads within an hour, paced to stay under a five-minute burst', () => {
    const paced = Array.from({ length: 520 }, (_, i) => getObject('payroll', T0 + i * 6_500)); // ~56 minutes
    expect(fires(S3_BULK_READ, paced)).toBeGreaterThanOrEqual(500);
    expect(fires(S3_BULK_READ, paced.slice(0, 400))).toBeUndefined();
  });
});

describe('impact.s3-bulk-write', () => {
  it('fires on 100 object writes or deletions within ten minutes, not on reads', () => {
    const wipes = Array.from({ length: 120 }, (_, i) => ev(i % 2 ? 'DeleteObject' : 'PutObject', 's3.amazonaws.com', { requestParameters: { bucketName: 'b' } }, T0 + i * 3_000));
    expect(fires(S3_BULK_WRITE, wipes)).toBe(120);
    expect(fires(S3_BULK_WRITE, Array.from({ length: 200 }, (_, i) => getObject('b', T0 + i * 1000)))).toBeUndefined();
  });
});

describe('credentials.secrets-bulk-read', () => {
  it('counts Secrets Manager reads and SSM parameters read with decryption, not plain parameter reads', () => {
    const harvest = [
      ...Array.from({ length: 6 }, (_, i) => ev('GetSecretValue', 'secretsmanager.amazonaws.com', { requestParameters: { secretId: `s${i}` } }, T0 + i * 10_000)),
      ...Array.from({ length: 4 }, (_, i) => ev('GetParameters', 'ssm.amazonaws.com', { requestParameters: { names: [`/p${i}`], withDecryption: true } }, T0 + 60_000 + i * 10_000)),
    ];
    expect(fires(SECRETS_BULK_READ, harvest)).toBe(10);
    const plain = Array.from({ length: 20 }, (_, i) => ev('GetParameter', 'ssm.amazonaws.com', { requestParameters: { name: `/p${i}`, withDecryption: false } }, T0 + i * 1000));
    expect(fires(SECRETS_BULK_READ, plain)).toBeUndefined();
  });
});

describe('credentials.kms-decrypt-burst', () => {
  it('counts Decrypt by the principal itself, not by a service on its behalf', () => {
    expect(KMS_DIRECT_DECRYPT.counts(ev('Decrypt', 'kms.amazonaws.com'))).toBe(true);
    expect(KMS_DIRECT_DECRYPT.counts(ev('Decrypt', 'kms.amazonaws.com', { sourceIPAddress: 's3.amazonaws.com' }))).toBe(false);
    expect(KMS_DIRECT_DECRYPT.counts(ev('Decrypt', 'kms.amazonaws.com', { userIdentity: { type: 'IAMUser', invokedBy: 'secretsmanager.amazonaws.com' } }))).toBe(false);
    expect(KMS_DIRECT_DECRYPT.counts(ev('Encrypt', 'kms.amazonaws.com'))).toBe(false);
  });
  it('fires on 50 direct decrypts in ten minutes, not on an application\'s steady trickle', () => {
    expect(fires(KMS_DIRECT_DECRYPT, Array.from({ length: 60 }, (_, i) => ev('Decrypt', 'kms.amazonaws.com', {}, T0 + i * 5_000)))).toBe(60);
    expect(fires(KMS_DIRECT_DECRYPT, Array.from({ length: 200 }, (_, i) => ev('Decrypt', 'kms.amazonaws.com', {}, T0 + i * 600_000)))).toBeUndefined();
  });
});

describe('execution.lambda-invoke', () => {
  it('flags successful Lambda invokes', () => {
    expect(LAMBDA_INVOKE.matches(ev('Invoke', 'lambda.amazonaws.com', { requestParameters: { functionName: 'export-db' } }), ctx)).toBe(true);
    expect(LAMBDA_INVOKE.matches(ev('Invoke', 'lambda.amazonaws.com', { errorCode: 'AccessDeniedException' }), ctx)).toBe(false);
    expect(LAMBDA_INVOKE.matches(ev('ListFunctions20150331', 'lambda.amazonaws.com'), ctx)).toBe(false);
  });
});

it('every data-event rule is registered, with a tactic, a technique and an id of its own', () => {
  const registered = DETECTION_RULES.map((r) => r.id);
  for (const r of DATA_EVENT_RULES) {
    expect(registered.filter((id) => id === r.id)).toHaveLength(1);
    expect(r.technique.id).toMatch(/^T\d{4}(\.\d{3})?$/);
    expect(r.tactic).toBeDefined();
    expect(r.why.length).toBeGreaterThan(20);
    if (r.kind === 'event') expect(typeof (r as EventRule).matches).toBe('function');
  }
  expect(new Set(DATA_EVENT_RULES.map((r) => r.id)).size).toBe(DATA_EVENT_RULES.length);
});

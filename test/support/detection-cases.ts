/**
 * How detection rules are exercised in unit tests: scenarios of CloudTrail records built
 * with the sandbox's fixtures (the full record as LookupEvents returns it), run through the
 * summary builder like `/trail` runs them; and the cases of the rules for databases, storage
 * and encryption, resources made public, network, defences, sessions and compute. Each case
 * has a hit (the attacker's call), a near miss (usually the same call with the fields that
 * make it harmless) and, by default, the hit refused, which must give an attempt.
 *
 * Request and response fields follow what CloudTrail logs for each API (camel-cased request
 * members, policies as JSON text, S3 XML bodies as objects, EC2 lists under `items`).
 */
import { parseTrailEvent, TrailEvent } from '../../src/domain/trail-event';
import { Finding, TrailSummary, TrailSummaryBuilder, TrailSummaryOptions } from '../../src/domain/trail-summary';
import {
  ACCOUNT_ID, ATTACKER_ACCOUNT_ID, assumedRoleIdentity, buildEvent, EventSpec, examplePrincipal, federatedUserIdentity, FixtureRandom,
  iamUserIdentity, Identity, instanceRoleIdentity, OFFICE_IP, rootIdentity,
} from '../../sandbox/cloudtrail-fixtures';

export const principal = examplePrincipal(7);
export const T0 = Date.parse('2024-05-01T10:00:00Z');
export const MINUTE = 60_000;
export const ATTACKER_IP = '198.51.100.23';

export const USER = iamUserIdentity(principal);
export const ROLE = assumedRoleIdentity({ accountId: ACCOUNT_ID, roleName: 'deploy', sessionName: 'ci-run-42', accessKeyId: 'ASIAQQQQQQQQQQQQQQQ2' });
export const FEDERATED = federatedUserIdentity({ accountId: ACCOUNT_ID, userName: principal.userName, federatedName: 'fed-session', accessKeyId: 'ASIAQQQQQQQQQQQQQQQ3' });
export const ROOT = rootIdentity(ACCOUNT_ID, 'AKIAQQQQQQQQQQQQQQQ4');
export const INSTANCE = instanceRoleIdentity({ accountId: ACCOUNT_ID, roleName: 'web-server', instanceId: 'i-0abc1234def567890', accessKeyId: 'ASIAQQQQQQQQQQQQQQQ5' });
export const IDENTITIES = [USER, ROLE, FEDERATED, ROOT];

/** An IAM Identity Center session: its role lives under the path only AWS can create. */
export const SSO_SESSION: Identity = (() => {
  const id = assumedRoleIdentity({ accountId: ACCOUNT_ID, roleName: 'AWSReservedSSO_ReadOnly_0123456789abcdef', sessionName: 'alice@example.com', accessKeyId: 'ASIAQQQQQQQQQQQQQQQB' });
  (id.sessionContext as { sessionIssuer: { arn: string } }).sessionIssuer.arn = `arn:aws:iam::${ACCOUNT_ID}:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_ReadOnly_0123456789abcdef`;
  return id;
})();

/** One event of a scenario: the call, and what differs from an ordinary call by the key. */
export type Spec = Pick<EventSpec, 'name' | 'service'> & Partial<Omit<EventSpec, 'name' | 'service' | 'timeMs'>> & {
  /** Minutes after T0. */
  at?: number;
  /** This event is what the rule reacts to (default: the last one of the scenario). */
  trigger?: boolean;
};
export type Scenario = Spec[];

export interface Case {
  hit: Scenario;
  miss: Scenario;
  /** Who makes the calls (default: the four identity types in turn). */
  as?: Identity;
  /** What the refused variant must give (default: an `attempted` finding). */
  refusedGives?: 'attempted' | 'nothing';
  /** A scenario of its own for the refused variant (default: the hit with its trigger refused). */
  refusedScenario?: Scenario;
}

export function events(scenario: Scenario, identity: Identity, seed = 1): TrailEvent[] {
  const rng = new FixtureRandom(seed);
  return scenario.map((spec, i) => {
    const { at, trigger: _t, ...rest } = spec;
    const wire = buildEvent({ timeMs: T0 + (at ?? i) * MINUTE, region: 'us-east-1', identity, sourceIp: ATTACKER_IP, userAgent: 'aws-cli/2.15.30 Python/3.11.8', ...rest }, rng);
    return parseTrailEvent(wire, spec.region ?? 'us-east-1');
  });
}

export function summarise(evs: readonly TrailEvent[], options: TrailSummaryOptions = {}): TrailSummary {
  const b = new TrailSummaryBuilder(options);
  evs.forEach((e) => b.add(e));
  return b.result();
}

export function finding(ruleId: string, scenario: Scenario, identity: Identity, options?: TrailSummaryOptions): Finding | undefined {
  return summarise(events(scenario, identity), options).findings.find((f) => f.ruleId === ruleId);
}

/** The error code each service answers a refusal with. */
function refusalCode(service: string): string {
  if (service === 'ec2') return 'Client.UnauthorizedOperation';
  return ['ssm', 'secretsmanager', 'bedrock', 'guardduty', 'securityhub', 'sso', 'wafv2', 'sagemaker', 'ecs', 'macie2', 'es', 'kms', 'sqs', 'ecr', 'codebuild', 'dynamodb'].includes(service) ? 'AccessDeniedException' : 'AccessDenied';
}

/** The same scenario with its trigger events refused, the way each service says no. */
export function refused(scenario: Scenario): Scenario {
  const triggers = scenario.some((s) => s.trigger) ? scenario.map((s) => !!s.trigger) : scenario.map((_, i) => i === scenario.length - 1);
  return scenario.map((s, i) => {
    if (!triggers[i]) return s;
    if (s.name === 'ConsoleLogin') return { ...s, responseElements: { ConsoleLogin: 'Failure' }, extra: { ...s.extra, errorMessage: 'Failed authentication' } };
    return { ...s, errorCode: refusalCode(s.service) };
  });
}

export const signIn = (mfa: 'Yes' | 'No', o: Partial<Spec> = {}): Spec => ({
  service: 'signin', name: 'ConsoleLogin', responseElements: { ConsoleLogin: 'Success' },
  extra: { additionalEventData: { LoginTo: 'https://console.aws.amazon.com/console/home', MobileVersion: 'No', MFAUsed: mfa } }, ...o,
});
export const routine = (o: Partial<Spec> = {}): Spec => ({ service: 'ec2', name: 'DescribeInstances', sourceIp: OFFICE_IP, ...o });
export const launch = (instanceType: string, count = 1, o: Partial<Spec> = {}, imageId = 'ami-0123456789abcdef0'): Spec => ({
  service: 'ec2', name: 'RunInstances',
  requestParameters: { instancesSet: { items: [{ imageId, minCount: count, maxCount: count }] }, instanceType },
  responseElements: { instancesSet: { items: [{ instanceId: 'i-0fedcba9876543210', instanceType }] } }, ...o,
});
export const ingress = (cidr: string): Spec => ({
  service: 'ec2', name: 'AuthorizeSecurityGroupIngress',
  requestParameters: { groupId: 'sg-0123', ipPermissions: { items: [{ ipProtocol: 'tcp', fromPort: 22, toPort: 22, groups: {}, ipRanges: { items: [{ cidrIp: cidr }] }, ipv6Ranges: {}, prefixListIds: {} }] } },
});
export const times = (n: number, spec: (i: number) => Spec): Scenario => Array.from({ length: n }, (_, i) => spec(i));

// ---- documents and shapes shared by the cases and the corpus -----------------------------

export const policy = (...statements: Array<Record<string, unknown>>) => JSON.stringify({ Version: '2012-10-17', Statement: statements });
export const ATTACKER_ROOT = `arn:aws:iam::${ATTACKER_ACCOUNT_ID}:root`;
export const OWN_ROOT = `arn:aws:iam::${ACCOUNT_ID}:root`;
export const OWN_KEY = `arn:aws:kms:us-east-1:${ACCOUNT_ID}:key/0d5e6f70-1111-2222-3333-444455556666`;
export const ATTACKER_KEY = `arn:aws:kms:us-east-1:${ATTACKER_ACCOUNT_ID}:key/9a8b7c6d-1111-2222-3333-444455556666`;
export const QUEUE_URL = `https://sqs.us-east-1.amazonaws.com/${ACCOUNT_ID}/orders`;
export const S3_NS = 'http://s3.amazonaws.com/doc/2006-03-01/';

/** An S3 data event's `resources` as CloudTrail logs them: the object, and the bucket with its owner. */
export const s3Resources = (bucket: string, key: string, owner = ACCOUNT_ID) => ({
  eventCategory: 'Data', managementEvent: false,
  resources: [{ type: 'AWS::S3::Object', ARN: `arn:aws:s3:::${bucket}/${key}` }, { accountId: owner, type: 'AWS::S3::Bucket', ARN: `arn:aws:s3:::${bucket}` }],
});

const terminate = (n: number): Spec => ({
  service: 'ec2', name: 'TerminateInstances',
  requestParameters: { instancesSet: { items: Array.from({ length: n }, (_, i) => ({ instanceId: `i-0aaaa${String(i).padStart(12, '0')}` })) } },
});

export const FAMILY_CASES: Record<string, Case> = {
  // ---- resources made public or shared
  'exfil.snapshot-made-public': {
    hit: [{ service: 'ec2', name: 'ModifyImageAttribute', requestParameters: { imageId: 'ami-0abc', launchPermission: { add: { items: [{ group: 'all' }] } }, attributeType: 'launchPermission' } }],
    miss: [{ service: 'ec2', name: 'ModifyImageAttribute', requestParameters: { imageId: 'ami-0abc', launchPermission: { remove: { items: [{ group: 'all' }] } }, attributeType: 'launchPermission' } }],
  },
  'exfil.resource-made-public': {
    hit: [{ service: 'sqs', name: 'SetQueueAttributes', requestParameters: { queueUrl: QUEUE_URL, attributes: { Policy: policy({ Effect: 'Allow', Principal: '*', Action: 'sqs:SendMessage', Resource: `arn:aws:sqs:us-east-1:${ACCOUNT_ID}:orders` }) } } }],
    miss: [{
      service: 'sqs', name: 'SetQueueAttributes',
      requestParameters: { queueUrl: QUEUE_URL, attributes: { Policy: policy({ Effect: 'Allow', Principal: { Service: 'sns.amazonaws.com' }, Action: 'sqs:SendMessage', Resource: '*' }, { Effect: 'Allow', Principal: '*', Action: 'sqs:SendMessage', Resource: '*', Condition: { ArnEquals: { 'aws:SourceArn': `arn:aws:sns:us-east-1:${ACCOUNT_ID}:alerts` } } }) } },
    }],
  },
  'exfil.resource-shared-external': {
    hit: [{ service: 'ecr', name: 'SetRepositoryPolicy', requestParameters: { repositoryName: 'app', policyText: policy({ Sid: 'pull', Effect: 'Allow', Principal: { AWS: ATTACKER_ROOT }, Action: ['ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer'] }), force: false } }],
    miss: [{ service: 'ecr', name: 'SetRepositoryPolicy', requestParameters: { repositoryName: 'app', policyText: policy({ Sid: 'pull', Effect: 'Allow', Principal: { AWS: OWN_ROOT }, Action: ['ecr:BatchGetImage'] }), force: false } }],
  },
  'persistence.lambda-config-changed': {
    hit: [{ service: 'lambda', name: 'UpdateFunctionConfiguration20150331v2', requestParameters: { functionName: 'orders', environment: {} } }],
    miss: [{ service: 'lambda', name: 'UpdateFunctionConfiguration20150331v2', requestParameters: { functionName: 'orders', timeout: 30, memorySize: 512 } }],
  },
  // ---- databases
  'exfil.db-made-public': {
    hit: [{ service: 'rds', name: 'ModifyDBInstance', requestParameters: { dBInstanceIdentifier: 'orders-db', publiclyAccessible: true, applyImmediately: true } }],
    miss: [{ service: 'rds', name: 'ModifyDBInstance', requestParameters: { dBInstanceIdentifier: 'orders-db', publiclyAccessible: false, applyImmediately: true } }],
  },
  'exfil.db-export': {
    hit: [{
      service: 'rds', name: 'StartExportTask',
      requestParameters: { exportTaskIdentifier: 'nightly', sourceArn: `arn:aws:rds:us-east-1:${ACCOUNT_ID}:snapshot:orders-snap`, s3BucketName: 'exports-7c1', iamRoleArn: `arn:aws:iam::${ACCOUNT_ID}:role/rds-export`, kmsKeyId: OWN_KEY },
    }],
    miss: [{ service: 'rds', name: 'DescribeExportTasks', requestParameters: { exportTaskIdentifier: 'nightly' } }],
  },
  'exfil.snapshot-copied': {
    hit: [{ service: 'rds', name: 'CopyDBSnapshot', requestParameters: { sourceDBSnapshotIdentifier: `arn:aws:rds:us-east-1:${ACCOUNT_ID}:snapshot:orders-snap`, targetDBSnapshotIdentifier: 'orders-copy', kmsKeyId: ATTACKER_KEY } }],
    miss: [{ service: 'rds', name: 'CopyDBSnapshot', requestParameters: { sourceDBSnapshotIdentifier: 'orders-snap', targetDBSnapshotIdentifier: 'orders-copy', kmsKeyId: OWN_KEY } }],
  },
  'persistence.db-master-password': {
    hit: [{ service: 'rds', name: 'ModifyDBInstance', requestParameters: { dBInstanceIdentifier: 'orders-db', masterUserPassword: '****', applyImmediately: true }, responseElements: { dBInstanceIdentifier: 'orders-db', pendingModifiedValues: { masterUserPassword: '****' } } }],
    miss: [{ service: 'rds', name: 'ModifyDBInstance', requestParameters: { dBInstanceIdentifier: 'orders-db', dBInstanceClass: 'db.r6g.large', applyImmediately: false } }],
  },
  'privesc.db-role-added': {
    hit: [{ service: 'rds', name: 'AddRoleToDBCluster', requestParameters: { dBClusterIdentifier: 'orders', roleArn: `arn:aws:iam::${ACCOUNT_ID}:role/s3-export`, featureName: 's3Export' } }],
    miss: [{ service: 'rds', name: 'RemoveRoleFromDBCluster', requestParameters: { dBClusterIdentifier: 'orders', roleArn: `arn:aws:iam::${ACCOUNT_ID}:role/s3-export` } }],
  },
  'evasion.db-firewall-opened': {
    hit: [{ service: 'rds', name: 'AuthorizeDBSecurityGroupIngress', requestParameters: { dBSecurityGroupName: 'default', cIDRIP: '0.0.0.0/0' } }],
    miss: [{ service: 'rds', name: 'AuthorizeDBSecurityGroupIngress', requestParameters: { dBSecurityGroupName: 'default', cIDRIP: '10.20.0.0/16' } }],
  },
  'evasion.db-audit-stopped': {
    hit: [{ service: 'rds', name: 'StopActivityStream', requestParameters: { resourceArn: `arn:aws:rds:us-east-1:${ACCOUNT_ID}:cluster:orders`, applyImmediately: true } }],
    miss: [{ service: 'rds', name: 'ModifyDBCluster', requestParameters: { dBClusterIdentifier: 'orders', cloudwatchLogsExportConfiguration: { enableLogTypes: ['audit', 'postgresql'] } } }],
  },
  'evasion.db-snapshot-created': {
    hit: [{ service: 'rds', name: 'CreateDBSnapshot', requestParameters: { dBSnapshotIdentifier: 'orders-snap', dBInstanceIdentifier: 'orders-db' } }],
    miss: [{ service: 'rds', name: 'DescribeDBSnapshots', requestParameters: { dBInstanceIdentifier: 'orders-db' } }],
  },
  'impact.db-recovery-weakened': {
    hit: [{ service: 'rds', name: 'ModifyDBInstance', requestParameters: { dBInstanceIdentifier: 'orders-db', backupRetentionPeriod: 0, applyImmediately: true } }],
    miss: [{ service: 'rds', name: 'ModifyDBInstance', requestParameters: { dBInstanceIdentifier: 'orders-db', backupRetentionPeriod: 7, applyImmediately: true } }],
  },
  'impact.db-deletion-protection-off': {
    hit: [{ service: 'rds', name: 'ModifyDBCluster', requestParameters: { dBClusterIdentifier: 'orders', deletionProtection: false, applyImmediately: true } }],
    miss: [{ service: 'rds', name: 'ModifyDBCluster', requestParameters: { dBClusterIdentifier: 'orders', deletionProtection: true, applyImmediately: true } }],
  },
  'impact.db-reboot': {
    hit: [{ service: 'rds', name: 'RebootDBInstance', requestParameters: { dBInstanceIdentifier: 'orders-db', forceFailover: true } }],
    miss: [{ service: 'rds', name: 'StartDBInstance', requestParameters: { dBInstanceIdentifier: 'orders-db' } }],
  },
  'collection.db-logs-downloaded': {
    hit: [{ service: 'rds', name: 'DownloadDBLogFilePortion', requestParameters: { dBInstanceIdentifier: 'orders-db', logFileName: 'error/postgresql.log.2024-05-01-10', numberOfLines: 10000 } }],
    miss: [{ service: 'rds', name: 'DescribeDBLogFiles', requestParameters: { dBInstanceIdentifier: 'orders-db' } }],
  },
  'discovery.snapshot-enumeration': {
    hit: times(10, (i) => ({ service: 'rds', name: 'DescribeDBSnapshots', at: i * 0.5, requestParameters: { includeShared: true, includePublic: false } })),
    miss: times(9, (i) => ({ service: 'rds', name: 'DescribeDBSnapshots', at: i * 0.5, requestParameters: { includeShared: true, includePublic: false } })),
    refusedScenario: times(10, (i) => ({ service: 'rds', name: 'DescribeDBSnapshots', errorCode: 'AccessDenied', at: i * 0.5 })),
  },
  // ---- storage and encryption (the ransomware path)
  'impact.bucket-recovery-weakened': {
    hit: [{ service: 's3', name: 'PutBucketVersioning', requestParameters: { bucketName: 'data', VersioningConfiguration: { Status: 'Suspended', xmlns: S3_NS }, versioning: '' } }],
    miss: [{ service: 's3', name: 'PutBucketVersioning', requestParameters: { bucketName: 'data', VersioningConfiguration: { Status: 'Enabled', xmlns: S3_NS }, versioning: '' } }],
  },
  'impact.bucket-encryption-changed': {
    hit: [{ service: 's3', name: 'PutBucketEncryption', requestParameters: { bucketName: 'data', ServerSideEncryptionConfiguration: { Rule: { ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: ATTACKER_KEY }, BucketKeyEnabled: true }, xmlns: S3_NS }, encryption: '' } }],
    miss: [{ service: 's3', name: 'PutBucketEncryption', requestParameters: { bucketName: 'data', ServerSideEncryptionConfiguration: { Rule: { ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: OWN_KEY }, BucketKeyEnabled: true }, xmlns: S3_NS }, encryption: '' } }],
  },
  'impact.bucket-lifecycle-expiry': {
    hit: [{ service: 's3', name: 'PutBucketLifecycle', requestParameters: { bucketName: 'trail-logs', LifecycleConfiguration: { Rule: { ID: 'cleanup', Status: 'Enabled', Filter: { Prefix: '' }, Expiration: { Days: 1 } }, xmlns: S3_NS }, lifecycle: '' } }],
    miss: [{ service: 's3', name: 'PutBucketLifecycle', requestParameters: { bucketName: 'trail-logs', LifecycleConfiguration: { Rule: { ID: 'archive', Status: 'Enabled', Filter: { Prefix: '' }, Transition: { Days: 30, StorageClass: 'GLACIER' }, Expiration: { Days: 2555 } }, xmlns: S3_NS }, lifecycle: '' } }],
  },
  'impact.objects-encrypted': {
    hit: [{ service: 's3', name: 'CopyObject', requestParameters: { bucketName: 'data', key: 'invoices/2024.csv', 'x-amz-copy-source': 'data/invoices/2024.csv', 'x-amz-server-side-encryption-customer-algorithm': 'AES256' }, extra: s3Resources('data', 'invoices/2024.csv') }],
    miss: [{ service: 's3', name: 'CopyObject', requestParameters: { bucketName: 'data', key: 'invoices/2024.csv', 'x-amz-copy-source': 'data/invoices/2024.csv', 'x-amz-server-side-encryption': 'aws:kms', 'x-amz-server-side-encryption-aws-kms-key-id': OWN_KEY }, extra: s3Resources('data', 'invoices/2024.csv') }],
  },
  'impact.ransom-note': {
    hit: [{ service: 's3', name: 'PutObject', requestParameters: { bucketName: 'data', key: 'README-RECOVER-FILES.txt' }, extra: s3Resources('data', 'README-RECOVER-FILES.txt') }],
    miss: [{ service: 's3', name: 'PutObject', requestParameters: { bucketName: 'data', key: 'docs/disaster-recovery.md' }, extra: s3Resources('data', 'docs/disaster-recovery.md') }],
  },
  'exfil.objects-copied-out': {
    hit: [{ service: 's3', name: 'CopyObject', requestParameters: { bucketName: 'drop-7f3a', key: 'payroll.csv', 'x-amz-copy-source': 'payroll/payroll.csv' }, extra: s3Resources('drop-7f3a', 'payroll.csv', ATTACKER_ACCOUNT_ID) }],
    miss: [{ service: 's3', name: 'CopyObject', requestParameters: { bucketName: 'payroll-archive', key: 'payroll.csv', 'x-amz-copy-source': 'payroll/payroll.csv' }, extra: s3Resources('payroll-archive', 'payroll.csv') }],
  },
  'impact.ebs-encryption-disabled': {
    hit: [{ service: 'ec2', name: 'DisableEbsEncryptionByDefault', requestParameters: { DisableEbsEncryptionByDefaultRequest: '' } }],
    miss: [{ service: 'ec2', name: 'GetEbsEncryptionByDefault' }],
  },
  'evasion.bucket-logging-disabled': {
    hit: [{ service: 's3', name: 'PutBucketLogging', requestParameters: { bucketName: 'data', BucketLoggingStatus: { xmlns: S3_NS }, logging: '' } }],
    miss: [{ service: 's3', name: 'PutBucketLogging', requestParameters: { bucketName: 'data', BucketLoggingStatus: { xmlns: S3_NS, LoggingEnabled: { TargetBucket: 'access-logs', TargetPrefix: 'data/' } }, logging: '' } }],
  },
  'evasion.disk-snapshot-created': {
    hit: [{ service: 'ec2', name: 'CreateSnapshot', requestParameters: { volumeId: 'vol-0abc', description: 'backup' } }],
    miss: [{ service: 'ec2', name: 'DescribeSnapshots', requestParameters: { ownersSet: { items: [{ owner: 'self' }] } } }],
  },
  // ---- network
  'evasion.nacl-opened': {
    hit: [{ service: 'ec2', name: 'CreateNetworkAclEntry', requestParameters: { networkAclId: 'acl-0abc', ruleNumber: 90, egress: false, ruleAction: 'allow', protocol: '-1', cidrBlock: '0.0.0.0/0' } }],
    miss: [{ service: 'ec2', name: 'CreateNetworkAclEntry', requestParameters: { networkAclId: 'acl-0abc', ruleNumber: 100, egress: false, ruleAction: 'allow', protocol: '6', portRange: { from: 443, to: 443 }, cidrBlock: '0.0.0.0/0' } }],
  },
  'credentials.traffic-mirroring': {
    hit: [{ service: 'ec2', name: 'CreateTrafficMirrorSession', requestParameters: { CreateTrafficMirrorSessionRequest: { NetworkInterfaceId: 'eni-0abc', TrafficMirrorTargetId: 'tmt-0abc', TrafficMirrorFilterId: 'tmf-0abc', SessionNumber: 1 } } }],
    miss: [{ service: 'ec2', name: 'DescribeTrafficMirrorSessions' }],
  },
  'evasion.waf-removed': {
    hit: [{ service: 'wafv2', name: 'DisassociateWebACL', requestParameters: { resourceArn: `arn:aws:elasticloadbalancing:us-east-1:${ACCOUNT_ID}:loadbalancer/app/web/50dc6c495c0c9188` } }],
    miss: [{ service: 'wafv2', name: 'AssociateWebACL', requestParameters: { webACLArn: `arn:aws:wafv2:us-east-1:${ACCOUNT_ID}:regional/webacl/web/1`, resourceArn: `arn:aws:elasticloadbalancing:us-east-1:${ACCOUNT_ID}:loadbalancer/app/web/50dc6c495c0c9188` } }],
  },
  // ---- defences impaired
  'evasion.findings-suppressed': {
    hit: [{ service: 'securityhub', name: 'BatchUpdateFindings', requestParameters: { FindingIdentifiers: [{ Id: 'arn:aws:securityhub:us-east-1:123456789012:finding/1', ProductArn: 'arn:aws:securityhub:us-east-1::product/aws/guardduty' }], Workflow: { Status: 'SUPPRESSED' } } }],
    miss: [{ service: 'securityhub', name: 'BatchUpdateFindings', requestParameters: { FindingIdentifiers: [{ Id: 'arn:aws:securityhub:us-east-1:123456789012:finding/1', ProductArn: 'arn:aws:securityhub:us-east-1::product/aws/guardduty' }], Workflow: { Status: 'NOTIFIED' }, Note: { Text: 'ticket SEC-12', UpdatedBy: 'alice' } } }],
  },
  'evasion.alarms-silenced': {
    hit: [{ service: 'monitoring', name: 'DisableAlarmActions', requestParameters: { alarmNames: ['billing-over-1000'] } }],
    miss: [{ service: 'monitoring', name: 'EnableAlarmActions', requestParameters: { alarmNames: ['billing-over-1000'] } }],
  },
  'evasion.guardrail-changed': {
    hit: [{ service: 'bedrock', name: 'DeleteGuardrail', requestParameters: { guardrailIdentifier: 'gr-0abc' } }],
    miss: [{ service: 'bedrock', name: 'CreateGuardrail', requestParameters: { name: 'default', blockedInputMessaging: '***', blockedOutputsMessaging: '***' } }],
  },
  'evasion.guard-rails-removed': {
    hit: [{ service: 'organizations', name: 'DetachPolicy', requestParameters: { policyId: 'p-0abc1234', targetId: ACCOUNT_ID } }],
    miss: [{ service: 'organizations', name: 'AttachPolicy', requestParameters: { policyId: 'p-0abc1234', targetId: ACCOUNT_ID } }],
  },
  // ---- credentials and sessions
  'evasion.session-token-no-mfa': {
    as: USER,
    hit: [{ service: 'sts', name: 'GetSessionToken', requestParameters: { durationSeconds: 129600 } }],
    miss: [{ service: 'sts', name: 'GetSessionToken', requestParameters: { durationSeconds: 43200, serialNumber: `arn:aws:iam::${ACCOUNT_ID}:mfa/${principal.userName}` } }],
  },
  'lateral.console-from-keys': {
    as: FEDERATED,
    hit: [{ service: 'signin', name: 'GetSigninToken', sourceIp: ATTACKER_IP, userAgent: 'python-requests/2.31.0' }],
    miss: [{ service: 'signin', name: 'GetSigninToken', identity: SSO_SESSION, userAgent: 'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) AppleWebKit/605.1.15' }],
  },
  'privesc.privileged-role-assumed': {
    hit: [{ service: 'sts', name: 'AssumeRole', requestParameters: { roleArn: `arn:aws:iam::${ACCOUNT_ID}:role/OrganizationAccountAccessRole`, roleSessionName: 'admin' } }],
    miss: [{ service: 'sts', name: 'AssumeRole', requestParameters: { roleArn: `arn:aws:iam::${ACCOUNT_ID}:role/deploy-readonly`, roleSessionName: 'ci' } }],
  },
  'privesc.permission-set-changed': {
    hit: [{ service: 'sso', name: 'AttachManagedPolicyToPermissionSet', requestParameters: { instanceArn: 'arn:aws:sso:::instance/ssoins-1', permissionSetArn: 'arn:aws:sso:::permissionSet/ssoins-1/ps-1', managedPolicyArn: 'arn:aws:iam::aws:policy/AdministratorAccess' } }],
    miss: [{ service: 'sso', name: 'DescribePermissionSet', requestParameters: { instanceArn: 'arn:aws:sso:::instance/ssoins-1', permissionSetArn: 'arn:aws:sso:::permissionSet/ssoins-1/ps-1' } }],
  },
  'credentials.secret-enumeration': {
    hit: times(10, (i) => ({ service: 'secretsmanager', name: i % 2 ? 'DescribeSecret' : 'ListSecrets', at: i * 0.5, requestParameters: i % 2 ? { secretId: `prod/s${i}` } : { maxResults: 100 } })),
    miss: times(9, (i) => ({ service: 'secretsmanager', name: 'ListSecrets', at: i * 0.5, requestParameters: { maxResults: 100 } })),
    refusedScenario: times(10, (i) => ({ service: 'secretsmanager', name: 'ListSecrets', errorCode: 'AccessDeniedException', at: i * 0.5 })),
  },
  'credentials.user-data-read': {
    hit: [{ service: 'ec2', name: 'DescribeInstanceAttribute', requestParameters: { instanceId: 'i-0abc1234def567890', attribute: 'userData' } }],
    miss: [{ service: 'ec2', name: 'DescribeInstanceAttribute', requestParameters: { instanceId: 'i-0abc1234def567890', attribute: 'instanceType' } }],
  },
  // ---- compute and functions
  'impact.known-bad-image': {
    hit: [{ service: 'ecs', name: 'RegisterTaskDefinition', requestParameters: { family: 'worker', containerDefinitions: [{ name: 'w', image: 'yenik65958/secret:user', cpu: 4096, memory: 8192 }], requiresCompatibilities: ['FARGATE'], cpu: '4096', memory: '8192', networkMode: 'awsvpc' } }],
    miss: [{ service: 'ecs', name: 'RegisterTaskDefinition', requestParameters: { family: 'web', containerDefinitions: [{ name: 'web', image: `${ACCOUNT_ID}.dkr.ecr.us-east-1.amazonaws.com/web:1.4.2`, cpu: 256, memory: 512 }], requiresCompatibilities: ['FARGATE'], networkMode: 'awsvpc' } }],
  },
  'persistence.unusual-image': {
    hit: [launch('t3.micro', 1, { at: -3 * 24 * 60 }, 'ami-0aaaaaaaaaaaaaaa1'), launch('t3.micro', 1, {}, 'ami-0bbbbbbbbbbbbbbb2')],
    miss: [launch('t3.micro', 1, { at: -3 * 24 * 60 }, 'ami-0aaaaaaaaaaaaaaa1'), launch('t3.micro', 1, {}, 'ami-0aaaaaaaaaaaaaaa1')],
  },
  'evasion.termination-protection': {
    hit: [{ service: 'ec2', name: 'ModifyInstanceAttribute', requestParameters: { instanceId: 'i-0abc1234def567890', disableApiTermination: { value: true } } }],
    miss: [{ service: 'ec2', name: 'ModifyInstanceAttribute', requestParameters: { instanceId: 'i-0abc1234def567890', disableApiTermination: { value: false } } }],
  },
  'impact.mass-termination': {
    hit: [terminate(10)],
    miss: [terminate(9)],
  },
  'impact.function-deleted': {
    hit: [{ service: 'lambda', name: 'DeleteFunction20150331', requestParameters: { functionName: 'orders' } }],
    miss: [{ service: 'lambda', name: 'GetFunction20150331v2', requestParameters: { functionName: 'orders' } }],
  },
  'impact.image-deregistered': {
    hit: [{ service: 'ec2', name: 'DeregisterImage', requestParameters: { imageId: 'ami-0abc' } }],
    miss: [{ service: 'ec2', name: 'DescribeImages', requestParameters: { imagesSet: { items: [{ imageId: 'ami-0abc' }] } } }],
  },
  'exfil.vm-exported': {
    hit: [{ service: 'ec2', name: 'CreateInstanceExportTask', requestParameters: { instanceId: 'i-0abc1234def567890', targetEnvironment: 'vmware', exportToS3: { diskImageFormat: 'VMDK', s3Bucket: 'exports-7c1' } } }],
    miss: [{ service: 'ec2', name: 'DescribeExportTasks' }],
  },
  'execution.notebook-lifecycle': {
    hit: [{ service: 'sagemaker', name: 'UpdateNotebookInstance', requestParameters: { notebookInstanceName: 'research', lifecycleConfigName: 'on-start' } }],
    miss: [{ service: 'sagemaker', name: 'UpdateNotebookInstance', requestParameters: { notebookInstanceName: 'research', instanceType: 'ml.t3.large' } }],
  },
  'evasion.imdsv1-allowed': {
    hit: [{ service: 'ec2', name: 'ModifyInstanceMetadataOptions', requestParameters: { ModifyInstanceMetadataOptionsRequest: { InstanceId: 'i-0abc1234def567890', HttpTokens: 'optional', HttpEndpoint: 'enabled' } } }],
    miss: [{ service: 'ec2', name: 'ModifyInstanceMetadataOptions', requestParameters: { ModifyInstanceMetadataOptionsRequest: { InstanceId: 'i-0abc1234def567890', HttpTokens: 'required', HttpPutResponseHopLimit: 2 } } }],
  },
  'impact.kms-outside-key-material': {
    hit: [{ service: 'kms', name: 'ImportKeyMaterial', requestParameters: { keyId: OWN_KEY, expirationModel: 'KEY_MATERIAL_EXPIRES', validTo: 'May 2, 2024, 10:00:00 AM' } }],
    miss: [{ service: 'kms', name: 'CreateKey', requestParameters: { keyUsage: 'ENCRYPT_DECRYPT', keySpec: 'SYMMETRIC_DEFAULT', origin: 'AWS_KMS' } }],
  },
  'impact.lightsail-instances': {
    hit: [{ service: 'lightsail', name: 'CreateInstances', requestParameters: { instanceNames: ['w1', 'w2'], availabilityZone: 'us-east-1a', blueprintId: 'ubuntu_22_04', bundleId: 'xlarge_3_0' } }],
    miss: [{ service: 'lightsail', name: 'GetInstances' }],
  },
  'collection.console-screenshot': {
    hit: [{ service: 'ec2', name: 'GetConsoleScreenshot', requestParameters: { instanceId: 'i-0abc1234def567890', wakeUp: true } }],
    miss: [{ service: 'ec2', name: 'GetConsoleOutput', requestParameters: { instanceId: 'i-0abc1234def567890' } }],
  },
};


import {
  BURST_RULES, BurstTracker, DETECTION_RULES, EVENT_RULES, isAcceleratedInstanceType, matchingEventRules, ruleContext,
} from '../../src/domain/detection-rules';
import { parseTrailEvent, TrailEvent } from '../../src/domain/trail-event';
import { buildEvent, EventSpec, examplePrincipal, FixtureRandom, iamUserIdentity, OFFICE_IP } from '../support/cloudtrail-fixtures';

const principal = examplePrincipal(7);
const rng = new FixtureRandom(42);
const T0 = Date.parse('2024-05-01T10:00:00Z');
const ctx = ruleContext(['us-east-1', 'eu-west-1']);

/** An event spec where only the call is required; the rest defaults to an ordinary call. */
type Spec = Pick<EventSpec, 'name' | 'service'> & Partial<Omit<EventSpec, 'name' | 'service'>>;

function event(spec: Spec): TrailEvent {
  const wire = buildEvent(
    { timeMs: T0, region: 'us-east-1', identity: iamUserIdentity(principal), sourceIp: OFFICE_IP, userAgent: 'aws-cli/2.15', ...spec },
    rng,
  );
  return parseTrailEvent(wire, spec.region ?? 'us-east-1');
}

const ruleIds = (e: TrailEvent) => matchingEventRules(e, ctx).map((r) => r.id);

const ADMIN_DOC = encodeURIComponent(JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] }));
const READ_DOC = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: '*' }] });

/**
 * One row per event rule: an event it must flag, and a near miss it must not (same call
 * denied, other parameters, other service or region).
 */
const CASES: Record<string, { hit: Spec; miss: Spec }> = {
  'persistence.create-user': {
    hit: { service: 'iam', name: 'CreateUser', requestParameters: { userName: 'backup-svc' } },
    miss: { service: 'iam', name: 'CreateUser', errorCode: 'AccessDenied' },
  },
  'persistence.create-access-key': {
    hit: { service: 'iam', name: 'CreateAccessKey', requestParameters: { userName: 'backup-svc' } },
    miss: { service: 'iam', name: 'ListAccessKeys' },
  },
  'persistence.login-profile': {
    hit: { service: 'iam', name: 'CreateLoginProfile', requestParameters: { userName: 'backup-svc' } },
    miss: { service: 'iam', name: 'GetLoginProfile' },
  },
  'persistence.user-policy': {
    hit: { service: 'iam', name: 'PutUserPolicy', requestParameters: { userName: 'u', policyName: 'p', policyDocument: READ_DOC } },
    miss: { service: 'iam', name: 'DetachUserPolicy', requestParameters: { userName: 'u', policyArn: 'arn:aws:iam::aws:policy/ReadOnlyAccess' } },
  },
  'persistence.create-role': {
    hit: { service: 'iam', name: 'CreateRole', requestParameters: { roleName: 'ops' } },
    miss: { service: 'iam', name: 'GetRole', requestParameters: { roleName: 'ops' } },
  },
  'persistence.trust-policy-change': {
    hit: { service: 'iam', name: 'UpdateAssumeRolePolicy', requestParameters: { roleName: 'ops' } },
    miss: { service: 'iam', name: 'UpdateAssumeRolePolicy', errorCode: 'AccessDenied' },
  },
  'persistence.other-credentials': {
    hit: { service: 'iam', name: 'UploadSSHPublicKey', requestParameters: { userName: 'u' } },
    miss: { service: 'iam', name: 'ListSSHPublicKeys' },
  },
  'privesc.admin-policy-attached': {
    hit: { service: 'iam', name: 'AttachUserPolicy', requestParameters: { userName: 'u', policyArn: 'arn:aws:iam::aws:policy/AdministratorAccess' } },
    miss: { service: 'iam', name: 'AttachUserPolicy', requestParameters: { userName: 'u', policyArn: 'arn:aws:iam::aws:policy/ReadOnlyAccess' } },
  },
  'privesc.wildcard-inline-policy': {
    hit: { service: 'iam', name: 'PutRolePolicy', requestParameters: { roleName: 'r', policyName: 'x', policyDocument: ADMIN_DOC } },
    miss: { service: 'iam', name: 'PutRolePolicy', requestParameters: { roleName: 'r', policyName: 'x', policyDocument: READ_DOC } },
  },
  'privesc.policy-version': {
    hit: { service: 'iam', name: 'CreatePolicyVersion', requestParameters: { policyArn: 'arn:aws:iam::123456789012:policy/app', setAsDefault: true } },
    miss: { service: 'iam', name: 'GetPolicyVersion' },
  },
  'privesc.role-or-group-permissions': {
    hit: { service: 'iam', name: 'AttachGroupPolicy', requestParameters: { groupName: 'devs', policyArn: 'arn:aws:iam::aws:policy/ReadOnlyAccess' } },
    miss: { service: 'iam', name: 'ListAttachedGroupPolicies', requestParameters: { groupName: 'devs' } },
  },
  'privesc.group-membership': {
    hit: { service: 'iam', name: 'AddUserToGroup', requestParameters: { groupName: 'admins', userName: 'u' } },
    miss: { service: 'iam', name: 'RemoveUserFromGroup', requestParameters: { groupName: 'admins', userName: 'u' } },
  },
  'evasion.cloudtrail-tampered': {
    hit: { service: 'cloudtrail', name: 'StopLogging', requestParameters: { name: 'main' } },
    miss: { service: 'cloudtrail', name: 'StartLogging', requestParameters: { name: 'main' } },
  },
  'evasion.flow-logs-deleted': {
    hit: { service: 'ec2', name: 'DeleteFlowLogs' },
    miss: { service: 'ec2', name: 'DescribeFlowLogs' },
  },
  'evasion.guardduty-changed': {
    hit: { service: 'guardduty', name: 'DeleteDetector', requestParameters: { detectorId: 'abc' } },
    miss: { service: 'guardduty', name: 'ListDetectors' },
  },
  'evasion.config-stopped': {
    hit: { service: 'config', name: 'StopConfigurationRecorder' },
    miss: { service: 'config', name: 'StartConfigurationRecorder' },
  },
  'evasion.log-groups-deleted': {
    hit: { service: 'logs', name: 'DeleteLogGroup', requestParameters: { logGroupName: '/aws/lambda/x' } },
    miss: { service: 'logs', name: 'CreateLogGroup' },
  },
  'data.secret-read': {
    hit: { service: 'secretsmanager', name: 'GetSecretValue', requestParameters: { secretId: 'prod/db' } },
    miss: { service: 'ssm', name: 'GetParameter', requestParameters: { name: '/flags', withDecryption: false } },
  },
  'data.snapshot-shared': {
    hit: { service: 'ec2', name: 'ModifySnapshotAttribute', requestParameters: { snapshotId: 'snap-1' } },
    miss: { service: 'ec2', name: 'DescribeSnapshotAttribute', requestParameters: { snapshotId: 'snap-1' } },
  },
  'cost.gpu-instances': {
    hit: { service: 'ec2', name: 'RunInstances', requestParameters: { instanceType: 'p3.16xlarge' } },
    miss: { service: 'ec2', name: 'RunInstances', requestParameters: { instanceType: 'm5.large' } },
  },
  'cost.instances-unusual-region': {
    hit: { service: 'ec2', name: 'RunInstances', region: 'ap-southeast-3', requestParameters: { instanceType: 't3.micro' } },
    miss: { service: 'ec2', name: 'RunInstances', region: 'eu-west-1', requestParameters: { instanceType: 't3.micro' } },
  },
  'cost.quota-increase': {
    hit: { service: 'servicequotas', name: 'RequestServiceQuotaIncrease', requestParameters: { serviceCode: 'ec2' } },
    miss: { service: 'servicequotas', name: 'GetServiceQuota' },
  },
  'recon.identity-check': {
    hit: { service: 'sts', name: 'GetCallerIdentity' },
    miss: { service: 'sts', name: 'GetCallerIdentity', errorCode: 'ExpiredToken' },
  },
  'recon.enumeration': {
    hit: { service: 's3', name: 'ListBuckets' },
    miss: { service: 's3', name: 'GetBucketLocation' },
  },
};

describe('detection rules', () => {
  it('every event rule has a test case here, and every case names a real rule', () => {
    expect(Object.keys(CASES).sort()).toEqual(EVENT_RULES.map((r) => r.id).sort());
  });

  it('every rule says why it matters and has a unique id in its category namespace', () => {
    const ids = DETECTION_RULES.map((r) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const r of DETECTION_RULES) {
      expect(r.why.length).toBeGreaterThan(20);
      expect(r.title.length).toBeGreaterThan(3);
    }
  });

  describe.each(Object.entries(CASES))('%s', (ruleId, { hit, miss }) => {
    it('flags the sensitive call', () => {
      expect(ruleIds(event(hit))).toContain(ruleId);
    });
    it('leaves the near miss alone', () => {
      expect(ruleIds(event(miss))).not.toContain(ruleId);
    });
  });

  it('a GPU launch in an unusual region is both a GPU finding and an unusual-region finding', () => {
    const e = event({ service: 'ec2', name: 'RunInstances', region: 'ap-southeast-3', requestParameters: { instanceType: 'g5.12xlarge' } });
    expect(ruleIds(e)).toEqual(expect.arrayContaining(['cost.gpu-instances', 'cost.instances-unusual-region']));
  });

  it('recognises accelerated instance families and not general-purpose ones', () => {
    for (const t of ['p3.16xlarge', 'p4d.24xlarge', 'g5.12xlarge', 'g4dn.xlarge', 'inf2.xlarge', 'trn1.32xlarge']) {
      expect(isAcceleratedInstanceType(t)).toBe(true);
    }
    for (const t of ['m5.large', 't4g.micro', 'c6g.xlarge', 'r5.2xlarge']) expect(isAcceleratedInstanceType(t)).toBe(false);
  });
});

describe('burst rules', () => {
  const rule = (id: string) => BURST_RULES.find((r) => r.id === id)!;

  function denied(atMs: number): TrailEvent {
    return event({ service: 'iam', name: 'ListUsers', errorCode: 'AccessDenied', timeMs: atMs });
  }

  describe('recon.access-denied-burst', () => {
    it('fires on 10 AccessDenied within 5 minutes, whatever order they arrive in', () => {
      const tracker = new BurstTracker(rule('recon.access-denied-burst'));
      const times = Array.from({ length: 10 }, (_, i) => T0 + i * 20_000).reverse();
      times.forEach((t) => tracker.add(denied(t)));
      expect(tracker.densestWindow()).toMatchObject({ count: 10, total: 10, startMs: T0 });
    });

    it('does not fire on 9, nor on 10 spread over an hour', () => {
      const few = new BurstTracker(rule('recon.access-denied-burst'));
      for (let i = 0; i < 9; i++) few.add(denied(T0 + i * 1000));
      expect(few.densestWindow()).toBeUndefined();
      const spread = new BurstTracker(rule('recon.access-denied-burst'));
      for (let i = 0; i < 10; i++) spread.add(denied(T0 + i * 6 * 60_000));
      expect(spread.densestWindow()).toBeUndefined();
    });

    it('does not count successful calls', () => {
      const tracker = new BurstTracker(rule('recon.access-denied-burst'));
      for (let i = 0; i < 20; i++) tracker.add(event({ service: 'iam', name: 'ListUsers', timeMs: T0 + i * 1000 }));
      expect(tracker.densestWindow()).toBeUndefined();
    });
  });

  describe('data.getobject-burst', () => {
    it('fires on 100 GetObject within 5 minutes and not on 99', () => {
      const get = (i: number) => event({ service: 's3', name: 'GetObject', timeMs: T0 + i * 1000, requestParameters: { bucketName: 'b', key: `k${i}` } });
      const tracker = new BurstTracker(rule('data.getobject-burst'));
      for (let i = 0; i < 99; i++) tracker.add(get(i));
      expect(tracker.densestWindow()).toBeUndefined();
      tracker.add(get(99));
      expect(tracker.densestWindow()?.count).toBe(100);
    });
  });
});

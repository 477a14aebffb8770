/**
 * The decisions the rules make on request fields, beyond each rule's hit and near miss: who a
 * resource policy lets in (conditions that narrow a `*` and those that do not), whom a share
 * names, how attempts and failures are reported, that the rule index offers every event to
 * every rule that can match it, and what a summary says its history source could not check.
 */
import { BURST_INDEX, BURST_RULES, EVENT_RULES, matchingEventRules } from '../../src/domain/detection-rules';
import { policyGrant, readDocument } from '../../src/domain/detections/policy';
import { trailSummaryBlocks } from '../../src/slack/trail-blocks';
import { ACCOUNT_ID, ATTACKER_ACCOUNT_ID } from '../../sandbox/cloudtrail-fixtures';
import {
  ATTACKER_ROOT, events, FAMILY_CASES, finding, launch, OWN_ROOT, policy, refused, Scenario, summarise, USER,
} from '../support/detection-cases';
import { CORPUS } from '../support/detection-corpus';

const ALLOW_ALL = { Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: 'arn:aws:s3:::data/*' };
const grant = (doc: unknown) => policyGrant(readDocument(doc), ACCOUNT_ID);
const withCondition = (Condition: Record<string, unknown>) => policy({ ...ALLOW_ALL, Condition });

describe('who a resource policy lets in', () => {
  it.each([
    ['no condition', policy(ALLOW_ALL)],
    ['{ AWS: "*" }', policy({ ...ALLOW_ALL, Principal: { AWS: '*' } })],
    ['only aws:SecureTransport (narrows nothing)', withCondition({ Bool: { 'aws:SecureTransport': 'true' } })],
    ['only aws:Referer (the caller chooses it)', withCondition({ StringLike: { 'aws:Referer': 'https://shop.example/*' } })],
    ['a negated organization condition', withCondition({ StringNotEquals: { 'aws:PrincipalOrgID': 'o-abc123' } })],
    ['an optional condition (…IfExists)', withCondition({ StringEqualsIfExists: { 'aws:SourceAccount': ACCOUNT_ID } })],
    ['aws:SourceIp 0.0.0.0/0', withCondition({ IpAddress: { 'aws:SourceIp': ['203.0.113.0/24', '0.0.0.0/0'] } })],
    ['a wildcard organization', withCondition({ StringLike: { 'aws:PrincipalOrgID': '*' } })],
    ['Allow with NotPrincipal', policy({ Effect: 'Allow', NotPrincipal: { AWS: OWN_ROOT }, Action: 's3:GetObject', Resource: '*' })],
    ['a lone statement, not in a list', JSON.stringify({ Version: '2012-10-17', Statement: ALLOW_ALL })],
    ['URL-encoded text', encodeURIComponent(policy(ALLOW_ALL))],
    ['an object rather than text', JSON.parse(policy(ALLOW_ALL))],
  ])('public: %s', (_label, doc) => {
    expect(grant(doc).public).toBe(true);
  });

  it.each([
    ['aws:PrincipalOrgID', { StringEquals: { 'aws:PrincipalOrgID': 'o-abc123' } }],
    ['aws:SourceVpce', { StringEquals: { 'aws:SourceVpce': 'vpce-0abc' } }],
    ['aws:SourceArn', { ArnLike: { 'aws:SourceArn': `arn:aws:sns:us-east-1:${ACCOUNT_ID}:alerts` } }],
    ['aws:SourceAccount (own)', { StringEquals: { 'aws:SourceAccount': ACCOUNT_ID } }],
    ['aws:PrincipalAccount (own)', { StringEquals: { 'aws:PrincipalAccount': ACCOUNT_ID } }],
    ['aws:SourceIp (a range)', { IpAddress: { 'aws:SourceIp': '203.0.113.0/24' } }],
  ])('narrowed by %s: not public, no other account', (_label, condition) => {
    expect(grant(withCondition(condition))).toEqual({ public: false, accounts: [] });
  });

  it('a condition naming another account is a grant to that account, not to everyone', () => {
    expect(grant(withCondition({ StringEquals: { 'aws:PrincipalAccount': ATTACKER_ACCOUNT_ID } }))).toEqual({ public: false, accounts: [ATTACKER_ACCOUNT_ID] });
  });

  it('principals naming other accounts (root, role ARN, bare id) are listed once each; the own account is not', () => {
    const doc = policy(
      { Effect: 'Allow', Principal: { AWS: [ATTACKER_ROOT, `arn:aws:iam::${ATTACKER_ACCOUNT_ID}:role/x`, '444455556666', OWN_ROOT] }, Action: '*', Resource: '*' },
      { Effect: 'Allow', Principal: { Service: 'logs.amazonaws.com' }, Action: 's3:PutObject', Resource: '*' },
    );
    expect(grant(doc)).toEqual({ public: false, accounts: ['444455556666', ATTACKER_ACCOUNT_ID] });
  });

  it.each([
    ['a Deny statement', policy({ ...ALLOW_ALL, Effect: 'Deny' })],
    ['text that is not JSON', '{"Statement": [ {"Effect": "Allow", '],
    ['an empty string', ''],
    ['a number', 42],
    ['a statement list of junk', JSON.stringify({ Statement: [null, 'x', 3] })],
  ])('grants nothing: %s', (_label, doc) => {
    expect(grant(doc)).toEqual({ public: false, accounts: [] });
  });
});

describe('what a finding names', () => {
  const detailsOf = (ruleId: string, scenario: Scenario) => finding(ruleId, scenario, USER)?.examples.map((x) => x.detail);

  it('a snapshot share names the account it was shared with; a share with the own account is nothing', () => {
    const share = (userId: string): Scenario => [{
      service: 'ec2', name: 'ModifySnapshotAttribute',
      requestParameters: { snapshotId: 'snap-0abc', createVolumePermission: { add: { items: [{ userId }] } }, attributeType: 'CREATE_VOLUME_PERMISSION' },
    }];
    expect(detailsOf('exfil.snapshot-shared', share(ATTACKER_ACCOUNT_ID))).toEqual([`snap-0abc → ${ATTACKER_ACCOUNT_ID}`]);
    expect(finding('exfil.snapshot-shared', share(ACCOUNT_ID), USER)).toBeUndefined();
  });

  it('an RDS snapshot shared with `all` is made public, not "shared with an account"; removing a share is nothing', () => {
    const rds = (values: Record<string, unknown>): Scenario => [{ service: 'rds', name: 'ModifyDBSnapshotAttribute', requestParameters: { dBSnapshotIdentifier: 'orders-snap', attributeName: 'restore', ...values } }];
    expect(detailsOf('exfil.snapshot-made-public', rds({ valuesToAdd: ['all'] }))).toEqual(['orders-snap → all']);
    expect(finding('exfil.snapshot-shared', rds({ valuesToAdd: ['all'] }), USER)).toBeUndefined();
    expect(detailsOf('exfil.snapshot-shared', rds({ valuesToAdd: [ATTACKER_ACCOUNT_ID] }))).toEqual([`orders-snap → ${ATTACKER_ACCOUNT_ID}`]);
    expect(summarise(events(rds({ valuesToRemove: [ATTACKER_ACCOUNT_ID] }), USER)).findings).toEqual([]);
  });

  it('a resource shared with another account names the resource and the account', () => {
    expect(detailsOf('exfil.resource-shared-external', FAMILY_CASES['exfil.resource-shared-external'].hit)).toEqual([`ECR repository app → ${ATTACKER_ACCOUNT_ID}`]);
  });

  it('a role trust opened to everyone is public, one opened to another account names it', () => {
    const trust = (principal: unknown): Scenario => [{ service: 'iam', name: 'UpdateAssumeRolePolicy', requestParameters: { roleName: 'ops', policyDocument: encodeURIComponent(policy({ Effect: 'Allow', Principal: principal, Action: 'sts:AssumeRole' })) } }];
    expect(detailsOf('exfil.resource-made-public', trust({ AWS: '*' }))).toEqual(['IAM role ops → everyone']);
    expect(detailsOf('exfil.resource-shared-external', trust({ AWS: ATTACKER_ROOT }))).toEqual([`IAM role ops → ${ATTACKER_ACCOUNT_ID}`]);
  });

  it('a bucket policy open to `*` with only aws:SecureTransport is public', () => {
    const s = [{ service: 's3', name: 'PutBucketPolicy', requestParameters: { bucketName: 'data', bucketPolicy: JSON.parse(withCondition({ Bool: { 'aws:SecureTransport': 'true' } })), policy: '' } }];
    expect(finding('exfil.bucket-made-public', s, USER)).toBeDefined();
  });

  it('a Lambda permission for `*` narrowed by a source ARN is not public; one for another account names it', () => {
    const add = (p: Record<string, unknown>): Scenario => [{ service: 'lambda', name: 'AddPermission20150331v2', requestParameters: { functionName: 'orders', statementId: 's', action: 'lambda:InvokeFunction', ...p } }];
    expect(finding('persistence.lambda-public', add({ principal: '*', sourceArn: `arn:aws:s3:::uploads` }), USER)).toBeUndefined();
    expect(detailsOf('exfil.resource-shared-external', add({ principal: ATTACKER_ACCOUNT_ID }))).toEqual([`Lambda function orders → ${ATTACKER_ACCOUNT_ID}`]);
  });

  it('security groups: the address ranges decide, not words in a description; ::/0 and ModifySecurityGroupRules count', () => {
    const described: Scenario = [{
      service: 'ec2', name: 'AuthorizeSecurityGroupIngress',
      requestParameters: { groupId: 'sg-1', ipPermissions: { items: [{ ipProtocol: 'tcp', fromPort: 443, toPort: 443, ipRanges: { items: [{ cidrIp: '203.0.113.0/24', description: 'was 0.0.0.0/0' }] } }] } },
    }];
    expect(finding('evasion.security-group-opened', described, USER)).toBeUndefined();
    const v6: Scenario = [{ service: 'ec2', name: 'AuthorizeSecurityGroupIngress', requestParameters: { groupId: 'sg-1', ipPermissions: { items: [{ ipProtocol: '-1', ipv6Ranges: { items: [{ cidrIpv6: '::/0' }] } }] } } }];
    expect(detailsOf('evasion.security-group-opened', v6)).toEqual(['sg-1 ← ::/0']);
    const modify: Scenario = [{
      service: 'ec2', name: 'ModifySecurityGroupRules',
      requestParameters: { ModifySecurityGroupRulesRequest: { GroupId: 'sg-2', SecurityGroupRule: { SecurityGroupRuleId: 'sgr-1', SecurityGroupRule: { IpProtocol: 'tcp', FromPort: 3389, ToPort: 3389, CidrIpv4: '0.0.0.0/0' } } } },
    }];
    expect(detailsOf('evasion.security-group-opened', modify)).toEqual(['sg-2 ← 0.0.0.0/0']);
  });
});

describe('attempts and failures', () => {
  it('a refused call is an attempt, reported one severity lower than the rule', () => {
    const f = finding('persistence.create-user', refused([{ service: 'iam', name: 'CreateUser', requestParameters: { userName: 'x' } }]), USER)!;
    expect(f).toMatchObject({ outcome: 'attempted', severity: 'medium', done: 0, refused: 1 });
    const low = finding('impact.db-reboot', refused(FAMILY_CASES['impact.db-reboot'].hit), USER)!;
    expect(low).toMatchObject({ outcome: 'attempted', severity: 'low' });
  });

  it('a call that only failed for another reason (bad input, already exists) is no finding; beside a completed call it is counted', () => {
    const invalid: Scenario = [{ service: 'iam', name: 'CreateUser', requestParameters: { userName: 'x' }, errorCode: 'EntityAlreadyExists', errorMessage: 'User with name x already exists.' }];
    expect(summarise(events(invalid, USER)).findings).toEqual([]);
  });

  it('a dry run that would have succeeded is an attempt: the key was probed for that permission', () => {
    const f = finding('impact.gpu-instances', [launch('p3.16xlarge', 4, { errorCode: 'Client.DryRunOperation', errorMessage: 'Request would have succeeded, but DryRun flag is set.' })], USER);
    expect(f).toMatchObject({ outcome: 'attempted', severity: 'medium', refused: 1 });
  });

  it('one DeleteObjects call counts each key it deletes towards the bulk-deletion burst', () => {
    const batch = (n: number): Scenario => [{ service: 's3', name: 'DeleteObjects', requestParameters: { bucketName: 'data', delete: { Object: Array.from({ length: n }, (_, i) => ({ Key: `f${i}` })), Quiet: true } } }];
    expect(finding('impact.s3-bulk-write', batch(100), USER)).toMatchObject({ outcome: 'done', burst: { countInWindow: 100 } });
    expect(finding('impact.s3-bulk-write', batch(99), USER)).toBeUndefined();
  });

  it('a burst of refused terminations is an attempt, counted in instances and stating its window', () => {
    const f = finding('impact.mass-termination', refused(FAMILY_CASES['impact.mass-termination'].hit), USER)!;
    expect(f).toMatchObject({ outcome: 'attempted', count: 10, burst: { countInWindow: 10 } });
    expect(Date.parse(f.burst!.windowEnd) - Date.parse(f.burst!.windowStart)).toBe(10 * 60_000);
  });
});

describe('the rule index', () => {
  const everyScenario = [
    ...Object.values(FAMILY_CASES).flatMap((c) => [c.hit, c.miss, refused(c.hit), c.refusedScenario ?? []]),
    ...CORPUS.map((c) => [c.spec]),
  ];

  it('offers every event to every rule that can match it (the same as running all rules)', () => {
    let checked = 0;
    for (const scenario of everyScenario) {
      for (const e of events(scenario, USER)) {
        expect(matchingEventRules(e).map((r) => r.id)).toEqual(EVENT_RULES.filter((r) => r.matches(e, {})).map((r) => r.id));
        expect(BURST_INDEX.candidates(e).filter((r) => r.counts(e)).map((r) => r.id)).toEqual(BURST_RULES.filter((r) => r.counts(e)).map((r) => r.id));
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(300);
  });
});

describe('what the history source could not check', () => {
  const quiet = events([{ service: 'ec2', name: 'DescribeInstances' }], USER);

  it('LookupEvents: the families whose rules read data events are named, with those rules', () => {
    const s = summarise(quiet, { historySource: 'lookup' });
    expect(s.coverage?.source).toBe('lookup');
    const families = s.coverage!.notChecked.map((f) => f.family);
    expect(families).toEqual(expect.arrayContaining(['storage-and-encryption', 'compute-and-functions']));
    expect(s.coverage!.notChecked.flatMap((f) => f.rules)).toEqual(expect.arrayContaining(['Objects read from S3 buckets', 'Objects re-encrypted with a key the owner lacks', 'Lambda functions invoked']));
  });

  it('Athena or CloudTrail Lake: nothing is left unchecked by the source', () => {
    expect(summarise(quiet, { historySource: 'athena' }).coverage).toEqual({ source: 'athena', notChecked: [] });
  });

  it('"no findings" from LookupEvents says which families need Athena or CloudTrail Lake', () => {
    const { blocks } = trailSummaryBlocks(summarise(quiet, { historySource: 'lookup' }), { subject: 'ci-deployer', window: { start: '2024-05-01T00:00:00Z', end: '2024-05-02T00:00:00Z' }, regionsQueried: 1 });
    const text = JSON.stringify(blocks);
    expect(text).toContain('No sensitive actions matched the detection rules.');
    expect(text).toContain('Not checked: LookupEvents returns management events only');
    expect(text).toContain('storage and encryption');
    expect(text).toContain('Athena or CloudTrail Lake');
  });
});

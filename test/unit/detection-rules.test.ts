/**
 * Every detection rule against real-shaped CloudTrail records (the full `CloudTrailEvent`
 * JSON as LookupEvents returns it): a hit, a near miss, and the same call refused, which
 * must be reported as an attempt and not as done. Rules are run through the summary
 * builder, the way `/trail` runs them, so event, burst and history rules are tested alike.
 * The cases of the rules for databases, storage and encryption, public resources, network,
 * defences, sessions and compute are in test/support/detection-cases.ts.
 */
import {
  BURST_RULES, BurstTracker, DETECTION_RULES, GROUP_RULES, isAcceleratedInstanceType, isLargeInstanceType, TACTICS,
} from '../../src/domain/detection-rules';
import { TrailSummary } from '../../src/domain/trail-summary';
import { ACCOUNT_ID, ATTACKER_ACCOUNT_ID, assumedRoleIdentity, Identity, OFFICE_IP } from '../../sandbox/cloudtrail-fixtures';
import {
  ATTACKER_IP, Case, events, FAMILY_CASES, finding, IDENTITIES, ingress, INSTANCE, launch, MINUTE, principal, refused, ROOT, routine, Scenario, signIn, summarise, T0, times, USER,
} from '../support/detection-cases';

const ADMIN_DOC = encodeURIComponent(JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] }));
const READ_DOC = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: '*' }] });
const PUBLIC_BUCKET_POLICY = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: 'arn:aws:s3:::data/*' }] });
const VPCE_BUCKET_POLICY = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: 'arn:aws:s3:::data/*', Condition: { StringEquals: { 'aws:SourceVpce': 'vpce-1' } } }] });
const CORE_CASES: Record<string, Case> = {
  // ---- initial access
  'initial.console-login-no-mfa': { as: USER, hit: [signIn('No')], miss: [signIn('Yes')] },
  'initial.root-sign-in': { as: ROOT, hit: [signIn('Yes')], miss: [{ service: 's3', name: 'ListBuckets' }] },
  'initial.attack-tool-agent': {
    hit: [{ service: 'sts', name: 'GetCallerIdentity', userAgent: 'aws-cli/1.18.69 Python/3.8.10 Linux/5.15.0-kali3-amd64 botocore/1.17.1' }],
    miss: [{ service: 'sts', name: 'GetCallerIdentity', userAgent: 'aws-sdk-js/3.600.0 ua/2.1 os/linux#6.1 lang/js md/nodejs#20.11.0' }],
  },
  'initial.console-login-new-ip': {
    as: USER,
    hit: [routine({ at: -60 }), signIn('Yes', { sourceIp: ATTACKER_IP })],
    miss: [routine({ at: -60 }), signIn('Yes', { sourceIp: OFFICE_IP })],
  },
  'initial.first-console-login': {
    as: USER,
    hit: [routine({ at: -10 * 24 * 60 }), signIn('Yes', { sourceIp: OFFICE_IP })],
    miss: [routine({ at: -10 * 24 * 60 }), signIn('Yes', { at: -9 * 24 * 60, sourceIp: OFFICE_IP }), signIn('Yes', { sourceIp: OFFICE_IP, trigger: true })],
  },
  // ---- execution
  'execution.ssm-run-command': {
    hit: [{ service: 'ssm', name: 'SendCommand', requestParameters: { documentName: 'AWS-RunShellScript', instanceIds: ['i-0abc1234def567890'], parameters: '***' } }],
    miss: [{ service: 'ssm', name: 'ListCommands' }],
  },
  'execution.user-data-changed': {
    hit: [
      { service: 'ec2', name: 'StopInstances', requestParameters: { instancesSet: { items: [{ instanceId: 'i-0abc1234def567890' }] }, force: false } },
      { service: 'ec2', name: 'ModifyInstanceAttribute', requestParameters: { instanceId: 'i-0abc1234def567890', userData: '<sensitiveDataRemoved>' } },
    ],
    miss: [{ service: 'ec2', name: 'ModifyInstanceAttribute', requestParameters: { instanceId: 'i-0abc1234def567890', instanceType: { value: 't3.large' } } }],
  },
  // ---- persistence
  'persistence.create-user': {
    hit: [{ service: 'iam', name: 'CreateUser', requestParameters: { userName: 'backup-svc' }, responseElements: { user: { userName: 'backup-svc', arn: `arn:aws:iam::${ACCOUNT_ID}:user/backup-svc` } } }],
    miss: [{ service: 'iam', name: 'GetUser', requestParameters: { userName: 'backup-svc' } }],
  },
  'persistence.create-access-key': {
    hit: [{ service: 'iam', name: 'CreateAccessKey', requestParameters: { userName: 'backup-svc' }, responseElements: { accessKey: { userName: 'backup-svc', accessKeyId: 'AKIAQQQQQQQQQQQQQQQ9', status: 'Active' } } }],
    miss: [{ service: 'iam', name: 'ListAccessKeys' }],
  },
  'persistence.login-profile': {
    hit: [{ service: 'iam', name: 'CreateLoginProfile', requestParameters: { userName: 'backup-svc', passwordResetRequired: false } }],
    miss: [{ service: 'iam', name: 'GetLoginProfile', requestParameters: { userName: 'backup-svc' } }],
  },
  'persistence.user-policy': {
    hit: [{ service: 'iam', name: 'PutUserPolicy', requestParameters: { userName: 'u', policyName: 'p', policyDocument: READ_DOC } }],
    miss: [{ service: 'iam', name: 'DetachUserPolicy', requestParameters: { userName: 'u', policyArn: 'arn:aws:iam::aws:policy/ReadOnlyAccess' } }],
  },
  'persistence.create-role': {
    hit: [{ service: 'iam', name: 'CreateRole', requestParameters: { roleName: 'ops', assumeRolePolicyDocument: '{}' } }],
    miss: [{ service: 'iam', name: 'CreateServiceLinkedRole', requestParameters: { aWSServiceName: 'autoscaling.amazonaws.com' } }],
  },
  'persistence.trust-policy-change': {
    hit: [{ service: 'iam', name: 'UpdateAssumeRolePolicy', requestParameters: { roleName: 'ops', policyDocument: '{}' } }],
    miss: [{ service: 'iam', name: 'GetRole', requestParameters: { roleName: 'ops' } }],
  },
  'persistence.other-credentials': {
    hit: [{ service: 'iam', name: 'UploadSSHPublicKey', requestParameters: { userName: 'u', sSHPublicKeyBody: 'ssh-rsa AAAA' } }],
    miss: [{ service: 'iam', name: 'ListSSHPublicKeys' }],
  },
  'persistence.ec2-key-pair': {
    hit: [{ service: 'ec2', name: 'ImportKeyPair', requestParameters: { keyName: 'x', publicKeyMaterial: '<sensitiveDataRemoved>' } }],
    miss: [{ service: 'ec2', name: 'DescribeKeyPairs' }],
  },
  'persistence.lambda-public': {
    hit: [{ service: 'lambda', name: 'AddPermission20150331v2', requestParameters: { functionName: 'orders', statementId: 'x', action: 'lambda:InvokeFunction', principal: '*' } }],
    miss: [{ service: 'lambda', name: 'AddPermission20150331v2', requestParameters: { functionName: 'orders', statementId: 's3', action: 'lambda:InvokeFunction', principal: 's3.amazonaws.com' } }],
  },
  'persistence.lambda-code-replaced': {
    hit: [{ service: 'lambda', name: 'UpdateFunctionConfiguration20150331v2', requestParameters: { functionName: 'orders', layers: ['arn:aws:lambda:us-east-1:999988887777:layer:x:1'] } }],
    miss: [{ service: 'lambda', name: 'UpdateFunctionConfiguration20150331v2', requestParameters: { functionName: 'orders', timeout: 30 } }],
  },
  'persistence.roles-anywhere': {
    hit: [{ service: 'rolesanywhere', name: 'CreateTrustAnchor', requestParameters: { name: 'ca', source: { sourceType: 'CERTIFICATE_BUNDLE' }, enabled: true } }],
    miss: [{ service: 'rolesanywhere', name: 'ListTrustAnchors' }],
  },
  'persistence.federation-token': {
    as: USER,
    hit: [{ service: 'sts', name: 'GetFederationToken', requestParameters: { name: 'fed-session', durationSeconds: 129600 } }],
    miss: [{ service: 'sts', name: 'GetSessionToken', requestParameters: { durationSeconds: 3600 } }],
  },
  // ---- privilege escalation
  'privesc.admin-policy-attached': {
    hit: [{ service: 'iam', name: 'AttachUserPolicy', requestParameters: { userName: 'u', policyArn: 'arn:aws:iam::aws:policy/AdministratorAccess' } }],
    miss: [{ service: 'iam', name: 'AttachUserPolicy', requestParameters: { userName: 'u', policyArn: 'arn:aws:iam::aws:policy/ReadOnlyAccess' } }],
  },
  'privesc.wildcard-inline-policy': {
    hit: [{ service: 'iam', name: 'PutRolePolicy', requestParameters: { roleName: 'r', policyName: 'x', policyDocument: ADMIN_DOC } }],
    miss: [{ service: 'iam', name: 'PutRolePolicy', requestParameters: { roleName: 'r', policyName: 'x', policyDocument: READ_DOC } }],
  },
  'privesc.policy-version': {
    hit: [{ service: 'iam', name: 'CreatePolicyVersion', requestParameters: { policyArn: `arn:aws:iam::${ACCOUNT_ID}:policy/app`, setAsDefault: true } }],
    miss: [{ service: 'iam', name: 'GetPolicyVersion' }],
  },
  'privesc.role-or-group-permissions': {
    hit: [{ service: 'iam', name: 'AttachGroupPolicy', requestParameters: { groupName: 'devs', policyArn: 'arn:aws:iam::aws:policy/ReadOnlyAccess' } }],
    miss: [{ service: 'iam', name: 'ListAttachedGroupPolicies', requestParameters: { groupName: 'devs' } }],
  },
  'privesc.group-membership': {
    hit: [{ service: 'iam', name: 'AddUserToGroup', requestParameters: { groupName: 'admins', userName: 'u' } }],
    miss: [{ service: 'iam', name: 'RemoveUserFromGroup', requestParameters: { groupName: 'admins', userName: 'u' } }],
  },
  'privesc.identity-provider': {
    hit: [{ service: 'iam', name: 'CreateOpenIDConnectProvider', requestParameters: { url: 'https://token.example', clientIDList: ['sts.amazonaws.com'] } }],
    miss: [{ service: 'iam', name: 'ListOpenIDConnectProviders' }],
  },
  'privesc.pass-role-to-compute': {
    hit: [{ service: 'ec2', name: 'AssociateIamInstanceProfile', requestParameters: { AssociateIamInstanceProfileRequest: { InstanceId: 'i-0abc', IamInstanceProfile: { Name: 'admin' } } } }],
    miss: [launch('t3.micro')],
  },
  // ---- defense evasion
  'evasion.protection-tag': {
    hit: [{ service: 'iam', name: 'TagUser', requestParameters: { userName: principal.userName, tags: [{ key: 'keyguard:protected', value: 'true' }] } }],
    miss: [{ service: 'iam', name: 'TagUser', requestParameters: { userName: principal.userName, tags: [{ key: 'team', value: 'payments' }] } }],
  },
  'evasion.cloudtrail-tampered': {
    hit: [{ service: 'cloudtrail', name: 'StopLogging', requestParameters: { name: 'main' } }],
    miss: [{ service: 'cloudtrail', name: 'StartLogging', requestParameters: { name: 'main' } }],
  },
  'evasion.flow-logs-deleted': { hit: [{ service: 'ec2', name: 'DeleteFlowLogs' }], miss: [{ service: 'ec2', name: 'DescribeFlowLogs' }] },
  'evasion.service-logging-deleted': {
    hit: [{ service: 'route53resolver', name: 'DisassociateResolverQueryLogConfig', requestParameters: { resolverQueryLogConfigId: 'rqlc-1', resourceId: 'vpc-1' } }],
    miss: [{ service: 'route53resolver', name: 'ListResolverQueryLogConfigs' }],
  },
  'evasion.guardduty-changed': {
    hit: [{ service: 'guardduty', name: 'DeleteDetector', requestParameters: { detectorId: 'abc' } }],
    miss: [{ service: 'guardduty', name: 'ListDetectors' }],
  },
  'evasion.security-services-disabled': {
    hit: [{ service: 'securityhub', name: 'DisableSecurityHub' }],
    miss: [{ service: 'securityhub', name: 'GetFindings' }],
  },
  'evasion.config-stopped': { hit: [{ service: 'config', name: 'StopConfigurationRecorder' }], miss: [{ service: 'config', name: 'StartConfigurationRecorder' }] },
  'evasion.log-groups-deleted': {
    hit: [{ service: 'logs', name: 'DeleteLogGroup', requestParameters: { logGroupName: '/aws/lambda/x' } }],
    miss: [{ service: 'logs', name: 'CreateLogGroup' }],
  },
  'evasion.leave-organization': { hit: [{ service: 'organizations', name: 'LeaveOrganization' }], miss: [{ service: 'organizations', name: 'DescribeOrganization' }] },
  'evasion.region-enabled': {
    hit: [{ service: 'account', name: 'EnableRegion', requestParameters: { RegionName: 'me-central-1' } }],
    miss: [{ service: 'account', name: 'ListRegions' }],
  },
  'evasion.security-group-opened': { hit: [ingress('0.0.0.0/0')], miss: [ingress('203.0.113.0/24')] },
  'evasion.unusual-region': {
    hit: [routine({ at: -120 }), routine({ at: -110, region: 'eu-west-1' }), launch('t3.micro', 1, { region: 'ap-southeast-3' })],
    miss: [routine({ at: -120 }), routine({ at: -110, region: 'eu-west-1' }), launch('t3.micro', 1, { region: 'eu-west-1' })],
  },
  // ---- credential access
  'credentials.secret-read': {
    hit: [{ service: 'secretsmanager', name: 'GetSecretValue', requestParameters: { secretId: 'prod/db' } }],
    miss: [{ service: 'ssm', name: 'GetParameter', requestParameters: { name: '/flags', withDecryption: false } }],
  },
  'credentials.windows-password': {
    hit: [{ service: 'ec2', name: 'GetPasswordData', requestParameters: { instanceId: 'i-0abc' } }],
    miss: [{ service: 'ec2', name: 'GetConsoleOutput', requestParameters: { instanceId: 'i-0abc' } }],
  },
  'credentials.instance-credentials-elsewhere': {
    as: INSTANCE,
    hit: [
      { service: 's3', name: 'ListBuckets', sourceIp: '203.0.113.77', trigger: true },
      { service: 'sts', name: 'GetCallerIdentity', sourceIp: ATTACKER_IP, trigger: true },
    ],
    miss: [
      { service: 's3', name: 'ListBuckets', sourceIp: '203.0.113.77' },
      { service: 'dynamodb', name: 'DescribeTable', sourceIp: '10.0.3.17', extra: { vpcEndpointId: 'vpce-1', vpcEndpointAccountId: ACCOUNT_ID } },
    ],
  },
  // ---- discovery
  'discovery.identity-check': { hit: [{ service: 'sts', name: 'GetCallerIdentity' }], miss: [{ service: 'sts', name: 'GetAccessKeyInfo' }] },
  'discovery.enumeration': { hit: [{ service: 's3', name: 'ListBuckets' }], miss: [{ service: 's3', name: 'GetBucketLocation' }] },
  'discovery.access-denied-burst': {
    hit: times(10, (i) => ({ service: 'iam', name: 'ListUsers', errorCode: 'AccessDenied', at: i * 0.3 })),
    miss: times(9, (i) => ({ service: 'iam', name: 'ListUsers', errorCode: 'AccessDenied', at: i * 0.3 })),
    // Throttled or malformed calls are not someone being told no.
    refusedScenario: times(10, (i) => ({ service: 'iam', name: 'ListUsers', errorCode: 'Throttling', at: i * 0.3 })),
    refusedGives: 'nothing',
  },
  // ---- lateral movement
  'lateral.instance-connect-key': {
    hit: [{ service: 'ec2-instance-connect', name: 'SendSSHPublicKey', requestParameters: { instanceId: 'i-0abc', instanceOSUser: 'ec2-user', sSHPublicKey: 'ssh-ed25519 AAAA' } }],
    miss: [{ service: 'ec2-instance-connect', name: 'DescribeInstanceConnectEndpoints' }],
  },
  'lateral.serial-console': {
    hit: [
      { service: 'ec2', name: 'EnableSerialConsoleAccess', trigger: true },
      { service: 'ec2-instance-connect', name: 'SendSerialConsoleSSHPublicKey', requestParameters: { instanceId: 'i-0abc', serialPort: 0 }, trigger: true },
    ],
    miss: [{ service: 'ec2', name: 'GetSerialConsoleAccessStatus' }],
  },
  'lateral.ssm-session': {
    hit: [{ service: 'ssm', name: 'StartSession', requestParameters: { target: 'i-0abc' } }],
    miss: [{ service: 'ssm', name: 'TerminateSession', requestParameters: { sessionId: 's-1' } }],
  },
  'lateral.cross-account-role': {
    hit: [{ service: 'sts', name: 'AssumeRole', requestParameters: { roleArn: `arn:aws:iam::${ATTACKER_ACCOUNT_ID}:role/x`, roleSessionName: 's' } }],
    miss: [{ service: 'sts', name: 'AssumeRole', requestParameters: { roleArn: `arn:aws:iam::${ACCOUNT_ID}:role/deploy`, roleSessionName: 's' } }],
  },
  // ---- collection
  'collection.getobject-burst': {
    hit: times(100, (i) => ({ service: 's3', name: 'GetObject', at: i * 0.02, requestParameters: { bucketName: 'b', key: `k${i}` } })),
    miss: times(99, (i) => ({ service: 's3', name: 'GetObject', at: i * 0.02, requestParameters: { bucketName: 'b', key: `k${i}` } })),
    // Refused reads read nothing: they count towards the AccessDenied burst instead.
    refusedScenario: times(100, (i) => ({ service: 's3', name: 'GetObject', errorCode: 'AccessDenied', at: i * 0.02, requestParameters: { bucketName: 'b', key: `k${i}` } })),
    refusedGives: 'nothing',
  },
  // data events (trail history only: Athena / CloudTrail Lake)
  'collection.s3-bucket-read': {
    hit: [{ service: 's3', name: 'GetObject', requestParameters: { bucketName: 'payroll', key: 'a.csv' } }],
    miss: [{ service: 's3', name: 'ListBuckets' }],
    refusedGives: 'nothing',
  },
  'collection.s3-bulk-read': {
    hit: times(500, (i) => ({ service: 's3', name: 'GetObject', at: i * 0.11, requestParameters: { bucketName: 'b', key: `k${i}` } })),
    miss: times(499, (i) => ({ service: 's3', name: 'GetObject', at: i * 0.11, requestParameters: { bucketName: 'b', key: `k${i}` } })),
    refusedScenario: times(500, (i) => ({ service: 's3', name: 'GetObject', errorCode: 'AccessDenied', at: i * 0.11, requestParameters: { bucketName: 'b', key: `k${i}` } })),
    refusedGives: 'nothing',
  },
  'impact.s3-bulk-write': {
    hit: times(100, (i) => ({ service: 's3', name: 'DeleteObject', at: i * 0.05, requestParameters: { bucketName: 'b', key: `k${i}` } })),
    miss: times(99, (i) => ({ service: 's3', name: 'DeleteObject', at: i * 0.05, requestParameters: { bucketName: 'b', key: `k${i}` } })),
    refusedScenario: times(100, (i) => ({ service: 's3', name: 'DeleteObject', errorCode: 'AccessDenied', at: i * 0.05, requestParameters: { bucketName: 'b', key: `k${i}` } })),
    refusedGives: 'nothing',
  },
  'credentials.secrets-bulk-read': {
    hit: times(10, (i) => ({ service: 'secretsmanager', name: 'GetSecretValue', at: i * 0.5, requestParameters: { secretId: `s${i}` } })),
    miss: times(9, (i) => ({ service: 'secretsmanager', name: 'GetSecretValue', at: i * 0.5, requestParameters: { secretId: `s${i}` } })),
    refusedScenario: times(10, (i) => ({ service: 'secretsmanager', name: 'GetSecretValue', errorCode: 'AccessDeniedException', at: i * 0.5, requestParameters: { secretId: `s${i}` } })),
    refusedGives: 'nothing',
  },
  'credentials.kms-decrypt-burst': {
    hit: times(50, (i) => ({ service: 'kms', name: 'Decrypt', at: i * 0.1, requestParameters: { encryptionAlgorithm: 'SYMMETRIC_DEFAULT' } })),
    miss: times(50, (i) => ({ service: 'kms', name: 'Decrypt', at: i * 15, requestParameters: { encryptionAlgorithm: 'SYMMETRIC_DEFAULT' } })),
    refusedScenario: times(50, (i) => ({ service: 'kms', name: 'Decrypt', errorCode: 'AccessDenied', at: i * 0.1, requestParameters: { encryptionAlgorithm: 'SYMMETRIC_DEFAULT' } })),
    refusedGives: 'nothing',
  },
  'execution.lambda-invoke': {
    hit: [{ service: 'lambda', name: 'Invoke', requestParameters: { functionName: 'export-db' } }],
    miss: [{ service: 'lambda', name: 'ListFunctions20150331' }],
    refusedGives: 'nothing',
  },
  // ---- exfiltration
  'exfil.snapshot-shared': {
    hit: [{ service: 'ec2', name: 'ModifySnapshotAttribute', requestParameters: { snapshotId: 'snap-1', createVolumePermission: { add: { items: [{ userId: ATTACKER_ACCOUNT_ID }] } }, attributeType: 'CREATE_VOLUME_PERMISSION' } }],
    miss: [{ service: 'ec2', name: 'ModifySnapshotAttribute', requestParameters: { snapshotId: 'snap-1', createVolumePermission: { remove: { items: [{ userId: ATTACKER_ACCOUNT_ID }] } }, attributeType: 'CREATE_VOLUME_PERMISSION' } }],
  },
  'exfil.bucket-made-public': {
    hit: [{ service: 's3', name: 'PutBucketPolicy', requestParameters: { bucketName: 'data', bucketPolicy: JSON.parse(PUBLIC_BUCKET_POLICY), policy: '' } }],
    miss: [{ service: 's3', name: 'PutBucketPolicy', requestParameters: { bucketName: 'data', bucketPolicy: JSON.parse(VPCE_BUCKET_POLICY), policy: '' } }],
  },
  'exfil.bucket-replication': {
    hit: [{ service: 's3', name: 'PutBucketReplication', requestParameters: { bucketName: 'data' } }],
    miss: [{ service: 's3', name: 'GetBucketReplication', requestParameters: { bucketName: 'data' } }],
  },
  // ---- impact
  'impact.gpu-instances': { hit: [launch('p4d.24xlarge')], miss: [launch('m5.large')] },
  'impact.large-instances': { hit: [launch('c5.metal')], miss: [launch('c5.4xlarge')] },
  'impact.many-instances': { hit: [launch('t3.micro', 20)], miss: [launch('t3.micro', 9)] },
  'impact.quota-increase': {
    hit: [{ service: 'servicequotas', name: 'RequestServiceQuotaIncrease', requestParameters: { serviceCode: 'ec2', quotaCode: 'L-417A185B', desiredValue: 512 } }],
    miss: [{ service: 'servicequotas', name: 'GetServiceQuota' }],
  },
  'impact.bedrock-model-access': {
    hit: [
      { service: 'bedrock', name: 'PutUseCaseForModelAccess', requestParameters: { formData: '***' }, trigger: true },
      { service: 'bedrock', name: 'CreateFoundationModelAgreement', requestParameters: { modelId: 'anthropic.claude-3-sonnet' }, trigger: true },
    ],
    miss: [{ service: 'bedrock', name: 'GetFoundationModelAvailability', requestParameters: { modelId: 'anthropic.claude-3-sonnet' } }],
  },
  'impact.bedrock-invoke': {
    hit: [{ service: 'bedrock', name: 'InvokeModel', requestParameters: { modelId: 'anthropic.claude-3-sonnet' } }],
    miss: [{ service: 'bedrock', name: 'ListFoundationModels' }],
  },
  'impact.access-removal': {
    hit: [{ service: 'iam', name: 'DeleteLoginProfile', requestParameters: { userName: 'alice' } }],
    miss: [{ service: 'iam', name: 'UpdateAccessKey', requestParameters: { userName: 'alice', accessKeyId: 'AKIAQQQQQQQQQQQQQQQ8', status: 'Active' } }],
  },
  'impact.data-destroyed': {
    hit: [{ service: 'kms', name: 'ScheduleKeyDeletion', requestParameters: { keyId: 'k', pendingWindowInDays: 7 } }],
    miss: [{ service: 'kms', name: 'CancelKeyDeletion', requestParameters: { keyId: 'k' } }],
  },
};

const CASES: Record<string, Case> = { ...CORE_CASES, ...FAMILY_CASES };

const caseList = Object.entries(CASES).map(([ruleId, c], i) => ({ ruleId, ...c, as: c.as ?? IDENTITIES[i % IDENTITIES.length] }));

describe('the rule table', () => {
  it('every rule has a case here, and every case names a real rule', () => {
    expect(Object.keys(CASES).sort()).toEqual(DETECTION_RULES.map((r) => r.id).sort());
  });

  it.each(DETECTION_RULES.map((r) => [r.id, r] as const))('%s names its ATT&CK technique and tactic, severity, why, next step, what it ignores and its events', (_id, r) => {
    expect(r.technique.id).toMatch(/^T\d{4}(\.\d{3})?$/);
    expect(r.technique.name.length).toBeGreaterThan(3);
    expect(TACTICS[r.tactic].id).toMatch(/^TA\d{4}$/);
    expect(['high', 'medium', 'low']).toContain(r.severity);
    expect(r.why.length).toBeGreaterThan(30);
    expect(r.next.length).toBeGreaterThan(15);
    expect(r.ignores.length).toBeGreaterThan(5);
    expect(r.events.length).toBeGreaterThan(0);
    for (const e of r.events) expect(e).toMatch(/^[a-z0-9*-]+:/);
  });

  it('ids are unique and prefixed by their tactic', () => {
    const ids = DETECTION_RULES.map((r) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
    const prefix: Record<string, string> = {
      'initial-access': 'initial', execution: 'execution', persistence: 'persistence', 'privilege-escalation': 'privesc', 'defense-evasion': 'evasion',
      'credential-access': 'credentials', discovery: 'discovery', 'lateral-movement': 'lateral', collection: 'collection', exfiltration: 'exfil', impact: 'impact',
    };
    for (const r of DETECTION_RULES) expect(r.id.split('.')[0]).toBe(prefix[r.tactic]);
  });

  it('the cases are made by every kind of identity CloudTrail records', () => {
    expect(new Set(caseList.map((c) => c.as.type))).toEqual(new Set(['IAMUser', 'AssumedRole', 'FederatedUser', 'Root']));
  });
});

describe.each(caseList)('$ruleId', ({ ruleId, hit, miss, as, refusedGives, refusedScenario }) => {
  it(`flags the call as done (made by ${as.type})`, () => {
    const f = finding(ruleId, hit, as);
    expect(f).toMatchObject({ ruleId, outcome: 'done' });
    // A burst of refusals is a fact in itself; every other rule needs a call that went through.
    if (!BURST_RULES.some((r) => r.id === ruleId)) expect(f!.done).toBeGreaterThan(0);
  });

  it('leaves the near miss alone', () => {
    expect(finding(ruleId, miss, as)).toBeUndefined();
  });

  it(refusedGives === 'nothing' ? 'does not count calls that did nothing' : 'reports the refused call as an attempt, not as done', () => {
    const f = finding(ruleId, refusedScenario ?? refused(hit), as);
    if (refusedGives === 'nothing') {
      expect(f).toBeUndefined();
      return;
    }
    expect(f).toMatchObject({ ruleId, outcome: 'attempted', done: 0 });
    expect(f!.refused).toBeGreaterThan(0);
    expect(f!.examples[0].error).toBeDefined();
  });
});

describe('attempts beside completed calls', () => {
  it('a rule with both keeps them apart: done, with the refusals counted', () => {
    const f = finding('persistence.create-user', [
      { service: 'iam', name: 'CreateUser', requestParameters: { userName: 'a' }, errorCode: 'AccessDenied' },
      { service: 'iam', name: 'CreateUser', requestParameters: { userName: 'b' }, errorCode: 'EntityAlreadyExists', errorMessage: 'User with name b already exists.' },
      { service: 'iam', name: 'CreateUser', requestParameters: { userName: 'c' } },
    ], USER);
    expect(f).toMatchObject({ outcome: 'done', count: 3, done: 1, refused: 1, failed: 1 });
  });

  it('a refused call creates nothing to eradicate', () => {
    const s = summarise(events(refused([{ service: 'iam', name: 'CreateUser', requestParameters: { userName: 'backup-svc' } }]), USER));
    expect(s.createdResources.items).toEqual([]);
  });
});

describe('what the rules never flag', () => {
  const responder = (sessionName = 'keyguard-U0RESP-INC42', roleName = 'keyguard-responder') =>
    assumedRoleIdentity({ accountId: ACCOUNT_ID, roleName, sessionName, accessKeyId: 'ASIAQQQQQQQQQQQQQQQ7' });
  /** What containment and eradication send to IAM, as the bot makes the calls. */
  const containment: Scenario = [
    { service: 'iam', name: 'GetUser', requestParameters: { userName: principal.userName } },
    { service: 'iam', name: 'ListAccessKeys', requestParameters: { userName: principal.userName } },
    { service: 'iam', name: 'UpdateAccessKey', requestParameters: { userName: principal.userName, accessKeyId: principal.accessKeyId, status: 'Inactive' } },
    { service: 'iam', name: 'PutUserPolicy', requestParameters: { userName: principal.userName, policyName: 'keyguard-revoke-older-sessions', policyDocument: '{}' } },
    { service: 'iam', name: 'AttachUserPolicy', requestParameters: { userName: principal.userName, policyArn: 'arn:aws:iam::aws:policy/AWSCompromisedKeyQuarantineV3' } },
    { service: 'iam', name: 'PutRolePolicy', requestParameters: { roleName: 'deploy', policyName: 'AWSRevokeOlderSessions', policyDocument: '{}' } },
    { service: 'iam', name: 'DeleteAccessKey', requestParameters: { userName: 'backup-svc', accessKeyId: 'AKIAQQQQQQQQQQQQQQQ9' } },
    { service: 'iam', name: 'DeleteLoginProfile', requestParameters: { userName: 'backup-svc' } },
    { service: 'iam', name: 'DetachUserPolicy', requestParameters: { userName: 'backup-svc', policyArn: 'arn:aws:iam::aws:policy/AdministratorAccess' } },
    { service: 'iam', name: 'DeleteUser', requestParameters: { userName: 'backup-svc' } },
    { service: 'iam', name: 'UpdateAssumeRolePolicy', requestParameters: { roleName: 'OrganizationAccountAccessRole', policyDocument: '{}' } },
  ];
  const own = { roleNames: ['keyguard-responder'] };

  it('keyguard\'s containment through its responder role session: nothing flagged, every call counted as its own', () => {
    const s = summarise(events(containment, responder()), { ownActivity: own });
    expect(s.findings).toEqual([]);
    expect(s.ignored).toEqual({ keyguard: containment.length, awsService: 0 });
    expect(s.createdResources.items).toEqual([]);
  });

  it('the same calls by the bot\'s own principal (same-account mode): nothing flagged', () => {
    const bot = assumedRoleIdentity({ accountId: ACCOUNT_ID, roleName: 'keyguard-bot', sessionName: 'ecs-task-1', accessKeyId: 'ASIAQQQQQQQQQQQQQQQ6' });
    const s = summarise(events(containment, bot), { ownActivity: { principalArns: [`arn:aws:iam::${ACCOUNT_ID}:role/keyguard-bot`] } });
    expect(s.findings).toEqual([]);
    expect(s.ignored.keyguard).toBe(containment.length);
  });

  it('the same calls by the leaked key are flagged: it is the caller that makes them the bot\'s', () => {
    const ids = summarise(events(containment, USER), { ownActivity: own }).findings.map((f) => f.ruleId);
    expect(ids).toEqual(expect.arrayContaining(['persistence.user-policy', 'impact.access-removal', 'privesc.role-or-group-permissions', 'persistence.trust-policy-change']));
  });

  it('a keyguard-named session of another role is not the bot', () => {
    const s = summarise(events(containment, responder('keyguard-evil', 'attacker-role')), { ownActivity: own });
    expect(s.ignored.keyguard).toBe(0);
    expect(s.findings.map((f) => f.ruleId)).toContain('impact.access-removal');
  });

  it('a keyguard session doing what containment never does is still flagged', () => {
    const s = summarise(events([{ service: 'iam', name: 'CreateUser', requestParameters: { userName: 'sneaky' } }], responder()), { ownActivity: own });
    expect(s.findings.map((f) => f.ruleId)).toEqual(['persistence.create-user']);
  });

  it('AWS services acting for themselves, and service-linked role sessions, are not judged', () => {
    const service: Identity = { type: 'AWSService', invokedBy: 'autoscaling.amazonaws.com' };
    const linked = assumedRoleIdentity({ accountId: ACCOUNT_ID, roleName: 'AWSServiceRoleForAutoScaling', sessionName: 'AutoScaling', accessKeyId: 'ASIAQQQQQQQQQQQQQQQA' });
    (linked.sessionContext as { sessionIssuer: { arn: string } }).sessionIssuer.arn = `arn:aws:iam::${ACCOUNT_ID}:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling`;
    const s1 = summarise(events([launch('p3.16xlarge', 20, { sourceIp: 'autoscaling.amazonaws.com', userAgent: 'autoscaling.amazonaws.com' })], service));
    const s2 = summarise(events([launch('p3.16xlarge', 20, { sourceIp: 'autoscaling.amazonaws.com' })], linked));
    expect(s1.findings).toEqual([]);
    expect(s2.findings).toEqual([]);
    expect(s1.ignored.awsService + s2.ignored.awsService).toBe(2);
  });

  it('a principal\'s call made through a service (CloudFormation) is still judged', () => {
    const viaStack: Identity = { ...USER, invokedBy: 'cloudformation.amazonaws.com' };
    const s = summarise(events([{ service: 'iam', name: 'CreateUser', sourceIp: 'cloudformation.amazonaws.com', requestParameters: { userName: 'stack-user' } }], viaStack));
    expect(s.findings.map((f) => f.ruleId)).toEqual(['persistence.create-user']);
  });
});

describe('usual regions', () => {
  const history: Scenario = [routine({ at: -3 * 24 * 60 }), routine({ at: -2 * 24 * 60, region: 'eu-west-1' })];
  const unusual = (s: TrailSummary) => s.findings.find((f) => f.ruleId === 'evasion.unusual-region');

  it('configured (IR_USUAL_REGIONS): a launch outside them is flagged, whatever the history', () => {
    const s = summarise(events([...history, launch('t3.micro', 1, { region: 'eu-west-1' })], USER), { usualRegions: ['us-east-1'] });
    expect(s.usualRegions).toEqual({ source: 'configured', regions: ['us-east-1'] });
    expect(unusual(s)?.examples[0].detail).toBe('t3.micro in eu-west-1');
  });

  it('learned from activity before the first suspicious event', () => {
    const s = summarise(events([...history, { service: 'sts', name: 'GetCallerIdentity' }, launch('t3.micro', 1, { region: 'sa-east-1' }), launch('t3.micro', 1, { region: 'eu-west-1' })], USER));
    expect(s.usualRegions).toEqual({ source: 'learned', regions: ['eu-west-1', 'us-east-1'] });
    expect(unusual(s)?.examples.map((e) => e.region)).toEqual(['sa-east-1']);
  });

  it('what the attacker did in a region after things turned suspicious does not make it usual', () => {
    const s = summarise(events([
      ...history,
      { service: 'sts', name: 'GetCallerIdentity' },
      { service: 'ec2', name: 'DescribeImages', region: 'ap-southeast-3' },
      launch('g5.12xlarge', 4, { region: 'ap-southeast-3' }),
    ], USER));
    expect(s.usualRegions.regions).not.toContain('ap-southeast-3');
    expect(unusual(s)).toBeDefined();
  });

  it('a launch does not vouch for its own region, even with nothing else suspicious', () => {
    const s = summarise(events([...history, launch('t3.micro', 1, { region: 'ca-central-1' }), launch('t3.micro', 1, { region: 'ca-central-1' })], USER));
    expect(s.usualRegions.regions).not.toContain('ca-central-1');
    expect(unusual(s)?.count).toBe(2);
  });

  it('no history to learn from: the short default list', () => {
    const s = summarise(events([launch('t3.micro', 1, { region: 'us-west-2' }), launch('t3.micro', 1, { region: 'ap-south-1' })], USER));
    expect(s.usualRegions.source).toBe('default');
    expect(unusual(s)?.examples.map((e) => e.region)).toEqual(['ap-south-1']);
  });
});

describe('instance types', () => {
  it('recognises accelerated families and not general-purpose ones', () => {
    for (const t of ['p3.16xlarge', 'p4d.24xlarge', 'p5.48xlarge', 'g5.12xlarge', 'g4dn.xlarge', 'inf2.xlarge', 'trn1.32xlarge', 'dl1.24xlarge']) {
      expect(isAcceleratedInstanceType(t)).toBe(true);
    }
    for (const t of ['m5.large', 't4g.micro', 'c6g.xlarge', 'r5.2xlarge']) expect(isAcceleratedInstanceType(t)).toBe(false);
  });

  it('recognises very large ones: x and u- families, metal, 24xlarge and up', () => {
    for (const t of ['x1e.32xlarge', 'x2iedn.xlarge', 'u-6tb1.metal', 'u7i-12tb.224xlarge', 'c5.metal', 'm6i.metal-24xl', 'c5.24xlarge', 'm6i.32xlarge']) {
      expect(isLargeInstanceType(t)).toBe(true);
    }
    for (const t of ['c5.18xlarge', 'm5.large', 'r6i.16xlarge']) expect(isLargeInstanceType(t)).toBe(false);
  });

  it('a GPU fleet in an unusual region is every one of those findings', () => {
    const s = summarise(events([launch('g5.48xlarge', 16, { region: 'ap-southeast-3' })], USER), { usualRegions: ['us-east-1'] });
    expect(s.findings.map((f) => f.ruleId).sort()).toEqual(['evasion.unusual-region', 'impact.gpu-instances', 'impact.large-instances', 'impact.many-instances']);
  });
});

describe('burst windows', () => {
  const rule = BURST_RULES.find((r) => r.id === 'discovery.access-denied-burst')!;
  const denied = (atMs: number) => events([{ service: 'iam', name: 'ListUsers', errorCode: 'AccessDenied' }], USER).map((e) => ({ ...e, timeMs: atMs }))[0];

  it('finds the densest window whatever order the events arrive in', () => {
    const tracker = new BurstTracker(rule);
    Array.from({ length: 10 }, (_, i) => T0 + i * 20_000).reverse().forEach((t) => tracker.add(denied(t)));
    expect(tracker.densestWindow()).toMatchObject({ count: 10, total: 10, startMs: T0 });
  });

  it('does not fire on 10 spread over an hour', () => {
    const spread = new BurstTracker(rule);
    for (let i = 0; i < 10; i++) spread.add(denied(T0 + i * 6 * MINUTE));
    expect(spread.densestWindow()).toBeUndefined();
  });

  it('group rules decide over the whole history, in any arrival order', () => {
    const evs = events(CASES['credentials.instance-credentials-elsewhere'].hit, INSTANCE);
    expect(summarise([...evs].reverse()).findings.map((f) => f.ruleId)).toContain('credentials.instance-credentials-elsewhere');
    expect(GROUP_RULES.length).toBeGreaterThanOrEqual(4);
  });
});

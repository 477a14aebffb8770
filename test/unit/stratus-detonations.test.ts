/**
 * Stratus Red Team's AWS techniques, as the CloudTrail events their detonations produce
 * (per the technique pages and their detonation logs), each run through the summary: every
 * technique must be flagged, by the rule that names it. The user agent is an ordinary SDK's,
 * not Stratus' own: the rules must see the behaviour, not the tool's name.
 *
 * Left out: aws.persistence.cognito-refresh-token-reuse (a Cognito user pool token, not an
 * AWS key; nothing keyguard pulls records it).
 */
import { ACCOUNT_ID, ATTACKER_ACCOUNT_ID, Identity } from '../../sandbox/cloudtrail-fixtures';
import {
  ATTACKER_ROOT, events, INSTANCE, policy, ROLE, S3_NS, s3Resources, Scenario, signIn, summarise, times, USER,
} from '../support/detection-cases';

const GO_SDK = 'aws-sdk-go-v2/1.30.3 os/linux lang/go#1.22.5 md/GOOS#linux md/GOARCH#amd64 api/sts#1.30.3';
const denied = (code: string) => ({ errorCode: code });

interface Detonation {
  technique: string;
  scenario: Scenario;
  as?: Identity;
  /** The rules that must name it. */
  expect: string[];
}

const instances = ['i-0a1b2c3d4e5f60001', 'i-0a1b2c3d4e5f60002', 'i-0a1b2c3d4e5f60003'];

const DETONATIONS: Detonation[] = [
  { technique: 'aws.credential-access.ec2-get-password-data', as: ROLE, expect: ['credentials.windows-password'], scenario: times(30, (i) => ({ service: 'ec2', name: 'GetPasswordData', at: i * 0.05, requestParameters: { instanceId: `i-0${String(i).padStart(16, '0')}` }, ...denied('Client.UnauthorizedOperation') })) },
  {
    technique: 'aws.credential-access.ec2-steal-instance-credentials', as: INSTANCE, expect: ['credentials.instance-credentials-elsewhere'],
    scenario: [{ service: 'ec2', name: 'DescribeInstances', sourceIp: '54.210.3.17' }, { service: 'sts', name: 'GetCallerIdentity', sourceIp: '203.0.113.99' }, { service: 'ec2', name: 'DescribeSecurityGroups', sourceIp: '203.0.113.99' }],
  },
  { technique: 'aws.credential-access.secretsmanager-batch-retrieve-secrets', expect: ['credentials.secret-read'], scenario: [{ service: 'secretsmanager', name: 'ListSecrets' }, { service: 'secretsmanager', name: 'BatchGetSecretValue', requestParameters: { secretIdList: ['s1', 's2', 's3', 's4', 's5'] } }] },
  { technique: 'aws.credential-access.secretsmanager-retrieve-secrets', expect: ['credentials.secrets-bulk-read'], scenario: [{ service: 'secretsmanager', name: 'ListSecrets' }, ...times(20, (i) => ({ service: 'secretsmanager', name: 'GetSecretValue', at: 1 + i * 0.1, requestParameters: { secretId: `stratus-red-team-retrieve-secret-${i}` } }))] },
  { technique: 'aws.credential-access.ssm-retrieve-securestring-parameters', expect: ['credentials.secret-read'], scenario: [{ service: 'ssm', name: 'DescribeParameters' }, { service: 'ssm', name: 'GetParameters', requestParameters: { names: ['/credentials/stratus-red-team/credentials-0'], withDecryption: true } }] },
  { technique: 'aws.credential-access.retrieve-all-ssm-parameters', expect: ['credentials.secret-read'], scenario: [{ service: 'ssm', name: 'GetParametersByPath', requestParameters: { path: '/', recursive: true, withDecryption: true } }] },
  { technique: 'aws.defense-evasion.bedrock-guardrail-delete', expect: ['evasion.guardrail-changed'], scenario: [{ service: 'bedrock', name: 'DeleteGuardrail', requestParameters: { guardrailIdentifier: 'abc123' } }] },
  { technique: 'aws.defense-evasion.bedrock-model-invocation-logging-delete', expect: ['evasion.service-logging-deleted'], scenario: [{ service: 'bedrock', name: 'DeleteModelInvocationLoggingConfiguration' }] },
  { technique: 'aws.defense-evasion.cloudtrail-delete', expect: ['evasion.cloudtrail-tampered'], scenario: [{ service: 'cloudtrail', name: 'DeleteTrail', requestParameters: { name: 'stratus-red-team-trail' } }] },
  {
    technique: 'aws.defense-evasion.cloudtrail-event-selectors', expect: ['evasion.cloudtrail-tampered'],
    scenario: [{ service: 'cloudtrail', name: 'PutEventSelectors', requestParameters: { trailName: 'stratus-red-team-ctes-trail', eventSelectors: [{ dataResources: [{ type: 'AWS::S3::Object', values: [] }, { type: 'AWS::Lambda::Function', values: [] }], excludeManagementEventSources: [], includeManagementEvents: false, readWriteType: 'ReadOnly' }] } }],
  },
  {
    technique: 'aws.defense-evasion.cloudtrail-lifecycle-rule', expect: ['impact.bucket-lifecycle-expiry'],
    scenario: [{ service: 's3', name: 'PutBucketLifecycle', requestParameters: { bucketName: 'stratus-red-team-ctlr-bucket', LifecycleConfiguration: { Rule: { ID: 'nuke-cloudtrail-logs-after-1-day', Status: 'Enabled', Filter: { Prefix: '*' }, Expiration: { Days: 1 } }, xmlns: S3_NS }, lifecycle: '' } }],
  },
  { technique: 'aws.defense-evasion.cloudtrail-stop', expect: ['evasion.cloudtrail-tampered'], scenario: [{ service: 'cloudtrail', name: 'StopLogging', requestParameters: { name: 'stratus-red-team-trail' } }] },
  { technique: 'aws.defense-evasion.dns-delete-logs', expect: ['evasion.service-logging-deleted'], scenario: [{ service: 'route53resolver', name: 'DeleteResolverQueryLogConfig', requestParameters: { resolverQueryLogConfigId: 'rqlc-1' } }] },
  { technique: 'aws.defense-evasion.organizations-leave', expect: ['evasion.leave-organization'], scenario: [{ service: 'organizations', name: 'LeaveOrganization', ...denied('AccessDeniedException') }] },
  { technique: 'aws.defense-evasion.vpc-remove-flow-logs', expect: ['evasion.flow-logs-deleted'], scenario: [{ service: 'ec2', name: 'DeleteFlowLogs', requestParameters: { DeleteFlowLogsRequest: { FlowLogId: { content: 'fl-0abc', tag: 1 } } } }] },
  {
    technique: 'aws.discovery.ec2-enumerate-from-instance', as: INSTANCE, expect: ['discovery.identity-check', 'discovery.enumeration'],
    scenario: [
      { service: 'sts', name: 'GetCallerIdentity' }, { service: 's3', name: 'ListBuckets' }, { service: 'iam', name: 'GetAccountSummary' }, { service: 'iam', name: 'ListRoles' },
      { service: 'iam', name: 'ListUsers' }, { service: 'iam', name: 'GetAccountAuthorizationDetails' }, { service: 'ec2', name: 'DescribeSnapshots' }, { service: 'cloudtrail', name: 'DescribeTrails' }, { service: 'guardduty', name: 'ListDetectors' },
    ],
  },
  { technique: 'aws.discovery.ec2-download-user-data', as: ROLE, expect: ['credentials.user-data-read', 'discovery.access-denied-burst'], scenario: times(15, (i) => ({ service: 'ec2', name: 'DescribeInstanceAttribute', at: i * 0.02, requestParameters: { attribute: 'userData', instanceId: `i-${(0x95b86090 + i).toString(16)}` }, ...denied('Client.UnauthorizedOperation') })) },
  { technique: 'aws.discovery.ses-enumerate', expect: ['discovery.enumeration'], scenario: [{ service: 'ses', name: 'GetAccountSendingEnabled' }, { service: 'ses', name: 'GetSendQuota' }, { service: 'ses', name: 'ListIdentities' }, { service: 'ses', name: 'GetIdentityVerificationAttributes', requestParameters: { identities: ['example.com'] } }] },
  { technique: 'aws.discovery.bedrock-enumerate-models-multiple-regions', expect: ['discovery.enumeration'], scenario: ['us-east-1', 'us-west-2', 'eu-west-1', 'ap-northeast-1'].map((region, i) => ({ service: 'bedrock', name: 'ListFoundationModels', region, at: i * 0.1 })) },
  { technique: 'aws.execution.ec2-launch-unusual-instances', as: ROLE, expect: ['impact.gpu-instances', 'impact.many-instances'], scenario: [{ service: 'ec2', name: 'RunInstances', requestParameters: { instanceType: 'p2.xlarge', instancesSet: { items: [{ imageId: 'ami-0abc', minCount: 1, maxCount: 10 }] } }, ...denied('Client.UnauthorizedOperation') }] },
  {
    technique: 'aws.execution.ec2-user-data', expect: ['execution.user-data-changed'],
    scenario: [
      { service: 'ec2', name: 'StopInstances', requestParameters: { instancesSet: { items: [{ instanceId: instances[0] }] }, force: false } },
      { service: 'ec2', name: 'ModifyInstanceAttribute', requestParameters: { instanceId: instances[0], userData: '<sensitiveDataRemoved>' } },
      { service: 'ec2', name: 'StartInstances', requestParameters: { instancesSet: { items: [{ instanceId: instances[0] }] } } },
    ],
  },
  {
    technique: 'aws.execution.sagemaker-update-lifecycle-config', expect: ['execution.notebook-lifecycle'],
    scenario: [
      { service: 'sagemaker', name: 'CreateNotebookInstanceLifecycleConfig', requestParameters: { notebookInstanceLifecycleConfigName: 'stratus-malicious-lc', onStart: [{ content: 'HIDDEN_DUE_TO_SECURITY_REASONS' }] } },
      { service: 'sagemaker', name: 'StopNotebookInstance', requestParameters: { notebookInstanceName: 'stratus-nb' } },
      { service: 'sagemaker', name: 'UpdateNotebookInstance', requestParameters: { notebookInstanceName: 'stratus-nb', lifecycleConfigName: 'stratus-malicious-lc' } },
      { service: 'sagemaker', name: 'StartNotebookInstance', requestParameters: { notebookInstanceName: 'stratus-nb' } },
    ],
  },
  { technique: 'aws.execution.ssm-send-command', expect: ['execution.ssm-run-command'], scenario: [{ service: 'ssm', name: 'SendCommand', requestParameters: { instanceIds: instances, documentName: 'AWS-RunShellScript', parameters: 'HIDDEN_DUE_TO_SECURITY_REASONS' } }] },
  { technique: 'aws.execution.ssm-start-session', expect: ['lateral.ssm-session'], scenario: instances.map((target, i) => ({ service: 'ssm', name: 'StartSession', at: i * 0.1, requestParameters: { target } })) },
  { technique: 'aws.exfiltration.ec2-security-group-open-port-22-ingress', expect: ['evasion.security-group-opened'], scenario: [{ service: 'ec2', name: 'AuthorizeSecurityGroupIngress', requestParameters: { groupId: 'sg-0abc', ipPermissions: { items: [{ ipProtocol: 'tcp', fromPort: 22, toPort: 22, groups: {}, ipRanges: { items: [{ cidrIp: '0.0.0.0/0' }] }, ipv6Ranges: {}, prefixListIds: {} }] } } }] },
  { technique: 'aws.exfiltration.ec2-share-ami', expect: ['exfil.snapshot-shared'], scenario: [{ service: 'ec2', name: 'ModifyImageAttribute', requestParameters: { imageId: 'ami-0abc', launchPermission: { add: { items: [{ userId: ATTACKER_ACCOUNT_ID }] } }, attributeType: 'launchPermission' } }] },
  { technique: 'aws.exfiltration.ami-make-public', expect: ['exfil.snapshot-made-public'], scenario: [{ service: 'ec2', name: 'ModifyImageAttribute', requestParameters: { imageId: 'ami-0abc', launchPermission: { add: { items: [{ group: 'all' }] } }, attributeType: 'launchPermission' } }] },
  { technique: 'aws.exfiltration.ec2-share-ebs-snapshot', expect: ['exfil.snapshot-shared'], scenario: [{ service: 'ec2', name: 'ModifySnapshotAttribute', requestParameters: { snapshotId: 'snap-0abc', createVolumePermission: { add: { items: [{ userId: ATTACKER_ACCOUNT_ID }] } }, attributeType: 'CREATE_VOLUME_PERMISSION' } }] },
  { technique: 'aws.exfiltration.rds-share-snapshot', expect: ['exfil.snapshot-shared'], scenario: [{ service: 'rds', name: 'ModifyDBSnapshotAttribute', requestParameters: { attributeName: 'restore', dBSnapshotIdentifier: 'exfiltration', valuesToAdd: [ATTACKER_ACCOUNT_ID] }, responseElements: { dBSnapshotIdentifier: 'exfiltration', dBSnapshotAttributes: [{ attributeName: 'restore', attributeValues: [ATTACKER_ACCOUNT_ID] }] } }] },
  {
    technique: 'aws.exfiltration.s3-backdoor-bucket-policy', expect: ['exfil.resource-shared-external'],
    scenario: [{ service: 's3', name: 'PutBucketPolicy', requestParameters: { bucketName: 'stratus-red-team-bdbp', bucketPolicy: JSON.parse(policy({ Effect: 'Allow', Principal: { AWS: ATTACKER_ROOT }, Action: ['s3:GetObject', 's3:GetBucketLocation', 's3:ListBucket'], Resource: ['arn:aws:s3:::stratus-red-team-bdbp/*', 'arn:aws:s3:::stratus-red-team-bdbp'] })), policy: '' } }],
  },
  { technique: 'aws.impact.bedrock-invoke-model', expect: ['impact.bedrock-invoke'], scenario: [{ service: 'bedrock', name: 'InvokeModel', requestParameters: { modelId: 'anthropic.claude-3-haiku-20240307-v1:0' } }] },
  {
    technique: 'aws.impact.s3-ransomware-batch-deletion', expect: ['impact.s3-bulk-write', 'impact.ransom-note'],
    scenario: [
      { service: 's3', name: 'ListObjectVersions', requestParameters: { bucketName: 'victim' } },
      { service: 's3', name: 'DeleteObjects', requestParameters: { bucketName: 'victim', delete: { Object: Array.from({ length: 1000 }, (_, i) => ({ Key: `file-${i}.txt`, VersionId: `v${i}` })), Quiet: true } }, extra: s3Resources('victim', '') },
      { service: 's3', name: 'PutObject', requestParameters: { bucketName: 'victim', key: 'FILES-DELETED.txt' }, extra: s3Resources('victim', 'FILES-DELETED.txt') },
      { service: 's3', name: 'PutObject', requestParameters: { bucketName: 'victim', key: 'how-to-recover-your-data.txt' }, extra: s3Resources('victim', 'how-to-recover-your-data.txt') },
    ],
  },
  {
    technique: 'aws.impact.s3-ransomware-client-side-encryption', expect: ['impact.objects-encrypted', 'impact.ransom-note'],
    scenario: [
      ...times(5, (i) => ({ service: 's3', name: 'CopyObject', at: i * 0.1, requestParameters: { bucketName: 'victim', key: `f${i}.txt`, 'x-amz-copy-source': `victim/f${i}.txt`, 'x-amz-server-side-encryption-customer-algorithm': 'AES256', 'x-id': 'CopyObject' }, extra: s3Resources('victim', `f${i}.txt`) })),
      { service: 's3', name: 'PutObject', at: 1, requestParameters: { bucketName: 'victim', key: 'how-to-decrypt-your-files.txt' }, extra: s3Resources('victim', 'how-to-decrypt-your-files.txt') },
    ],
  },
  { technique: 'aws.impact.s3-ransomware-individual-deletion', expect: ['impact.s3-bulk-write'], scenario: times(120, (i) => ({ service: 's3', name: 'DeleteObject', at: i * 0.02, requestParameters: { bucketName: 'victim', key: `file-${i}.txt` }, extra: s3Resources('victim', `file-${i}.txt`) })) },
  { technique: 'aws.impact.ec2-deregister-ami', expect: ['impact.image-deregistered'], scenario: [{ service: 'ec2', name: 'DeregisterImage', requestParameters: { imageId: 'ami-0abc' } }] },
  { technique: 'aws.initial-access.console-login-without-mfa', expect: ['initial.console-login-no-mfa'], scenario: [signIn('No')] },
  { technique: 'aws.lateral-movement.ec2-instance-connect', expect: ['lateral.instance-connect-key'], scenario: instances.map((instanceId, i) => ({ service: 'ec2-instance-connect', name: 'SendSSHPublicKey', at: i * 0.1, requestParameters: { instanceId, instanceOSUser: 'ec2-user', sSHPublicKey: 'ssh-ed25519 AAAA' } })) },
  { technique: 'aws.lateral-movement.ec2-serial-console-send-ssh-public-key', expect: ['lateral.serial-console'], scenario: [{ service: 'ec2', name: 'EnableSerialConsoleAccess' }, { service: 'ec2-instance-connect', name: 'SendSerialConsoleSSHPublicKey', requestParameters: { instanceId: instances[0], serialPort: 0, sSHPublicKey: 'ssh-ed25519 AAAA' } }] },
  { technique: 'aws.persistence.iam-backdoor-role', expect: ['persistence.trust-policy-change', 'exfil.resource-shared-external'], scenario: [{ service: 'iam', name: 'UpdateAssumeRolePolicy', requestParameters: { roleName: 'stratus-red-team-backdoor-role', policyDocument: encodeURIComponent(policy({ Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' }, { Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::193672423079:root' }, Action: 'sts:AssumeRole' })) } }] },
  { technique: 'aws.persistence.iam-backdoor-user', expect: ['persistence.create-access-key'], scenario: [{ service: 'iam', name: 'CreateAccessKey', requestParameters: { userName: 'stratus-red-team-backdoor-user' }, responseElements: { accessKey: { userName: 'stratus-red-team-backdoor-user', accessKeyId: 'AKIAQQQQQQQQQQQQQQQC', status: 'Active' } } }] },
  {
    technique: 'aws.persistence.iam-create-admin-user', expect: ['persistence.create-user', 'privesc.admin-policy-attached', 'persistence.create-access-key'],
    scenario: [
      { service: 'iam', name: 'CreateUser', requestParameters: { userName: 'malicious-iam-user' } },
      { service: 'iam', name: 'AttachUserPolicy', requestParameters: { userName: 'malicious-iam-user', policyArn: 'arn:aws:iam::aws:policy/AdministratorAccess' } },
      { service: 'iam', name: 'CreateAccessKey', requestParameters: { userName: 'malicious-iam-user' } },
    ],
  },
  {
    technique: 'aws.persistence.iam-create-backdoor-role', expect: ['persistence.create-role', 'exfil.resource-shared-external', 'privesc.admin-policy-attached'],
    scenario: [
      { service: 'iam', name: 'CreateRole', requestParameters: { roleName: 'stratus-red-team-malicious-iam-role', assumeRolePolicyDocument: encodeURIComponent(policy({ Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::193672423079:root' }, Action: 'sts:AssumeRole' })) } },
      { service: 'iam', name: 'AttachRolePolicy', requestParameters: { roleName: 'stratus-red-team-malicious-iam-role', policyArn: 'arn:aws:iam::aws:policy/AdministratorAccess' } },
    ],
  },
  { technique: 'aws.persistence.iam-create-user-login-profile', expect: ['persistence.login-profile'], scenario: [{ service: 'iam', name: 'CreateLoginProfile', requestParameters: { userName: 'stratus-red-team-login-profile-user', passwordResetRequired: false } }] },
  { technique: 'aws.persistence.lambda-backdoor-function', expect: ['persistence.lambda-public'], scenario: [{ service: 'lambda', name: 'AddPermission20150331v2', requestParameters: { functionName: 'stratus-red-team-backdoor-f', statementId: 'backdoor', action: 'lambda:InvokeFunction', principal: '*' } }] },
  {
    technique: 'aws.persistence.lambda-layer-extension', expect: ['persistence.lambda-code-replaced'],
    scenario: [
      { service: 'lambda', name: 'PublishLayerVersion20181031', requestParameters: { layerName: 'stratus-layer', content: {} } },
      { service: 'lambda', name: 'UpdateFunctionConfiguration20150331v2', requestParameters: { functionName: 'stratus-fn', layers: [`arn:aws:lambda:us-east-1:${ACCOUNT_ID}:layer:stratus-layer:1`] } },
    ],
  },
  { technique: 'aws.persistence.lambda-overwrite-code', expect: ['persistence.lambda-code-replaced'], scenario: [{ service: 'lambda', name: 'UpdateFunctionCode20150331v2', requestParameters: { functionName: 'stratus-fn', publish: false, dryRun: false } }] },
  { technique: 'aws.persistence.rolesanywhere-create-trust-anchor', expect: ['persistence.roles-anywhere'], scenario: [{ service: 'rolesanywhere', name: 'CreateTrustAnchor', requestParameters: { name: 'malicious-trust-anchor', source: { sourceType: 'CERTIFICATE_BUNDLE' }, enabled: true } }, { service: 'rolesanywhere', name: 'CreateProfile', requestParameters: { name: 'malicious-profile', roleArns: [`arn:aws:iam::${ACCOUNT_ID}:role/x`], enabled: true } }] },
  { technique: 'aws.persistence.sts-federation-token', expect: ['persistence.federation-token'], scenario: [{ service: 'sts', name: 'GetFederationToken', requestParameters: { name: 'stratus_red_team', policy: '***', durationSeconds: 129600 } }] },
  { technique: 'aws.persistence.ec2-create-suspicious-keypair', expect: ['persistence.ec2-key-pair'], scenario: [{ service: 'ec2', name: 'ImportKeyPair', requestParameters: { keyName: 'stratus-red-team-kp', publicKeyMaterial: '<sensitiveDataRemoved>' } }] },
  { technique: 'aws.privilege-escalation.iam-update-user-login-profile', expect: ['persistence.login-profile'], scenario: [{ service: 'iam', name: 'UpdateLoginProfile', requestParameters: { userName: 'stratus-red-team-ulp-user', passwordResetRequired: false } }] },
  { technique: 'aws.collection.ec2-console-screenshots', expect: ['collection.console-screenshot'], scenario: instances.map((instanceId, i) => ({ service: 'ec2', name: 'GetConsoleScreenshot', at: i * 0.1, requestParameters: { instanceId } })) },
];

describe.each(DETONATIONS)('$technique', ({ scenario, as, expect: ruleIds }) => {
  it(`is flagged by ${ruleIds.join(', ')}`, () => {
    const found = summarise(events(scenario.map((s) => ({ userAgent: GO_SDK, ...s })), as ?? USER)).findings.map((f) => f.ruleId);
    expect(found).toEqual(expect.arrayContaining(ruleIds));
  });
});

it('covers every AWS technique of the list, less the one left out', () => {
  expect(new Set(DETONATIONS.map((d) => d.technique)).size).toBe(DETONATIONS.length);
  expect(DETONATIONS.length).toBeGreaterThanOrEqual(50);
});

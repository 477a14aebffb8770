/** TA0003 Persistence: ways back in that outlive the leaked key. Pure. */
import { pick, pickString, TrailEvent } from '../trail-event';
import { eventRules, groupRule } from './define';
import { call, eventsOf, isEveryonePrincipal, param } from './match';

const ADDITIONAL_CREDENTIALS = { id: 'T1098.001', name: 'Account Manipulation: Additional Cloud Credentials' };
const ADDITIONAL_ROLES = { id: 'T1098.003', name: 'Account Manipulation: Additional Cloud Roles' };
const EVENT_TRIGGERED = { id: 'T1546', name: 'Event Triggered Execution' };

const OTHER_CREDENTIALS = ['UploadSSHPublicKey', 'CreateServiceSpecificCredential', 'CreateVirtualMFADevice', 'EnableMFADevice', 'UploadSigningCertificate'];
const ROLES_ANYWHERE = ['CreateTrustAnchor', 'UpdateTrustAnchor', 'EnableTrustAnchor', 'CreateProfile', 'UpdateProfile', 'EnableProfile'];
const ADD_PERMISSION = call('lambda', ['AddPermission']);
const UPDATE_CONFIGURATION = call('lambda', ['UpdateFunctionConfiguration']);
const FUNCTION_URL = call('lambda', ['CreateFunctionUrlConfig', 'UpdateFunctionUrlConfig']);
const DB_MODIFY = call('rds', ['ModifyDBInstance', 'ModifyDBCluster']);

/**
 * A Lambda permission for anyone: principal `*` with nothing narrowing it to a source account,
 * ARN or organization (a function URL permission narrowed to IAM auth is not public either).
 */
function lambdaPermissionPublic(e: TrailEvent): boolean {
  if (!ADD_PERMISSION(e) || !isEveryonePrincipal(pick(e.requestParameters, 'principal'))) return false;
  if (param(e, 'sourceAccount', 'sourceArn', 'principalOrgID') !== undefined) return false;
  return param(e, 'functionUrlAuthType') !== 'AWS_IAM';
}

/** A function URL that needs no signature at all. */
function functionUrlOpen(e: TrailEvent): boolean {
  return FUNCTION_URL(e) && param(e, 'authType') === 'NONE';
}

/** Configuration changes that run other code in the function: environment (NODE_OPTIONS, AWS_LAMBDA_EXEC_WRAPPER…) or handler. */
function lambdaRunsOtherCode(e: TrailEvent): boolean {
  return UPDATE_CONFIGURATION(e) && (pick(e.requestParameters, 'environment') !== undefined || pick(e.requestParameters, 'handler') !== undefined);
}

/** A master password set: in the request (CloudTrail masks the value) or pending in the response. */
function masterPasswordChanged(e: TrailEvent): boolean {
  if (!DB_MODIFY(e)) return false;
  return pick(e.requestParameters, 'masterUserPassword') !== undefined || pick(e.responseElements, 'pendingModifiedValues', 'masterUserPassword') !== undefined;
}

/** The image a launch names. */
function launchedImage(e: TrailEvent): string | undefined {
  if (!call('ec2', ['RunInstances'])(e)) return undefined;
  return pickString(e.requestParameters, 'instancesSet', 'items', '0', 'imageId') ?? pickString(e.requestParameters, 'imageId');
}

const PERSISTENCE_EVENT_RULES = eventRules('persistence', [
  {
    id: 'persistence.create-user', family: 'identity', severity: 'high',
    technique: { id: 'T1136.003', name: 'Create Account: Cloud Account' },
    title: 'IAM user created',
    why: 'A new user is a way back in that survives revoking the leaked key.',
    next: 'Remove the user in the Eradicate step (keys, password and policies first) unless someone in the team created it.',
    ignores: 'AWS services acting for themselves; reading users.',
    events: ['iam:CreateUser'],
    matches: call('iam', ['CreateUser']),
  },
  {
    id: 'persistence.create-access-key', family: 'identity', severity: 'high',
    technique: ADDITIONAL_CREDENTIALS,
    title: 'Access key created',
    why: 'A second key keeps working after the leaked one is deactivated.',
    next: 'Deactivate and delete the new key (Eradicate step), then check what it was used for.',
    ignores: 'Listing keys; AWS services acting for themselves.',
    events: ['iam:CreateAccessKey'],
    matches: call('iam', ['CreateAccessKey']),
  },
  {
    id: 'persistence.login-profile', family: 'identity', severity: 'high',
    technique: ADDITIONAL_CREDENTIALS,
    title: 'Console password set',
    why: 'A console password gives access without any access key at all.',
    next: 'Delete the login profile (Eradicate step) and look for ConsoleLogin events by that user.',
    ignores: 'Reading a login profile; the user changing their own password in the console (ChangePassword).',
    events: eventsOf('iam', ['CreateLoginProfile', 'UpdateLoginProfile']),
    matches: call('iam', ['CreateLoginProfile', 'UpdateLoginProfile']),
  },
  {
    id: 'persistence.user-policy', family: 'identity', severity: 'medium',
    technique: ADDITIONAL_ROLES,
    title: 'Policy given to a user',
    why: 'Permissions granted to a user (often one the attacker created) last beyond the session.',
    next: 'Detach or delete the policy unless a change request explains it.',
    ignores: 'keyguard\'s own deny policies (keyguard-revoke-older-sessions, AWSCompromisedKeyQuarantine*); detaching policies.',
    events: eventsOf('iam', ['AttachUserPolicy', 'PutUserPolicy']),
    matches: call('iam', ['AttachUserPolicy', 'PutUserPolicy']),
  },
  {
    id: 'persistence.create-role', family: 'identity', severity: 'medium',
    technique: ADDITIONAL_ROLES,
    title: 'IAM role created',
    why: 'A role the attacker can assume from outside is a durable back door.',
    next: 'Read the new role\'s trust policy; delete the role if it trusts anyone outside the organisation.',
    ignores: 'Service-linked roles created by AWS services (CreateServiceLinkedRole).',
    events: ['iam:CreateRole'],
    matches: call('iam', ['CreateRole']),
  },
  {
    id: 'persistence.trust-policy-change', family: 'identity', severity: 'high',
    technique: ADDITIONAL_ROLES,
    title: 'Role trust policy changed',
    why: 'Editing who may assume a role can let an outside account in for good.',
    next: 'Compare with the previous trust policy and restore it (Eradicate step); look for AssumeRole from the new principal.',
    ignores: 'keyguard restoring a trust policy during eradication.',
    events: ['iam:UpdateAssumeRolePolicy'],
    matches: call('iam', ['UpdateAssumeRolePolicy']),
  },
  {
    id: 'persistence.other-credentials', family: 'identity', severity: 'medium',
    technique: ADDITIONAL_CREDENTIALS,
    title: 'Other credentials added',
    why: 'SSH keys, service-specific credentials, signing certificates and MFA devices are further ways to sign in.',
    next: 'Delete the added credential and, for an MFA device, check it is the user\'s own.',
    ignores: 'Listing credentials; deleting them.',
    events: eventsOf('iam', OTHER_CREDENTIALS),
    matches: call('iam', OTHER_CREDENTIALS),
  },
  {
    id: 'persistence.ec2-key-pair', family: 'compute-and-functions', severity: 'medium',
    technique: { id: 'T1098.004', name: 'Account Manipulation: SSH Authorized Keys' },
    title: 'EC2 key pair created or imported',
    why: 'An attacker\'s key pair on new or relaunched instances gives SSH access that no IAM change revokes.',
    next: 'Delete the key pair and find instances launched with it (DescribeInstances, key-name filter).',
    ignores: 'Describing or deleting key pairs.',
    events: eventsOf('ec2', ['ImportKeyPair', 'CreateKeyPair']),
    matches: call('ec2', ['ImportKeyPair', 'CreateKeyPair']),
  },
  {
    id: 'persistence.lambda-public', family: 'public-exposure', severity: 'high',
    technique: { id: 'T1098', name: 'Account Manipulation' },
    title: 'Lambda function opened to everyone',
    why: 'A permission with a `*` principal, or a function URL with no authentication, lets anyone, in any account or on the internet, invoke the function: a back door that needs no credentials.',
    next: 'Remove the statement (RemovePermission) or the URL, and read the function\'s code for what the door opens.',
    ignores: 'Permissions for AWS services and named accounts (those are "Resource shared with another account"); `*` narrowed by a source account, source ARN or organization; function URLs with IAM authentication.',
    events: eventsOf('lambda', ['AddPermission', 'CreateFunctionUrlConfig', 'UpdateFunctionUrlConfig']),
    matches: (e) => lambdaPermissionPublic(e) || functionUrlOpen(e),
    describe: (e) => `${param(e, 'functionName') ?? 'function'}${functionUrlOpen(e) ? ' URL, auth NONE' : ''}`,
  },
  {
    id: 'persistence.lambda-code-replaced', family: 'compute-and-functions', severity: 'high',
    technique: EVENT_TRIGGERED,
    title: 'Lambda code or layers replaced',
    why: 'New code or a layer/extension in a function runs with its role on every invocation, and persists through key rotation.',
    next: 'Compare the deployed code hash with your pipeline\'s last deploy; roll back to the previous version and remove unknown layers.',
    ignores: 'Configuration changes that add no layers (memory, timeout, environment); creating new functions (see "Role handed to an instance or function").',
    events: eventsOf('lambda', ['UpdateFunctionCode', 'UpdateFunctionConfiguration', 'PublishLayerVersion']),
    matches: (e) =>
      call('lambda', ['UpdateFunctionCode', 'PublishLayerVersion'])(e) ||
      (UPDATE_CONFIGURATION(e) && Array.isArray(pick(e.requestParameters, 'layers')) && (pick(e.requestParameters, 'layers') as unknown[]).length > 0),
  },
  {
    id: 'persistence.roles-anywhere', family: 'identity', severity: 'high',
    technique: ADDITIONAL_CREDENTIALS,
    title: 'IAM Roles Anywhere trust anchor or profile',
    why: 'A trust anchor for the attacker\'s certificate authority lets them mint role sessions from outside AWS, with no IAM key at all.',
    next: 'Disable and delete the trust anchor and profile unless your PKI team set them up.',
    ignores: 'Listing anchors and profiles; creating CRLs.',
    events: eventsOf('rolesanywhere', ROLES_ANYWHERE),
    matches: call('rolesanywhere', ROLES_ANYWHERE),
  },
  {
    id: 'persistence.federation-token', family: 'credentials-and-sessions', severity: 'high',
    technique: ADDITIONAL_CREDENTIALS,
    title: 'Federation token issued',
    why: 'GetFederationToken sessions last up to 36 hours and keep working after the key that minted them is deactivated.',
    next: 'Make sure the user deny policy (revoke older sessions) is in place: it also ends federated sessions of that user.',
    ignores: 'GetSessionToken and AssumeRole (followed through the credential graph instead).',
    events: ['sts:GetFederationToken'],
    matches: call('sts', ['GetFederationToken']),
  },
  {
    id: 'persistence.lambda-config-changed', family: 'compute-and-functions', severity: 'medium',
    technique: EVENT_TRIGGERED,
    title: 'Lambda environment or handler changed',
    why: 'A new environment (NODE_OPTIONS, PYTHONSTARTUP, AWS_LAMBDA_EXEC_WRAPPER…) or handler makes the function run other code with its role on every invocation; CloudTrail does not log the values.',
    next: 'Compare the function\'s configuration with the last deploy and restore it; read what the new environment loads.',
    ignores: 'Memory, timeout, VPC, tracing and description changes; role changes (see "Role handed to an instance or function").',
    events: ['lambda:UpdateFunctionConfiguration'],
    matches: lambdaRunsOtherCode,
    describe: (e) => param(e, 'functionName'),
  },
  {
    id: 'persistence.db-master-password', family: 'databases', severity: 'high',
    technique: { id: 'T1098', name: 'Account Manipulation' },
    title: 'Database master password changed',
    why: 'Setting a new master password gives the attacker full control of the database\'s data, and locks the owners out.',
    next: 'Reset the master password (or hand it to Secrets Manager), check the security groups and public access, and review connections since.',
    ignores: 'Database changes that do not set the master password.',
    events: eventsOf('rds', ['ModifyDBInstance', 'ModifyDBCluster']),
    matches: masterPasswordChanged,
    describe: (e) => param(e, 'dBInstanceIdentifier', 'dBClusterIdentifier'),
  },
]);

/**
 * An image never launched before in the pulled history, after at least a day of launches from
 * other images: what the principal does not usually run. Launches with no earlier launch to
 * compare with say nothing here (the other launch rules judge them).
 */
const UNUSUAL_IMAGE = groupRule('persistence', {
  id: 'persistence.unusual-image', family: 'compute-and-functions', severity: 'low',
  technique: { id: 'T1525', name: 'Implant Internal Image' },
  title: 'Instances launched from a new image',
  why: 'After a day or more of launches from other images, an image this principal never launched before is often the attacker\'s own (a miner, a back door).',
  next: 'Find who owns the image (DescribeImages) and what it runs; terminate the instances if nobody in the team chose it.',
  ignores: 'Images already launched earlier in the pulled history; histories without launches a day before.',
  events: ['ec2:RunInstances'],
  groupOf: launchedImage,
  notBaseline: true,
  fires: (g, h) => g.firstMs - h.ruleFirstMs >= 86_400_000,
});


export const PERSISTENCE = [...PERSISTENCE_EVENT_RULES, UNUSUAL_IMAGE];

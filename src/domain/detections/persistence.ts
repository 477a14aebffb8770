/** TA0003 Persistence: ways back in that outlive the leaked key. Pure. */
import { pick } from '../trail-event';
import { eventRules } from './define';
import { call, eventsOf, isEveryonePrincipal } from './match';

const ADDITIONAL_CREDENTIALS = { id: 'T1098.001', name: 'Account Manipulation: Additional Cloud Credentials' };
const ADDITIONAL_ROLES = { id: 'T1098.003', name: 'Account Manipulation: Additional Cloud Roles' };
const EVENT_TRIGGERED = { id: 'T1546', name: 'Event Triggered Execution' };

const OTHER_CREDENTIALS = ['UploadSSHPublicKey', 'CreateServiceSpecificCredential', 'CreateVirtualMFADevice', 'EnableMFADevice', 'UploadSigningCertificate'];
const ROLES_ANYWHERE = ['CreateTrustAnchor', 'UpdateTrustAnchor', 'EnableTrustAnchor', 'CreateProfile', 'UpdateProfile', 'EnableProfile'];
const ADD_PERMISSION = call('lambda', ['AddPermission']);
const UPDATE_CONFIGURATION = call('lambda', ['UpdateFunctionConfiguration']);

/** The principal a Lambda permission grants, as CloudTrail records it (`*`, an account, a service). */
function grantsEveryone(principal: unknown): boolean {
  return isEveryonePrincipal(principal) || (typeof principal === 'string' && principal.trim() === '*');
}

export const PERSISTENCE = eventRules('persistence', [
  {
    id: 'persistence.create-user', severity: 'high',
    technique: { id: 'T1136.003', name: 'Create Account: Cloud Account' },
    title: 'IAM user created',
    why: 'A new user is a way back in that survives revoking the leaked key.',
    next: 'Remove the user in the Eradicate step (keys, password and policies first) unless someone in the team created it.',
    ignores: 'AWS services acting for themselves; reading users.',
    events: ['iam:CreateUser'],
    matches: call('iam', ['CreateUser']),
  },
  {
    id: 'persistence.create-access-key', severity: 'high',
    technique: ADDITIONAL_CREDENTIALS,
    title: 'Access key created',
    why: 'A second key keeps working after the leaked one is deactivated.',
    next: 'Deactivate and delete the new key (Eradicate step), then check what it was used for.',
    ignores: 'Listing keys; AWS services acting for themselves.',
    events: ['iam:CreateAccessKey'],
    matches: call('iam', ['CreateAccessKey']),
  },
  {
    id: 'persistence.login-profile', severity: 'high',
    technique: ADDITIONAL_CREDENTIALS,
    title: 'Console password set',
    why: 'A console password gives access without any access key at all.',
    next: 'Delete the login profile (Eradicate step) and look for ConsoleLogin events by that user.',
    ignores: 'Reading a login profile; the user changing their own password in the console (ChangePassword).',
    events: eventsOf('iam', ['CreateLoginProfile', 'UpdateLoginProfile']),
    matches: call('iam', ['CreateLoginProfile', 'UpdateLoginProfile']),
  },
  {
    id: 'persistence.user-policy', severity: 'medium',
    technique: ADDITIONAL_ROLES,
    title: 'Policy given to a user',
    why: 'Permissions granted to a user (often one the attacker created) last beyond the session.',
    next: 'Detach or delete the policy unless a change request explains it.',
    ignores: 'keyguard\'s own deny policies (keyguard-revoke-older-sessions, AWSCompromisedKeyQuarantine*); detaching policies.',
    events: eventsOf('iam', ['AttachUserPolicy', 'PutUserPolicy']),
    matches: call('iam', ['AttachUserPolicy', 'PutUserPolicy']),
  },
  {
    id: 'persistence.create-role', severity: 'medium',
    technique: ADDITIONAL_ROLES,
    title: 'IAM role created',
    why: 'A role the attacker can assume from outside is a durable back door.',
    next: 'Read the new role\'s trust policy; delete the role if it trusts anyone outside the organisation.',
    ignores: 'Service-linked roles created by AWS services (CreateServiceLinkedRole).',
    events: ['iam:CreateRole'],
    matches: call('iam', ['CreateRole']),
  },
  {
    id: 'persistence.trust-policy-change', severity: 'high',
    technique: ADDITIONAL_ROLES,
    title: 'Role trust policy changed',
    why: 'Editing who may assume a role can let an outside account in for good.',
    next: 'Compare with the previous trust policy and restore it (Eradicate step); look for AssumeRole from the new principal.',
    ignores: 'keyguard restoring a trust policy during eradication.',
    events: ['iam:UpdateAssumeRolePolicy'],
    matches: call('iam', ['UpdateAssumeRolePolicy']),
  },
  {
    id: 'persistence.other-credentials', severity: 'medium',
    technique: ADDITIONAL_CREDENTIALS,
    title: 'Other credentials added',
    why: 'SSH keys, service-specific credentials, signing certificates and MFA devices are further ways to sign in.',
    next: 'Delete the added credential and, for an MFA device, check it is the user\'s own.',
    ignores: 'Listing credentials; deleting them.',
    events: eventsOf('iam', OTHER_CREDENTIALS),
    matches: call('iam', OTHER_CREDENTIALS),
  },
  {
    id: 'persistence.ec2-key-pair', severity: 'medium',
    technique: { id: 'T1098.004', name: 'Account Manipulation: SSH Authorized Keys' },
    title: 'EC2 key pair created or imported',
    why: 'An attacker\'s key pair on new or relaunched instances gives SSH access that no IAM change revokes.',
    next: 'Delete the key pair and find instances launched with it (DescribeInstances, key-name filter).',
    ignores: 'Describing or deleting key pairs.',
    events: eventsOf('ec2', ['ImportKeyPair', 'CreateKeyPair']),
    matches: call('ec2', ['ImportKeyPair', 'CreateKeyPair']),
  },
  {
    id: 'persistence.lambda-public', severity: 'high',
    technique: { id: 'T1098', name: 'Account Manipulation' },
    title: 'Lambda function opened to everyone',
    why: 'A resource policy with a `*` principal lets anyone, in any account, invoke the function: a back door that needs no credentials.',
    next: 'Remove the statement (RemovePermission) and read the function\'s code for what the door opens.',
    ignores: 'Permissions for AWS services (s3.amazonaws.com, events.amazonaws.com…) and for named accounts or roles.',
    events: ['lambda:AddPermission'],
    matches: (e) => ADD_PERMISSION(e) && grantsEveryone(pick(e.requestParameters, 'principal')),
  },
  {
    id: 'persistence.lambda-code-replaced', severity: 'high',
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
    id: 'persistence.roles-anywhere', severity: 'high',
    technique: ADDITIONAL_CREDENTIALS,
    title: 'IAM Roles Anywhere trust anchor or profile',
    why: 'A trust anchor for the attacker\'s certificate authority lets them mint role sessions from outside AWS, with no IAM key at all.',
    next: 'Disable and delete the trust anchor and profile unless your PKI team set them up.',
    ignores: 'Listing anchors and profiles; creating CRLs.',
    events: eventsOf('rolesanywhere', ROLES_ANYWHERE),
    matches: call('rolesanywhere', ROLES_ANYWHERE),
  },
  {
    id: 'persistence.federation-token', severity: 'high',
    technique: ADDITIONAL_CREDENTIALS,
    title: 'Federation token issued',
    why: 'GetFederationToken sessions last up to 36 hours and keep working after the key that minted them is deactivated.',
    next: 'Make sure the user deny policy (revoke older sessions) is in place: it also ends federated sessions of that user.',
    ignores: 'GetSessionToken and AssumeRole (followed through the credential graph instead).',
    events: ['sts:GetFederationToken'],
    matches: call('sts', ['GetFederationToken']),
  },
]);


/** TA0004 Privilege Escalation: widening what the key (or its friends) may do. Pure. */
import { documentGrantsAdmin, isAdminPolicyName } from '../key-facts';
import { pick, pickString, TrailEvent } from '../trail-event';
import { eventRules } from './define';
import privilegedRoles from './lists/privileged-roles.json';
import { call, documentAt, eventsOf, param } from './match';

const ADDITIONAL_ROLES = { id: 'T1098.003', name: 'Account Manipulation: Additional Cloud Roles' };

const ATTACH_POLICY = call('iam', ['AttachUserPolicy', 'AttachRolePolicy', 'AttachGroupPolicy']);
const PUT_INLINE_POLICY = call('iam', ['PutUserPolicy', 'PutRolePolicy', 'PutGroupPolicy']);
const IDENTITY_PROVIDER = ['CreateSAMLProvider', 'UpdateSAMLProvider', 'CreateOpenIDConnectProvider', 'AddClientIDToOpenIDConnectProvider', 'UpdateOpenIDConnectProviderThumbprint'];
const PASS_ROLE_CALLS = ['AssociateIamInstanceProfile', 'ReplaceIamInstanceProfileAssociation'];
const PERMISSION_SET_CALLS = ['AttachManagedPolicyToPermissionSet', 'PutInlinePolicyToPermissionSet', 'AttachCustomerManagedPolicyReferenceToPermissionSet', 'CreateAccountAssignment', 'ProvisionPermissionSet'];
const ASSUME_ROLE = call('sts', ['AssumeRole']);

const PRIVILEGED_NAMES = new Set(privilegedRoles.names.map((n) => n.toLowerCase()));
const PRIVILEGED_PREFIXES = privilegedRoles.prefixes.map((p) => p.toLowerCase());
const PRIVILEGED_PATTERNS = privilegedRoles.patterns.map((p) => new RegExp(p, 'i'));

/** The role an AssumeRole asked for, by name, when it is on the privileged list. */
function privilegedRoleAssumed(e: TrailEvent): string | undefined {
  if (!ASSUME_ROLE(e)) return undefined;
  const name = param(e, 'roleArn')?.split('/').pop();
  if (!name) return undefined;
  const lower = name.toLowerCase();
  const listed = PRIVILEGED_NAMES.has(lower) || PRIVILEGED_PREFIXES.some((p) => lower.startsWith(p)) || PRIVILEGED_PATTERNS.some((r) => r.test(name));
  return listed ? name : undefined;
}

function attachedPolicyName(e: TrailEvent): string {
  return pickString(e.requestParameters, 'policyArn')?.split('/').pop() ?? '';
}

/** A call that hands a role to compute the caller controls: the classic iam:PassRole escalation. */
function passesRoleToCompute(e: TrailEvent): boolean {
  const p = e.requestParameters;
  if (call('ec2', PASS_ROLE_CALLS)(e)) return true;
  if (call('ec2', ['RunInstances'])(e)) return pick(p, 'iamInstanceProfile') !== undefined;
  if (call('lambda', ['CreateFunction'])(e)) return pickString(p, 'role') !== undefined;
  if (call('lambda', ['UpdateFunctionConfiguration'])(e)) return pickString(p, 'role') !== undefined;
  if (call('glue', ['CreateDevEndpoint', 'UpdateDevEndpoint'])(e)) return pickString(p, 'roleArn') !== undefined || pick(p, 'publicKey') !== undefined || pick(p, 'addPublicKeys') !== undefined;
  if (call('sagemaker', ['CreateNotebookInstance'])(e)) return pickString(p, 'roleArn') !== undefined;
  return false;
}

export const PRIVILEGE_ESCALATION = eventRules('privilege-escalation', [
  {
    id: 'privesc.admin-policy-attached', family: 'identity', severity: 'high',
    technique: ADDITIONAL_ROLES,
    title: 'Admin policy attached',
    why: 'AdministratorAccess (or IAM full access) turns any foothold into control of the account.',
    next: 'Detach it now (Eradicate step) and review everything the grantee did afterwards.',
    ignores: 'Narrower managed policies (see "Policy given to a user" and "Role or group permissions changed").',
    events: eventsOf('iam', ['AttachUserPolicy', 'AttachRolePolicy', 'AttachGroupPolicy']),
    matches: (e) => ATTACH_POLICY(e) && isAdminPolicyName(attachedPolicyName(e)),
  },
  {
    id: 'privesc.wildcard-inline-policy', family: 'identity', severity: 'high',
    technique: ADDITIONAL_ROLES,
    title: 'Inline policy allowing everything',
    why: 'An inline "Action: *" policy is admin access that does not show up as a managed policy.',
    next: 'Delete the inline policy and review what its holder did since.',
    ignores: 'Inline policies with a narrower Action; keyguard\'s deny policies.',
    events: eventsOf('iam', ['PutUserPolicy', 'PutRolePolicy', 'PutGroupPolicy']),
    matches: (e) => PUT_INLINE_POLICY(e) && documentGrantsAdmin(documentAt(e, 'policyDocument')),
  },
  {
    id: 'privesc.policy-version', family: 'identity', severity: 'high',
    technique: ADDITIONAL_ROLES,
    title: 'Managed policy rewritten',
    why: 'A new default policy version silently changes the rights of everyone it is attached to.',
    next: 'Set the previous version as default again and delete the new one.',
    ignores: 'Reading policy versions; deleting them.',
    events: eventsOf('iam', ['CreatePolicyVersion', 'SetDefaultPolicyVersion']),
    matches: call('iam', ['CreatePolicyVersion', 'SetDefaultPolicyVersion']),
  },
  {
    id: 'privesc.role-or-group-permissions', family: 'identity', severity: 'medium',
    technique: ADDITIONAL_ROLES,
    title: 'Role or group permissions changed',
    why: 'Adding a policy to a role or group the attacker can use widens what the key reaches.',
    next: 'Detach or delete the added policy unless a change request explains it.',
    ignores: 'keyguard\'s AWSRevokeOlderSessions deny on roles; detaching policies.',
    events: eventsOf('iam', ['AttachRolePolicy', 'PutRolePolicy', 'AttachGroupPolicy', 'PutGroupPolicy']),
    matches: call('iam', ['AttachRolePolicy', 'PutRolePolicy', 'AttachGroupPolicy', 'PutGroupPolicy']),
  },
  {
    id: 'privesc.group-membership', family: 'identity', severity: 'medium',
    technique: ADDITIONAL_ROLES,
    title: 'User added to a group',
    why: 'Group membership is the quiet way to inherit a group\'s permissions.',
    next: 'Remove the membership (Eradicate step) unless it was requested.',
    ignores: 'Removing users from groups.',
    events: ['iam:AddUserToGroup'],
    matches: call('iam', ['AddUserToGroup']),
  },
  {
    id: 'privesc.identity-provider', family: 'identity', severity: 'high',
    technique: { id: 'T1484.002', name: 'Domain or Tenant Policy Modification: Trust Modification' },
    title: 'Identity provider added or changed',
    why: 'A SAML or OIDC provider the attacker controls lets them federate into any role that trusts it.',
    next: 'Delete the provider unless your identity team added it, and check which role trust policies name it.',
    ignores: 'Listing or reading providers.',
    events: eventsOf('iam', IDENTITY_PROVIDER),
    matches: call('iam', IDENTITY_PROVIDER),
  },
  {
    id: 'privesc.pass-role-to-compute', family: 'compute-and-functions', severity: 'medium',
    technique: { id: 'T1548.005', name: 'Abuse Elevation Control Mechanism: Temporary Elevated Cloud Access' },
    title: 'Role handed to an instance or function',
    why: 'Giving an instance, Lambda function, Glue development endpoint or notebook a role (iam:PassRole), or an SSH key to an endpoint that has one, lets code the attacker controls act with that role\'s rights.',
    next: 'Check the role\'s permissions; remove the instance profile or function if the team did not create it.',
    ignores: 'Launches and functions without a role; AWS service activity.',
    events: ['ec2:RunInstances', ...eventsOf('ec2', PASS_ROLE_CALLS), 'lambda:CreateFunction', 'lambda:UpdateFunctionConfiguration', 'glue:CreateDevEndpoint', 'glue:UpdateDevEndpoint', 'sagemaker:CreateNotebookInstance'],
    matches: passesRoleToCompute,
  },
  {
    id: 'privesc.privileged-role-assumed', family: 'credentials-and-sessions', severity: 'high',
    technique: { id: 'T1078.004', name: 'Valid Accounts: Cloud Accounts' },
    title: 'Privileged role assumed',
    why: 'OrganizationAccountAccessRole, Control Tower, StackSets and CDK execution roles and Identity Center admin roles hold administrator rights by design; a session of one minted from the key is a takeover of that account.',
    next: 'Revoke the role\'s older sessions (AWSRevokeOlderSessions) and follow the session\'s key in the credential graph; ask who needs that role with a key at all.',
    ignores: `Roles not on the list in src/domain/detections/lists/privileged-roles.json (its source and date are in the file): ${[...privilegedRoles.names, ...privilegedRoles.prefixes.map((p) => `${p}…`)].join(', ')}, CDK execution roles.`,
    events: ['sts:AssumeRole'],
    matches: (e) => privilegedRoleAssumed(e) !== undefined,
    describe: (e) => param(e, 'roleArn'),
  },
  {
    id: 'privesc.db-role-added', family: 'databases', severity: 'medium',
    technique: ADDITIONAL_ROLES,
    title: 'IAM role added to a database',
    why: 'A role on a database lets it reach S3 (exports, imports) or other services with the role\'s rights: a quiet way to move data out from inside the database.',
    next: 'Remove the role from the database unless the team added it, and read what the role may do.',
    ignores: 'Removing roles from databases.',
    events: eventsOf('rds', ['AddRoleToDBInstance', 'AddRoleToDBCluster']),
    matches: call('rds', ['AddRoleToDBInstance', 'AddRoleToDBCluster']),
    describe: (e) => `${param(e, 'roleArn') ?? 'role'} → ${param(e, 'dBInstanceIdentifier', 'dBClusterIdentifier') ?? 'database'}`,
  },
  {
    id: 'privesc.permission-set-changed', family: 'identity', severity: 'high',
    technique: ADDITIONAL_ROLES,
    title: 'Identity Center permission set or assignment changed',
    why: 'A permission set given more rights, or assigned to a new user or group, changes what people (or the attacker\'s identity) can do in every account it is provisioned to.',
    next: 'Compare the permission set and its assignments with your source of truth and revert the change.',
    ignores: 'Reading permission sets; removing policies or assignments.',
    events: eventsOf('sso', PERMISSION_SET_CALLS),
    matches: call('sso', PERMISSION_SET_CALLS),
  },
]);

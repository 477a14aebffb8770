/** TA0004 Privilege Escalation: widening what the key (or its friends) may do. Pure. */
import { documentGrantsAdmin, isAdminPolicyName } from '../key-facts';
import { pick, pickString, TrailEvent } from '../trail-event';
import { eventRules } from './define';
import { call, documentAt, eventsOf } from './match';

const ADDITIONAL_ROLES = { id: 'T1098.003', name: 'Account Manipulation: Additional Cloud Roles' };

const ATTACH_POLICY = call('iam', ['AttachUserPolicy', 'AttachRolePolicy', 'AttachGroupPolicy']);
const PUT_INLINE_POLICY = call('iam', ['PutUserPolicy', 'PutRolePolicy', 'PutGroupPolicy']);
const IDENTITY_PROVIDER = ['CreateSAMLProvider', 'UpdateSAMLProvider', 'CreateOpenIDConnectProvider', 'AddClientIDToOpenIDConnectProvider', 'UpdateOpenIDConnectProviderThumbprint'];
const PASS_ROLE_CALLS = ['AssociateIamInstanceProfile', 'ReplaceIamInstanceProfileAssociation'];

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
  return false;
}

export const PRIVILEGE_ESCALATION = eventRules('privilege-escalation', [
  {
    id: 'privesc.admin-policy-attached', severity: 'high',
    technique: ADDITIONAL_ROLES,
    title: 'Admin policy attached',
    why: 'AdministratorAccess (or IAM full access) turns any foothold into control of the account.',
    next: 'Detach it now (Eradicate step) and review everything the grantee did afterwards.',
    ignores: 'Narrower managed policies (see "Policy given to a user" and "Role or group permissions changed").',
    events: eventsOf('iam', ['AttachUserPolicy', 'AttachRolePolicy', 'AttachGroupPolicy']),
    matches: (e) => ATTACH_POLICY(e) && isAdminPolicyName(attachedPolicyName(e)),
  },
  {
    id: 'privesc.wildcard-inline-policy', severity: 'high',
    technique: ADDITIONAL_ROLES,
    title: 'Inline policy allowing everything',
    why: 'An inline "Action: *" policy is admin access that does not show up as a managed policy.',
    next: 'Delete the inline policy and review what its holder did since.',
    ignores: 'Inline policies with a narrower Action; keyguard\'s deny policies.',
    events: eventsOf('iam', ['PutUserPolicy', 'PutRolePolicy', 'PutGroupPolicy']),
    matches: (e) => PUT_INLINE_POLICY(e) && documentGrantsAdmin(documentAt(e, 'policyDocument')),
  },
  {
    id: 'privesc.policy-version', severity: 'high',
    technique: ADDITIONAL_ROLES,
    title: 'Managed policy rewritten',
    why: 'A new default policy version silently changes the rights of everyone it is attached to.',
    next: 'Set the previous version as default again and delete the new one.',
    ignores: 'Reading policy versions; deleting them.',
    events: eventsOf('iam', ['CreatePolicyVersion', 'SetDefaultPolicyVersion']),
    matches: call('iam', ['CreatePolicyVersion', 'SetDefaultPolicyVersion']),
  },
  {
    id: 'privesc.role-or-group-permissions', severity: 'medium',
    technique: ADDITIONAL_ROLES,
    title: 'Role or group permissions changed',
    why: 'Adding a policy to a role or group the attacker can use widens what the key reaches.',
    next: 'Detach or delete the added policy unless a change request explains it.',
    ignores: 'keyguard\'s AWSRevokeOlderSessions deny on roles; detaching policies.',
    events: eventsOf('iam', ['AttachRolePolicy', 'PutRolePolicy', 'AttachGroupPolicy', 'PutGroupPolicy']),
    matches: call('iam', ['AttachRolePolicy', 'PutRolePolicy', 'AttachGroupPolicy', 'PutGroupPolicy']),
  },
  {
    id: 'privesc.group-membership', severity: 'medium',
    technique: ADDITIONAL_ROLES,
    title: 'User added to a group',
    why: 'Group membership is the quiet way to inherit a group\'s permissions.',
    next: 'Remove the membership (Eradicate step) unless it was requested.',
    ignores: 'Removing users from groups.',
    events: ['iam:AddUserToGroup'],
    matches: call('iam', ['AddUserToGroup']),
  },
  {
    id: 'privesc.identity-provider', severity: 'high',
    technique: { id: 'T1484.002', name: 'Domain or Tenant Policy Modification: Trust Modification' },
    title: 'Identity provider added or changed',
    why: 'A SAML or OIDC provider the attacker controls lets them federate into any role that trusts it.',
    next: 'Delete the provider unless your identity team added it, and check which role trust policies name it.',
    ignores: 'Listing or reading providers.',
    events: eventsOf('iam', IDENTITY_PROVIDER),
    matches: call('iam', IDENTITY_PROVIDER),
  },
  {
    id: 'privesc.pass-role-to-compute', severity: 'medium',
    technique: { id: 'T1548.005', name: 'Abuse Elevation Control Mechanism: Temporary Elevated Cloud Access' },
    title: 'Role handed to an instance or function',
    why: 'Giving an instance or Lambda function a role (iam:PassRole) lets code the attacker controls act with that role\'s rights.',
    next: 'Check the role\'s permissions; remove the instance profile or function if the team did not create it.',
    ignores: 'Launches and functions without a role; AWS service activity.',
    events: ['ec2:RunInstances', ...eventsOf('ec2', PASS_ROLE_CALLS), 'lambda:CreateFunction', 'lambda:UpdateFunctionConfiguration'],
    matches: passesRoleToCompute,
  },
]);

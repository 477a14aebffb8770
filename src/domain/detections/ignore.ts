/**
 * What no rule looks at: AWS acting for itself, and keyguard's own containment. Pure.
 *
 * - AWS service activity: identity type `AWSService`, or a session of a service-linked role
 *   (`role/aws-service-role/…`). A principal's call made *through* a service (CloudFormation
 *   creating a user for it, `invokedBy`) is not ignored: attackers use CloudFormation too.
 * - keyguard's own calls: made by the bot's principal, or by a role session whose name starts
 *   with `keyguard-` (the RoleSessionName the bot uses when it assumes IR_TARGET_ROLE_NAME;
 *   when role names are given, the session must also be of one of those roles). Only the
 *   calls containment and eradication make, and read-only calls, are ignored: a
 *   `keyguard-…` session creating a user is still flagged, so naming a session after the bot
 *   does not hide an attacker's persistence.
 */
import { TrailEvent, pickString } from '../trail-event';
import { ROLE_REVOKE_POLICY_NAME, USER_REVOKE_POLICY_NAME } from '../aws-plan';
import { SERVICE_LINKED_ROLE_PATH } from './data';
import { baseName, issuerRoleName, sessionName } from './match';

/** The RoleSessionName prefix of every session the bot starts (`keyguard-<approver>-<incident>`). */
export const KEYGUARD_SESSION_PREFIX = 'keyguard-';

export interface OwnActivity {
  /** ARNs of the bot's own principal (its user, role, or assumed-role session). */
  principalArns?: readonly string[];
  /** Roles the bot assumes (IR_TARGET_ROLE_NAME); empty: any role, by session name alone. */
  roleNames?: readonly string[];
  /** Session-name prefix; default `keyguard-`. */
  sessionPrefix?: string;
}

export type IgnoredReason = 'aws-service' | 'keyguard';

export function isAwsServiceActivity(e: TrailEvent): boolean {
  if (e.identity.type === 'AWSService') return true;
  return e.identity.type === 'AssumedRole' && (e.identity.sessionIssuerArn ?? '').includes(SERVICE_LINKED_ROLE_PATH);
}

function roleArnOfSession(arn: string): string | undefined {
  const m = /^arn:([^:]+):sts::(\d{12}):assumed-role\/([^/]+)\//.exec(arn);
  return m ? `arn:${m[1]}:iam::${m[2]}:role/${m[3]}` : undefined;
}

/** Made by the bot: its own principal, or one of its `keyguard-…` role sessions. */
export function isKeyguardIdentity(e: TrailEvent, own: OwnActivity = {}): boolean {
  const arn = e.identity.arn;
  const arns = own.principalArns ?? [];
  if (arn && (arns.includes(arn) || arns.includes(roleArnOfSession(arn) ?? '') || (e.identity.sessionIssuerArn && arns.includes(e.identity.sessionIssuerArn)))) return true;
  const session = sessionName(e);
  if (!session?.startsWith(own.sessionPrefix ?? KEYGUARD_SESSION_PREFIX)) return false;
  const roles = own.roleNames ?? [];
  return roles.length === 0 || roles.includes(issuerRoleName(e) ?? '');
}

/** AWSCompromisedKeyQuarantine, …V2, …V3 and whatever version AWS publishes next. */
const QUARANTINE_PREFIX = 'AWSCompromisedKeyQuarantine';

/**
 * The IAM writes containment and eradication make: key deactivated or deleted, the
 * revoke-older-sessions deny (user and role), the quarantine policy, and the removal of
 * what the attacker created (users, keys, passwords, policies, memberships, roles, trust
 * policies restored).
 */
export function isContainmentCall(e: TrailEvent): boolean {
  if (e.source === 'sts.amazonaws.com' && e.name === 'AssumeRole') {
    return (pickString(e.requestParameters, 'roleSessionName') ?? '').startsWith(KEYGUARD_SESSION_PREFIX);
  }
  if (e.source !== 'iam.amazonaws.com') return false;
  const p = e.requestParameters;
  switch (baseName(e.name)) {
    case 'UpdateAccessKey':
      return pickString(p, 'status') === 'Inactive';
    case 'PutUserPolicy':
      return pickString(p, 'policyName') === USER_REVOKE_POLICY_NAME;
    case 'PutRolePolicy':
      return pickString(p, 'policyName') === ROLE_REVOKE_POLICY_NAME;
    case 'AttachUserPolicy':
      return (pickString(p, 'policyArn')?.split('/').pop() ?? '').startsWith(QUARANTINE_PREFIX);
    case 'DeleteAccessKey':
    case 'DeleteLoginProfile':
    case 'DetachUserPolicy':
    case 'DeleteUserPolicy':
    case 'RemoveUserFromGroup':
    case 'DeleteUser':
    case 'DeleteSSHPublicKey':
    case 'DeleteServiceSpecificCredential':
    case 'DeleteSigningCertificate':
    case 'DeactivateMFADevice':
    case 'DeleteVirtualMFADevice':
    case 'DetachRolePolicy':
    case 'DeleteRolePolicy':
    case 'RemoveRoleFromInstanceProfile':
    case 'DeleteInstanceProfile':
    case 'DeleteRole':
    case 'UpdateAssumeRolePolicy':
      return true;
    default:
      return false;
  }
}

function isReadOnly(e: TrailEvent): boolean {
  return e.readOnly === true || /^(Get|List|Describe|Lookup|Head)/.test(e.name);
}

/** Why an event is left out of the rules, or undefined when the rules should see it. */
export function ignoredReason(e: TrailEvent, own: OwnActivity = {}): IgnoredReason | undefined {
  if (isAwsServiceActivity(e)) return 'aws-service';
  if (isKeyguardIdentity(e, own) && (isContainmentCall(e) || isReadOnly(e))) return 'keyguard';
  return undefined;
}

/**
 * Guard rails checked before any containment or eradication call: the bot must never act
 * on its own principal (it would lock itself out mid-incident, and the quarantine policies
 * V2/V3 deny cloudtrail:LookupEvents, which would blind the investigation), and never on a
 * service-linked role (owned by an AWS service; changing it breaks that service).
 */
import { STSClient, GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { KeyguardError, fromAwsError } from '../../errors';

export interface CallerIdentity {
  account: string;
  arn: string;
  partition: string;
  /** Set when the bot runs as an IAM user. */
  userName?: string;
  /** Set when the bot runs as an assumed role (the role's name, not the session's). */
  roleName?: string;
}

/**
 * arn:aws:iam::123456789012:user/path/alice           → user alice
 * arn:aws:sts::123456789012:assumed-role/bot/session  → role bot
 */
export function parseCallerArn(arn: string, account: string): CallerIdentity {
  const [, partition = 'aws', , , , resource = ''] = arn.split(':');
  const parts = resource.split('/');
  const id: CallerIdentity = { account, arn, partition };
  if (parts[0] === 'user' && parts.length >= 2) id.userName = parts[parts.length - 1];
  if (parts[0] === 'assumed-role' && parts.length >= 3) id.roleName = parts[1];
  return id;
}

export interface RoleFacts {
  roleName: string;
  path?: string;
}

export function isServiceLinkedRole(role: RoleFacts): boolean {
  return (role.path ?? '').startsWith('/aws-service-role/') || role.roleName.startsWith('AWSServiceRoleFor');
}

/** Why the bot must not act on this user, or undefined. Pure. */
export function refuseUserTarget(me: CallerIdentity, userName: string): string | undefined {
  if (me.userName !== undefined && me.userName === userName) {
    return (
      `Refusing to act on IAM user ${userName}: it is the bot's own user (${me.arn}). ` +
      'Deactivating its key or attaching AWSCompromisedKeyQuarantineV2/V3 (which deny cloudtrail:LookupEvents) would lock the bot out mid-incident. ' +
      'Contain this key by hand, then rotate the bot\'s credentials.'
    );
  }
  return undefined;
}

/** Why the bot must not act on this role, or undefined. Pure. */
export function refuseRoleTarget(me: CallerIdentity, role: RoleFacts): string | undefined {
  if (me.roleName !== undefined && me.roleName === role.roleName) {
    return (
      `Refusing to act on role ${role.roleName}: the bot is running as that role (${me.arn}); ` +
      'revoking its sessions would end the bot\'s own session mid-incident. Revoke it by hand from the IAM console.'
    );
  }
  if (isServiceLinkedRole(role)) {
    return (
      `Refusing to act on role ${role.roleName}: it is a service-linked role (path ${role.path ?? '/aws-service-role/…'}), ` +
      'owned by an AWS service; IAM does not let customers change its policies and the service depends on it. ' +
      'Contain the principal that used it instead.'
    );
  }
  return undefined;
}

/** Asks STS who the bot is (once per instance) and refuses unsafe targets. */
export class GuardRails {
  private me?: Promise<CallerIdentity>;

  constructor(private readonly sts: STSClient) {}

  identity(): Promise<CallerIdentity> {
    this.me ??= this.sts.send(new GetCallerIdentityCommand({})).then(
      (r) => parseCallerArn(r.Arn ?? '', r.Account ?? ''),
      (e: unknown) => {
        this.me = undefined; // let the next call try again
        throw fromAwsError(e, 'sts:GetCallerIdentity');
      },
    );
    return this.me;
  }

  async assertUserTarget(userName: string): Promise<CallerIdentity> {
    const me = await this.identity();
    const refusal = refuseUserTarget(me, userName);
    if (refusal) throw new KeyguardError('GUARD_RAIL', refusal);
    return me;
  }

  async assertRoleTarget(role: RoleFacts): Promise<CallerIdentity> {
    const me = await this.identity();
    const refusal = refuseRoleTarget(me, role);
    if (refusal) throw new KeyguardError('GUARD_RAIL', refusal);
    return me;
  }
}

// ---------------------------------------------------------------------------------------
// Protected principals are the defenders' (src/domain/protection.ts, read by
// src/aws/containment/protection-reader.ts): these guard rails above stay for the bot's own principal and
// service-linked roles, checked again right before acting.


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
// Protected principals: never written to, whatever a plan says. The code refuses them
// before a plan is shown and again before it runs; the responder role's policy denies the
// same writes (infra/lib/permissions.ts protectedPrincipalStatements) in case the code is wrong.

/** The tag that protects a user or role: `keyguard:protected=true`. */
const PROTECTED_TAG_KEY = 'keyguard:protected';
const PROTECTED_TAG_VALUE = 'true';
/** AWS Organizations' administrator role in member accounts: always protected. */
export const ORGANIZATION_ACCESS_ROLE = 'OrganizationAccountAccessRole';

export interface ProtectedPrincipalSettings {
  /** The responder role every write goes through (IR_TARGET_ROLE_NAME or keyguard-responder). */
  responderRoleName: string;
  /** IR_PROTECTED_PRINCIPALS: break-glass users and roles named at deploy. */
  users: readonly string[];
  roles: readonly string[];
}

export interface PrincipalRef {
  type: 'user' | 'role';
  name: string;
}

/** The users and roles a plan's calls write to (their UserName / RoleName parameters). Pure. */
export function principalsOfPlan(calls: ReadonlyArray<{ params: Record<string, unknown> }>): PrincipalRef[] {
  const seen = new Map<string, PrincipalRef>();
  for (const c of calls) {
    for (const [param, type] of [['UserName', 'user'], ['RoleName', 'role']] as const) {
      const name = c.params[param];
      if (typeof name === 'string') seen.set(`${type}/${name}`, { type, name });
    }
  }
  return [...seen.values()];
}

/** The last segment of a role name given as path/name. */
const baseName = (name: string) => name.split('/').pop() ?? name;

/** Why the bot must never write to this principal by its name, or undefined. Pure. */
export function protectedByName(p: PrincipalRef, s: ProtectedPrincipalSettings, me?: CallerIdentity): string | undefined {
  if (p.type === 'role') {
    if (p.name === baseName(s.responderRoleName)) return `role ${p.name} is the responder role every keyguard write goes through`;
    if (me?.roleName !== undefined && p.name === me.roleName) return `role ${p.name} is the bot's own role`;
    if (p.name === ORGANIZATION_ACCESS_ROLE) return `role ${p.name} is AWS Organizations' administrator role`;
    if (s.roles.includes(p.name)) return `role ${p.name} is named in IR_PROTECTED_PRINCIPALS`;
  } else {
    if (me?.userName !== undefined && p.name === me.userName) return `user ${p.name} is the bot's own user`;
    if (s.users.includes(p.name)) return `user ${p.name} is named in IR_PROTECTED_PRINCIPALS (break-glass)`;
  }
  return undefined;
}

/** Does a tag list carry keyguard:protected=true? Pure. */
export function hasProtectedTag(tags: ReadonlyArray<{ Key?: string; Value?: string }> | undefined): boolean {
  return (tags ?? []).some((t) => t.Key === PROTECTED_TAG_KEY && (t.Value ?? '').toLowerCase() === PROTECTED_TAG_VALUE);
}

/** The message a person reads when a plan touches a protected principal. */
export function protectedRefusal(reasons: readonly string[]): string {
  return (
    `Refusing to plan or run this step: keyguard never writes to protected principals, and ${reasons.join('; ')}. ` +
    'The responder role\'s policy denies these writes as well. If this principal really must be changed, a person does it by hand.'
  );
}

/**
 * Protection is the defenders', never the target's. The attacker in the account can tag,
 * name and describe anything, so nothing a principal says about itself stops containing the
 * leaked key. Pure: the one decision every step (Contain, Revoke role sessions, Eradicate,
 * Undo, Remove, Re-apply) reads, through src/aws/containment/protection-reader.ts.
 *
 *  - guard rails: the bot's own user or role, the responder role every write goes through
 *    (it cannot write itself), service-linked roles. Never written; a person acts.
 *  - defender-protected: named by the defenders (IR_PROTECTED_PRINCIPALS, the deploy context
 *    `protectedPrincipals`, OrganizationAccountAccessRole), or tagged `keyguard:protected=true`
 *    when nothing in the incident's credential graph wrote the tag. Its leaked key is still
 *    contained, with two approvals and a loud warning; deleting it is refused.
 *  - the tag: read only once the investigation has run (Contain is planned before it, so the
 *    tag can never block containment); a tag the graph wrote is attacker activity: reported,
 *    never honoured (a back door the attacker tagged stays removable).
 */
import type { TrailEvent } from './trail-event';

/** The tag defenders may put on a user or role: `keyguard:protected=true`. */
const PROTECTED_TAG_KEY = 'keyguard:protected';
const PROTECTED_TAG_VALUE = 'true';
/** AWS Organizations' administrator role in member accounts: defender-protected by name. */
export const ORGANIZATION_ACCESS_ROLE = 'OrganizationAccountAccessRole';

export interface PrincipalRef {
  type: 'user' | 'role';
  name: string;
}

/** What the defenders configured. */
export interface ProtectionSettings {
  /** The responder role(s) every keyguard write goes through (IR_TARGET_ROLE_NAME, keyguard-responder). */
  responderRoleNames: readonly string[];
  /** IR_PROTECTED_PRINCIPALS (and the deploy context protectedPrincipals). */
  users: readonly string[];
  roles: readonly string[];
}

/** Who the bot itself is (from sts:GetCallerIdentity). */
export interface BotIdentity {
  userName?: string;
  roleName?: string;
}

export interface PrincipalFacts extends PrincipalRef {
  /** A role's path (`/aws-service-role/…` for a service-linked role). */
  path?: string;
  /** keyguard:protected=true on it now; undefined: not read (never before the investigation). */
  tagged?: boolean;
}

/** A keyguard:protected tag a node of the credential graph wrote (TagUser/TagRole, CreateUser/CreateRole with Tags). */
export interface ProtectionTagWrite {
  type: 'user' | 'role';
  name: string;
  eventName: string;
  time: string;
  byAccessKeyId?: string;
  account?: string;
}

/** What the investigation found about the tag. Undefined before Investigate has run: the tag then decides nothing. */
export interface TagEvidence {
  writes: readonly ProtectionTagWrite[];
}

export type Protection =
  | { kind: 'ordinary'; finding?: string }
  | { kind: 'guard-rail'; reason: string }
  | { kind: 'protected'; reason: string; finding?: string };

/** What a step does to the principal. */
export type ProtectionUse =
  /** Contain, Revoke role sessions, Re-apply: deactivate, deny older sessions, quarantine. */
  | 'contain'
  /** Undo: reverse what containment changed. */
  | 'undo'
  /** Eradicate: delete the leaked key (its console password and MFA stay for a protected principal). */
  | 'eradicate'
  /** Remove an access key the attacker created on it. */
  | 'remove-key'
  /** Remove the principal itself or its console password: destruction. */
  | 'remove-principal';

export type ProtectionVerdict =
  | {
      send: true;
      /** A defender-protected principal: the step needs two approvals. */
      twoApprovals: boolean;
      /** Said loudly on the card and kept in the record. */
      warning?: string;
      /** Attacker activity about this principal (a tag the graph wrote): said, never honoured. */
      finding?: string;
      /** Its console password and MFA devices are its owners': left to a person. */
      keepConsoleAccess: boolean;
    }
  | { send: false; reason: string; finding?: string };

const baseName = (name: string) => name.split('/').pop() ?? name;

function isServiceLinked(p: Pick<PrincipalFacts, 'name' | 'path'>): boolean {
  return (p.path ?? '').startsWith('/aws-service-role/') || p.name.startsWith('AWSServiceRoleFor');
}

/** Does a tag list carry keyguard:protected=true (any case of the value)? */
export function hasProtectedTag(tags: ReadonlyArray<{ Key?: string; Value?: string }> | undefined): boolean {
  return (tags ?? []).some((t) => t.Key === PROTECTED_TAG_KEY && (t.Value ?? '').toLowerCase() === PROTECTED_TAG_VALUE);
}

/** The one decision: what protects this principal, if anything. */
export function protectionOf(p: PrincipalFacts, s: ProtectionSettings, me: BotIdentity, evidence: TagEvidence | undefined): Protection {
  if (p.type === 'user') {
    if (me.userName !== undefined && p.name === me.userName) return { kind: 'guard-rail', reason: `user ${p.name} is the bot's own user` };
  } else {
    if (me.roleName !== undefined && p.name === me.roleName) return { kind: 'guard-rail', reason: `role ${p.name} is the role the bot runs as` };
    if (s.responderRoleNames.some((r) => baseName(r) === p.name)) return { kind: 'guard-rail', reason: `role ${p.name} is the responder role every keyguard write goes through (it cannot write itself)` };
    if (isServiceLinked(p)) return { kind: 'guard-rail', reason: `role ${p.name} is a service-linked role, owned by an AWS service` };
  }
  const named =
    p.type === 'role'
      ? p.name === ORGANIZATION_ACCESS_ROLE
        ? `role ${p.name} is AWS Organizations' administrator role`
        : s.roles.includes(p.name) ? `role ${p.name} is named in IR_PROTECTED_PRINCIPALS` : undefined
      : s.users.includes(p.name) ? `user ${p.name} is named in IR_PROTECTED_PRINCIPALS (break-glass)` : undefined;
  // The tag counts only once the investigation has run, and only when the graph did not write it.
  const writes = evidence?.writes.filter((w) => w.type === p.type && w.name === p.name) ?? [];
  const finding = writes.length > 0 ? tagWriteFinding(p, writes) : undefined;
  if (named) return { kind: 'protected', reason: named, ...(finding ? { finding } : {}) };
  if (finding) return { kind: 'ordinary', finding };
  if (evidence && p.tagged) return { kind: 'protected', reason: `${p.type} ${p.name} is tagged ${PROTECTED_TAG_KEY}=${PROTECTED_TAG_VALUE} (no credential of the leaked key wrote it)` };
  return { kind: 'ordinary' };
}

/** What a step may do to a principal with this protection. */
export function protectionVerdict(p: Protection, use: ProtectionUse): ProtectionVerdict {
  if (p.kind === 'guard-rail') return { send: false, reason: `guard rail: ${p.reason}; keyguard never writes to it, a person acts by hand` };
  if (p.kind === 'ordinary') return { send: true, twoApprovals: false, keepConsoleAccess: false, ...(p.finding ? { finding: p.finding } : {}) };
  if (use === 'remove-principal') {
    return { send: false, reason: `${p.reason}: defender-protected, so keyguard never deletes it or its console password; a person decides`, ...(p.finding ? { finding: p.finding } : {}) };
  }
  const what =
    use === 'contain' ? 'Its leaked credentials are contained anyway (protection never stops containment)'
    : use === 'undo' ? 'Undoing containment on it'
    : use === 'eradicate' ? 'The leaked key is deleted; its console password and MFA devices are left to its owners'
    : 'The key the attacker created on it is removed';
  return { send: true, twoApprovals: true, keepConsoleAccess: true, warning: `PROTECTED PRINCIPAL: ${p.reason}. ${what}: this step needs TWO approvals. Tell its owners.`, ...(p.finding ? { finding: p.finding } : {}) };
}

/** The approvals a step needs: its own number, and two when any call it sends writes to a protected principal. */
export function requiredApprovals(stepApprovals: number, plan: ReadonlyArray<{ protectedBy?: string; notSent?: string }> | undefined): number {
  return (plan ?? []).some((c) => c.protectedBy && !c.notSent) ? Math.max(stepApprovals, 2) : stepApprovals;
}

function tagWriteFinding(p: PrincipalRef, writes: readonly ProtectionTagWrite[]): string {
  const w = writes[0];
  const more = writes.length > 1 ? ` (and ${writes.length - 1} more)` : '';
  return `ATTACKER ACTIVITY: the ${PROTECTED_TAG_KEY} tag on ${p.type} ${p.name} was written by the leaked key's credentials (${w.eventName} at ${w.time}${w.byAccessKeyId ? ` by ${w.byAccessKeyId}` : ''})${more}: not honoured.`;
}

// ---------------------------------------------------------------------------------------
// Reading the tag writes from CloudTrail (the investigation and the detection rule)

const TAG_EVENTS: Record<string, 'user' | 'role'> = { TagUser: 'user', CreateUser: 'user', TagRole: 'role', CreateRole: 'role' };

/** The keyguard:protected tag this event writes (any value, any case of the key), or undefined. */
export function protectionTagWrite(e: Pick<TrailEvent, 'source' | 'name' | 'requestParameters' | 'time' | 'accessKeyId' | 'identity'>): ProtectionTagWrite | undefined {
  const type = e.source === 'iam.amazonaws.com' ? TAG_EVENTS[e.name] : undefined;
  if (!type) return undefined;
  const p = e.requestParameters ?? {};
  const name = type === 'user' ? p.userName : p.roleName;
  const tags = Array.isArray(p.tags) ? (p.tags as unknown[]) : [];
  const writes = tags.some((t) => {
    const r = t as Record<string, unknown> | null;
    const key = r?.key ?? r?.Key;
    return typeof key === 'string' && key.toLowerCase() === PROTECTED_TAG_KEY;
  });
  if (!writes || typeof name !== 'string') return undefined;
  const by = e.identity.accessKeyId ?? e.accessKeyId;
  return { type, name, eventName: e.name, time: e.time, ...(by ? { byAccessKeyId: by } : {}), ...(e.identity.accountId ? { account: e.identity.accountId } : {}) };
}

/** At most this many tag writes are kept on the investigation's record. */
export const MAX_TAG_WRITES = 50;

const isRecord = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);

function isTagWrite(x: unknown): x is ProtectionTagWrite {
  return isRecord(x) && (x.type === 'user' || x.type === 'role') && typeof x.name === 'string' && typeof x.eventName === 'string' && typeof x.time === 'string';
}

/**
 * The tag evidence of an incident, from its Investigate step: undefined until Investigate has
 * succeeded (the tag then decides nothing), else the tag writes it recorded.
 */
export function tagEvidenceOf(steps: ReadonlyArray<{ name: string; state: string; result?: unknown }>): TagEvidence | undefined {
  const investigate = steps.find((s) => s.name === 'investigate' && s.state === 'succeeded');
  if (!investigate) return undefined;
  const writes = isRecord(investigate.result) && Array.isArray(investigate.result.protectionTagWrites) ? investigate.result.protectionTagWrites.filter(isTagWrite) : [];
  return { writes };
}

/**
 * Protection read the same way for every step and every entry point (the Slack bot and the
 * break-glass CLI): the facts IAM holds about a principal (a role's path; the
 * keyguard:protected tag, read only once the investigation has run) handed to the one pure
 * decision, src/domain/protection.ts. A plan's calls come back annotated: a protected
 * principal's calls carry the warning (the step then needs two approvals), attacker activity
 * (a tag the leaked key's credentials wrote) is attached as a finding, and anything that must
 * not be written is refused with the reason.
 */
import { KeyguardError } from '../../errors';
import type { PlannedCall } from '../../domain/aws-plan';
import {
  hasProtectedTag,
  protectionOf,
  protectionVerdict,
  type PrincipalRef,
  type Protection,
  type ProtectionUse,
  type ProtectionVerdict,
  type TagEvidence,
} from '../../domain/protection';
import type { CallerIdentity } from '../access';
import type { IamState } from './iam-state';

export interface ProtectionReaderOptions {
  identity: () => Promise<CallerIdentity>;
  /** The responder role(s) every write goes through. */
  responderRoleNames: readonly string[];
  /** IR_PROTECTED_PRINCIPALS. */
  protectedPrincipals?: { users: readonly string[]; roles: readonly string[] };
}

/** The users and roles a plan's calls write to (their UserName / RoleName parameters); calls not sent are left out. */
export function principalsOfPlan(calls: ReadonlyArray<{ params: Record<string, unknown>; notSent?: string }>): PrincipalRef[] {
  const seen = new Map<string, PrincipalRef>();
  for (const c of calls) {
    if (c.notSent) continue;
    for (const [param, type] of [['UserName', 'user'], ['RoleName', 'role']] as const) {
      const name = c.params[param];
      if (typeof name === 'string') seen.set(`${type}/${name}`, { type, name });
    }
  }
  return [...seen.values()];
}

const key = (p: PrincipalRef) => `${p.type}/${p.name}`;

/** The message a person reads when a step may not write to a principal. */
export function protectedRefusal(reasons: readonly string[]): string {
  return `Refusing to plan or run this step: ${reasons.join('; ')}. Nothing was sent to AWS.`;
}

export class ProtectionReader {
  constructor(private readonly o: ProtectionReaderOptions) {}

  /** One principal's protection: names first, then (from IAM) a role's path and, once investigated, the tag. */
  async of(p: PrincipalRef, iam: IamState | undefined, evidence: TagEvidence | undefined): Promise<Protection> {
    const me = await this.o.identity();
    const path = p.type === 'role' && iam ? (await iam.role(p.name))?.path : undefined;
    // Before the investigation the tag is not even read: it can never block containment.
    const tagged = evidence && iam ? hasProtectedTag(await iam.principalTags(p.type, p.name)) : undefined;
    const settings = {
      responderRoleNames: this.o.responderRoleNames,
      users: this.o.protectedPrincipals?.users ?? [],
      roles: this.o.protectedPrincipals?.roles ?? [],
    };
    return protectionOf({ ...p, path, tagged }, settings, { userName: me.userName, roleName: me.roleName }, evidence);
  }

  /**
   * The plan's calls, checked and annotated: throws GUARD_RAIL (with every reason) when a call
   * writes to a principal this use may not touch; a protected principal's calls carry the
   * warning; attacker activity about a principal is attached as a finding.
   */
  async annotate(calls: readonly PlannedCall[], use: ProtectionUse, iam: IamState | undefined, evidence: TagEvidence | undefined): Promise<PlannedCall[]> {
    const verdicts = new Map<string, ProtectionVerdict>();
    for (const p of principalsOfPlan(calls)) verdicts.set(key(p), protectionVerdict(await this.of(p, iam, evidence), use));
    const refused = [...verdicts.values()].filter((v): v is Extract<ProtectionVerdict, { send: false }> => !v.send);
    if (refused.length > 0) throw new KeyguardError('GUARD_RAIL', protectedRefusal(refused.map((v) => v.reason)));
    return calls.map((c) => {
      if (c.notSent) return c;
      const [p] = principalsOfPlan([c]);
      const v = p ? verdicts.get(key(p)) : undefined;
      if (!v || !v.send) return c;
      return { ...c, ...(v.warning ? { protectedBy: v.warning } : {}), ...(v.finding ? { finding: v.finding } : {}) };
    });
  }

  /** The verdict for one principal and use (Eradicate reads keepConsoleAccess before building its plan). */
  async verdict(p: PrincipalRef, use: ProtectionUse, iam: IamState | undefined, evidence: TagEvidence | undefined): Promise<ProtectionVerdict> {
    return protectionVerdict(await this.of(p, iam, evidence), use);
  }
}

/**
 * Right before a step writes: a protected principal's write needs two distinct approvers
 * (checked here too, whatever the record says). Throws GUARD_RAIL, nothing sent.
 */
export function assertApprovalsFor(calls: readonly PlannedCall[], approvers: readonly string[]): void {
  const protectedCall = calls.find((c) => c.protectedBy && !c.notSent);
  if (protectedCall && new Set(approvers).size < 2) {
    throw new KeyguardError('GUARD_RAIL', `${protectedCall.protectedBy} It has ${new Set(approvers).size} approval(s); nothing was sent to AWS.`);
  }
}

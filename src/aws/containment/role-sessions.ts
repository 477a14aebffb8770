/**
 * The Revoke role sessions step in AWS: for every role the leaked key reached (the credential
 * graph's role sessions), AWSRevokeOlderSessions in the role's own account, through the
 * account-access service (the bot's account, or IR_TARGET_ROLE_NAME in another one with the
 * approver as SourceIdentity). Each role is one IamContainment.containRoleSessions: read
 * first ('already' when a cut-off as late is in place), guard rails (never the role the bot
 * acts as, never a service-linked role, checked again against the role's real path), then
 * read back. A call the plan marked `notSent` is recorded as 'skipped' with its reason.
 */
import type { ActOptions, ContainmentOutcome, RoleSessionsPort } from '../../ports';
import type { Logger } from '../../logger';
import type { AddedArtifact, CallRecord, PlannedCall, VerifiedState } from '../../domain/aws-plan';
import { planRevokeRoleSessions, type RoleSessionsParams, type RoleSessionsReach } from '../../domain/role-sessions';
import { hasProtectedTag, ORGANIZATION_ACCESS_ROLE, type TagEvidence } from '../../domain/protection';
import { IamState } from './iam-state';
import { assertApprovalsFor } from './protection-reader';
import { KeyguardError, isKeyguardError } from '../../errors';
import type { IAMClient } from '@aws-sdk/client-iam';
import { sessionPolicyFor } from '../../domain/session-policy';
import { IamContainment } from './iam-containment';
import type { AccountAccess } from '../access';

export interface AwsRoleSessionsOptions {
  access: Pick<AccountAccess, 'identity' | 'forAccount' | 'forWrites'>;
  /** IR_TARGET_ROLE_NAME (name or path/name). */
  targetRoleName?: string;
  /** Responder roles whose sessions are never revoked (besides IR_TARGET_ROLE_NAME). */
  responderRoleNames?: readonly string[];
  /** IR_PROTECTED_PRINCIPALS' roles (OrganizationAccountAccessRole is always protected): revoked with two approvals. */
  protectedRoleNames?: readonly string[];
  logger?: Pick<Logger, 'info' | 'warn'>;
  now: () => Date;
  readBackDelaysMs?: readonly number[];
}

/** The name infra gives the responder role in every account. */
const DEFAULT_RESPONDER_ROLE_NAME = 'keyguard-responder';

export class AwsRoleSessions implements RoleSessionsPort {
  constructor(private readonly o: AwsRoleSessionsOptions) {}

  /**
   * Who the bot is, what it may reach, and the protection facts of every role (the one
   * decision, src/domain/protection.ts): once the investigation has run, each reachable role's
   * keyguard:protected tag is read from IAM in its own account.
   */
  private async reach(incidentId: string, p: RoleSessionsParams, evidence: TagEvidence | undefined): Promise<RoleSessionsReach> {
    const me = await this.o.access.identity();
    const target = this.o.targetRoleName?.split('/').pop();
    const tagged: Record<string, boolean> = {};
    if (evidence) {
      for (const r of p.roles) {
        const other = r.account !== me.account;
        if (other && !target) continue; // not reachable: left to a person anyway
        const access = await this.o.access.forAccount({ account: other ? r.account : undefined, approver: { slackUserId: 'keyguard' }, incidentId });
        tagged[r.roleArn] = hasProtectedTag(await new IamState(access.clients.iam).principalTags('role', r.roleName));
      }
    }
    return {
      botAccount: me.account,
      botRoleName: me.roleName,
      responderRoleNames: [...new Set([DEFAULT_RESPONDER_ROLE_NAME, ...(this.o.responderRoleNames ?? []), ...(target ? [target] : [])])],
      targetRoleName: target,
      protectedRoleNames: [ORGANIZATION_ACCESS_ROLE, ...(this.o.protectedRoleNames ?? [])],
      tagged,
      evidence,
    };
  }

  async planRevoke(incidentId: string, p: RoleSessionsParams, now: Date, evidence?: TagEvidence): Promise<PlannedCall[]> {
    return planRevokeRoleSessions(p, await this.reach(incidentId, p, evidence), now.toISOString());
  }

  async revoke(incidentId: string, p: RoleSessionsParams, o: ActOptions, evidence?: TagEvidence): Promise<ContainmentOutcome> {
    // Protection read again right before the writes: a protected role needs two distinct approvers.
    const plan = planRevokeRoleSessions(p, await this.reach(incidentId, p, evidence), o.now.toISOString());
    try {
      assertApprovalsFor(plan, o.approvers);
    } catch (e) {
      const message = isKeyguardError(e) ? e.userMessage : String(e);
      return { ok: false, summary: message, detail: { error: 'GUARD_RAIL' }, error: { code: 'GUARD_RAIL', message }, retryable: false };
    }
    const calls: CallRecord[] = [];
    const verified: VerifiedState = {};
    const added: AddedArtifact[] = [];
    const findings: string[] = [];
    const problems: string[] = [];
    let retryable = true;
    let revoked = 0;
    let skipped = 0;
    for (const [i, call] of plan.entries()) {
      const role = p.roles[i];
      const at = () => this.o.now().toISOString();
      if (call.notSent) {
        calls.push({ action: call.action, params: { ...call.params, ...(call.account ? { Account: call.account } : {}) }, outcome: 'skipped', note: call.notSent, at: at() });
        skipped++;
        continue;
      }
      if (o.signal?.aborted) {
        problems.push(`${role.roleArn}: not attempted, the step's runner lost its lease`);
        calls.push({ action: call.action, params: call.params, outcome: 'skipped', note: 'the runner lost its lease', at: at() });
        continue;
      }
      try {
        const approver = { slackUserId: o.approvers.at(-1) ?? 'keyguard' };
        const access = await this.o.access.forAccount({ account: call.account, approver, incidentId });
        // The write goes through the responder role, narrowed to exactly this call on exactly this role.
        let writer: IAMClient | undefined;
        if (!o.dryRun) {
          const policy = sessionPolicyFor([call], { partition: access.partition, account: access.account });
          if (!policy.ok) throw new KeyguardError('NOT_AVAILABLE', `No session could be made for this step: ${policy.reason}. Nothing was sent.`);
          writer = (await this.o.access.forWrites({ account: call.account, approver, incidentId, policy: policy.json })).clients.iam;
        }
        const iam = new IamContainment({
          iam: access.clients.iam, writer, sts: access.clients.sts, now: this.o.now, dryRun: o.dryRun, logger: this.o.logger,
          readBackDelaysMs: this.o.readBackDelaysMs, signal: o.signal, fence: o.fence,
        });
        const out = await iam.containRoleSessions({ roleName: role.roleName, cutoff: o.now, ifMissing: 'gone' });
        calls.push(...out.calls.map((c) => (call.account ? { ...c, params: { ...c.params, Account: call.account } } : c)));
        verified[role.roleArn] = out.verified;
        added.push(...out.added);
        findings.push(...(out.findings ?? []).map((f) => (call.account ? `${f} (account ${call.account})` : f)));
        if (out.ok) revoked++;
        else {
          problems.push(`${role.roleArn}: ${out.message}`);
          retryable &&= out.retryable;
        }
      } catch (e) {
        // A guard rail the role's real path tripped (service-linked), or the account could not be reached.
        const message = isKeyguardError(e) ? e.userMessage : e instanceof Error ? e.message : String(e);
        const refused = isKeyguardError(e) && e.code === 'GUARD_RAIL';
        calls.push({ action: call.action, params: call.params, outcome: refused ? 'skipped' : 'failed', note: refused ? message : undefined, error: refused ? undefined : { name: isKeyguardError(e) ? e.code : 'Error', message }, at: at() });
        if (refused) skipped++;
        else {
          problems.push(`${role.roleArn}: ${message}`);
          retryable &&= isKeyguardError(e) && e.retryable;
        }
      }
    }
    const ok = problems.length === 0;
    const dry = o.dryRun ? 'DRY RUN: ' : '';
    const left = skipped ? `; ${skipped} left to a person (see the plan's notes)` : '';
    const found = findings.length ? `${findings.join(' ')} ` : '';
    const summary = ok
      ? `${found}${dry}Revoked the sessions of ${revoked} role(s) issued before ${o.now.toISOString().slice(0, 19)}Z${left}.`
      : `${found}${dry}Revoked ${revoked} of ${p.roles.length} role(s)${left}; failed: ${problems.join('; ')}`;
    return {
      ok,
      summary,
      detail: { calls, verified, added, dryRun: o.dryRun, ...(findings.length ? { findings } : {}) },
      retryable: ok ? undefined : retryable,
      error: ok ? undefined : { code: retryable ? 'RETRYABLE' : 'FAILED', message: summary },
    };
  }
}

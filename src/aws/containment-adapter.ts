/**
 * The playbook's Contain and Eradicate steps in AWS: chooses the credentials (own account or
 * the assumed target role, with the approver as SourceIdentity) and runs IamContainment.
 */
import type { ContainmentOutcome, ContainmentPort, ContainmentTarget } from '../ports';
import type { Logger } from '../logger';
import { KeyguardError, isKeyguardError } from '../errors';
import { ActionOutcome, AddedArtifact, planContainRoleSessions, planContainUserKey, planUndo } from '../domain/aws-plan';
import { IamContainment } from './iam-containment';
import type { AwsClientFactory } from './iam-sts-clients';
import { resolveTargetAccount, TargetAccess } from './target-account';
import { GuardRails } from './guard-rails';

export interface AwsContainmentOptions {
  factory: AwsClientFactory;
  quarantine: boolean;
  targetRoleName?: string;
  logger?: Pick<Logger, 'info' | 'warn'>;
  now: () => Date;
  /** Tests: no waiting between read-backs. */
  readBackDelaysMs?: readonly number[];
}

function toOutcome(o: ActionOutcome, access?: TargetAccess): ContainmentOutcome {
  const session = access?.mode === 'assumed-role' ? { roleArn: access.roleArn, sessionName: access.sessionName, sourceIdentity: access.sourceIdentity, assumeRole: access.call } : undefined;
  return {
    ok: o.ok,
    summary: `${o.dryRun ? 'DRY RUN: ' : ''}${o.message}${session ? ` (as ${session.sessionName} in ${access!.account})` : ''}`,
    detail: { calls: o.calls, verified: o.verified, added: o.added, dryRun: o.dryRun, session },
    retryable: o.retryable,
    error: o.ok ? undefined : { code: o.retryable ? 'RETRYABLE' : 'FAILED', message: o.message },
  };
}

function failure(e: unknown): ContainmentOutcome {
  if (isKeyguardError(e)) return { ok: false, summary: e.userMessage, detail: { error: e.code }, error: { code: e.code, message: e.userMessage }, retryable: e.code === 'AWS_THROTTLED' || e.code === 'AWS_FAILED' };
  throw e;
}

export class AwsContainment implements ContainmentPort {
  constructor(private readonly o: AwsContainmentOptions) {}

  private async access(t: ContainmentTarget, approvers: string[]): Promise<TargetAccess> {
    // Identify records the key's account; without it, act in the bot's own account.
    const keyAccount = t.account ?? (await new GuardRails(this.o.factory().sts).identity()).account;
    return resolveTargetAccount(
      { factory: this.o.factory, now: this.o.now, logger: this.o.logger },
      { keyAccount, targetRoleName: this.o.targetRoleName, approver: { slackUserId: approvers.at(-1) ?? 'keyguard' }, incidentId: t.incidentId },
    );
  }

  private containment(access: TargetAccess, dryRun: boolean): IamContainment {
    return new IamContainment({ iam: access.clients.iam, sts: access.clients.sts, now: this.o.now, dryRun, logger: this.o.logger, readBackDelaysMs: this.o.readBackDelaysMs });
  }

  async planContain(t: ContainmentTarget, now: Date): Promise<unknown[]> {
    if (t.userName) return planContainUserKey({ userName: t.userName, accessKeyId: t.keyId }, { quarantine: this.o.quarantine, now: now.toISOString() });
    if (t.roleName) return planContainRoleSessions(t.roleName, { now: now.toISOString() });
    return [];
  }

  async contain(t: ContainmentTarget, o: { approvers: string[]; dryRun: boolean; now: Date }): Promise<ContainmentOutcome> {
    try {
      if (!t.userName && !t.roleName) {
        throw new KeyguardError('NOT_AVAILABLE', t.keyKind === 'temporary'
          ? 'This temporary key\'s role is not known. Start the incident from the /revoke-key modal with the role ARN, or find it with /trail.'
          : 'The key\'s owner is not known, so there is nothing to contain. Check the Identify step.');
      }
      const access = await this.access(t, o.approvers);
      const c = this.containment(access, o.dryRun);
      const out = t.userName
        ? await c.containUserKey({ userName: t.userName, accessKeyId: t.keyId, quarantine: this.o.quarantine, cutoff: o.now })
        : await c.containRoleSessions({ roleName: t.roleName!, cutoff: o.now });
      return toOutcome(out, access);
    } catch (e) {
      return failure(e);
    }
  }

  async isContained(t: ContainmentTarget): Promise<boolean> {
    if (!t.userName) return false;
    const access = await this.access(t, []);
    const k = await this.containment(access, false).inspectKey(t.keyId, t.userName);
    return (k.keyStatus !== 'Active' || !k.userExists) && (k.denyPolicy.present || !k.userExists);
  }

  async planEradicate(t: ContainmentTarget): Promise<unknown[]> {
    if (!t.userName) return [];
    const access = await this.access(t, []);
    return this.containment(access, false).previewEradicateUserKey({ userName: t.userName, accessKeyId: t.keyId });
  }

  async eradicate(t: ContainmentTarget, o: { approvers: string[]; dryRun: boolean; now: Date }): Promise<ContainmentOutcome> {
    try {
      if (!t.userName) throw new KeyguardError('NOT_AVAILABLE', 'Only IAM user keys can be deleted; temporary keys expire on their own once their sessions are revoked.');
      const access = await this.access(t, o.approvers);
      return toOutcome(await this.containment(access, o.dryRun).eradicateUserKey({ userName: t.userName, accessKeyId: t.keyId }), access);
    } catch (e) {
      return failure(e);
    }
  }

  async planUndo(_t: ContainmentTarget, added: unknown[]): Promise<unknown[]> {
    return planUndo(added as AddedArtifact[]);
  }

  async undo(t: ContainmentTarget, added: unknown[], o: { approvers: string[]; dryRun: boolean; now: Date }): Promise<ContainmentOutcome> {
    try {
      if (added.length === 0) throw new KeyguardError('NOT_AVAILABLE', 'Containment recorded no change to reverse (it found everything already in place, or ran as a dry run).');
      const access = await this.access(t, o.approvers);
      return toOutcome(await this.containment(access, o.dryRun).undo({ userName: t.userName, accessKeyId: t.keyId, added: added as AddedArtifact[] }), access);
    } catch (e) {
      return failure(e);
    }
  }

  async isEradicated(t: ContainmentTarget): Promise<boolean> {
    if (!t.userName) return false;
    const access = await this.access(t, []);
    const k = await this.containment(access, false).inspectKey(t.keyId, t.userName);
    return k.keyStatus === 'absent';
  }
}

/**
 * The playbook's Contain and Eradicate steps in AWS: takes the clients for the key's account
 * from the account-access service (own account, or the target role assumed with the
 * approver as SourceIdentity) and runs IamContainment.
 */
import type { ActOptions, ContainmentOutcome, ContainmentPort, ContainmentTarget, ContainRecord } from '../ports';
import type { Logger } from '../logger';
import { KeyguardError, isKeyguardError } from '../errors';
import { ActionOutcome, ContainSnapshot, PersistenceItem, PlannedCall, planContainRoleSessions, planContainUserKey, planUndo, undoArtifacts } from '../domain/aws-plan';
import { IamContainment } from './iam-containment';
import type { AccountAccess } from './account-access';
import type { TargetAccess } from './target-account';

export interface AwsContainmentOptions {
  access: AccountAccess;
  quarantine: boolean;
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

function mergeOutcomes(a: ActionOutcome, b: ActionOutcome): ActionOutcome {
  return {
    ok: a.ok && b.ok,
    calls: [...a.calls, ...b.calls],
    verified: { role: a.verified, rootKey: b.verified },
    added: [...a.added, ...b.added],
    message: `${a.message} Root key: ${b.message}`,
    retryable: (!a.ok && a.retryable) || (!b.ok && b.retryable),
    dryRun: a.dryRun,
  };
}

function failure(e: unknown): ContainmentOutcome {
  // Known errors (refusals, AWS errors translated where they happened) are outcomes; anything
  // else is a bug and goes to the engine's error path.
  if (isKeyguardError(e)) return { ok: false, summary: e.userMessage, detail: { error: e.code }, error: { code: e.code, message: e.userMessage }, retryable: e.retryable };
  throw e;
}

export class AwsContainment implements ContainmentPort {
  constructor(private readonly o: AwsContainmentOptions) {}

  /** The target with the partition every ARN of its plan and its execution is built from. */
  private async resolve(t: ContainmentTarget): Promise<ContainmentTarget & { partition: string }> {
    if (t.partition) return { ...t, partition: t.partition };
    return { ...t, partition: await this.o.access.partition() };
  }

  private access(t: ContainmentTarget, approvers: string[]): Promise<TargetAccess> {
    // Identify records the key's account; without it, act in the bot's own account.
    return this.o.access.forAccount({ account: t.account, approver: { slackUserId: approvers.at(-1) ?? 'keyguard' }, incidentId: t.incidentId });
  }

  private containment(access: TargetAccess, dryRun: boolean, signal?: AbortSignal, fence?: () => Promise<void>): IamContainment {
    return new IamContainment({ iam: access.clients.iam, sts: access.clients.sts, now: this.o.now, dryRun, logger: this.o.logger, readBackDelaysMs: this.o.readBackDelaysMs, signal, fence });
  }

  async planContain(target: ContainmentTarget, now: Date): Promise<PlannedCall[]> {
    const t = await this.resolve(target);
    const o = { quarantine: this.o.quarantine, now: now.toISOString(), partition: t.partition };
    const at = o.now;
    if (t.userName) return planContainUserKey({ userName: t.userName, accessKeyId: t.keyId }, o);
    const root = t.rootKey?.userName ? planContainUserKey({ userName: t.rootKey.userName, accessKeyId: t.rootKey.accessKeyId }, o) : [];
    if (t.roleName) return [...planContainRoleSessions(t.roleName, { now: at }), ...root];
    return root;
  }

  async contain(target: ContainmentTarget, o: ActOptions): Promise<ContainmentOutcome> {
    try {
      const t = await this.resolve(target);
      if (!t.userName && !t.roleName) {
        throw new KeyguardError('NOT_AVAILABLE', t.keyKind === 'temporary'
          ? 'This temporary key\'s role is not known. Start the incident from the /revoke-key modal with the role ARN, or find it with /trail.'
          : 'The key\'s owner is not known, so there is nothing to contain. Check the Identify step.');
      }
      const access = await this.access(t, o.approvers);
      const c = this.containment(access, o.dryRun, o.signal, o.fence);
      if (t.userName) {
        return toOutcome(await c.containUserKey({ userName: t.userName, accessKeyId: t.keyId, quarantine: this.o.quarantine, partition: t.partition, cutoff: o.now }), access);
      }
      // A temporary key: end the role's older sessions, and contain the long-term key the
      // chain started from when the CloudTrail trace found it.
      const role = await c.containRoleSessions({ roleName: t.roleName!, cutoff: o.now });
      if (!t.rootKey?.userName) return toOutcome(role, access);
      const root = await c.containUserKey({ userName: t.rootKey.userName, accessKeyId: t.rootKey.accessKeyId, quarantine: this.o.quarantine, partition: t.partition, cutoff: o.now });
      return toOutcome(mergeOutcomes(role, root), access);
    } catch (e) {
      return failure(e);
    }
  }

  async snapshot(target: ContainmentTarget): Promise<ContainSnapshot | undefined> {
    if (!target.userName) return undefined;
    const t = await this.resolve(target);
    const access = await this.access(t, []);
    const k = await this.containment(access, false).inspectKey(t.keyId, t.userName, t.partition);
    return { keyStatus: k.keyStatus, denyPolicy: k.denyPolicy, quarantineAttached: k.quarantineAttached, userExists: k.userExists };
  }

  async planEradicate(t: ContainmentTarget): Promise<PlannedCall[]> {
    if (!t.userName) return [];
    const access = await this.access(t, []);
    return this.containment(access, false).previewEradicateUserKey({ userName: t.userName, accessKeyId: t.keyId });
  }

  async eradicate(t: ContainmentTarget, o: ActOptions): Promise<ContainmentOutcome> {
    try {
      if (!t.userName) throw new KeyguardError('NOT_AVAILABLE', 'Only IAM user keys can be deleted; temporary keys expire on their own once their sessions are revoked.');
      const access = await this.access(t, o.approvers);
      return toOutcome(await this.containment(access, o.dryRun, o.signal, o.fence).eradicateUserKey({ userName: t.userName, accessKeyId: t.keyId }), access);
    } catch (e) {
      return failure(e);
    }
  }

  async planRemovePersistence(t: ContainmentTarget, item: PersistenceItem): Promise<PlannedCall[]> {
    const access = await this.access(t, []);
    return this.containment(access, false).previewRemovePersistence(item);
  }

  async removePersistence(t: ContainmentTarget, item: PersistenceItem, o: ActOptions): Promise<ContainmentOutcome> {
    try {
      const access = await this.access(t, o.approvers);
      return toOutcome(await this.containment(access, o.dryRun, o.signal, o.fence).removePersistence(item), access);
    } catch (e) {
      return failure(e);
    }
  }

  async planUndo(t: ContainmentTarget, record: ContainRecord): Promise<PlannedCall[]> {
    return planUndo(undoArtifacts(await this.resolve(t), record, this.o.quarantine));
  }

  async undo(target: ContainmentTarget, record: ContainRecord, o: ActOptions): Promise<ContainmentOutcome> {
    try {
      const t = await this.resolve(target);
      const added = undoArtifacts(t, record, this.o.quarantine);
      if (added.length === 0) throw new KeyguardError('NOT_AVAILABLE', 'Containment recorded no change to reverse (it found everything already in place, or ran as a dry run).');
      const access = await this.access(t, o.approvers);
      return toOutcome(await this.containment(access, o.dryRun, o.signal, o.fence).undo({ userName: t.userName, accessKeyId: t.keyId, added }), access);
    } catch (e) {
      return failure(e);
    }
  }

}

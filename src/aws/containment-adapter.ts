/**
 * The playbook's Contain and Eradicate steps in AWS: chooses the credentials (own account or
 * the assumed target role, with the approver as SourceIdentity) and runs IamContainment.
 */
import type { ActOptions, ContainmentOutcome, ContainmentPort, ContainmentTarget, ContainRecord } from '../ports';
import type { Logger } from '../logger';
import { KeyguardError, isKeyguardError } from '../errors';
import { ActionOutcome, AddedArtifact, planContainRoleSessions, planContainUserKey, planUndo, PersistenceItem, quarantinePolicyArn, USER_REVOKE_POLICY_NAME } from '../domain/aws-plan';
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
  if (isKeyguardError(e)) return { ok: false, summary: e.userMessage, detail: { error: e.code }, error: { code: e.code, message: e.userMessage }, retryable: e.code === 'AWS_THROTTLED' || e.code === 'AWS_FAILED' };
  throw e;
}

interface Snapshot {
  keyStatus: string;
  denyPolicy: { present: boolean };
  quarantineAttached: boolean;
  userExists: boolean;
}

/**
 * What Undo reverses. The snapshot taken before Contain's first call is the authority on
 * what the bot changed (it survives a crash mid-step, when the step's own report is lost);
 * a deny policy that existed before is restored from the recorded previous document, or
 * left alone when none was recorded.
 */
export function undoArtifacts(t: ContainmentTarget, record: ContainRecord, quarantine: boolean): AddedArtifact[] {
  const reported = record.added as AddedArtifact[];
  const before = record.before as Snapshot | undefined;
  if (!before || !t.userName) return reported;
  const user = t.userName;
  const out: AddedArtifact[] = [];
  if (before.keyStatus === 'Active') out.push({ kind: 'key-deactivated', userName: user, accessKeyId: t.keyId });
  if (!before.denyPolicy.present) out.push({ kind: 'user-inline-policy', userName: user, policyName: USER_REVOKE_POLICY_NAME });
  else out.push(...reported.filter((a) => a.kind === 'user-inline-policy' && a.previousDocument !== undefined));
  if (quarantine && !before.quarantineAttached) out.push({ kind: 'user-managed-policy', userName: user, policyArn: quarantinePolicyArn() });
  return out;
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

  private containment(access: TargetAccess, dryRun: boolean, signal?: AbortSignal): IamContainment {
    return new IamContainment({ iam: access.clients.iam, sts: access.clients.sts, now: this.o.now, dryRun, logger: this.o.logger, readBackDelaysMs: this.o.readBackDelaysMs, signal });
  }

  async planContain(t: ContainmentTarget, now: Date): Promise<unknown[]> {
    const at = now.toISOString();
    if (t.userName) return planContainUserKey({ userName: t.userName, accessKeyId: t.keyId }, { quarantine: this.o.quarantine, now: at });
    const root = t.rootKey?.userName ? planContainUserKey({ userName: t.rootKey.userName, accessKeyId: t.rootKey.accessKeyId }, { quarantine: this.o.quarantine, now: at }) : [];
    if (t.roleName) return [...planContainRoleSessions(t.roleName, { now: at }), ...root];
    return root;
  }

  async contain(t: ContainmentTarget, o: ActOptions): Promise<ContainmentOutcome> {
    try {
      if (!t.userName && !t.roleName) {
        throw new KeyguardError('NOT_AVAILABLE', t.keyKind === 'temporary'
          ? 'This temporary key\'s role is not known. Start the incident from the /revoke-key modal with the role ARN, or find it with /trail.'
          : 'The key\'s owner is not known, so there is nothing to contain. Check the Identify step.');
      }
      const access = await this.access(t, o.approvers);
      const c = this.containment(access, o.dryRun, o.signal);
      if (t.userName) {
        return toOutcome(await c.containUserKey({ userName: t.userName, accessKeyId: t.keyId, quarantine: this.o.quarantine, cutoff: o.now }), access);
      }
      // A temporary key: end the role's older sessions, and contain the long-term key the
      // chain started from when the CloudTrail trace found it.
      const role = await c.containRoleSessions({ roleName: t.roleName!, cutoff: o.now });
      if (!t.rootKey?.userName) return toOutcome(role, access);
      const root = await c.containUserKey({ userName: t.rootKey.userName, accessKeyId: t.rootKey.accessKeyId, quarantine: this.o.quarantine, cutoff: o.now });
      return toOutcome(mergeOutcomes(role, root), access);
    } catch (e) {
      return failure(e);
    }
  }

  async snapshot(t: ContainmentTarget): Promise<unknown> {
    if (!t.userName) return undefined;
    const access = await this.access(t, []);
    const k = await this.containment(access, false).inspectKey(t.keyId, t.userName);
    return { keyStatus: k.keyStatus, denyPolicy: k.denyPolicy, quarantineAttached: k.quarantineAttached, userExists: k.userExists };
  }

  async planEradicate(t: ContainmentTarget): Promise<unknown[]> {
    if (!t.userName) return [];
    const access = await this.access(t, []);
    return this.containment(access, false).previewEradicateUserKey({ userName: t.userName, accessKeyId: t.keyId });
  }

  async eradicate(t: ContainmentTarget, o: ActOptions): Promise<ContainmentOutcome> {
    try {
      if (!t.userName) throw new KeyguardError('NOT_AVAILABLE', 'Only IAM user keys can be deleted; temporary keys expire on their own once their sessions are revoked.');
      const access = await this.access(t, o.approvers);
      return toOutcome(await this.containment(access, o.dryRun, o.signal).eradicateUserKey({ userName: t.userName, accessKeyId: t.keyId }), access);
    } catch (e) {
      return failure(e);
    }
  }

  async planRemovePersistence(t: ContainmentTarget, item: unknown): Promise<unknown[]> {
    const access = await this.access(t, []);
    return this.containment(access, false).previewRemovePersistence(item as PersistenceItem);
  }

  async removePersistence(t: ContainmentTarget, item: unknown, o: ActOptions): Promise<ContainmentOutcome> {
    try {
      const access = await this.access(t, o.approvers);
      return toOutcome(await this.containment(access, o.dryRun, o.signal).removePersistence(item as PersistenceItem), access);
    } catch (e) {
      return failure(e);
    }
  }

  async planUndo(t: ContainmentTarget, record: ContainRecord): Promise<unknown[]> {
    return planUndo(undoArtifacts(t, record, this.o.quarantine));
  }

  async undo(t: ContainmentTarget, record: ContainRecord, o: ActOptions): Promise<ContainmentOutcome> {
    const added = undoArtifacts(t, record, this.o.quarantine);
    try {
      if (added.length === 0) throw new KeyguardError('NOT_AVAILABLE', 'Containment recorded no change to reverse (it found everything already in place, or ran as a dry run).');
      const access = await this.access(t, o.approvers);
      return toOutcome(await this.containment(access, o.dryRun, o.signal).undo({ userName: t.userName, accessKeyId: t.keyId, added: added as AddedArtifact[] }), access);
    } catch (e) {
      return failure(e);
    }
  }

}

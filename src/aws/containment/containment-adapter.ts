/**
 * The playbook's Contain, Eradicate, Remove and Undo steps in AWS. Reads use the clients
 * for the key's account from the account-access service (the bot's own in its account, a
 * read-only session of the responder role elsewhere). Writes never use the bot's own
 * credentials: each step's IAM calls go through the responder role, assumed with the
 * approver as SourceIdentity and a session policy generated from the step's plan (the one
 * the approver saw when the engine passes it, else the same planner run again). Protected
 * principals are refused before a plan is shown and again before it runs.
 */
import type { ActOptions, ContainmentOutcome, ContainmentPort, ContainmentTarget, ContainRecord } from '../../ports';
import type { Logger } from '../../logger';
import { KeyguardError, isKeyguardError } from '../../errors';
import { ActionOutcome, ContainSnapshot, PersistenceItem, PlannedCall, ROLE_REVOKE_POLICY_NAME, USER_REVOKE_POLICY_NAME, planContainRoleSessions, planContainUserKey, planUndo, undoArtifacts } from '../../domain/aws-plan';
import { sessionPolicyFor } from '../../domain/session-policy';
import { IamContainment } from './iam-containment';
import { IamState } from './iam-state';
import type { AccountAccess, TargetAccess, WriteAccess } from '../access';
import { ProtectionReader, assertApprovalsFor } from './protection-reader';
import type { ProtectionUse } from '../../domain/protection';
import type { Expectation, Observation } from '../../domain/drift';

export interface AwsContainmentOptions {
  access: AccountAccess;
  quarantine: boolean;
  /** IR_PROTECTED_PRINCIPALS: break-glass users and roles never written to. */
  protectedPrincipals?: { users: readonly string[]; roles: readonly string[] };
  logger?: Pick<Logger, 'info' | 'warn'>;
  now: () => Date;
  /** Tests: no waiting between read-backs. */
  readBackDelaysMs?: readonly number[];
}

/** Said first on every card and record of a step that wrote with the bot's own credentials. */
const DIRECT_WRITES_NOTE = "DIRECT WRITES (IR_DIRECT_WRITES trial: the bot's own credentials, no session policy): ";

function toOutcome(o: ActionOutcome, read: TargetAccess, write?: WriteAccess): ContainmentOutcome {
  const acting = write && write.mode === 'assumed-role' ? write : read.mode === 'assumed-role' ? read : undefined;
  const session = acting?.mode === 'assumed-role'
    ? { roleArn: acting.roleArn, sessionName: acting.sessionName, sourceIdentity: acting.sourceIdentity, assumeRole: acting.call, ...(write?.sessionPolicy ? { sessionPolicy: write.sessionPolicy } : {}) }
    : undefined;
  const direct = write?.directWrites === true;
  // The session is named in the summary when the key is in another account; it is always in the detail.
  const where = read.mode === 'assumed-role' && session ? ` (as ${session.sessionName} in ${read.account})` : '';
  return {
    ok: o.ok,
    summary: `${direct ? DIRECT_WRITES_NOTE : ''}${o.dryRun ? 'DRY RUN: ' : ''}${o.message}${where}`,
    detail: { calls: o.calls, verified: o.verified, added: o.added, dryRun: o.dryRun, session, ...(direct ? { directWrites: true } : {}), ...(o.findings?.length ? { findings: o.findings } : {}) },
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
    ...(a.findings || b.findings ? { findings: [...(a.findings ?? []), ...(b.findings ?? [])] } : {}),
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

  /** Read clients for the key's account (a read-only session in another account). */
  private access(t: ContainmentTarget, approvers: string[]): Promise<TargetAccess> {
    // Identify records the key's account; without it, act in the bot's own account.
    return this.o.access.forAccount({ account: t.account, approver: approver(approvers), incidentId: t.incidentId });
  }

  /** Protection, read the same way for every step (src/domain/protection.ts through the reader). */
  private get protection(): ProtectionReader {
    this.reader ??= new ProtectionReader({
      identity: () => this.o.access.identity(),
      responderRoleNames: [this.o.access.responderRoleName],
      protectedPrincipals: this.o.protectedPrincipals,
    });
    return this.reader;
  }

  private reader?: ProtectionReader;

  /** The plan checked and annotated for this use (refused, warned, findings attached). */
  private protect(read: TargetAccess | undefined, calls: readonly PlannedCall[], use: ProtectionUse, t: ContainmentTarget): Promise<PlannedCall[]> {
    return this.protection.annotate(calls, use, read && new IamState(read.clients.iam), t.tagEvidence);
  }

  /**
   * Read clients for a plan shown before approval. Without a way into the key's account
   * (IR_TARGET_ROLE_NAME unset) the plan is still shown, checked by name; the step's run
   * then reads the tags, or fails to get in.
   */
  private async planReader(t: ContainmentTarget): Promise<TargetAccess | undefined> {
    try {
      return await this.access(t, []);
    } catch (e) {
      if (isKeyguardError(e) && e.code === 'NOT_AVAILABLE') return undefined;
      throw e;
    }
  }

  /**
   * The session a step writes with: the responder role narrowed to `calls`. None for a dry
   * run; null when the plan has no IAM write (nothing may then be sent).
   */
  private async writer(t: ContainmentTarget & { partition: string }, read: TargetAccess, calls: readonly PlannedCall[], o: ActOptions): Promise<WriteAccess | null | undefined> {
    if (o.dryRun) return undefined;
    const writes = calls.filter((c) => c.service === 'iam' && !c.notSent);
    if (writes.length === 0) return null;
    const policy = sessionPolicyFor(writes, { partition: t.partition, account: read.account });
    if (!policy.ok) throw new KeyguardError('NOT_AVAILABLE', `No session could be made for this step: ${policy.reason}. Nothing was sent.`);
    if (policy.compacted) this.o.logger?.warn({ incidentId: t.incidentId }, 'session policy: policy-ARN conditions of removals left out to fit 2,048 characters');
    return this.o.access.forWrites({ account: t.account, approver: approver(o.approvers), incidentId: t.incidentId, policy: policy.json });
  }

  private containment(read: TargetAccess, write: WriteAccess | null | undefined, dryRun: boolean, signal?: AbortSignal, fence?: () => Promise<void>): IamContainment {
    return new IamContainment({
      iam: read.clients.iam,
      writer: write === undefined ? undefined : write === null ? null : write.clients.iam,
      sts: read.clients.sts,
      now: this.o.now,
      dryRun,
      logger: this.o.logger,
      readBackDelaysMs: this.o.readBackDelaysMs,
      signal,
      fence,
    });
  }

  /**
   * Reads, protection check, plan (given or made again) and write session for one step.
   * Protection is read again right before the writes, the same way as for the plan: a refused
   * principal stops the step, and a protected one's writes need two distinct approvers.
   */
  private async prepare(t: ContainmentTarget & { partition: string }, o: ActOptions, use: ProtectionUse, plan: () => Promise<PlannedCall[]>) {
    const read = await this.access(t, o.approvers);
    const calls = await this.protect(read, o.plan ? [...o.plan] : await plan(), use, t);
    assertApprovalsFor(calls, o.approvers);
    const write = await this.writer(t, read, calls, o);
    return { read, write, calls, c: this.containment(read, write, o.dryRun, o.signal, o.fence) };
  }

  async planContain(target: ContainmentTarget, now: Date): Promise<PlannedCall[]> {
    const t = await this.resolve(target);
    const calls = this.containPlan(t, now);
    return calls.length > 0 ? this.protect(await this.planReader(t), calls, 'contain', t) : calls;
  }

  private containPlan(t: ContainmentTarget & { partition: string }, now: Date): PlannedCall[] {
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
      const { read, write, c } = await this.prepare(t, o, 'contain', async () => this.containPlan(t, o.now));
      if (t.userName) {
        return toOutcome(await c.containUserKey({ userName: t.userName, accessKeyId: t.keyId, quarantine: this.o.quarantine, partition: t.partition, cutoff: o.now }), read, write ?? undefined);
      }
      // A temporary key: end the role's older sessions, and contain the long-term key the
      // chain started from when the CloudTrail trace found it.
      const role = await c.containRoleSessions({ roleName: t.roleName!, cutoff: o.now });
      if (!t.rootKey?.userName) return toOutcome(role, read, write ?? undefined);
      const root = await c.containUserKey({ userName: t.rootKey.userName, accessKeyId: t.rootKey.accessKeyId, quarantine: this.o.quarantine, partition: t.partition, cutoff: o.now });
      return toOutcome(mergeOutcomes(role, root), read, write ?? undefined);
    } catch (e) {
      return failure(e);
    }
  }

  async snapshot(target: ContainmentTarget): Promise<ContainSnapshot | undefined> {
    if (!target.userName) return undefined;
    const t = await this.resolve(target);
    const read = await this.access(t, []);
    const k = await this.containment(read, undefined, false).inspectKey(t.keyId, t.userName, t.partition);
    return { keyStatus: k.keyStatus, denyPolicy: k.denyPolicy, quarantineAttached: k.quarantineAttached, userExists: k.userExists };
  }

  /** A defender-protected user keeps its console password and MFA devices: the reason, or undefined. */
  private async keepConsoleAccess(read: TargetAccess, t: ContainmentTarget, userName: string): Promise<string | undefined> {
    const v = await this.protection.verdict({ type: 'user', name: userName }, 'eradicate', new IamState(read.clients.iam), t.tagEvidence);
    return v.send && v.keepConsoleAccess ? `user ${userName} is defender-protected: its console password and MFA devices are its owners', left to a person` : undefined;
  }

  async planEradicate(target: ContainmentTarget): Promise<PlannedCall[]> {
    if (!target.userName) return [];
    const t = await this.resolve(target);
    const read = await this.access(t, []);
    const keep = await this.keepConsoleAccess(read, t, target.userName);
    const calls = await this.containment(read, undefined, false).previewEradicateUserKey({ userName: target.userName, accessKeyId: t.keyId }, { keepConsoleAccess: keep });
    return this.protect(read, calls, 'eradicate', t);
  }

  async eradicate(target: ContainmentTarget, o: ActOptions): Promise<ContainmentOutcome> {
    try {
      if (!target.userName) throw new KeyguardError('NOT_AVAILABLE', 'Only IAM user keys can be deleted; temporary keys expire on their own once their sessions are revoked.');
      const t = await this.resolve(target);
      const userName = target.userName;
      const reader = await this.access(t, o.approvers);
      const keep = await this.keepConsoleAccess(reader, t, userName);
      const { read, write, c } = await this.prepare(t, o, 'eradicate', async () =>
        this.containment(reader, undefined, false).previewEradicateUserKey({ userName, accessKeyId: t.keyId }, { keepConsoleAccess: keep }),
      );
      return toOutcome(await c.eradicateUserKey({ userName, accessKeyId: t.keyId }, { keepConsoleAccess: keep }), read, write ?? undefined);
    } catch (e) {
      return failure(e);
    }
  }

  async planRemovePersistence(target: ContainmentTarget, item: PersistenceItem): Promise<PlannedCall[]> {
    const t = await this.resolve(target);
    const read = await this.access(t, []);
    const calls = await this.containment(read, undefined, false).previewRemovePersistence(item);
    // Nothing left to call (already gone): the item itself is still checked.
    if (calls.length === 0) {
      await this.protect(read, [itemAsCall(item)], removalUse(item), t);
      return calls;
    }
    return this.protect(read, calls, removalUse(item), t);
  }

  async removePersistence(target: ContainmentTarget, item: PersistenceItem, o: ActOptions): Promise<ContainmentOutcome> {
    try {
      const t = await this.resolve(target);
      const { read, write, c } = await this.prepare(t, o, removalUse(item), async () =>
        this.containment(await this.access(t, o.approvers), undefined, false).previewRemovePersistence(item),
      );
      await this.protect(read, [itemAsCall(item)], removalUse(item), t);
      return toOutcome(await c.removePersistence(item), read, write ?? undefined);
    } catch (e) {
      return failure(e);
    }
  }

  async planUndo(target: ContainmentTarget, record: ContainRecord): Promise<PlannedCall[]> {
    const t = await this.resolve(target);
    const calls = planUndo(undoArtifacts(t, record, this.o.quarantine));
    return calls.length > 0 ? this.protect(await this.planReader(t), calls, 'undo', t) : calls;
  }

  async undo(target: ContainmentTarget, record: ContainRecord, o: ActOptions): Promise<ContainmentOutcome> {
    try {
      const t = await this.resolve(target);
      const added = undoArtifacts(t, record, this.o.quarantine);
      if (added.length === 0) throw new KeyguardError('NOT_AVAILABLE', 'Containment recorded no change to reverse (it found everything already in place, or ran as a dry run).');
      const { read, write, c } = await this.prepare(t, o, 'undo', async () => planUndo(added));
      return toOutcome(await c.undo({ userName: t.userName, accessKeyId: t.keyId, added }), read, write ?? undefined);
    } catch (e) {
      return failure(e);
    }
  }

  /**
   * What IAM shows now for each thing containment set (read-only; the watch's drift check):
   * in the expectation's account (a role of Revoke role sessions), else the key's.
   */
  async observe(target: ContainmentTarget, expectations: readonly Expectation[]): Promise<Observation[]> {
    const states = new Map<string, IamState>();
    const stateIn = async (account: string | undefined) => {
      const key = account ?? '';
      let st = states.get(key);
      if (!st) {
        st = new IamState((await this.o.access.forAccount({ account, approver: { slackUserId: 'keyguard' }, incidentId: target.incidentId })).clients.iam);
        states.set(key, st);
      }
      return st;
    };
    const out: Observation[] = [];
    for (const e of expectations) {
      const st = await stateIn(e.account ?? target.account);
      switch (e.kind) {
        case 'key-inactive': {
          const keys = await st.accessKeys(e.userName);
          out.push({ kind: e.kind, userExists: keys !== undefined, status: keys?.find((k) => k.accessKeyId === e.accessKeyId)?.status ?? 'absent' });
          break;
        }
        case 'user-revocation': {
          const exists = await st.userExists(e.userName);
          out.push({ kind: e.kind, userExists: exists, ...(exists ? { document: await st.userPolicyDocument(e.userName, USER_REVOKE_POLICY_NAME) } : {}) });
          break;
        }
        case 'quarantine-attached': {
          const attached = await st.attachedUserPolicyArns(e.userName);
          out.push({ kind: e.kind, userExists: attached !== undefined, attached: attached?.includes(e.policyArn) ?? false });
          break;
        }
        case 'role-revocation': {
          const role = await st.role(e.roleName);
          out.push({ kind: e.kind, roleExists: role !== undefined, ...(role ? { document: await st.rolePolicyDocument(e.roleName, ROLE_REVOKE_POLICY_NAME) } : {}) });
          break;
        }
      }
    }
    return out;
  }
}

/** Removing a key the attacker created on a principal is not destroying it; the principal or its console password is. */
function removalUse(item: PersistenceItem): ProtectionUse {
  return item.kind === 'access-key' ? 'remove-key' : 'remove-principal';
}

/** Who a session acts for: the last approver, or the bot itself for read-only work. */
function approver(approvers: readonly string[]) {
  return { slackUserId: approvers.at(-1) ?? 'keyguard' };
}

/** The principal a persistence item names, as a call the protection check reads. */
function itemAsCall(item: PersistenceItem): PlannedCall {
  return { service: 'iam', action: 'Remove', why: 'the item itself', params: item.kind === 'role' ? { RoleName: item.roleName } : { UserName: item.userName } };
}

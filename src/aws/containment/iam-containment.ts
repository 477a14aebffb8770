/**
 * The Contain, Undo and Eradicate actions in IAM. Each one:
 *  1. refuses unsafe targets (guard-rails.ts): throws KeyguardError 'GUARD_RAIL';
 *  2. reads the current state, so work already in place is recorded as 'already';
 *  3. builds the plan with the pure builders in src/domain/aws-plan.ts and sends it call by
 *     call (call-runner.ts), or records 'dry-run' without sending anything mutating;
 *  4. reads IAM back, retrying for eventual consistency, and reports ok only when AWS
 *     shows the change.
 * AWS failures come back as an ActionOutcome (never thrown), with retryable: true when
 * they may pass; every action is idempotent, so the step can simply run again.
 */
import type { IAMClient } from '@aws-sdk/client-iam';
import type { STSClient } from '@aws-sdk/client-sts';
import type { Logger } from '../../logger';
import { KeyguardError, isKeyguardError } from '../../errors';
import {
  ActionOutcome,
  AddedArtifact,
  CallRecord,
  KeyStatus,
  PersistenceItem,
  PlannedCall,
  ROLE_REVOKE_POLICY_NAME,
  decoyFinding,
  readRevocation,
  USER_REVOKE_POLICY_NAME,
  cutoffCovers,
  describePersistenceItem,
  noDependencies,
  planContainRoleSessions,
  planContainUserKey,
  planEradicateUserKey,
  planRemovePersistence,
  planUndoCall,
  undoOrder,
  quarantinePolicyArn,
  revocationCutoff,
  tokenIssueCutoff,
} from '../../domain/aws-plan';
import { GuardRails } from '../access';
import { sleep } from '../../sleep';
import { IamState, normaliseDocument } from './iam-state';
import { Precheck, RunContext, runCalls } from './call-runner';
import { DEFAULT_READ_BACK_DELAYS_MS, FinishOptions, Verification, finishAction, outcomeBeforeActing } from './action-outcome';

export interface IamContainmentDeps {
  /** Reads: before acting, the read-back after, reconciliation. */
  iam: IAMClient;
  /**
   * Writes: the responder role's session narrowed to the step's plan (account-access.ts).
   * Absent: `iam`. null: no write may be sent (the approved plan had none): a write the
   * action still wants is recorded as failed, never sent.
   */
  writer?: IAMClient | null;
  sts: STSClient;
  logger?: Pick<Logger, 'info' | 'warn'>;
  now: () => Date;
  /** IR_DRY_RUN: record every call as 'dry-run', send no mutating call (reads still happen). */
  dryRun: boolean;
  sleep?: (ms: number) => Promise<void>;
  readBackDelaysMs?: readonly number[];
  /** The step's lease: once aborted, no further mutating call is sent. */
  signal?: AbortSignal;
  /** The step's lease, checked (renewed) before every mutating call; throws when lost. */
  fence?: () => Promise<void>;
}

export interface ContainUserKeyInput {
  userName: string;
  accessKeyId: string;
  /** IR_QUARANTINE: attach AWSCompromisedKeyQuarantineV3. */
  quarantine: boolean;
  /**
   * The target's partition: the quarantine policy ARN is built from it exactly as the plan
   * shown to the approver was. Default: the partition of the credentials acting.
   */
  partition?: string;
  /**
   * Sessions issued before this are denied. Pass the time the step first started running:
   * a re-run after a crash then finds its own policy 'already' in place. Defaults to now,
   * which refreshes an older cut-off (re-applying the policy moves the time forward).
   */
  cutoff?: Date;
}

export interface ContainRoleInput {
  roleName: string;
  cutoff?: Date;
  /**
   * A role that does not exist: 'error' (default) fails the action, since a wrong or
   * mistyped role name must never read as "contained"; 'gone' records it as already done
   * (a role CloudTrail showed being assumed and since deleted: its sessions have no
   * permissions left).
   */
  ifMissing?: 'error' | 'gone';
}

export interface UndoInput {
  userName?: string;
  accessKeyId?: string;
  /** ActionOutcome.added of the containment being undone. */
  added: readonly AddedArtifact[];
}

export interface KeyInspection {
  accessKeyId: string;
  userName?: string;
  userExists: boolean;
  keyStatus: KeyStatus;
  denyPolicy: { present: boolean; cutoff?: string; document?: string };
  quarantineAttached: boolean;
}


export class IamContainment {
  private readonly state: IamState;
  private readonly guard: GuardRails;
  private readonly run: RunContext;
  private readonly finish: FinishOptions;

  constructor(private readonly deps: IamContainmentDeps) {
    this.state = new IamState(deps.iam);
    this.guard = new GuardRails(deps.sts);
    this.run = { iam: deps.writer === undefined ? deps.iam : deps.writer, dryRun: deps.dryRun, now: deps.now, logger: deps.logger, signal: deps.signal, fence: deps.fence };
    this.finish = {
      dryRun: deps.dryRun,
      sleep: deps.sleep ?? ((ms) => sleep(ms)),
      readBackDelaysMs: deps.readBackDelaysMs ?? DEFAULT_READ_BACK_DELAYS_MS,
    };
  }

  // -------------------------------------------------------------------------------------
  // Contain

  containUserKey(input: ContainUserKeyInput): Promise<ActionOutcome> {
    const { userName, accessKeyId } = input;
    return this.act(async () => {
      const me = await this.guard.assertUserTarget(userName);
      const partition = input.partition ?? me.partition;
      if (partition !== me.partition) {
        throw new KeyguardError('GUARD_RAIL', `The plan was made for partition ${partition}, but the bot acts in ${me.partition}; nothing was sent.`);
      }
      const quarantineArn = quarantinePolicyArn(partition);
      const cutoffIso = (input.cutoff ?? this.deps.now()).toISOString();
      const before = await this.readUserKey(userName, accessKeyId, quarantineArn);
      if (before.userExists && before.keyStatus === 'absent') await this.assertKeyNotElsewhere(accessKeyId, userName);
      const plan = planContainUserKey({ userName, accessKeyId }, { quarantine: input.quarantine, now: cutoffIso, partition });
      const wanted = tokenIssueCutoff(cutoffIso);

      const precheck: Precheck = (call) => {
        if (!before.userExists) return { outcome: 'already', note: `user ${userName} no longer exists: nothing can use the key` };
        if (call.action === 'UpdateAccessKey' && before.keyStatus !== 'Active') {
          return { outcome: 'already', note: before.keyStatus === 'Inactive' ? 'key already Inactive' : 'key already deleted' };
        }
        if (call.action === 'PutUserPolicy' && cutoffCovers(before.denyCutoff, wanted)) {
          return { outcome: 'already', note: `deny policy already present (cut-off ${before.denyCutoff})` };
        }
        if (call.action === 'AttachUserPolicy' && before.quarantineAttached) return { outcome: 'already', note: 'quarantine policy already attached' };
        return undefined;
      };
      const records = await runCalls(this.run, plan, { precheck, stopOnFailure: false });
      // A document under the bot's name that is not the bot's revocation (read by content) was
      // a decoy: it was overwritten above (never counted as 'already'), and it is reported.
      const existing = readRevocation(before.denyDocument);
      const findings = existing.kind === 'decoy' && before.userExists ? [decoyFinding(`user ${userName}`, USER_REVOKE_POLICY_NAME, existing.why, replacedBy(records, 'PutUserPolicy'))] : [];

      const added: AddedArtifact[] = [];
      if (isDone(records, 'UpdateAccessKey')) added.push({ kind: 'key-deactivated', userName, accessKeyId });
      if (isDone(records, 'PutUserPolicy')) {
        added.push({ kind: 'user-inline-policy', userName, policyName: USER_REVOKE_POLICY_NAME, previousDocument: before.denyDocument });
      }
      if (isDone(records, 'AttachUserPolicy')) added.push({ kind: 'user-managed-policy', userName, policyArn: quarantineArn });

      return finishAction(records, added, {
        read: () => this.readUserKey(userName, accessKeyId, quarantineArn),
        problems: (s) => {
          if (!s.userExists) return [];
          const p: string[] = [];
          if (inPlace(records, 'UpdateAccessKey') && s.keyStatus === 'Active') p.push('key still Active');
          if (inPlace(records, 'PutUserPolicy') && !cutoffCovers(s.denyCutoff, wanted)) {
            p.push(`deny policy ${USER_REVOKE_POLICY_NAME} missing or older than ${wanted}`);
          }
          if (inPlace(records, 'AttachUserPolicy') && !s.quarantineAttached) p.push('quarantine policy not attached');
          return p;
        },
        view: ({ denyDocument: _omitted, ...s }) => s,
        success: (s) =>
          s.userExists
            ? `Contained ${accessKeyId} of ${userName}: key ${s.keyStatus}, sessions issued before ${s.denyCutoff} denied` +
              (s.quarantineAttached ? ', quarantine policy attached.' : '.')
            : `User ${userName} no longer exists; nothing can use ${accessKeyId}.`,
      }, this.finish).then((o) => withFindings(o, findings));
    });
  }

  /** Blast radius: every session of the role issued before the cut-off, legitimate ones included. */
  containRoleSessions(input: ContainRoleInput): Promise<ActionOutcome> {
    const { roleName } = input;
    return this.act(async () => {
      const role = await this.state.role(roleName);
      if (!role && (input.ifMissing ?? 'error') === 'error') {
        const me = await this.guard.identity();
        throw new KeyguardError('AWS_NOT_FOUND', `Role ${roleName} does not exist in account ${me.account}: nothing was contained. Check the role name (the CloudTrail trace of the key names its issuer) and ask again.`);
      }
      await this.guard.assertRoleTarget({ roleName, path: role?.path });
      const cutoffIso = (input.cutoff ?? this.deps.now()).toISOString();
      const wanted = tokenIssueCutoff(cutoffIso);
      const beforeDoc = role ? await this.state.rolePolicyDocument(roleName, ROLE_REVOKE_POLICY_NAME) : undefined;
      // Read by content: a decoy under the console's name is overwritten and reported.
      const existing = readRevocation(beforeDoc);
      const beforeCutoff = existing.kind === 'own' ? existing.cutoff : undefined;

      const precheck: Precheck = () => {
        if (!role) return { outcome: 'already', note: `role ${roleName} no longer exists: its sessions have no permissions left` };
        if (cutoffCovers(beforeCutoff, wanted)) return { outcome: 'already', note: `${ROLE_REVOKE_POLICY_NAME} already denies sessions before ${beforeCutoff}` };
        return undefined;
      };
      const records = await runCalls(this.run, planContainRoleSessions(roleName, { now: cutoffIso }), { precheck, stopOnFailure: false });
      const findings = existing.kind === 'decoy' ? [decoyFinding(`role ${roleName}`, ROLE_REVOKE_POLICY_NAME, existing.why, replacedBy(records, 'PutRolePolicy'))] : [];
      const added: AddedArtifact[] = isDone(records, 'PutRolePolicy')
        ? [{ kind: 'role-inline-policy', roleName, policyName: ROLE_REVOKE_POLICY_NAME, previousDocument: beforeDoc }]
        : [];

      const read = async () => {
        const doc = (await this.state.role(roleName)) ? await this.state.rolePolicyDocument(roleName, ROLE_REVOKE_POLICY_NAME) : undefined;
        return { roleExists: role !== undefined, policyName: ROLE_REVOKE_POLICY_NAME, cutoff: doc === undefined ? undefined : revocationCutoff(doc) };
      };
      return finishAction(records, added, {
        read,
        problems: (s) => (s.roleExists && inPlace(records, 'PutRolePolicy') && !cutoffCovers(s.cutoff, wanted) ? [`${ROLE_REVOKE_POLICY_NAME} missing or older than ${wanted}`] : []),
        view: (s) => ({ ...s }),
        success: (s) => (s.roleExists ? `Revoked every session of role ${roleName} issued before ${s.cutoff}.` : `Role ${roleName} no longer exists.`),
      }, this.finish).then((o) => withFindings(o, findings));
    });
  }

  // -------------------------------------------------------------------------------------
  // Undo (false positive): reverse exactly what containment added

  undo(input: UndoInput): Promise<ActionOutcome> {
    return this.act(async () => {
      for (const a of input.added) {
        if ('userName' in a && input.userName !== undefined && a.userName !== input.userName) {
          throw new KeyguardError('BAD_INPUT', `Undo for ${input.userName} was given a change to ${a.userName}; refusing to touch another principal.`);
        }
        if ('userName' in a) await this.guard.assertUserTarget(a.userName);
        else await this.guard.assertRoleTarget({ roleName: a.roleName, path: (await this.state.role(a.roleName))?.path });
      }
      const ordered = undoOrder(input.added);
      const readAll = () => Promise.all(ordered.map((a) => this.readArtifact(a)));
      const before = await readAll();
      const precheck: Precheck = (_call, i) =>
        isReversed(ordered[i], before[i]) ? { outcome: 'already', note: 'already as it was before containment' } : undefined;
      // Stop at a failure: the key comes last and is reactivated only if everything else came off.
      const records = await runCalls(this.run, ordered.map(planUndoCall), { precheck, stopOnFailure: true });
      return finishAction(records, [], {
        read: readAll,
        problems: (now) =>
          ordered.filter((a, i) => isSettled(records[i]) && !isReversed(a, now[i])).map((a) => `${a.kind} not reversed`),
        view: (now) => ({ reversed: ordered.map((a, i) => ({ kind: a.kind, target: artifactTarget(a), reversed: isReversed(a, now[i]) })) }),
        success: () => `Undone: the ${ordered.length} change(s) the bot made were reversed; nothing else was touched.`,
      }, this.finish);
    });
  }

  /** The part of IAM an artifact changed, as it is now. */
  private async readArtifact(a: AddedArtifact): Promise<ArtifactState> {
    switch (a.kind) {
      case 'key-deactivated':
        return { keyStatus: await this.state.keyStatus(a.userName, a.accessKeyId) };
      case 'user-managed-policy':
        return { attached: (await this.state.attachedUserPolicyArns(a.userName))?.includes(a.policyArn) ?? false };
      case 'user-inline-policy':
        return { document: await this.state.userPolicyDocument(a.userName, a.policyName) };
      case 'role-inline-policy':
        return { document: await this.state.rolePolicyDocument(a.roleName, a.policyName) };
    }
  }

  // -------------------------------------------------------------------------------------
  // Eradicate

  /** The exact eradication calls for the card, from the user's current state. */
  async previewEradicateUserKey(t: { userName: string; accessKeyId: string }, o: { keepConsoleAccess?: string } = {}): Promise<PlannedCall[]> {
    return planEradicateUserKey(t, await this.eradicationFacts(t.userName, t.accessKeyId), o);
  }

  /** `keepConsoleAccess`: a defender-protected user keeps its console password and MFA devices (not sent, with why). */
  eradicateUserKey(t: { userName: string; accessKeyId: string }, o: { keepConsoleAccess?: string } = {}): Promise<ActionOutcome> {
    const { userName, accessKeyId } = t;
    return this.act(async () => {
      await this.guard.assertUserTarget(userName);
      const facts = await this.eradicationFacts(userName, accessKeyId);
      const userExists = await this.state.userExists(userName);
      if (userExists && facts.keyStatus === 'absent') await this.assertKeyNotElsewhere(accessKeyId, userName);
      const plan = planEradicateUserKey(t, facts, o);
      const kept = o.keepConsoleAccess !== undefined;
      const precheck: Precheck = (call) => {
        if (!userExists) return { outcome: 'already', note: `user ${userName} no longer exists` };
        if (call.action === 'DeleteAccessKey' && facts.keyStatus === 'absent') return { outcome: 'already', note: 'key already deleted' };
        return undefined;
      };
      const records = await runCalls(this.run, plan, { precheck, stopOnFailure: false });

      const read = async () => ({
        userExists: await this.state.userExists(userName),
        deletedAccessKeyId: accessKeyId,
        keyStatus: await this.state.keyStatus(userName, accessKeyId),
        loginProfile: await this.state.loginProfile(userName),
        activeMfaSerials: await this.state.mfaSerials(userName),
        /** The owner re-enrols these (deactivated by this step). */
        mfaToReEnrol: kept ? [] : facts.mfaSerials,
        /** Listed, not deleted: the owner decides. */
        otherKeys: ((await this.state.accessKeys(userName)) ?? []).filter((k) => k.accessKeyId !== accessKeyId),
      });
      return finishAction(records, [], {
        read,
        problems: (s) => [
          ...(inPlace(records, 'DeleteAccessKey') && s.keyStatus !== 'absent' ? ['key still exists'] : []),
          ...(inPlace(records, 'DeleteLoginProfile') && s.loginProfile ? ['console password still set'] : []),
          ...(kept ? [] : s.activeMfaSerials.filter((m) => facts.mfaSerials.includes(m)).map((m) => `MFA device ${m} still active`)),
        ],
        view: (s) => ({ ...s, otherKeys: s.otherKeys.map((k) => ({ ...k })) }),
        success: (s) =>
          `Deleted ${accessKeyId}` +
          (kept ? (facts.loginProfile || facts.mfaSerials.length ? '; the console password and MFA devices of this protected user were left to its owners' : '') :
            (facts.loginProfile ? ', removed the console password' : '') +
            (facts.mfaSerials.length ? `, deactivated ${facts.mfaSerials.length} MFA device(s) for re-enrolment` : '')) +
          (s.otherKeys.length ? `; ${userName} still has ${s.otherKeys.length} other key(s), listed, not deleted.` : '.'),
      }, this.finish);
    });
  }

  // -------------------------------------------------------------------------------------
  // Persistence the investigation found

  async previewRemovePersistence(item: PersistenceItem): Promise<PlannedCall[]> {
    return planRemovePersistence(item, (await this.persistenceDeps(item)) ?? noDependencies());
  }

  removePersistence(item: PersistenceItem): Promise<ActionOutcome> {
    return this.act(async () => {
      if (item.kind === 'role') {
        await this.guard.assertRoleTarget({ roleName: item.roleName, path: (await this.state.role(item.roleName))?.path });
      } else {
        await this.guard.assertUserTarget(item.userName);
      }
      const deps = await this.persistenceDeps(item);
      const gone = deps === undefined;
      const plan = planRemovePersistence(item, deps ?? noDependencies());
      const before = await this.readPersistence(item);
      const precheck: Precheck = () =>
        gone || before.removed ? { outcome: 'already', note: `${describePersistenceItem(item)} is already gone or restored` } : undefined;
      // Later calls depend on earlier ones (DeleteUser needs its keys gone), so stop at a failure.
      const records = await runCalls(this.run, plan, { precheck, stopOnFailure: true });
      return finishAction(records, [], {
        read: () => this.readPersistence(item),
        problems: (s) => (records.every((r) => r.outcome === 'done' || r.outcome === 'already') && !s.removed ? [`${describePersistenceItem(item)} still there`] : []),
        view: (s) => ({ item, ...s }),
        success: () => `Removed ${describePersistenceItem(item)}.`,
      }, this.finish);
    });
  }

  // -------------------------------------------------------------------------------------
  // Crash reconciliation

  /**
   * What IAM shows for a key: read before retrying a step found 'running' after a restart.
   * Read-only; an AWS error is thrown as a KeyguardError naming the read.
   */
  async inspectKey(accessKeyId: string, userName?: string, partition?: string): Promise<KeyInspection> {
    const owner = userName ?? (await this.state.keyOwner(accessKeyId));
    if (owner === undefined) {
      return { accessKeyId, userExists: false, keyStatus: 'absent', denyPolicy: { present: false }, quarantineAttached: false };
    }
    const s = await this.readUserKey(owner, accessKeyId, quarantinePolicyArn(partition ?? (await this.guard.identity()).partition));
    return {
      accessKeyId,
      userName: owner,
      userExists: s.userExists,
      keyStatus: s.keyStatus,
      denyPolicy: { present: s.denyDocument !== undefined, cutoff: s.denyCutoff, ...(s.denyDocument !== undefined ? { document: s.denyDocument } : {}) },
      quarantineAttached: s.quarantineAttached,
    };
  }

  // -------------------------------------------------------------------------------------

  /** Refusals (guard rails, bad input) are thrown; everything AWS says becomes an outcome. */
  private async act(body: () => Promise<ActionOutcome>): Promise<ActionOutcome> {
    try {
      return await body();
    } catch (e) {
      if (isKeyguardError(e) && (e.code === 'GUARD_RAIL' || e.code === 'BAD_INPUT')) throw e;
      return outcomeBeforeActing(e, this.deps.dryRun);
    }
  }

  private async readUserKey(userName: string, accessKeyId: string, quarantineArn: string) {
    const keys = await this.state.accessKeys(userName);
    if (keys === undefined) {
      return { userExists: false, keyStatus: 'absent' as KeyStatus, denyDocument: undefined, denyCutoff: undefined, quarantineAttached: false };
    }
    const denyDocument = await this.state.userPolicyDocument(userName, USER_REVOKE_POLICY_NAME);
    const attached = (await this.state.attachedUserPolicyArns(userName)) ?? [];
    return {
      userExists: true,
      keyStatus: (keys.find((k) => k.accessKeyId === accessKeyId)?.status ?? 'absent') as KeyStatus,
      denyDocument,
      denyCutoff: denyDocument === undefined ? undefined : revocationCutoff(denyDocument),
      quarantineAttached: attached.includes(quarantineArn),
    };
  }

  /**
   * A key missing from this user's list may belong to someone else (a wrong user name
   * from the caller): "already gone" would then leave a live key behind. Refuse instead.
   */
  private async assertKeyNotElsewhere(accessKeyId: string, userName: string): Promise<void> {
    const owner = await this.state.keyOwner(accessKeyId);
    if (owner !== undefined && owner !== userName) {
      throw new KeyguardError('BAD_INPUT', `Access key ${accessKeyId} belongs to IAM user ${owner}, not ${userName}; nothing was changed.`);
    }
  }

  private async eradicationFacts(userName: string, accessKeyId: string) {
    return {
      keyStatus: await this.state.keyStatus(userName, accessKeyId),
      loginProfile: await this.state.loginProfile(userName),
      mfaSerials: await this.state.mfaSerials(userName),
    };
  }

  /** undefined: the principal is gone. */
  private async persistenceDeps(item: PersistenceItem) {
    switch (item.kind) {
      case 'user':
        return this.state.userDependencies(item.userName);
      case 'role':
        return this.state.roleDependencies(item.roleName);
      case 'access-key': {
        const keys = await this.state.accessKeys(item.userName);
        return keys && { ...noDependencies(), accessKeys: keys.map(({ accessKeyId, status }) => ({ accessKeyId, status })) };
      }
      case 'login-profile':
        return (await this.state.userExists(item.userName)) ? noDependencies() : undefined;
    }
  }

  /** removed: the item is gone. */
  private async readPersistence(item: PersistenceItem): Promise<{ removed: boolean }> {
    switch (item.kind) {
      case 'user':
        return { removed: !(await this.state.userExists(item.userName)) };
      case 'access-key':
        return { removed: (await this.state.keyStatus(item.userName, item.accessKeyId)) === 'absent' };
      case 'login-profile':
        return { removed: !(await this.state.loginProfile(item.userName)) };
      case 'role':
        return { removed: (await this.state.role(item.roleName)) === undefined };
    }
  }
}

/** Findings are said first: a decoy the attacker planted matters more than the routine line. */
function withFindings(o: ActionOutcome, findings: readonly string[]): ActionOutcome {
  if (findings.length === 0) return o;
  return { ...o, findings: [...(o.findings ?? []), ...findings], message: `${findings.join(' ')} ${o.message}` };
}

function replacedBy(records: readonly CallRecord[], action: string): 'replaced' | 'dry-run' | 'not-replaced' {
  const r = records.find((c) => c.action === action);
  return r?.outcome === 'done' ? 'replaced' : r?.outcome === 'dry-run' ? 'dry-run' : 'not-replaced';
}

function isDone(records: readonly CallRecord[], action: string): boolean {
  return records.some((r) => r.action === action && r.outcome === 'done');
}

/** The call's effect should be visible in IAM now. */
function inPlace(records: readonly CallRecord[], action: string): boolean {
  return records.some((r) => r.action === action && (r.outcome === 'done' || r.outcome === 'already'));
}

function isSettled(r: CallRecord | undefined): boolean {
  return r !== undefined && (r.outcome === 'done' || r.outcome === 'already');
}

type ArtifactState = { keyStatus: KeyStatus } | { attached: boolean } | { document: string | undefined };

/** Is what the artifact changed back to how it was before containment? */
function isReversed(a: AddedArtifact, s: ArtifactState): boolean {
  switch (a.kind) {
    case 'key-deactivated':
      return 'keyStatus' in s && s.keyStatus === 'Active';
    case 'user-managed-policy':
      return 'attached' in s && !s.attached;
    case 'user-inline-policy':
    case 'role-inline-policy':
      return 'document' in s && s.document === normaliseDocument(a.previousDocument);
  }
}

function artifactTarget(a: AddedArtifact): string {
  switch (a.kind) {
    case 'key-deactivated':
      return a.accessKeyId;
    case 'user-managed-policy':
      return `${a.userName} ${a.policyArn}`;
    case 'user-inline-policy':
      return `${a.userName} ${a.policyName}`;
    case 'role-inline-policy':
      return `${a.roleName} ${a.policyName}`;
  }
}

/**
 * The exact AWS calls of the containment and eradication actions: what the Slack card
 * shows before approval (PlannedCall) and what is recorded after (CallRecord,
 * ActionOutcome). Pure: the time is passed in, nothing here talks to AWS.
 *
 * The adapter (src/aws/containment/iam-containment.ts) executes these plans call by call, so what the
 * approver saw is, parameter for parameter, what the bot sends. The one value that moves
 * is the session cut-off time: it is taken again at execution, so sessions minted while
 * the card waited for approval are revoked as well.
 */
import type { JsonValue } from './step-outcome';

export type AwsService = 'iam' | 'sts' | 'cloudtrail';

export interface PlannedCall {
  service: AwsService;
  /** The API action, e.g. 'UpdateAccessKey'. */
  action: string;
  /** Exactly the parameters sent, policy documents included (as the JSON string AWS takes). */
  params: Record<string, unknown>;
  /** One line for the approver: why this call. */
  why: string;
  /**
   * The account the call is made in, when a step acts in several (role sessions in other
   * accounts). Absent: the incident's account.
   */
  account?: string;
  /**
   * Shown, never sent: why the bot does not make this call (no role in that account, a
   * guard rail). It is recorded as 'skipped' with this note, so the record matches the plan.
   */
  notSent?: string;
  /**
   * The principal is defender-protected (src/domain/protection.ts): the warning said loudly on
   * the card and kept in the record. A step with such a call needs two approvals.
   */
  protectedBy?: string;
  /** Attacker activity found about the principal (a keyguard:protected tag the leaked key's credentials wrote): said, never honoured. */
  finding?: string;
  /** In a step that runs two actions (Re-apply containment: Contain's calls, then Revoke role sessions'), which one sends it. */
  part?: 'contain' | 'role-sessions';
}

export type CallOutcomeKind = 'done' | 'already' | 'dry-run' | 'failed' | 'skipped';

export interface CallRecord {
  action: string;
  params: Record<string, unknown>;
  outcome: CallOutcomeKind;
  /** AWS's request id for the call that decided the outcome (a read for 'already'). */
  requestId?: string;
  error?: { name: string; message: string };
  /** Failed for a reason that may pass (throttling, 5xx): running the step again is safe. */
  retryable?: boolean;
  /** Why it was 'already' or 'skipped'. */
  note?: string;
  /** ISO-8601 UTC. */
  at: string;
}

/** What the bot changed, so Undo reverses exactly that and nothing else. */
export type AddedArtifact =
  | { kind: 'key-deactivated'; userName: string; accessKeyId: string }
  | { kind: 'user-inline-policy'; userName: string; policyName: string; previousDocument?: string }
  | { kind: 'user-managed-policy'; userName: string; policyArn: string }
  | { kind: 'role-inline-policy'; roleName: string; policyName: string; previousDocument?: string };

/** What a read-back of IAM showed after acting (nested per principal when two were acted on). */
export type VerifiedState = { [k: string]: JsonValue | undefined };

/** The IAM action's own report (src/aws/containment/iam-containment.ts); the adapter turns it into a StepOutcome. */
export interface ActionOutcome {
  ok: boolean;
  calls: CallRecord[];
  /** What a read-back of IAM showed after acting. */
  verified: VerifiedState;
  added: AddedArtifact[];
  /** One line for humans. */
  message: string;
  /** Not ok, but every failure may pass on its own: the step can be run again as is. */
  retryable: boolean;
  dryRun: boolean;
  /** What the action found the attacker did (a decoy revocation it replaced): said in the thread, kept in the record. */
  findings?: string[];
}

// ---------------------------------------------------------------------------------------
// Names the bot writes. Undo and crash reconciliation find the bot's own policies by these.

/** Inline user policy denying credentials issued before the cut-off. */
export const USER_REVOKE_POLICY_NAME = 'keyguard-revoke-older-sessions';
/** The name the IAM console's "Revoke active sessions" uses; the bot writes the same. */
export const ROLE_REVOKE_POLICY_NAME = 'AWSRevokeOlderSessions';
const USER_REVOKE_POLICY_SID = 'KeyguardRevokeOlderSessions';
export const QUARANTINE_POLICY_NAME = 'AWSCompromisedKeyQuarantineV3';
/** Both versions deny cloudtrail:LookupEvents, which is why the bot must never wear them. */
export const QUARANTINE_POLICY_NAMES = ['AWSCompromisedKeyQuarantineV2', 'AWSCompromisedKeyQuarantineV3'] as const;

/** The one place the quarantine policy's ARN is built: plans, execution and Undo all call it. */
export function quarantinePolicyArn(partition: string): string {
  return `arn:${partition}:iam::aws:policy/${QUARANTINE_POLICY_NAME}`;
}

/** The role assumed in a key's account (IR_TARGET_ROLE_NAME): the one place its ARN is built. */
export function targetRoleArn(partition: string, account: string, roleName: string): string {
  return `arn:${partition}:iam::${account}:role/${roleName}`;
}

/** What containment is about to change, read before its first call (Undo's authority). */
export interface ContainSnapshot {
  keyStatus: KeyStatus;
  /** The document under the bot's deny-policy name before containment (a decoy's text included): Undo restores it. */
  denyPolicy: { present: boolean; cutoff?: string; document?: string };
  quarantineAttached: boolean;
  userExists: boolean;
}

/** A role session the bot acted through, as recorded on the step (never its credentials). */
export interface AssumedSession {
  roleArn: string;
  sessionName: string;
  sourceIdentity: string;
  assumeRole: CallRecord;
  /** The session policy the step's writes were narrowed to (JSON; src/domain/session-policy.ts). */
  sessionPolicy?: string;
}

/** What a containment, eradication, removal or undo step records. */
export type ContainmentDetail =
  | {
      calls: CallRecord[];
      verified: VerifiedState;
      added: AddedArtifact[];
      dryRun: boolean;
      session?: AssumedSession;
      /** IR_DIRECT_WRITES: written with the bot's own credentials (a trial without the responder role). */
      directWrites?: boolean;
      /** Attacker activity the action found and dealt with (a decoy revocation replaced). */
      findings?: string[];
    }
  | { error: string };

// ---------------------------------------------------------------------------------------
// Policy documents

export interface PolicyDocument {
  Version: '2012-10-17';
  Statement: Array<Record<string, unknown>>;
}

/**
 * The cut-off written into a revocation policy: `now` rounded UP to the whole second.
 * IAM compares aws:TokenIssueTime at second precision; rounding down would spare sessions
 * minted in the same second before `now`, rounding up errs on the side of revoking.
 */
export function tokenIssueCutoff(nowIso: string): string {
  const ms = Date.parse(nowIso);
  if (Number.isNaN(ms)) throw new Error(`not an ISO-8601 time: ${nowIso}`);
  return new Date(Math.ceil(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

/**
 * Deny everything to credentials issued before `nowIso`. Requests signed with the
 * long-term key itself carry no aws:TokenIssueTime and are not matched: that key is
 * deactivated separately. Sessions minted from it (GetSessionToken, console sign-in) are.
 */
export function userRevokeSessionsPolicy(nowIso: string): PolicyDocument {
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: USER_REVOKE_POLICY_SID,
        Effect: 'Deny',
        Action: '*',
        Resource: '*',
        Condition: { DateLessThan: { 'aws:TokenIssueTime': tokenIssueCutoff(nowIso) } },
      },
    ],
  };
}

/** The `AWSRevokeOlderSessions` document exactly as the IAM console writes it. */
export function roleRevokeSessionsPolicy(nowIso: string): PolicyDocument {
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Deny',
        Action: ['*'],
        Resource: ['*'],
        Condition: { DateLessThan: { 'aws:TokenIssueTime': tokenIssueCutoff(nowIso) } },
      },
    ],
  };
}

/** The JSON string sent as PolicyDocument. */
export function policyJson(doc: PolicyDocument): string {
  return JSON.stringify(doc);
}

/**
 * What an existing document under one of the bot's revocation names is, read by content,
 * never by its name: the attacker can write a policy of that name. It is the bot's own
 * revocation only when it is exactly the statement the bot (or the IAM console) writes: one
 * statement, `Deny`, `Action` `*`, `Resource` `*`, no other element than an optional `Sid`,
 * and as its only condition `DateLessThan` `aws:TokenIssueTime` with one valid time.
 * Anything else (a `Resource` of `arn:aws:s3:::none`, a second condition, an `Allow` beside
 * it, `NotAction`) is a decoy: it may look like a revocation and deny nothing that matters.
 * Accepts the URL-encoded form IAM returns. Pure.
 */
export type RevocationReading =
  | { kind: 'absent' }
  | { kind: 'own'; cutoff: string }
  | { kind: 'decoy'; why: string };

export function readRevocation(document: string | undefined): RevocationReading {
  if (document === undefined) return { kind: 'absent' };
  const doc = parsePolicyDocument(document) as Record<string, unknown> | undefined;
  if (!doc) return { kind: 'decoy', why: 'it is not a readable policy document' };
  const extra = Object.keys(doc).filter((k) => k !== 'Version' && k !== 'Statement' && k !== 'Id');
  if (extra.length > 0) return { kind: 'decoy', why: `the document has ${shown(extra)}` };
  const statements = Array.isArray(doc.Statement) ? doc.Statement : doc.Statement === undefined ? [] : [doc.Statement];
  if (statements.length !== 1) return { kind: 'decoy', why: `it has ${statements.length} statements, the bot's revocation has exactly one` };
  const s = statements[0] as Record<string, unknown>;
  if (!s || typeof s !== 'object' || Array.isArray(s)) return { kind: 'decoy', why: 'its statement is not an object' };
  const other = Object.keys(s).filter((k) => !['Sid', 'Effect', 'Action', 'Resource', 'Condition'].includes(k));
  if (other.length > 0) return { kind: 'decoy', why: `its statement has ${shown(other)}` };
  if (s.Effect !== 'Deny') return { kind: 'decoy', why: `its effect is ${shown(s.Effect)}, not Deny` };
  if (!isStar(s.Action)) return { kind: 'decoy', why: `it denies ${shown(s.Action)}, not every action (*)` };
  if (!isStar(s.Resource)) return { kind: 'decoy', why: `it denies on ${shown(s.Resource)}, not on every resource (*)` };
  const cond = s.Condition as Record<string, unknown> | undefined;
  const ops = cond && typeof cond === 'object' && !Array.isArray(cond) ? Object.keys(cond) : [];
  if (ops.length !== 1 || ops[0] !== 'DateLessThan') return { kind: 'decoy', why: `its condition is ${shown(cond)}, not only DateLessThan aws:TokenIssueTime` };
  const lt = cond!.DateLessThan as Record<string, unknown> | undefined;
  const keys = lt && typeof lt === 'object' && !Array.isArray(lt) ? Object.keys(lt) : [];
  if (keys.length !== 1 || keys[0] !== 'aws:TokenIssueTime') return { kind: 'decoy', why: `its condition tests ${shown(keys)}, not only aws:TokenIssueTime` };
  const t = lt!['aws:TokenIssueTime'];
  if (typeof t !== 'string' || Number.isNaN(Date.parse(t))) return { kind: 'decoy', why: `its cut-off ${shown(t)} is not one time` };
  return { kind: 'own', cutoff: t };
}

/** A value from the document, as words: short, and never markup (the attacker wrote it). */
function shown(v: unknown): string {
  const text = JSON.stringify(v ?? null) ?? 'null';
  return (text.length > 120 ? `${text.slice(0, 120)}…` : text).replace(/[<>&]/g, '');
}

/** `*` or `["*"]`: every action, every resource. */
function isStar(v: unknown): boolean {
  return v === '*' || (Array.isArray(v) && v.length === 1 && v[0] === '*');
}

/**
 * The aws:TokenIssueTime cut-off of a document that is exactly the bot's (or the console's)
 * revocation, or undefined (absent, or not one: see readRevocation).
 */
export function revocationCutoff(document: string): string | undefined {
  const r = readRevocation(document);
  return r.kind === 'own' ? r.cutoff : undefined;
}

/**
 * What containment says about a decoy it replaced under its own policy name (a finding:
 * recorded on the step and said in the thread). Pure.
 */
export function decoyFinding(where: string, policyName: string, why: string, outcome: 'replaced' | 'dry-run' | 'not-replaced' = 'replaced'): string {
  const what =
    outcome === 'replaced' ? 'It was overwritten with the real one; its text is kept in the record (Undo restores it).'
    : outcome === 'dry-run' ? 'DRY RUN: it would be overwritten with the real one.'
    : 'The bot could not overwrite it yet (see the failed call): sessions are NOT denied; retry the step.';
  return `DECOY: ${policyName} on ${where} was not the bot's revocation (${why}); it looked revoked and denied nothing that matters. ${what}`;
}

/** Does an existing cut-off already deny every session the wanted one would? */
export function cutoffCovers(existing: string | undefined, wanted: string): boolean {
  if (existing === undefined) return false;
  const e = Date.parse(existing);
  return !Number.isNaN(e) && e >= Date.parse(wanted);
}

/** IAM returns policy documents URL-encoded (RFC 3986); moto sometimes does not. */
export function parsePolicyDocument(document: string): { Statement?: unknown } | undefined {
  const text = document.trimStart().startsWith('{') ? document : safeDecode(document);
  try {
    const parsed: unknown = JSON.parse(text);
    return parsed && typeof parsed === 'object' ? (parsed as { Statement?: unknown }) : undefined;
  } catch {
    return undefined;
  }
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

// ---------------------------------------------------------------------------------------
// Plans

export interface UserKeyTarget {
  userName: string;
  accessKeyId: string;
}

export interface ContainOptions {
  /** Attach AWSCompromisedKeyQuarantineV3 (IR_QUARANTINE, default on). */
  quarantine: boolean;
  /** ISO-8601: the session cut-off. */
  now: string;
  /** 'aws', 'aws-cn', 'aws-us-gov': from the caller's ARN (the ContainmentTarget's partition). */
  partition: string;
}

const iam = (action: string, params: Record<string, unknown>, why: string): PlannedCall => ({
  service: 'iam',
  action,
  params,
  why,
});

export function planContainUserKey(t: UserKeyTarget, o: ContainOptions): PlannedCall[] {
  const cutoff = tokenIssueCutoff(o.now);
  const calls = [
    iam(
      'UpdateAccessKey',
      { UserName: t.userName, AccessKeyId: t.accessKeyId, Status: 'Inactive' },
      'Stops the leaked key signing requests. Deactivated, not deleted: reversible if this is a false positive, and the key stays visible to the investigation.',
    ),
    iam(
      'PutUserPolicy',
      { UserName: t.userName, PolicyName: USER_REVOKE_POLICY_NAME, PolicyDocument: policyJson(userRevokeSessionsPolicy(o.now)) },
      `Deactivating a key does not end sessions already minted from it: this denies everything to ${t.userName}'s credentials issued before ${cutoff}. ` +
        `That includes every GetSessionToken session and GetFederationToken (federated user) session minted from ${t.userName}'s keys: they are covered by this policy, no other call is needed.`,
    ),
  ];
  if (o.quarantine) {
    calls.push(
      iam(
        'AttachUserPolicy',
        { UserName: t.userName, PolicyArn: quarantinePolicyArn(o.partition) },
        `AWS's quarantine policy for compromised credentials: denies the actions attackers use (IAM changes, new instances, …) to ${t.userName} until removed.`,
      ),
    );
  }
  return calls;
}

export function planContainRoleSessions(roleName: string, o: { now: string }): PlannedCall[] {
  const cutoff = tokenIssueCutoff(o.now);
  return [
    iam(
      'PutRolePolicy',
      { RoleName: roleName, PolicyName: ROLE_REVOKE_POLICY_NAME, PolicyDocument: policyJson(roleRevokeSessionsPolicy(o.now)) },
      `Blast radius: EVERY session of role ${roleName} issued before ${cutoff} loses all permissions, legitimate workloads included ` +
        '(services that refresh credentials recover on their next refresh; people must assume the role again). Same as the console\'s "Revoke active sessions".',
    ),
  ];
}

/**
 * The order Undo reverses things in: newest first, and the key last. Policies come off
 * before the key is reactivated: if undo stops half-way, the key is still off, which is
 * the safe side to fail on.
 */
export function undoOrder(added: readonly AddedArtifact[]): AddedArtifact[] {
  const rank = (a: AddedArtifact) => (a.kind === 'key-deactivated' ? 1 : 0);
  return [...added].reverse().sort((a, b) => rank(a) - rank(b));
}

/** An inline policy the bot wrote: deleted, or put back as it was if it existed before. */
function undoInlinePolicy(principal: 'User' | 'Role', name: string, policyName: string, previousDocument: string | undefined): PlannedCall {
  const who = principal === 'User' ? { UserName: name } : { RoleName: name };
  return previousDocument === undefined
    ? iam(`Delete${principal}Policy`, { ...who, PolicyName: policyName }, 'The bot added it during containment; sessions issued before its cut-off work again.')
    : iam(
        `Put${principal}Policy`,
        { ...who, PolicyName: policyName, PolicyDocument: previousDocument },
        'It existed before containment with this document; the bot restores it.',
      );
}

export function planUndoCall(a: AddedArtifact): PlannedCall {
  switch (a.kind) {
    case 'user-managed-policy':
      return iam('DetachUserPolicy', { UserName: a.userName, PolicyArn: a.policyArn }, 'The bot attached it during containment.');
    case 'user-inline-policy':
      return undoInlinePolicy('User', a.userName, a.policyName, a.previousDocument);
    case 'role-inline-policy':
      return undoInlinePolicy('Role', a.roleName, a.policyName, a.previousDocument);
    case 'key-deactivated':
      return iam(
        'UpdateAccessKey',
        { UserName: a.userName, AccessKeyId: a.accessKeyId, Status: 'Active' },
        'The bot deactivated it; reactivated last so a half-done undo leaves the key off.',
      );
  }
}

/** Reverse exactly what the bot added, in undoOrder. */
export function planUndo(added: readonly AddedArtifact[]): PlannedCall[] {
  return undoOrder(added).map(planUndoCall);
}

export type KeyStatus = 'Active' | 'Inactive' | 'absent';

/** What must be known about the user to write the exact eradication calls. */
export interface EradicationFacts {
  keyStatus: KeyStatus;
  loginProfile: boolean;
  mfaSerials: string[];
}

/**
 * `keepConsoleAccess`: the user is defender-protected (a break-glass user): its console
 * password and MFA devices are its owners', shown and recorded as not sent, with why.
 */
export function planEradicateUserKey(t: UserKeyTarget, f: EradicationFacts, o: { keepConsoleAccess?: string } = {}): PlannedCall[] {
  const calls: PlannedCall[] = [];
  if (f.keyStatus === 'Active') {
    calls.push(
      iam(
        'UpdateAccessKey',
        { UserName: t.userName, AccessKeyId: t.accessKeyId, Status: 'Inactive' },
        'Deactivate before delete: if the delete is refused or fails, the key is at least unusable.',
      ),
    );
  }
  calls.push(
    iam(
      'DeleteAccessKey',
      { UserName: t.userName, AccessKeyId: t.accessKeyId },
      'Removes the leaked key for good. Its id stays in the incident record: later CloudTrail searches need it.',
    ),
  );
  if (f.loginProfile) {
    calls.push(
      iam('DeleteLoginProfile', { UserName: t.userName }, 'Removes the console password: whoever held the key may have set or reset it.'),
    );
  }
  for (const serial of f.mfaSerials) {
    calls.push(
      iam(
        'DeactivateMFADevice',
        { UserName: t.userName, SerialNumber: serial },
        'An attacker with IAM access can enrol their own MFA device; the owner re-enrols (listed in the result).',
      ),
    );
  }
  const keep = o.keepConsoleAccess;
  return keep
    ? calls.map((c) => (c.action === 'DeleteLoginProfile' || c.action === 'DeactivateMFADevice' ? { ...c, notSent: keep, why: `NOT SENT by the bot: ${keep}.` } : c))
    : calls;
}

// ---------------------------------------------------------------------------------------
// Persistence found by the investigation

export type PersistenceItem =
  | { kind: 'user'; userName: string }
  | { kind: 'access-key'; userName: string; accessKeyId: string }
  | { kind: 'login-profile'; userName: string }
  | { kind: 'role'; roleName: string };
// A changed trust policy is a follow-up for a person (src/domain/persistence.ts), never a
// step: the bot holds no iam:UpdateAssumeRolePolicy, so it cannot rewrite who may assume a role.

/**
 * What hangs off a principal. IAM refuses DeleteUser / DeleteRole (DeleteConflict) while
 * any of it remains, so it is all removed first.
 */
export interface PrincipalDependencies {
  accessKeys: Array<{ accessKeyId: string; status: 'Active' | 'Inactive' }>;
  loginProfile: boolean;
  mfaSerials: string[];
  signingCertificateIds: string[];
  sshPublicKeyIds: string[];
  inlinePolicies: string[];
  attachedPolicyArns: string[];
  groups: string[];
  instanceProfiles: string[];
}

export function noDependencies(): PrincipalDependencies {
  return {
    accessKeys: [],
    loginProfile: false,
    mfaSerials: [],
    signingCertificateIds: [],
    sshPublicKeyIds: [],
    inlinePolicies: [],
    attachedPolicyArns: [],
    groups: [],
    instanceProfiles: [],
  };
}

export function describePersistenceItem(item: PersistenceItem): string {
  switch (item.kind) {
    case 'user':
      return `IAM user ${item.userName}`;
    case 'access-key':
      return `access key ${item.accessKeyId} of ${item.userName}`;
    case 'login-profile':
      return `console password of ${item.userName}`;
    case 'role':
      return `IAM role ${item.roleName}`;
  }
}

function planRemoveKey(userName: string, accessKeyId: string, status: KeyStatus): PlannedCall[] {
  const calls: PlannedCall[] = [];
  if (status === 'Active') {
    calls.push(
      iam(
        'UpdateAccessKey',
        { UserName: userName, AccessKeyId: accessKeyId, Status: 'Inactive' },
        'Deactivate before delete: if the delete is refused or fails, the key is at least unusable.',
      ),
    );
  }
  calls.push(iam('DeleteAccessKey', { UserName: userName, AccessKeyId: accessKeyId }, 'Created by the attacker as persistence.'));
  return calls;
}

export function planRemovePersistence(item: PersistenceItem, deps: PrincipalDependencies = noDependencies()): PlannedCall[] {
  switch (item.kind) {
    case 'access-key': {
      const status = deps.accessKeys.find((k) => k.accessKeyId === item.accessKeyId)?.status ?? 'absent';
      return planRemoveKey(item.userName, item.accessKeyId, status);
    }
    case 'login-profile':
      return [iam('DeleteLoginProfile', { UserName: item.userName }, 'Console password set by the attacker as persistence.')];
    case 'user': {
      const u = item.userName;
      // Credentials first, so the user is unusable as early as possible, then what blocks DeleteUser.
      return [
        ...deps.accessKeys.flatMap((k) => planRemoveKey(u, k.accessKeyId, k.status)),
        ...(deps.loginProfile ? [iam('DeleteLoginProfile', { UserName: u }, 'Console access first.')] : []),
        ...deps.signingCertificateIds.map((id) =>
          iam('DeleteSigningCertificate', { UserName: u, CertificateId: id }, 'DeleteUser requires it gone.'),
        ),
        ...deps.sshPublicKeyIds.map((id) => iam('DeleteSSHPublicKey', { UserName: u, SSHPublicKeyId: id }, 'DeleteUser requires it gone.')),
        ...deps.mfaSerials.map((s) => iam('DeactivateMFADevice', { UserName: u, SerialNumber: s }, 'DeleteUser requires it gone.')),
        ...deps.inlinePolicies.map((p) => iam('DeleteUserPolicy', { UserName: u, PolicyName: p }, 'DeleteUser requires it gone.')),
        ...deps.attachedPolicyArns.map((a) => iam('DetachUserPolicy', { UserName: u, PolicyArn: a }, 'DeleteUser requires it gone.')),
        ...deps.groups.map((g) => iam('RemoveUserFromGroup', { UserName: u, GroupName: g }, 'DeleteUser requires it gone.')),
        iam('DeleteUser', { UserName: u }, 'User created by the attacker as persistence.'),
      ];
    }
    case 'role': {
      const r = item.roleName;
      return [
        ...deps.instanceProfiles.map((p) =>
          iam('RemoveRoleFromInstanceProfile', { RoleName: r, InstanceProfileName: p }, 'DeleteRole requires it gone.'),
        ),
        ...deps.inlinePolicies.map((p) => iam('DeleteRolePolicy', { RoleName: r, PolicyName: p }, 'DeleteRole requires it gone.')),
        ...deps.attachedPolicyArns.map((a) => iam('DetachRolePolicy', { RoleName: r, PolicyArn: a }, 'DeleteRole requires it gone.')),
        iam('DeleteRole', { RoleName: r }, 'Role created by the attacker as persistence.'),
      ];
    }
  }
}

// ---------------------------------------------------------------------------------------
// Acting in another account

export function planAssumeTargetRole(p: { roleArn: string; sessionName: string; sourceIdentity: string; durationSeconds: number }): PlannedCall {
  return {
    service: 'sts',
    action: 'AssumeRole',
    params: { RoleArn: p.roleArn, RoleSessionName: p.sessionName, SourceIdentity: p.sourceIdentity, DurationSeconds: p.durationSeconds },
    why: 'The key belongs to another account. SourceIdentity names the approver, so CloudTrail there shows which human approved each change.',
  };
}

// ---------------------------------------------------------------------------------------
// Undo

/**
 * What Undo reverses. The snapshot taken before Contain's first call is the authority on
 * what the bot changed (it survives a crash mid-step, when the step's own report is lost);
 * a deny policy that existed before is restored from the recorded previous document, or
 * left alone when none was recorded.
 */
export function undoArtifacts(
  t: { keyId: string; userName?: string; partition: string },
  record: { before?: ContainSnapshot; added: readonly AddedArtifact[] },
  quarantine: boolean,
): AddedArtifact[] {
  const reported = record.added;
  const before = record.before;
  if (!before || !t.userName) return [...reported];
  const user = t.userName;
  const out: AddedArtifact[] = [];
  if (before.keyStatus === 'Active') out.push({ kind: 'key-deactivated', userName: user, accessKeyId: t.keyId });
  if (!before.denyPolicy.present) out.push({ kind: 'user-inline-policy', userName: user, policyName: USER_REVOKE_POLICY_NAME });
  // The bot's own deny policy existed before: restore that one policy's document, nothing else
  // (as the step reported it, else as the snapshot read it before the first call).
  else {
    const restored = reported.filter((a) => a.kind === 'user-inline-policy' && a.policyName === USER_REVOKE_POLICY_NAME && a.previousDocument !== undefined);
    const snapshot = before.denyPolicy.document;
    if (restored.length > 0) out.push(...restored);
    else if (typeof snapshot === 'string') out.push({ kind: 'user-inline-policy', userName: user, policyName: USER_REVOKE_POLICY_NAME, previousDocument: snapshot });
  }
  if (quarantine && !before.quarantineAttached) out.push({ kind: 'user-managed-policy', userName: user, policyArn: quarantinePolicyArn(t.partition) });
  return out;
}

// ---------------------------------------------------------------------------------------
// Reading back what a step stored (its params, snapshot and result are kept as JSON)

const isRecord = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);
const isString = (x: unknown): x is string => typeof x === 'string';
const optionalString = (x: unknown): boolean => x === undefined || isString(x);

export function isPersistenceItem(x: unknown): x is PersistenceItem {
  if (!isRecord(x)) return false;
  switch (x.kind) {
    case 'user':
    case 'login-profile':
      return isString(x.userName);
    case 'access-key':
      return isString(x.userName) && isString(x.accessKeyId);
    case 'role':
      return isString(x.roleName);
    default:
      return false;
  }
}

function isAddedArtifact(x: unknown): x is AddedArtifact {
  if (!isRecord(x)) return false;
  switch (x.kind) {
    case 'key-deactivated':
      return isString(x.userName) && isString(x.accessKeyId);
    // A document to restore, when there is one, must be text: it is sent to IAM as is.
    case 'user-inline-policy':
      return isString(x.userName) && isString(x.policyName) && optionalString(x.previousDocument);
    case 'user-managed-policy':
      return isString(x.userName) && isString(x.policyArn);
    case 'role-inline-policy':
      return isString(x.roleName) && isString(x.policyName) && optionalString(x.previousDocument);
    default:
      return false;
  }
}

export function isContainSnapshot(x: unknown): x is ContainSnapshot {
  return isRecord(x) && isString(x.keyStatus) && isRecord(x.denyPolicy) && typeof x.quarantineAttached === 'boolean' && typeof x.userExists === 'boolean';
}

/** The artifacts a containment step's stored result reports adding (none when it has none). */
export function addedArtifactsOf(result: unknown): AddedArtifact[] {
  const added = isRecord(result) ? result.added : undefined;
  return Array.isArray(added) ? added.filter(isAddedArtifact) : [];
}

/**
 * Containment of what the leaked key minted: the roles whose sessions the attacker held (a
 * role session anywhere in the credential graph) get AWSRevokeOlderSessions, and the
 * session and federation tokens minted from a user's keys are accounted for. Pure: the
 * graph, the bot's identity and the clock are passed in.
 *
 * The step's params (what the Revoke role sessions step acts on) are fixed when the
 * investigation generates it; the plan is built from them and from what the bot may do
 * (guard rails, which accounts it can reach), so the card shows every role, and a role the
 * bot will not or cannot touch is shown with why and recorded as skipped.
 */
import type { CredentialGraph, CredentialNode } from './credential-graph';
import { pathTo } from './credential-graph';
import { type PlannedCall, ROLE_REVOKE_POLICY_NAME, policyJson, roleRevokeSessionsPolicy, tokenIssueCutoff } from './aws-plan';
import { protectionOf, protectionVerdict, type ProtectionVerdict, type TagEvidence } from './protection';

export interface ParsedRoleArn {
  partition: string;
  account: string;
  /** The path, `/` when none (`/aws-service-role/ecs.amazonaws.com/` for a service-linked role). */
  path: string;
  roleName: string;
}

/** arn:aws:iam::123456789012:role/path/name → its parts; undefined for anything that is not a role ARN. */
export function parseRoleArn(arn: string): ParsedRoleArn | undefined {
  const m = /^arn:(aws[\w-]*):iam::(\d{12}):role(\/(?:[\w+=,.@-]+\/)*)?([\w+=,.@-]+)$/.exec(arn);
  if (!m) return undefined;
  return { partition: m[1], account: m[2], path: m[3] ?? '/', roleName: m[4] };
}

export interface RoleSessionTarget {
  roleArn: string;
  account: string;
  roleName: string;
  path: string;
  /** The role-session nodes of the graph that are sessions of this role, with their path from the leaked key. */
  sessions: Array<{ keyId: string; sessionName?: string; path: string[] }>;
}

/** A session (or federation) token in the graph: covered by the deny policy on its user. */
export interface UserSessionNode {
  keyId: string;
  kind: 'session-token' | 'federation-token';
  userName?: string;
  federatedUserArn?: string;
  /** The incident's contained user: Contain's deny policy already covers it. */
  coveredByContain: boolean;
}

export interface RoleSessionsParams {
  roles: RoleSessionTarget[];
  userSessions: UserSessionNode[];
  /** Role-session nodes whose role ARN could not be read (shown, never guessed). */
  unreadable: string[];
}

export const ROLE_SESSIONS_STEP = 'revoke-role-sessions';

const isSessionToken = (n: CredentialNode): n is CredentialNode & { kind: 'session-token' | 'federation-token' } =>
  n.kind === 'session-token' || n.kind === 'federation-token';

/**
 * What the Revoke role sessions step acts on, from the graph: one entry per role (its
 * sessions listed), and the session/federation tokens (whose user's deny policy covers them).
 * `containedUser`: the user Contain put its deny policy on.
 */
export function roleSessionsParams(graph: CredentialGraph, containedUser: string | undefined): RoleSessionsParams {
  const roles = new Map<string, RoleSessionTarget>();
  const unreadable: string[] = [];
  for (const n of graph.nodes) {
    if (n.kind !== 'role-session') continue;
    const parsed = n.roleArn ? parseRoleArn(n.roleArn) : undefined;
    if (!parsed || !n.roleArn) {
      unreadable.push(n.id);
      continue;
    }
    const entry = roles.get(n.roleArn) ?? { roleArn: n.roleArn, account: parsed.account, roleName: parsed.roleName, path: parsed.path, sessions: [] };
    entry.sessions.push({ keyId: n.id, sessionName: n.sessionName, path: pathTo(graph, n.id) });
    roles.set(n.roleArn, entry);
  }
  const userSessions = graph.nodes.filter(isSessionToken).map((n) => ({
    keyId: n.id,
    kind: n.kind,
    userName: n.userName,
    federatedUserArn: n.federatedUserArn,
    coveredByContain: containedUser !== undefined && n.userName === containedUser,
  }));
  return { roles: [...roles.values()], userSessions, unreadable };
}

/** The step is generated when the graph holds a role session (what else it found is said by Investigate). */
export function needsRoleSessionsStep(p: RoleSessionsParams): boolean {
  return p.roles.length > 0;
}

export function roleSessionsTitle(p: RoleSessionsParams): string {
  return `Revoke sessions of ${p.roles.length} role(s) the key reached`;
}

/** Who the bot is and what it may reach: the guard rails of this step. */
export interface RoleSessionsReach {
  botAccount: string;
  /** The role the bot itself runs as, when it runs as one. */
  botRoleName?: string;
  /** The responder role the bot acts through (IR_TARGET_ROLE_NAME, and the one it wears in its own account). */
  responderRoleNames: string[];
  /** IR_TARGET_ROLE_NAME: roles in other accounts are reached through it; absent: they are left to a person. */
  targetRoleName?: string;
  /** Roles the defenders protect (IR_PROTECTED_PRINCIPALS; OrganizationAccountAccessRole always): revoked with two approvals. */
  protectedRoleNames?: readonly string[];
  /** keyguard:protected=true as read from IAM, by role ARN (read only once the investigation has run). */
  tagged?: Readonly<Record<string, boolean>>;
  /** The investigation's tag evidence: a tag the leaked key's credentials wrote is never honoured. */
  evidence?: TagEvidence;
}

function isServiceLinkedPath(path: string, roleName: string): boolean {
  return path.startsWith('/aws-service-role/') || roleName.startsWith('AWSServiceRoleFor');
}

/**
 * What protection says about revoking this role's sessions (src/domain/protection.ts, the one
 * decision every step reads): a guard rail is never written (left to a person); a role the
 * defenders protect is revoked with two approvals and a warning; a tag the graph wrote is a
 * finding, never honoured.
 */
function roleSessionsProtection(r: Pick<RoleSessionTarget, 'roleArn' | 'account' | 'roleName' | 'path'>, reach: RoleSessionsReach): ProtectionVerdict {
  const me = r.account === reach.botAccount ? { roleName: reach.botRoleName } : {};
  const settings = { responderRoleNames: reach.responderRoleNames, users: [], roles: reach.protectedRoleNames ?? [] };
  const p = protectionOf({ type: 'role', name: r.roleName, path: r.path, tagged: reach.tagged?.[r.roleArn] }, settings, me, reach.evidence);
  return protectionVerdict(p, 'contain');
}

/** Why the bot must never revoke this role's sessions (a guard rail), or undefined. */
export function roleSessionsRefusal(r: Pick<RoleSessionTarget, 'account' | 'roleName' | 'path'> & { roleArn?: string }, reach: RoleSessionsReach): string | undefined {
  const v = roleSessionsProtection({ roleArn: r.roleArn ?? '', ...r }, reach);
  if (v.send) return undefined;
  return `${v.reason}. Revoke its sessions by hand from the IAM console if they must end`;
}

/** What a person runs where the bot cannot reach (the same document the bot would write). */
function manualRevokeCommand(roleName: string, nowIso: string): string {
  return `aws iam put-role-policy --role-name ${roleName} --policy-name ${ROLE_REVOKE_POLICY_NAME} --policy-document '${policyJson(roleRevokeSessionsPolicy(nowIso))}'`;
}

function sessionsLine(r: RoleSessionTarget): string {
  const shown = r.sessions.slice(0, 3).map((s) => `${s.path.join(' → ')}${s.sessionName ? ` (session ${s.sessionName})` : ''}`);
  const more = r.sessions.length > 3 ? ` and ${r.sessions.length - 3} more` : '';
  return `the leaked key reached it: ${shown.join('; ')}${more}`;
}

/**
 * The exact plan: one PutRolePolicy per role, in the role's account. A role the bot must not
 * touch, or in an account it cannot reach, is in the plan with `notSent` (why, and what a
 * person runs instead).
 */
export function planRevokeRoleSessions(p: RoleSessionsParams, reach: RoleSessionsReach, nowIso: string): PlannedCall[] {
  const cutoff = tokenIssueCutoff(nowIso);
  const doc = policyJson(roleRevokeSessionsPolicy(nowIso));
  const calls: PlannedCall[] = p.roles.map((r) => {
    const other = r.account !== reach.botAccount;
    const verdict = roleSessionsProtection(r, reach);
    const refusal = verdict.send ? undefined : `${verdict.reason}. Revoke its sessions by hand from the IAM console if they must end`;
    const unreachable =
      other && !reach.targetRoleName
        ? `account ${r.account} has no role the bot can act through (IR_TARGET_ROLE_NAME is not set). A person with access to ${r.account} runs: ${manualRevokeCommand(r.roleName, nowIso)} (or IAM console → Roles → ${r.roleName} → Revoke active sessions)`
        : undefined;
    const notSent = refusal ?? unreachable;
    const where = other ? ` in account ${r.account}${reach.targetRoleName ? ` (through ${reach.targetRoleName})` : ''}` : '';
    const finding = verdict.finding;
    return {
      service: 'iam',
      action: 'PutRolePolicy',
      params: { RoleName: r.roleName, PolicyName: ROLE_REVOKE_POLICY_NAME, PolicyDocument: doc },
      why: notSent
        ? `NOT SENT by the bot: ${notSent}.`
        : `Role ${r.roleArn}${where}: ${sessionsLine(r)}. Every session of the role issued before ${cutoff} loses all permissions, legitimate ones included (workloads recover on their next credential refresh; people assume the role again).`,
      ...(other ? { account: r.account } : {}),
      ...(notSent ? { notSent } : {}),
      ...(!notSent && verdict.send && verdict.warning ? { protectedBy: verdict.warning } : {}),
      ...(finding ? { finding } : {}),
    };
  });
  const covered = p.userSessions.filter((s) => s.coveredByContain);
  const uncovered = p.userSessions.filter((s) => !s.coveredByContain);
  const note = [
    covered.length
      ? `${covered.length} GetSessionToken/GetFederationToken session(s) of ${covered[0].userName} (${covered.map((s) => s.keyId).slice(0, 5).join(', ')}) are covered by Contain's deny policy on that user; no call needed.`
      : '',
    uncovered.length
      ? `Follow-up for a person: ${uncovered.length} session(s) minted from another user's key (${uncovered.slice(0, 5).map((s) => `${s.keyId} of ${s.userName ?? 'an unknown user'}`).join(', ')}): remove that key (offered by a Remove step when the attacker created it) and put a ${'keyguard-revoke-older-sessions'} deny policy on the user.`
      : '',
    p.unreadable.length ? `${p.unreadable.length} role session(s) whose role ARN could not be read (${p.unreadable.slice(0, 5).join(', ')}): check them with /trail.` : '',
  ].filter(Boolean).join(' ');
  if (note && calls.length > 0) calls[calls.length - 1] = { ...calls[calls.length - 1], why: `${calls[calls.length - 1].why} ${note}` };
  return calls;
}

/** What the step says besides its calls (no call carries it when the graph has no role). */
export function roleSessionsNotes(p: RoleSessionsParams): string[] {
  return [
    ...p.userSessions.filter((s) => s.coveredByContain).map((s) => `${s.keyId} (${s.kind === 'session-token' ? 'GetSessionToken' : 'GetFederationToken'} of ${s.userName}): covered by Contain's deny policy`),
    ...p.userSessions.filter((s) => !s.coveredByContain).map((s) => `${s.keyId} (${s.kind === 'session-token' ? 'GetSessionToken' : 'GetFederationToken'} of ${s.userName ?? 'an unknown user'}): a person puts a deny policy on that user`),
    ...p.unreadable.map((id) => `${id}: role session whose role ARN could not be read`),
  ];
}

// ---------------------------------------------------------------------------------------
// Reading the stored params back

const isRecord = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);
const isString = (x: unknown): x is string => typeof x === 'string';

export function isRoleSessionsParams(x: unknown): x is RoleSessionsParams {
  if (!isRecord(x) || !Array.isArray(x.roles) || !Array.isArray(x.userSessions) || !Array.isArray(x.unreadable)) return false;
  return (
    x.roles.every((r) => isRecord(r) && isString(r.roleArn) && isString(r.account) && isString(r.roleName) && isString(r.path) && Array.isArray(r.sessions) && parseRoleArn(r.roleArn)?.roleName === r.roleName) &&
    x.userSessions.every((s) => isRecord(s) && isString(s.keyId) && (s.kind === 'session-token' || s.kind === 'federation-token') && typeof s.coveredByContain === 'boolean') &&
    x.unreadable.every(isString)
  );
}

/** The graph an Investigate step stored (detail.graph), when it has the expected shape. */
export function storedGraph(detail: unknown): CredentialGraph | undefined {
  const g = isRecord(detail) ? detail.graph : undefined;
  if (!isRecord(g) || !isString(g.root) || !Array.isArray(g.nodes)) return undefined;
  return g.nodes.every((n) => isRecord(n) && isString(n.id) && isString(n.kind)) ? (g as unknown as CredentialGraph) : undefined;
}

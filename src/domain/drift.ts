/**
 * Containment that holds: what Contain (and Revoke role sessions, and every Re-apply) set in
 * IAM, read back while the watch runs, and what differs now (drift): a key active again, a
 * revocation deleted, replaced by a decoy or moved back in time, the quarantine policy
 * detached. Who changed it comes from CloudTrail when the history has it. Pure: the store's
 * steps and IAM's answers are passed in.
 */
import {
  type CallRecord,
  type KeyStatus,
  ROLE_REVOKE_POLICY_NAME,
  USER_REVOKE_POLICY_NAME,
  readRevocation,
  revocationCutoff,
} from './aws-plan';
import type { TrailEvent } from './trail-event';

/** What a containment step set, as it must still be. `account`: where (absent: the incident's). */
export type Expectation =
  | { kind: 'key-inactive'; userName: string; accessKeyId: string; account?: string }
  | { kind: 'user-revocation'; userName: string; cutoff: string; account?: string }
  | { kind: 'quarantine-attached'; userName: string; policyArn: string; account?: string }
  | { kind: 'role-revocation'; roleName: string; cutoff: string; account?: string };

/** What IAM shows now for one expectation (read by the containment adapter). */
export type Observation =
  | { kind: 'key-inactive'; userExists: boolean; status: KeyStatus }
  | { kind: 'user-revocation'; userExists: boolean; document?: string }
  | { kind: 'quarantine-attached'; userExists: boolean; attached: boolean }
  | { kind: 'role-revocation'; roleExists: boolean; document?: string };

export interface Drift {
  expectation: Expectation;
  /** What is there now, in words. */
  now: string;
}

/** A CloudTrail event that changed what drifted: who, with which key, when. */
export interface DriftChange {
  /** The drift it explains (its `what`). */
  what: string;
  eventName: string;
  time: string;
  callerArn?: string;
  accessKeyId?: string;
  sourceIp?: string;
}

/** Steps whose succeeded calls set containment. */
function isContainingStep(name: string): boolean {
  return name === 'contain' || name === 'revoke-role-sessions' || /^reapply-\d+$/.test(name);
}

const isRecord = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);
const str = (x: unknown): string | undefined => (typeof x === 'string' ? x : undefined);

function callsOf(result: unknown): CallRecord[] {
  const calls = isRecord(result) ? result.calls : undefined;
  return Array.isArray(calls) ? (calls.filter((c) => isRecord(c) && typeof c.action === 'string' && isRecord(c.params)) as CallRecord[]) : [];
}

/** The identity of an expectation (what it is about), without the cut-off. */
function expectationKey(e: Expectation): string {
  switch (e.kind) {
    case 'key-inactive':
      return `${e.account ?? ''}|key|${e.userName}|${e.accessKeyId}`;
    case 'user-revocation':
      return `${e.account ?? ''}|user-revocation|${e.userName}`;
    case 'quarantine-attached':
      return `${e.account ?? ''}|quarantine|${e.userName}|${e.policyArn}`;
    case 'role-revocation':
      return `${e.account ?? ''}|role-revocation|${e.roleName}`;
  }
}

/**
 * What must still hold, from every containing step that succeeded: each call it sent or found
 * already in place. A later cut-off (a Re-apply) replaces an earlier one.
 */
export function expectationsOf(steps: ReadonlyArray<{ name: string; state: string; result?: unknown }>): Expectation[] {
  const out = new Map<string, Expectation>();
  for (const s of steps) {
    if (!isContainingStep(s.name) || s.state !== 'succeeded') continue;
    for (const c of callsOf(s.result)) {
      if (c.outcome !== 'done' && c.outcome !== 'already') continue;
      const p = c.params;
      const account = str(p.Account);
      const where = account ? { account } : {};
      let e: Expectation | undefined;
      if (c.action === 'UpdateAccessKey' && p.Status === 'Inactive' && str(p.UserName) && str(p.AccessKeyId)) {
        e = { kind: 'key-inactive', userName: str(p.UserName)!, accessKeyId: str(p.AccessKeyId)!, ...where };
      } else if (c.action === 'PutUserPolicy' && p.PolicyName === USER_REVOKE_POLICY_NAME && str(p.UserName)) {
        const cutoff = revocationCutoff(String(p.PolicyDocument ?? ''));
        if (cutoff) e = { kind: 'user-revocation', userName: str(p.UserName)!, cutoff, ...where };
      } else if (c.action === 'AttachUserPolicy' && str(p.UserName) && str(p.PolicyArn)) {
        e = { kind: 'quarantine-attached', userName: str(p.UserName)!, policyArn: str(p.PolicyArn)!, ...where };
      } else if (c.action === 'PutRolePolicy' && p.PolicyName === ROLE_REVOKE_POLICY_NAME && str(p.RoleName)) {
        const cutoff = revocationCutoff(String(p.PolicyDocument ?? ''));
        if (cutoff) e = { kind: 'role-revocation', roleName: str(p.RoleName)!, cutoff, ...where };
      }
      if (!e) continue;
      const key = expectationKey(e);
      const had = out.get(key);
      const later = had && 'cutoff' in had && 'cutoff' in e && Date.parse(had.cutoff) > Date.parse(e.cutoff);
      if (!later) out.set(key, e);
    }
  }
  return [...out.values()];
}

/** One line naming what an expectation is about. */
export function describeExpectation(e: Expectation): string {
  const where = e.account ? ` (account ${e.account})` : '';
  switch (e.kind) {
    case 'key-inactive':
      return `key ${e.accessKeyId} of ${e.userName}${where}`;
    case 'user-revocation':
      return `${USER_REVOKE_POLICY_NAME} on user ${e.userName}${where}`;
    case 'quarantine-attached':
      return `quarantine policy ${e.policyArn.split('/').pop()} on user ${e.userName}${where}`;
    case 'role-revocation':
      return `${ROLE_REVOKE_POLICY_NAME} on role ${e.roleName}${where}`;
  }
}

/** A revocation read back: undefined when it still holds, else what is there now. */
function revocationDrift(document: string | undefined, wanted: string): string | undefined {
  const r = readRevocation(document);
  if (r.kind === 'absent') return 'deleted';
  if (r.kind === 'decoy') return `replaced by a document that is not the bot's revocation (${r.why})`;
  return Date.parse(r.cutoff) < Date.parse(wanted) ? `its cut-off moved back to ${r.cutoff} (was ${wanted})` : undefined;
}

/**
 * What differs from what containment set. A principal or key that is gone is not drift
 * (nothing can use it); a later cut-off is not drift either.
 */
export function driftOf(expectations: readonly Expectation[], observations: readonly Observation[]): Drift[] {
  const out: Drift[] = [];
  expectations.forEach((e, i) => {
    const o = observations[i];
    if (!o || o.kind !== e.kind) return;
    let now: string | undefined;
    switch (e.kind) {
      case 'key-inactive':
        if (o.kind === 'key-inactive' && o.userExists && o.status === 'Active') now = 'Active again';
        break;
      case 'user-revocation':
        if (o.kind === 'user-revocation' && o.userExists) now = revocationDrift(o.document, e.cutoff);
        break;
      case 'quarantine-attached':
        if (o.kind === 'quarantine-attached' && o.userExists && !o.attached) now = 'detached';
        break;
      case 'role-revocation':
        if (o.kind === 'role-revocation' && o.roleExists) now = revocationDrift(o.document, e.cutoff);
        break;
    }
    if (now) out.push({ expectation: e, now });
  });
  return out;
}

/** The same drift reported twice is said once: this names it. */
export function driftSignature(drifts: readonly Drift[]): string {
  return drifts.map((d) => `${expectationKey(d.expectation)}=${d.now}`).sort().join(';');
}

/** The CloudTrail event names that may have caused these drifts (IAM events, us-east-1). */
export function changeEventNames(drifts: readonly Drift[]): string[] {
  const names = new Set<string>();
  for (const d of drifts) {
    switch (d.expectation.kind) {
      case 'key-inactive':
        names.add('UpdateAccessKey');
        break;
      case 'user-revocation':
        names.add('DeleteUserPolicy').add('PutUserPolicy');
        break;
      case 'quarantine-attached':
        names.add('DetachUserPolicy');
        break;
      case 'role-revocation':
        names.add('DeleteRolePolicy').add('PutRolePolicy');
        break;
    }
  }
  return [...names];
}

/** keyguard's own writes: the responder role's sessions, named `keyguard-…`. */
const OWN_SESSION = /:assumed-role\/[^/]+\/keyguard-/;

function lower(p: Record<string, unknown> | null, key: string): string | undefined {
  const v = p?.[key];
  return typeof v === 'string' ? v : undefined;
}

function explains(e: TrailEvent, x: Expectation): boolean {
  const p = e.requestParameters;
  switch (x.kind) {
    case 'key-inactive':
      return e.name === 'UpdateAccessKey' && lower(p, 'accessKeyId') === x.accessKeyId && (lower(p, 'status') ?? '').toLowerCase() === 'active';
    case 'user-revocation':
      return (e.name === 'DeleteUserPolicy' || e.name === 'PutUserPolicy') && lower(p, 'userName') === x.userName && lower(p, 'policyName') === USER_REVOKE_POLICY_NAME;
    case 'quarantine-attached':
      return e.name === 'DetachUserPolicy' && lower(p, 'userName') === x.userName && lower(p, 'policyArn') === x.policyArn;
    case 'role-revocation':
      return (e.name === 'DeleteRolePolicy' || e.name === 'PutRolePolicy') && lower(p, 'roleName') === x.roleName && lower(p, 'policyName') === ROLE_REVOKE_POLICY_NAME;
  }
}

/** At most this many changes are said per drift (newest first). */
const MAX_CHANGES_PER_DRIFT = 3;

/** Who changed what drifted, from the IAM events CloudTrail has (keyguard's own writes left out). */
export function changesFor(drifts: readonly Drift[], events: readonly TrailEvent[]): DriftChange[] {
  const mine = events.filter((e) => !OWN_SESSION.test(e.identity.arn ?? '') && !e.errorCode);
  return drifts.flatMap((d) =>
    mine
      .filter((e) => explains(e, d.expectation))
      .sort((a, b) => b.timeMs - a.timeMs)
      .slice(0, MAX_CHANGES_PER_DRIFT)
      .map((e) => ({
        what: describeExpectation(d.expectation),
        eventName: e.name,
        time: e.time,
        ...(e.identity.arn ? { callerArn: e.identity.arn } : {}),
        ...(e.identity.accessKeyId ?? e.accessKeyId ? { accessKeyId: e.identity.accessKeyId ?? e.accessKeyId } : {}),
        ...(e.sourceIp ? { sourceIp: e.sourceIp } : {}),
      })),
  );
}

/**
 * Who may approve or deny a step, checked on the server at every click, and the same
 * approvals checked again right before the step runs (click path and reconcile alike).
 * Pure: the rules return typed reasons; presentation (src/slack/incident-messages.ts)
 * words them. An actor is any id string: a Slack user, `policy:<name>`, or an operator of
 * the command-line front door.
 */
import type { Approval, Incident, StepRecord, StepState } from './incident';

export type Refusal =
  | 'no_approvers_configured'
  | 'not_approver'
  | 'self_approval'
  | 'already_approved'
  | 'stale'
  | 'expired'
  | 'closed'
  | 'withdraw_after_approval';

/** Why a click was refused, with what presentation needs to say it. */
export type RefusalReason =
  | { refusal: 'closed'; incidentId: string }
  | { refusal: 'expired'; title: string; expiresAt: string }
  | { refusal: 'stale'; title: string; state: StepState }
  | { refusal: 'no_approvers_configured' }
  | { refusal: 'not_approver'; title: string; action: 'approve' | 'deny' }
  /** `step`: they asked for this step; `incident`: they opened the incident. */
  | { refusal: 'self_approval'; title: string; askedFor: 'step' | 'incident' }
  | { refusal: 'already_approved'; title: string; need: number }
  /** Who asked may take a request back only while nobody has approved it. */
  | { refusal: 'withdraw_after_approval'; title: string; approvals: number };

export type ClickVerdict = { ok: true } | ({ ok: false } & RefusalReason);

export interface ClickContext {
  incident: Incident;
  step: StepRecord;
  userId: string;
  isApprover: boolean;
  approversConfigured: boolean;
  /** The step version the card showed when the person clicked. */
  shownVersion: number;
  now: Date;
  kind: 'approve' | 'deny';
}

export function isExpired(step: StepRecord, now: Date): boolean {
  return step.state === 'awaiting_approval' && step.expiresAt !== undefined && now.toISOString() >= step.expiresAt;
}

/**
 * An approved step that never started (its runner never came, the sweep was off): the
 * approval lapses after the same time an approval request does, counted from the last
 * approval. A person asks again and the approvers see the plan again.
 */
export function approvalLapsed(step: StepRecord, now: Date, ttlMs: number): boolean {
  if (step.state !== 'approved') return false;
  const last = step.approvals.map((a) => a.at).sort().pop() ?? step.updatedAt;
  return now.getTime() - Date.parse(last) >= ttlMs;
}

/** Who asked for this step: the person who requested it, else the incident's requester. */
export function requesterOf(incident: Incident, step: StepRecord): string {
  return step.requestedBy ?? incident.requester;
}

/**
 * A Deny click by who asked for the step (requesterOf) takes the request back (`withdrawn`,
 * which can be asked again) instead of deciding it (`denied`, final).
 */
export function isWithdrawal(incident: Incident, step: StepRecord, userId: string): boolean {
  return requesterOf(incident, step) === userId;
}

/** Nobody who asked (for the step, or for the incident) approves it. */
function askedFor(incident: Incident, step: StepRecord, userId: string): 'step' | 'incident' | undefined {
  if (step.requestedBy !== undefined && step.requestedBy === userId) return 'step';
  if (incident.requester === userId) return 'incident';
  return undefined;
}

export function checkClick(c: ClickContext): ClickVerdict {
  const { incident, step, userId } = c;
  if (incident.status !== 'open') return { ok: false, refusal: 'closed', incidentId: incident.id };
  if (step.state === 'awaiting_approval' && isExpired(step, c.now)) {
    return { ok: false, refusal: 'expired', title: step.title, expiresAt: step.expiresAt! };
  }
  // Stale: the step moved on, or approval was asked again since the card was drawn. Another
  // approver's click in between does not make the card stale: both approvals count. A
  // version from the future was never drawn by this bot: refused as well.
  if (step.state !== 'awaiting_approval' || c.shownVersion < (step.requestedAtVersion ?? step.version) || c.shownVersion > step.version) {
    return { ok: false, refusal: 'stale', title: step.title, state: step.state };
  }
  if (!c.approversConfigured) return { ok: false, refusal: 'no_approvers_configured' };
  if (c.kind === 'deny') {
    // Who asked for the step may take the request back, approver or not, while nobody has
    // approved it; once someone has, only an approver other than them decides. Nobody else
    // but an approver denies.
    if (isWithdrawal(incident, step, userId)) {
      return step.approvals.length === 0 ? { ok: true } : { ok: false, refusal: 'withdraw_after_approval', title: step.title, approvals: step.approvals.length };
    }
    return c.isApprover ? { ok: true } : { ok: false, refusal: 'not_approver', title: step.title, action: 'deny' };
  }
  if (!c.isApprover) return { ok: false, refusal: 'not_approver', title: step.title, action: c.kind };
  const asked = askedFor(incident, step, userId);
  if (asked) return { ok: false, refusal: 'self_approval', title: step.title, askedFor: asked };
  if (step.approvals.some((a) => a.userId === userId)) {
    return { ok: false, refusal: 'already_approved', title: step.title, need: step.approvalsRequired - step.approvals.length };
  }
  return { ok: true };
}

// ---------------------------------------------------------------------------------------
// Re-verification right before a step runs

/** What the approvals were given for: the step's plan and the data it acts on. */
export function approvedContent(incident: Incident, step: StepRecord): string {
  return canonicalJson({ incident: incident.id, keyId: incident.keyId, account: incident.account ?? null, step: step.name, plan: step.plan ?? [], params: step.params ?? null });
}

/** JSON with object keys sorted, so the same content always gives the same text. */
export function canonicalJson(v: unknown): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v ?? null);
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  const o = v as Record<string, unknown>;
  return `{${Object.keys(o).filter((k) => o[k] !== undefined).sort().map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k])}`).join(',')}}`;
}

export type ApprovalProblem =
  | { problem: 'too_few'; approvals: number; required: number }
  | { problem: 'not_approver'; userId: string }
  | { problem: 'requester_approved'; userId: string }
  | { problem: 'duplicate'; userId: string }
  | { problem: 'plan_changed'; userId: string };

export interface RunCheck {
  incident: Incident;
  step: StepRecord;
  /** The playbook's own number: a record asking for fewer does not lower it. */
  required: number;
  /** Whether each approval's actor is an approver now (the current approver set, policies enabled). */
  isApproverNow: (userId: string) => boolean;
  /** Digest of what is about to run (approvedContent, hashed by the caller). */
  digest: string;
}

/**
 * The approvals recorded on a step, checked again before it runs: enough of them, from
 * distinct people who are approvers now, none of whom asked, each given for exactly the
 * plan about to run. A step planted in the table, or changed after approval, fails here.
 */
export function verifyApprovals(c: RunCheck): { ok: true } | ({ ok: false } & ApprovalProblem) {
  const approvals: Approval[] = c.step.approvals ?? [];
  const required = Math.max(c.required, c.step.approvalsRequired, 1);
  if (approvals.length < required) return { ok: false, problem: 'too_few', approvals: approvals.length, required };
  const seen = new Set<string>();
  for (const a of approvals) {
    if (seen.has(a.userId)) return { ok: false, problem: 'duplicate', userId: a.userId };
    seen.add(a.userId);
    if (askedFor(c.incident, c.step, a.userId)) return { ok: false, problem: 'requester_approved', userId: a.userId };
    if (!c.isApproverNow(a.userId)) return { ok: false, problem: 'not_approver', userId: a.userId };
    if (a.planDigest !== c.digest) return { ok: false, problem: 'plan_changed', userId: a.userId };
  }
  return { ok: true };
}

// ---------------------------------------------------------------------------------------
// Closing: two people end what two people started

/** What the playbook says a step means at close (StepDefinition.atClose). */
export type CloseGate = 'must_finish' | 'undoes_containment';

/** What closing now would leave open: each needs a second person to accept it. */
export type OpenEnd =
  /** Awaiting approval, or approved and not started: closing drops it. */
  | { end: 'awaiting'; step: string; title: string }
  /** Containment was undone (Undo succeeded): the key is usable again. */
  | { end: 'undone'; step: string; title: string }
  /** A step that must be done before one person may close (Eradicate, a removal) is not. */
  | { end: 'not_done'; step: string; title: string; state: StepState };

export interface CloseCheck {
  incident: Incident;
  steps: readonly StepRecord[];
  userId: string;
  isApprover: boolean;
  /** The playbook's word on each step (decide.ts reads it from the step definitions). */
  gate: (step: StepRecord) => CloseGate | undefined;
}

export type CloseVerdict =
  /** `endsWatch`: the close also ends the watch on the key; otherwise it runs its full time. */
  | { ok: true; openEnds: OpenEnd[]; endsWatch: boolean }
  /** Only an approver who asked for none of it (the incident, an open step) may close now. */
  | { ok: false; refusal: 'needs_second_person'; openEnds: OpenEnd[]; askers: string[] };

function openEnds(steps: readonly StepRecord[], gate: CloseCheck['gate']): OpenEnd[] {
  const ends: OpenEnd[] = [];
  for (const s of [...steps].sort((a, b) => a.seq - b.seq || a.name.localeCompare(b.name))) {
    const g = gate(s);
    if (s.state === 'awaiting_approval' || s.state === 'approved') ends.push({ end: 'awaiting', step: s.name, title: s.title });
    else if (g === 'undoes_containment' && s.state === 'succeeded') ends.push({ end: 'undone', step: s.name, title: s.title });
    else if (g === 'must_finish' && s.state !== 'succeeded') ends.push({ end: 'not_done', step: s.name, title: s.title, state: s.state });
  }
  return ends;
}

/**
 * Who may close. With nothing left open, any responder; with something open (a step awaiting
 * approval, containment undone, Eradicate or a removal not done), only an approver who asked
 * for none of it: not the incident's requester, not who asked for an open step. The watch on
 * the key ends with the close only when an approver other than the incident's requester
 * closes; anyone else's close leaves it running its full time.
 */
export function checkClose(c: CloseCheck): CloseVerdict {
  const ends = openEnds(c.steps, c.gate);
  const byName = new Map(c.steps.map((s) => [s.name, s]));
  const askers = [...new Set([c.incident.requester, ...ends.map((e) => requesterOf(c.incident, byName.get(e.step)!))])];
  if (ends.length > 0 && (!c.isApprover || askers.includes(c.userId))) return { ok: false, refusal: 'needs_second_person', openEnds: ends, askers };
  return { ok: true, openEnds: ends, endsWatch: c.isApprover && c.userId !== c.incident.requester };
}

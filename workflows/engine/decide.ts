/**
 * The engine's decisions, pure: given the stored state and what happened (a click, a
 * request, a step's result, the clock), what to write (a patch and the states it may be
 * written from), which event to record and what to tell people. Nothing here reads the
 * store, calls AWS or talks to Slack: run.ts does that, and a write it loses means the
 * decision had no effect (it re-reads and decides again).
 */
import type { Incident, IncidentEvent, StepRecord, StepState } from '../../src/domain/incident';
import { TERMINAL_STATES } from '../../src/domain/incident';
import { approvalLapsed, checkClick, checkClose, isWithdrawal, type ApprovalProblem, type CloseVerdict, type Refusal, type RefusalReason } from '../../src/domain/approval-rules';
import type { ClickResult, IncidentNotice } from '../../src/domain/incident-notice';
import type { StepError } from '../../src/domain/step-outcome';
import type { PlannedCall } from '../../src/domain/aws-plan';
import { requiredApprovals } from '../../src/domain/protection';
import { isKeyguardError } from '../../src/errors';
import type { StepDefinition, StepResult } from '../playbook';

/** An audit event to append (the incident id and time are added when it is written). */
export type EventSpec = Omit<IncidentEvent, 'incidentId' | 'at'>;

/** A conditional step write: applied only when the stored state is one of `from`. */
export interface StepWrite {
  from: readonly StepState[];
  patch: Partial<StepRecord>;
}

// ---------------------------------------------------------------------------------------
// Approve and Deny: one click path

export interface Click {
  kind: 'approve' | 'deny';
  userId: string;
  /** The step version the card showed when the person clicked. */
  shownVersion: number;
  /** Deny: the reason typed in the modal. */
  reason?: string;
  isApprover: boolean;
  approversConfigured: boolean;
  now: Date;
  /** Approve: the digest of the plan the card showed (stored with the approval). */
  digest?: string;
}

/** A reason typed by a person, kept as words: mentions and broadcasts lose their markup. */
export function plainReason(reason: string): string {
  return reason
    .replace(/<[@#!]([^>|]*)(\|([^>]*))?>/g, (_m, id: string, _l, label?: string) => label ?? id.replace(/^subteam\^/, ''))
    // A link shows where it goes: `<url|label>` → `label (url)`.
    .replace(/<([^>|]+)\|([^>]*)>/g, (_m, url: string, label: string) => `${label} (${url})`)
    .replace(/[<>]/g, '');
}

export type ClickDecision =
  | {
      kind: 'refuse';
      refusal: Refusal;
      result: ClickResult;
      event: EventSpec;
      /** The refusal was the expiry: expire the step. */
      expire: boolean;
      /** Redraw the card (it was out of date or the step just expired). */
      refreshCard: boolean;
    }
  | {
      kind: 'write';
      write: StepWrite;
      event: EventSpec;
      notice?: IncidentNotice;
      result: ClickResult;
      /** Enough approvals: the step can run now. */
      runs: boolean;
    };

function reasonOf(v: { ok: false } & RefusalReason): RefusalReason {
  const { ok: _ok, ...rest } = v;
  return rest as RefusalReason;
}

export function decideClick(incident: Incident, step: StepRecord, c: Click): ClickDecision {
  const verdict = checkClick({ incident, step, userId: c.userId, shownVersion: c.shownVersion, isApprover: c.isApprover, approversConfigured: c.approversConfigured, now: c.now, kind: c.kind });
  if (!verdict.ok) {
    return {
      kind: 'refuse',
      refusal: verdict.refusal,
      result: { kind: 'refused', ...reasonOf(verdict) },
      event: { type: 'click_refused', actor: c.userId, step: step.name, detail: { kind: c.kind, refusal: verdict.refusal } },
      expire: verdict.refusal === 'expired',
      refreshCard: verdict.refusal === 'expired' || verdict.refusal === 'stale',
    };
  }
  const at = c.now.toISOString();
  if (c.kind === 'approve') {
    const approvals = [...step.approvals, { userId: c.userId, at, planDigest: c.digest }];
    const enough = approvals.length >= step.approvalsRequired;
    return {
      kind: 'write',
      write: { from: ['awaiting_approval'], patch: { approvals, state: enough ? 'approved' : 'awaiting_approval' } },
      event: { type: 'approved', actor: c.userId, step: step.name, detail: { approvals: approvals.length, of: step.approvalsRequired } },
      result: { kind: 'approved', title: step.title, approvals: approvals.length, required: step.approvalsRequired },
      runs: enough,
    };
  }
  const reason = plainReason(c.reason ?? '');
  if (isWithdrawal(incident, step, c.userId)) {
    // Who asked takes it back: the step waits to be asked again (by anyone who may), and the
    // playbook does not go past it meanwhile. It is not a decision against the step.
    return {
      kind: 'write',
      write: { from: ['awaiting_approval'], patch: { state: 'withdrawn', note: `withdrawn by <@${c.userId}>: ${reason}`, finishedAt: at } },
      event: { type: 'approval_withdrawn', actor: c.userId, step: step.name, detail: { reason } },
      notice: { kind: 'step_withdrawn', step: step.name, title: step.title, by: c.userId, reason },
      result: { kind: 'withdrawn', title: step.title },
      runs: false,
    };
  }
  return {
    kind: 'write',
    write: { from: ['awaiting_approval'], patch: { state: 'denied', note: `denied by <@${c.userId}>: ${reason}`, finishedAt: at } },
    event: { type: 'denied', actor: c.userId, step: step.name, detail: { reason } },
    notice: { kind: 'step_denied', step: step.name, title: step.title, by: c.userId, reason },
    result: { kind: 'denied', title: step.title },
    runs: false,
  };
}

// ---------------------------------------------------------------------------------------
// Advancing: what moves next by itself

export type NextMove =
  | { kind: 'run'; step: StepRecord; from: readonly StepState[] }
  | { kind: 'skip'; step: StepRecord; write: StepWrite; event: EventSpec }
  | { kind: 'request_approval'; step: StepRecord; from: readonly StepState[] }
  /** An approval that was never acted on lapsed: the step expires (a person asks again). */
  | { kind: 'lapse'; step: StepRecord; write: StepWrite; event: EventSpec }
  /** Nothing moves by itself: wait for a person, a runner, or a closed incident. */
  | { kind: 'wait' };

export interface NextOptions {
  /** How long an approval stays good for a step that has not started. */
  approvalTtlMs: number;
  /** This engine runs dry: it never moves a live incident (one opened before the switch). */
  engineDryRun: boolean;
}

export function decideNext(incident: Incident, steps: readonly StepRecord[], def: (name: string) => StepDefinition, now: Date, o: NextOptions = { approvalTtlMs: Infinity, engineDryRun: false }): NextMove {
  if (incident.status !== 'open') return { kind: 'wait' };
  // IR_DRY_RUN holds for every incident this process touches: a live one opened before it
  // was set waits for a live process.
  if (o.engineDryRun && !incident.dryRun) return { kind: 'wait' };
  // An approved step runs first, wherever it is (an optional step such as Undo), unless its
  // approval lapsed before anything started it.
  const approved = steps.find((s) => s.state === 'approved');
  if (approved && approvalLapsed(approved, now, o.approvalTtlMs)) {
    return {
      kind: 'lapse',
      step: approved,
      write: { from: ['approved'], patch: { state: 'expired', finishedAt: now.toISOString(), note: 'approved but never started; the approval lapsed' } },
      event: { type: 'approval_lapsed', step: approved.name, detail: { approvals: approved.approvals } },
    };
  }
  if (approved) return { kind: 'run', step: approved, from: ['approved'] };
  // A denied, expired or withdrawn step stops the playbook: nothing after it runs until a
  // person asks again (expired, withdrawn) or closes the incident (denied). Eradicating a key
  // whose containment was refused would be exactly wrong.
  if (steps.some((s) => !def(s.name).optional && (s.state === 'denied' || s.state === 'expired' || s.state === 'withdrawn'))) return { kind: 'wait' };
  const step = steps.find((s) => !TERMINAL_STATES.includes(s.state) && !def(s.name).optional);
  if (!step || step.state !== 'pending') return { kind: 'wait' };
  const d = def(step.name);
  if (d.manual) return { kind: 'wait' };
  if (!d.action) {
    const reason = `not available yet: ${d.unavailableReason ?? 'not available yet'}`;
    return {
      kind: 'skip',
      step,
      write: { from: ['pending'], patch: { state: 'skipped', note: reason, finishedAt: now.toISOString() } },
      event: { type: 'step_skipped', step: step.name, detail: { reason } },
    };
  }
  if (d.approvals === 0) return { kind: 'run', step, from: ['pending'] };
  return { kind: 'request_approval', step, from: ['pending'] };
}

/** The step asks for approval: its plan, a fresh approval list and the expiry. */
export function decideApprovalRequest(step: StepRecord, from: readonly StepState[], plan: PlannedCall[], now: Date, expiresAt: string, actor?: string, stepApprovals = step.approvalsRequired): { write: StepWrite; event: EventSpec; notice?: IncidentNotice } {
  // A call to a defender-protected principal makes it a two-person step, said loudly (and recorded).
  const approvalsRequired = requiredApprovals(stepApprovals, plan);
  const warnings = [...new Set(plan.flatMap((c) => (c.protectedBy && !c.notSent ? [c.protectedBy] : [])))];
  const findings = [...new Set(plan.flatMap((c) => (c.finding ? [c.finding] : [])))];
  return {
    write: {
      from,
      // Whoever asks is recorded on the step: they may withdraw it, never approve it.
      patch: { state: 'awaiting_approval', plan, approvals: [], approvalsRequired, awaitingSince: now.toISOString(), expiresAt, error: undefined, requestedAtVersion: step.version + 1, requestedBy: actor },
    },
    event: { type: 'approval_requested', actor, step: step.name, detail: { approvalsRequired, expiresAt, plan, requestedBy: actor, ...(warnings.length ? { protectedPrincipals: warnings } : {}), ...(findings.length ? { findings } : {}) } },
    notice: plan.length > 0 ? { kind: 'approval_requested', step: step.name, title: step.title, plan } : undefined,
  };
}

/**
 * The step's plan could not be made (a refusal, an AWS error while reading, a temporary key
 * whose origin is unknown): the step fails with the reason, said in the thread, and the card
 * offers Retry, which plans again. It never stays `pending` with nothing to click.
 */
export function decidePlanFailed(step: StepRecord, from: readonly StepState[], e: unknown, now: Date): { write: StepWrite; event: EventSpec; notice: Extract<IncidentNotice, { kind: 'plan_failed' }> } {
  const error: StepError = isKeyguardError(e) ? { code: e.code, message: e.userMessage } : { code: 'UNEXPECTED', message: e instanceof Error ? e.message : String(e) };
  return {
    write: {
      from,
      patch: { state: 'failed', error, note: `could not be planned: ${error.message}`, finishedAt: now.toISOString(), leaseUntil: undefined },
    },
    event: { type: 'plan_failed', step: step.name, detail: { error } },
    notice: { kind: 'plan_failed', step: step.name, title: step.title, reason: error.message },
  };
}

// ---------------------------------------------------------------------------------------
// Asking again, retrying

export type RerequestDecision =
  | { kind: 'refuse'; result: ClickResult & { kind: 'request_refused' }; refreshCard: boolean }
  | { kind: 'retry'; result: ClickResult }
  | { kind: 'request'; from: readonly StepState[]; result: ClickResult };

export function decideRerequest(
  incident: Incident,
  step: StepRecord,
  steps: readonly StepRecord[],
  def: (name: string) => StepDefinition,
  isResponder: boolean,
): RerequestDecision {
  if (incident.status !== 'open') return { kind: 'refuse', result: { kind: 'request_refused', refusal: 'closed', incidentId: incident.id }, refreshCard: false };
  if (!isResponder) return { kind: 'refuse', result: { kind: 'request_refused', refusal: 'not_responder' }, refreshCard: false };
  const d = def(step.name);
  const ender = withdrawnBy(step, steps, def);
  if (ender) return { kind: 'refuse', result: { kind: 'request_refused', refusal: 'withdrawn', title: step.title, afterTitle: def(ender.name).title }, refreshCard: true };
  if (step.state === 'failed' && d.approvals === 0) return { kind: 'retry', result: { kind: 'retrying', title: step.title } };
  if (step.state === 'pending' && d.optional) {
    const after = d.offer ? steps.find((s) => s.name === d.offer!.after) : undefined;
    if (d.offer && after?.state !== 'succeeded') {
      return { kind: 'refuse', result: { kind: 'request_refused', refusal: 'not_yet', title: step.title, afterTitle: def(d.offer.after).title }, refreshCard: false };
    }
    return { kind: 'request', from: ['pending'], result: { kind: 'requested', title: step.title, again: false } };
  }
  if (step.state !== 'expired' && step.state !== 'withdrawn' && step.state !== 'failed') {
    return { kind: 'refuse', result: { kind: 'request_refused', refusal: 'stale', title: step.title, state: step.state }, refreshCard: true };
  }
  return { kind: 'request', from: [step.state], result: { kind: 'requested', title: step.title, again: true } };
}

/** The step that, once started, withdrew this one (Undo once Eradicate has started). */
export function withdrawnBy(step: StepRecord, steps: readonly StepRecord[], def: (name: string) => StepDefinition): StepRecord | undefined {
  const name = def(step.name).withdrawnOnceStarted;
  const other = name ? steps.find((s) => s.name === name) : undefined;
  return other && !['pending', 'awaiting_approval', 'approved', 'expired', 'withdrawn', 'denied', 'skipped'].includes(other.state) ? other : undefined;
}

/** Steps a starting step withdraws (Undo when Eradicate starts): skipped, with why. */
export function decideWithdraw(started: StepRecord, steps: readonly StepRecord[], def: (name: string) => StepDefinition, now: Date): Array<{ step: StepRecord; write: StepWrite; event: EventSpec }> {
  const reason = `withdrawn: ${started.title} has started`;
  return steps
    .filter((s) => def(s.name).withdrawnOnceStarted === started.name && ['pending', 'awaiting_approval', 'approved', 'expired', 'withdrawn', 'failed'].includes(s.state))
    .map((s) => ({
      step: s,
      write: { from: [s.state], patch: { state: 'skipped', note: reason, finishedAt: now.toISOString() } },
      event: { type: 'step_withdrawn', step: s.name, detail: { reason, by: started.name } },
    }));
}

/** The approvals did not hold when the step was about to run: it fails, nothing was sent. */
export function decideApprovalRejected(step: StepRecord, problem: ApprovalProblem | { problem: 'withdrawn'; by: string }, now: Date): { write: StepWrite; event: EventSpec; notice: IncidentNotice } {
  return {
    write: {
      from: [step.state],
      patch: {
        state: 'failed', finishedAt: now.toISOString(), leaseUntil: undefined,
        error: { code: 'APPROVAL_INVALID', message: `the recorded approvals did not hold at run time (${problem.problem}); nothing was sent to AWS` },
        note: `refused at run time: ${problem.problem}; nothing was sent to AWS`,
      },
    },
    event: { type: 'approval_rejected', step: step.name, detail: { ...problem, approvals: step.approvals, state: step.state } },
    notice: { kind: 'approval_rejected', step: step.name, title: step.title, problem },
  };
}

// ---------------------------------------------------------------------------------------
// Finishing a step

/** Above this the step's result is not copied into its event (it stays on the step). */
const MAX_EVENT_RESULT_BYTES = 50_000;

/**
 * What an action that threw is recorded as. Retryable only when the adapter that threw
 * said so (KeyguardError.retryable); an unknown error is not.
 */
export function thrownResult(e: unknown): StepResult {
  const error: StepError = isKeyguardError(e) ? { code: e.code, message: e.userMessage } : { code: 'UNEXPECTED', message: e instanceof Error ? e.message : String(e) };
  return { ok: false, summary: error.message, error, retryable: isKeyguardError(e) && e.retryable };
}

/** The step's final write, from what the action returned. */
export function decideFinish(result: StepResult, now: Date): StepWrite {
  return {
      from: ['running'],
      patch: {
        state: result.ok ? 'succeeded' : 'failed',
        error: result.ok ? undefined : result.error ?? { code: 'FAILED', message: result.summary },
        note: result.summary,
        finishedAt: now.toISOString(),
        leaseUntil: undefined,
        result: result.detail,
      },
  };
}

/** The result could not be stored (too large, malformed): the failure itself, small. */
export function storeFailedPatch(result: StepResult, errName: string): Partial<StepRecord> {
  return { result: undefined, state: 'failed', error: { code: 'STORE_FAILED', message: `the result could not be recorded (${errName}); ${result.summary}` } };
}

/** The event of a finished step: the AWS answer too, unless it is large. */
export function finishedEvent(done: StepRecord, result: StepResult): EventSpec {
  // A large answer (the investigation) lives on the step only, so neither item nears
  // DynamoDB's 400 KB limit.
  const small = Buffer.byteLength(JSON.stringify(result.detail ?? null)) <= MAX_EVENT_RESULT_BYTES;
  return {
    type: done.state === 'succeeded' ? 'step_succeeded' : 'step_failed',
    step: done.name,
    detail: { summary: done.note, retryable: result.retryable ?? false, error: done.error, ...(small ? { result: result.detail } : { resultOnStep: true }) },
  };
}

// ---------------------------------------------------------------------------------------
// Expiry, Undo's end of the playbook, closing

export function decideExpire(step: StepRecord, now: Date): { write: StepWrite; event: EventSpec } {
  return {
    write: { from: ['awaiting_approval'], patch: { state: 'expired', finishedAt: now.toISOString(), note: `approval expired at ${step.expiresAt}` } },
    event: { type: 'approval_expired', step: step.name, detail: { expiresAt: step.expiresAt, approvals: step.approvals } },
  };
}

/** After a step that ends the playbook (Undo): the steps not yet run are skipped, with why. */
export function decideSkipRemaining(steps: readonly StepRecord[], def: (name: string) => StepDefinition, reason: string, except: string, now: Date): Array<{ step: StepRecord; write: StepWrite; event: EventSpec }> {
  return steps
    // Optional steps too (a Remove awaiting approval must not run after an Undo).
    .filter((s) => s.name !== except && !def(s.name).manual && ['pending', 'awaiting_approval', 'expired', 'withdrawn', 'failed'].includes(s.state))
    .map((s) => ({
      step: s,
      write: { from: [s.state], patch: { state: 'skipped', note: reason, finishedAt: now.toISOString() } },
      event: { type: 'step_skipped', step: s.name, detail: { reason } },
    }));
}

/**
 * Whether this person may close now, and whether the close ends the watch on the key
 * (approval-rules.ts checkClose, with each step's meaning at close from the playbook).
 */
export function decideClose(incident: Incident, steps: readonly StepRecord[], def: (name: string) => StepDefinition, userId: string, isApprover: boolean): CloseVerdict {
  return checkClose({ incident, steps, userId, isApprover, gate: (s) => def(s.name).atClose });
}

export type CloseMove =
  /** Its runner is gone and closed incidents are not reconciled: say so in the record. */
  | { kind: 'abandon'; write: StepWrite; event: EventSpec }
  | { kind: 'skip'; write: StepWrite; event: EventSpec }
  /** The Close step itself: marked running, then succeeded. */
  | { kind: 'close'; write: StepWrite; then: StepWrite }
  | { kind: 'leave' };

export function decideOnClose(step: StepRecord, isCloseStep: boolean, userId: string, now: Date): CloseMove {
  const at = now.toISOString();
  if (step.state === 'running' && step.leaseUntil && step.leaseUntil <= at) {
    return {
      kind: 'abandon',
      write: {
        from: ['running'],
        patch: {
          state: 'failed', leaseUntil: undefined, finishedAt: at,
          error: { code: 'ABANDONED', message: 'the incident was closed while this step had no live runner; check AWS by hand' },
          note: 'closed while its runner was gone; check AWS by hand',
        },
      },
      event: { type: 'step_abandoned', step: step.name, detail: { runner: step.runner } },
    };
  }
  // A live runner finishes and records itself.
  if (TERMINAL_STATES.includes(step.state) || step.state === 'running') return { kind: 'leave' };
  if (isCloseStep) {
    return {
      kind: 'close',
      write: { from: [step.state], patch: { state: step.state === 'pending' ? 'running' : step.state, note: `closed by <@${userId}>` } },
      then: { from: ['running'], patch: { state: 'succeeded', finishedAt: at } },
    };
  }
  return {
    kind: 'skip',
    write: { from: [step.state], patch: { state: 'skipped', note: 'incident closed before this step ran', finishedAt: at } },
    event: { type: 'step_skipped', step: step.name, detail: { reason: 'incident closed' } },
  };
}

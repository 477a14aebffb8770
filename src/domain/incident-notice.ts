/**
 * What the engine and the watch tell people, as typed events. Presentation (src/slack)
 * owns every word of how they are said. Pure data.
 */
import type { PlannedCall } from './aws-plan';
import type { ApprovalProblem, OpenEnd, RefusalReason } from './approval-rules';
import type { StepState } from './incident';
import type { WatchedSummary, WatchFinding } from './watch';
import type { Drift, DriftChange } from './drift';

/** Said in the incident's thread. */
export type IncidentNotice =
  | { kind: 'approval_requested'; step: string; title: string; plan: PlannedCall[] }
  | { kind: 'step_finished'; step: string; title: string; ok: boolean; dryRun: boolean; note: string }
  | { kind: 'step_denied'; step: string; title: string; by: string; reason: string }
  /** Who asked took the request back before anyone approved it; it can be asked again. */
  | { kind: 'step_withdrawn'; step: string; title: string; by: string; reason: string }
  /** The step's plan could not be made (a refusal, an AWS error while reading): failed, with why; Retry plans again. */
  | { kind: 'plan_failed'; step: string; title: string; reason: string }
  /** The approvals did not hold right before the step ran: refused and recorded. */
  | { kind: 'approval_rejected'; step: string; title: string; problem: ApprovalProblem | { problem: 'withdrawn'; by: string } }
  | { kind: 'watch_started'; keyId: string; minutes: number; every: number }
  | { kind: 'watch_stopped'; reason: 'undone' | 'closed' }
  | { kind: 'watch_alert'; keyId: string; finding: WatchFinding }
  | { kind: 'watch_ended'; keyId: string; total: number; watched?: WatchedSummary }
  /**
   * What containment set no longer holds (read back by the watch), who changed it when
   * CloudTrail shows it, and what happens next: a Re-apply step awaiting one approval, re-applied
   * at once by a policy, already in progress, or not plannable (why).
   */
  | { kind: 'containment_drift'; drifts: Drift[]; changes: DriftChange[]; next: { kind: 'approve'; title: string; approvals: number } | { kind: 'auto'; policy: string } | { kind: 'in_progress'; title: string } | { kind: 'plan_failed'; reason: string } };

/** Why a request to ask for approval (again), retry or close was refused. */
export type RequestRefusal =
  | { refusal: 'closed'; incidentId: string }
  | { refusal: 'not_responder' }
  | { refusal: 'not_yet'; title: string; afterTitle: string }
  | { refusal: 'stale'; title: string; state: StepState }
  /** A step that ends once another has started (Undo once Eradicate has). */
  | { refusal: 'withdrawn'; title: string; afterTitle: string };

/** What a person's click or command did, answered to that person. */
export type ClickResult =
  | { kind: 'approved'; title: string; approvals: number; required: number }
  | { kind: 'denied'; title: string }
  | { kind: 'withdrawn'; title: string }
  /** Refused by the approval rules (the reason is typed; presentation words it). */
  | ({ kind: 'refused' } & RefusalReason)
  | ({ kind: 'request_refused' } & RequestRefusal)
  | { kind: 'retrying'; title: string }
  /** Asking for approval needed a plan, and it could not be made: the step is failed with why. */
  | { kind: 'plan_failed'; title: string; reason: string }
  | { kind: 'requested'; title: string; again: boolean }
  /** `watchOutlivesClose`: the watch on the key (if any) runs its full time after this close. */
  | { kind: 'closed'; incidentId: string; watchOutlivesClose: boolean }
  | { kind: 'close_refused'; incidentId: string; why: 'missing' | 'already_closed' }
  /** Something is left open: only an approver who asked for none of it may close. */
  | { kind: 'close_refused'; incidentId: string; why: 'needs_second_person'; openEnds: OpenEnd[]; askers: string[] }
  /** Free text shaped like a secret access key: refused, never stored or repeated. */
  | { kind: 'secret_refused'; what: 'reason' | 'resolution' };

/** Whether the person's action took effect. */
export function clickOk(r: ClickResult): boolean {
  return r.kind === 'approved' || r.kind === 'denied' || r.kind === 'withdrawn' || r.kind === 'retrying' || r.kind === 'requested' || r.kind === 'closed';
}

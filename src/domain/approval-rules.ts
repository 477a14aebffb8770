/**
 * Who may approve or deny a step, checked on the server at every click. Pure.
 */
import type { Incident, StepRecord } from './incident';
import { hourMinute } from './time';

export type Refusal =
  | 'no_approvers_configured'
  | 'not_approver'
  | 'self_approval'
  | 'already_approved'
  | 'stale'
  | 'expired'
  | 'closed';

export type ClickVerdict = { ok: true } | { ok: false; refusal: Refusal; message: string };

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

export function checkClick(c: ClickContext): ClickVerdict {
  const { incident, step, userId } = c;
  if (incident.status !== 'open') return { ok: false, refusal: 'closed', message: `Incident ${incident.id} is closed; nothing was changed.` };
  if (step.state === 'awaiting_approval' && isExpired(step, c.now)) {
    return { ok: false, refusal: 'expired', message: `The approval request for *${step.title}* expired at ${hourMinute(step.expiresAt!)} UTC. Nothing was changed; the card now offers to request approval again.` };
  }
  // Stale: the step moved on, or approval was asked again since the card was drawn. Another
  // approver's click in between does not make the card stale: both approvals count.
  if (step.state !== 'awaiting_approval' || c.shownVersion < (step.requestedAtVersion ?? step.version)) {
    return { ok: false, refusal: 'stale', message: `That card was out of date: *${step.title}* is now ${step.state.replace('_', ' ')}. Nothing was changed; the card has been refreshed.` };
  }
  if (!c.approversConfigured) {
    return { ok: false, refusal: 'no_approvers_configured', message: 'No approvers are configured (IR_APPROVERS), so nobody can approve. Ask the bot\'s admin to set it.' };
  }
  // The requester may always withdraw their own request (deny); approving needs an approver.
  const withdrawing = c.kind === 'deny' && userId === incident.requester;
  if (!c.isApprover && !withdrawing) {
    return { ok: false, refusal: 'not_approver', message: `Only approvers listed in IR_APPROVERS can ${c.kind} *${step.title}*. Nothing was changed.` };
  }
  if (c.kind === 'approve' && userId === incident.requester) {
    return { ok: false, refusal: 'self_approval', message: 'You requested this incident, so someone else must approve it. Nothing was changed.' };
  }
  if (c.kind === 'approve' && step.approvals.some((a) => a.userId === userId)) {
    const need = step.approvalsRequired - step.approvals.length;
    return { ok: false, refusal: 'already_approved', message: `You already approved *${step.title}*; it needs ${need} more approval(s) from someone else.` };
  }
  return { ok: true };
}

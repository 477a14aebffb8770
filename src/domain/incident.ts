/**
 * The incident and step model, and the step state machine. Pure.
 *
 *   pending → awaiting_approval → approved → running → succeeded | failed
 *                 ↘ denied, expired,     ↘ expired (never started), failed (approvals did not
 *                   withdrawn              hold at run time), skipped (closed, withdrawn)
 *   pending → running (automatic steps)      failed → running (retry)
 *   expired | withdrawn | failed → awaiting_approval (asked again)
 *   pending | expired | withdrawn → failed (its plan could not be made: the reason is recorded, a person retries)
 *   pending | awaiting_approval | expired | withdrawn | failed → skipped (with a recorded reason)
 *
 * `withdrawn`: the person who asked took the request back before anyone approved it. Unlike
 * `denied` (an approver's decision, final) it can be asked again.
 */
import type { KeyKind } from './key-id';
import type { PlannedCall } from './aws-plan';

export type StepState =
  | 'pending'
  | 'awaiting_approval'
  | 'approved'
  | 'running'
  | 'succeeded'
  | 'failed'
  | 'denied'
  | 'expired'
  | 'withdrawn'
  | 'skipped';

/** States a step does not leave by itself (expired and withdrawn are left only by a person asking again). */
export const TERMINAL_STATES: readonly StepState[] = ['succeeded', 'denied', 'expired', 'withdrawn', 'skipped'];

const ALLOWED: Record<StepState, readonly StepState[]> = {
  pending: ['awaiting_approval', 'running', 'skipped', 'failed'],
  awaiting_approval: ['approved', 'denied', 'expired', 'withdrawn', 'skipped', 'awaiting_approval'],
  approved: ['running', 'expired', 'failed', 'skipped'],
  running: ['succeeded', 'failed', 'running', 'skipped'],
  failed: ['running', 'awaiting_approval', 'skipped'],
  succeeded: [],
  denied: [],
  expired: ['awaiting_approval', 'skipped', 'failed'],
  withdrawn: ['awaiting_approval', 'skipped', 'failed'],
  skipped: [],
};

export function canTransition(from: StepState, to: StepState): boolean {
  return ALLOWED[from].includes(to);
}

export type Severity = 'critical' | 'high' | 'medium' | 'low';
export const SEVERITIES: readonly Severity[] = ['critical', 'high', 'medium', 'low'];

export interface Approval {
  /** A Slack user id, `policy:<name>`, or another front door's actor id. */
  userId: string;
  at: string;
  /** SHA-256 of what was shown when approving (approvedContent): re-checked before the step runs. */
  planDigest?: string;
}

export interface StepRecord {
  incidentId: string;
  seq: number;
  name: string;
  title: string;
  state: StepState;
  version: number;
  approvalsRequired: number;
  approvals: Approval[];
  /** The exact AWS calls this step will make (shown before approval). */
  plan?: PlannedCall[];
  /** Calls made, with AWS request ids and outcomes. */
  result?: unknown;
  error?: { code: string; message: string };
  /** Why the step ended without running, or anything a person said about it. */
  note?: string;
  awaitingSince?: string;
  /** Who asked for this step (approval requested, asked again, retried); absent: the incident's requester. Never its approver. */
  requestedBy?: string;
  /** The version the step had when approval was (last) requested: a card drawn since then is current. */
  requestedAtVersion?: number;
  expiresAt?: string;
  startedAt?: string;
  finishedAt?: string;
  /** Data a generated step acts on (e.g. the persistence item to remove). */
  params?: unknown;
  /** Optional steps (undo) are offered by a button once `after` has succeeded. */
  offer?: { label: string; after: string };
  /** Owner of the current run (instance id), for crash reconciliation. */
  runner?: string;
  /** The runner renews this while it works; a `running` step past it has lost its runner. */
  leaseUntil?: string;
  /** What the step was about to change, read before its first AWS call (see StepAction.snapshot). */
  before?: unknown;
  updatedAt: string;
}

export type IncidentStatus = 'open' | 'closed';

export interface Incident {
  id: string;
  keyId: string;
  keyKind: KeyKind;
  account?: string;
  principal?: { type: 'user' | 'role' | 'unknown'; name?: string; arn?: string };
  /** For a temporary key: the long-term key at the root of its AssumeRole chain, from CloudTrail. */
  rootKey?: { accessKeyId: string; userName?: string };
  requester: string;
  severity: Severity;
  reason: string;
  ticket?: string;
  status: IncidentStatus;
  channel: string;
  cardTs?: string;
  dryRun: boolean;
  createdAt: string;
  closedAt?: string;
  resolution?: string;
  /** Who closed it. */
  closedBy?: string;
  /**
   * Closed by someone who alone may not end the watch (not an approver, or the requester):
   * the watch on the key runs its full IR_WATCH_MINUTES after the close.
   */
  watchOutlivesClose?: boolean;
  version: number;
  /** Identify step output: the key facts as the bot saw them. */
  facts?: unknown;
  /** ISO time the leak was detected (intake event time, or the modal's "detected at"); absent: createdAt. */
  detectedAt?: string;
  /** Where the incident came from: a person in Slack, or an automatic intake source. */
  source?: IncidentSource;
}

export interface IncidentSource {
  kind: 'slack' | 'aws-health' | 'guardduty' | 'github' | 'cli';
  link?: string;
  title?: string;
}

export interface IncidentEvent {
  incidentId: string;
  at: string;
  type: string;
  actor?: string;
  step?: string;
  detail?: Record<string, unknown>;
}

/** Incident ids people can say aloud: date plus a short random part. */
export function newIncidentId(now: Date, random: () => number = Math.random): string {
  const d = now.toISOString().slice(0, 10).replace(/-/g, '');
  const alphabet = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789';
  let r = '';
  for (let i = 0; i < 4; i++) r += alphabet[Math.floor(random() * alphabet.length)];
  return `IR-${d}-${r}`;
}

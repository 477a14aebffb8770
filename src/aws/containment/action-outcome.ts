/**
 * Turns call records into an ActionOutcome, after reading IAM back. A step is a success
 * only when AWS shows the change: IAM is eventually consistent, so the read-back is tried
 * a few times before the difference is reported.
 */
import { isKeyguardError } from '../../errors';
import type { ActionOutcome, AddedArtifact, CallRecord, VerifiedState } from '../../domain/aws-plan';
import { isRetryableAwsError } from './call-runner';

export interface Verification<S> {
  read: () => Promise<S>;
  /** Where the state read differs from what the 'done'/'already' calls should have left. */
  problems: (state: S) => string[];
  /** The verified state as recorded on the step. */
  view: (state: S) => VerifiedState;
  /** One line for humans when everything checked out. */
  success: (state: S) => string;
}

export interface FinishOptions {
  dryRun: boolean;
  sleep: (ms: number) => Promise<void>;
  /** Waits between read-back attempts; their count + 1 is the number of reads. */
  readBackDelaysMs: readonly number[];
}

export const DEFAULT_READ_BACK_DELAYS_MS = [250, 500, 1000, 2000];

function describeCalls(records: readonly CallRecord[], outcome: CallRecord['outcome']): string {
  return records
    .filter((r) => r.outcome === outcome)
    .map((r) => r.action)
    .join(', ');
}

export async function finishAction<S>(
  records: CallRecord[],
  added: AddedArtifact[],
  v: Verification<S>,
  o: FinishOptions,
): Promise<ActionOutcome> {
  const failures = records.filter((r) => r.outcome === 'failed');
  const base = { calls: records, dryRun: o.dryRun };

  if (o.dryRun) {
    const state = await v.read();
    const would = describeCalls(records, 'dry-run');
    return {
      ...base,
      ok: true,
      added: [],
      verified: v.view(state),
      retryable: false,
      message: would ? `DRY RUN: would call ${would}; nothing was changed.` : 'DRY RUN: nothing to do, everything is already in place.',
    };
  }

  let state: S | undefined;
  let problems: string[] = [];
  let readRetryable = true;
  for (let attempt = 0; attempt <= o.readBackDelaysMs.length; attempt++) {
    if (attempt > 0) await o.sleep(o.readBackDelaysMs[attempt - 1]);
    try {
      state = await v.read();
      problems = v.problems(state);
    } catch (e) {
      problems = [`could not read IAM back: ${isKeyguardError(e) ? e.userMessage : String(e)}`];
      readRetryable = isRetryableAwsError(e);
    }
    if (problems.length === 0) break;
  }

  const verified = state === undefined ? {} : v.view(state);
  if (failures.length === 0 && problems.length === 0) {
    return { ...base, ok: true, added, verified, retryable: false, message: v.success(state as S) };
  }
  const retryable = failures.every((f) => f.retryable === true) && (problems.length === 0 || readRetryable);
  const done = records.filter((r) => r.outcome === 'done' || r.outcome === 'already').length;
  const parts = [
    ...failures.map((f) => f.error?.message ?? `${f.action} failed.`),
    ...(problems.length > 0 ? [`AWS does not show the change: ${problems.join('; ')}.`] : []),
    `${done} of ${records.length} calls in place.`,
    retryable ? 'Safe to run the step again (every call is idempotent).' : '',
  ];
  return { ...base, ok: false, added, verified, retryable, message: parts.filter(Boolean).join(' ') };
}

/** An outcome for an action that stopped before sending anything (a failed read). */
export function outcomeBeforeActing(e: unknown, dryRun: boolean): ActionOutcome {
  const message = isKeyguardError(e) ? e.userMessage : `Unexpected error: ${String(e)}`;
  return { ok: false, calls: [], verified: {}, added: [], message, retryable: isRetryableAwsError(e), dryRun };
}

/**
 * What Athena and CloudTrail Lake have in common for keyguard: a lookup in, a stream of
 * `TrailEvent` out, plus what the query cost. Both adapters implement `HistoryQuerySource`.
 */
import type { HistoryQueryStats } from '../../domain/history-choice';
import type { HistoryLookup } from '../../domain/history-query';
import type { TrailEvent } from '../../domain/trail-event';
import { KeyguardError } from '../../errors';


export interface HistoryQueryOptions {
  signal?: AbortSignal;
  /** Stop after this many events (the export limit). */
  maxEvents?: number;
  /** Called after each poll of a running query (state, bytes scanned so far in `stats()`). */
  onPoll?: () => void;
}

export interface HistoryQueryRun {
  events: AsyncIterable<TrailEvent>;
  /** Current figures; final once `events` is exhausted. */
  stats(): HistoryQueryStats;
}

export interface HistoryQuerySource {
  readonly name: 'athena' | 'lake';
  run(lookup: HistoryLookup, options?: HistoryQueryOptions): HistoryQueryRun;
}

export type HistoryFailureKind = 'failed' | 'cancelled' | 'timeout' | 'scan-limit';

/** A query that did not finish: `reason` is the engine's own words (StateChangeReason, ErrorMessage). */
export class HistoryQueryFailed extends KeyguardError {
  constructor(
    readonly source: 'athena' | 'lake',
    readonly kind: HistoryFailureKind,
    readonly reason: string,
    readonly queryId?: string,
    /** True once events were delivered: a fallback would count them twice. */
    readonly partial = false,
  ) {
    super('AWS_FAILED', `${source === 'athena' ? 'Athena' : 'CloudTrail Lake'} query ${kind === 'timeout' ? 'timed out' : kind === 'scan-limit' ? 'hit the scan limit' : kind}${queryId ? ` (${queryId})` : ''}: ${reason}`);
    this.name = 'HistoryQueryFailed';
  }
}

export type { HistoryQueryStats } from '../../domain/history-choice';

/** How far a CloudTrail pull has got: what the progress message and the summary show. */
import type { HistoryQueryStats } from './history-choice';

export interface RegionFailure {
  region: string;
  errorName: string;
  message: string;
}

export interface LookupProgress {
  regionsTotal: number;
  regionsDone: number;
  regionsFailed: RegionFailure[];
  /** Events delivered to the consumer (after dedup). */
  events: number;
  /** Events dropped as duplicates (found by two lookups) or as already delivered before a resume. */
  duplicatesDropped: number;
  /** Successful LookupEvents calls. */
  pages: number;
  /** ThrottlingExceptions received (each was retried). */
  throttled: number;
  elapsedMs: number;
  finished: boolean;
  /** Set when Athena or CloudTrail Lake answers: the query's state, time and bytes scanned so far. */
  query?: HistoryQueryStats;
}

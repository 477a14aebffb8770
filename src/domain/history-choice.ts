/**
 * Which CloudTrail history answers a lookup: LookupEvents (management events, 90 days, one
 * account at a time, 100 events/s per region) or a query engine over the organization
 * trail (Athena, or CloudTrail Lake). Pure: the facts in, a source and the reason out.
 */

export type HistorySourceName = 'lookup' | 'athena' | 'lake';
export type HistorySourceSetting = HistorySourceName | 'auto';

export const LOOKUP_EVENTS_DAYS = 90;

export interface HistoryChoiceInput {
  /** IR_HISTORY_SOURCE. */
  setting: HistorySourceSetting;
  /** Asked for this lookup (`/trail … source:athena`). */
  forced?: HistorySourceName;
  athenaConfigured: boolean;
  lakeConfigured: boolean;
  start: Date;
  now: Date;
  /** Data events (S3 object reads, Lambda invokes…) are wanted. */
  dataEvents: boolean;
  /** Accounts searched. */
  accounts: number;
}

export interface HistoryChoice {
  source: HistorySourceName;
  /** One sentence for the thread: why this source. */
  why: string;
}

const LABEL: Record<HistorySourceName, string> = { lookup: 'LookupEvents', athena: 'Athena', lake: 'CloudTrail Lake' };

export function historySourceLabel(s: HistorySourceName): string {
  return LABEL[s];
}

/** True when LookupEvents can answer the same lookup (the fallback is allowed). */
export function lookupCanCover(input: Pick<HistoryChoiceInput, 'start' | 'now' | 'accounts'>): boolean {
  const oldest = input.now.getTime() - LOOKUP_EVENTS_DAYS * 86_400_000;
  return input.start.getTime() >= oldest - 60_000 && input.accounts <= 1;
}

export function chooseHistorySource(input: HistoryChoiceInput): HistoryChoice {
  const configured = (s: HistorySourceName) => s === 'lookup' || (s === 'athena' ? input.athenaConfigured : input.lakeConfigured);
  if (input.forced) {
    if (configured(input.forced)) return { source: input.forced, why: `asked for with \`source:${input.forced}\`` };
    const engine: HistorySourceName = input.athenaConfigured ? 'athena' : input.lakeConfigured ? 'lake' : 'lookup';
    const missing = input.forced === 'athena' ? 'IR_ATHENA_DATABASE/IR_ATHENA_TABLE' : 'IR_CLOUDTRAIL_LAKE_EDS';
    return { source: engine, why: `\`source:${input.forced}\` was asked for, but ${LABEL[input.forced]} is not configured (${missing}); ${LABEL[engine]} answered instead` };
  }
  if (input.setting !== 'auto') {
    if (configured(input.setting)) return { source: input.setting, why: `IR_HISTORY_SOURCE=${input.setting}` };
    return { source: 'lookup', why: `IR_HISTORY_SOURCE=${input.setting}, but it is not configured` };
  }
  const engine: HistorySourceName | undefined = input.athenaConfigured ? 'athena' : input.lakeConfigured ? 'lake' : undefined;
  if (!engine) return { source: 'lookup', why: 'no Athena table or CloudTrail Lake event data store is configured' };
  const days = Math.ceil((input.now.getTime() - input.start.getTime()) / 86_400_000);
  if (days > LOOKUP_EVENTS_DAYS) return { source: engine, why: `the window reaches ${days} days back, beyond LookupEvents' ${LOOKUP_EVENTS_DAYS}` };
  if (input.dataEvents) return { source: engine, why: 'data events (S3 object reads, Lambda invokes) are only in the trail' };
  if (input.accounts > 1) return { source: engine, why: `${input.accounts} accounts are searched at once` };
  return { source: 'lookup', why: 'management events of one account within 90 days: LookupEvents answers directly' };
}

/** Athena and CloudTrail Lake both bill $5 per TB scanned; Athena bills at least 10 MB a query. */
const USD_PER_TB_SCANNED = 5;
export const ATHENA_MIN_BILLED_BYTES = 10 * 1024 * 1024;

export function scanCostUsd(bytesPerQuery: readonly number[], minBilledBytes = 0): number {
  const billed = bytesPerQuery.reduce((n, b) => n + Math.max(b, minBilledBytes), 0);
  return (billed / 1e12) * USD_PER_TB_SCANNED;
}

export interface HistoryQueryStats {
  source: 'athena' | 'lake';
  /** One per query run (a credential graph too large for one query runs several). */
  queryIds: string[];
  scannedBytes: number;
  /** At $5 per TB scanned (Athena: at least 10 MB billed per query). */
  costUsd: number;
  /** Events delivered. */
  events: number;
  /** Result pages read. */
  pages: number;
  /** Set when the results were cut at `maxEvents`: rerun the query to get the rest. */
  truncated?: { at: number; queryId: string };
  elapsedMs: number;
  /**
   * The engine's state of the query running now, as it says it (Athena: QUEUED, RUNNING,
   * SUCCEEDED; Lake: QUEUED, RUNNING, FINISHED), for progress while it runs.
   */
  state?: string;
}

export interface HistoryAnswer {
  source: HistorySourceName;
  why: string;
  /** The query engine that failed first, with its own reason; LookupEvents answered instead. */
  fallback?: { from: 'athena' | 'lake'; kind: string; reason: string; queryId?: string };
  /** What the query scanned and cost (Athena/Lake only). */
  query?: HistoryQueryStats;
  /** The window actually searched. */
  window: { start: string; end: string };
}

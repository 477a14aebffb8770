import type { AsiaTrace } from '../domain/asia-trace';
import type { LookupProgress } from '../domain/trail-progress';
import type { TrailEvent } from '../domain/trail-event';
import type { TrailSubject } from '../domain/trail-query';
import type { OwnerActivitySummary, TrailSummary } from '../domain/trail-summary';
import type { CredentialGraph } from '../domain/credential-graph';
import type { HistoryAnswer, HistorySourceName } from '../domain/history-choice';

export interface TrailPullRequest {
  subject: TrailSubject;
  /** For a user's key: the owner's name (for `ownerActivity`, and the graph's root node). */
  alsoUserName?: string;
  /**
   * Also look the owner's other activity (console, other keys) up by Username, in a second,
   * lower-priority pass after the credential graph, skipping the events the key lookups
   * already fetched, and report it apart as context (the Investigate step). Off by default:
   * `/trail <key>` and the watch fetch each page once.
   */
  ownerActivity?: boolean;
  start: Date;
  end: Date;
  /** Write the full export to files (skipped by the watch). */
  exportFiles?: boolean;
  onProgress?: (p: LookupProgress) => void;
  progressIntervalMs?: number;
  /** Only events newer than this (the watch). */
  newerThan?: Date;
  /** The key's account, when known: another account is searched through its role. */
  account?: string;
  /** Stops the pull (e.g. the step's runner lost its lease). */
  signal?: AbortSignal;
  /** The start asked for before it was moved to LookupEvents' 90 days (Athena/Lake search from here). */
  requestedStart?: Date;
  /** Which history to use for this pull (`/trail … source:athena`); default: the configured choice. */
  source?: HistorySourceName;
  /** Other keys of the credential graph, searched with the subject (Athena/Lake: in one query). */
  moreAccessKeyIds?: string[];
  /** Accounts to search (Athena/Lake); default: `account`, or the bot's own. */
  accounts?: string[];
  /** Data events are wanted (auto then prefers Athena/Lake). */
  dataEvents?: boolean;
}

export interface TrailPullResult {
  summary: TrailSummary;
  progress: LookupProgress;
  regions: string[];
  files?: { csv: string; ndjson: string; dir: string };
  /** The newest events (at most 20), for the watch's messages. */
  newest: TrailEvent[];
  /** Which history answered and why (set when a history selector is configured). */
  history?: HistoryAnswer;
  /** For a key: the credentials it minted, found by following each issued key (LookupEvents). */
  graph?: CredentialGraph;
  /** The owner's other activity: context, kept out of `summary` (its findings and created resources). */
  ownerActivity?: OwnerActivitySummary;
  /** The owner's events the Username pass found already fetched by a key lookup (not fetched twice into the summary). */
  ownerPassSkipped?: number;
}

/** CloudTrail history of a principal (implemented by src/aws/history/trail-service.ts). */
export interface TrailPort {
  pull(req: TrailPullRequest): Promise<TrailPullResult>;
  /** Where a temporary key came from: its issuing AssumeRole/GetSessionToken chain. */
  trace(accessKeyId: string, now: Date, account?: string): Promise<AsiaTrace>;
  /** The regions searched (IR_REGIONS, or every enabled region). */
  regions(): Promise<string[]>;
  /**
   * IAM events of these names in a window (us-east-1, where IAM logs), whoever made them:
   * who changed what containment set (the watch's drift check).
   */
  iamEvents?(req: { account?: string; start: Date; end: Date; eventNames: readonly string[]; signal?: AbortSignal }): Promise<TrailEvent[]>;
}

import type { AsiaTrace } from '../domain/asia-trace';
import type { LookupProgress } from '../domain/trail-progress';
import type { TrailEvent } from '../domain/trail-event';
import type { TrailSubject } from '../domain/trail-query';
import type { TrailSummary } from '../domain/trail-summary';

export interface TrailPullRequest {
  subject: TrailSubject;
  /** For a user's key: the owner's name, looked up as well (console use, other keys). */
  alsoUserName?: string;
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
}

export interface TrailPullResult {
  summary: TrailSummary;
  progress: LookupProgress;
  regions: string[];
  files?: { csv: string; ndjson: string; dir: string };
  /** The newest events (at most 20), for the watch's messages. */
  newest: TrailEvent[];
}

/** CloudTrail history of a principal (implemented by src/aws/trail-service.ts). */
export interface TrailPort {
  pull(req: TrailPullRequest): Promise<TrailPullResult>;
  /** Where a temporary key came from: its issuing AssumeRole/GetSessionToken chain. */
  trace(accessKeyId: string, now: Date, account?: string): Promise<AsiaTrace>;
  /** The regions searched (IR_REGIONS, or every enabled region). */
  regions(): Promise<string[]>;
}

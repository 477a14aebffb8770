import type { TrailSummary } from '../domain/trail-summary';

export interface InvestigationRequest {
  incidentId: string;
  keyId: string;
  userName?: string;
  /** The key's account: another account is searched through IR_TARGET_ROLE_NAME. */
  account?: string;
  channel: string;
  threadTs?: string;
  start: Date;
  end: Date;
  signal?: AbortSignal;
}

export interface InvestigationResult {
  summary: TrailSummary;
  regionsQueried: number;
  regionsFailed: string[];
}

/** The Investigate step: pull CloudTrail for the key and its user, post the summary and the
 *  export in the incident thread. */
export interface InvestigationPort {
  investigate(o: InvestigationRequest): Promise<InvestigationResult>;
}

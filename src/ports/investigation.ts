import type { CredentialGraph } from '../domain/credential-graph';
import type { OwnerActivitySummary, TrailSummary } from '../domain/trail-summary';

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
  /** The attacker's events only: the leaked key and every credential derived from it. */
  summary: TrailSummary;
  regionsQueried: number;
  regionsFailed: string[];
  /** The credentials the key minted (absent when the history engine could not build it). */
  graph?: CredentialGraph;
  /** The owner's other activity: context, never findings, never offered for removal. */
  ownerActivity?: OwnerActivitySummary;
}

/** The Investigate step: pull CloudTrail for the key and its user, post the summary and the
 *  export in the incident thread. */
export interface InvestigationPort {
  investigate(o: InvestigationRequest): Promise<InvestigationResult>;
}

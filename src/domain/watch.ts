/**
 * The watch after containment: is the key, or a session it minted, still being used, and
 * has new persistence appeared? Pure: what is new, given what CloudTrail shows now and what
 * was already reported (src/slack/incident-messages.ts says it).
 */
import type { TrailSummary } from './trail-summary';

export interface WatchState {
  incidentId: string;
  keyId: string;
  userName?: string;
  /** When containment started: anything after it is use of a contained key. */
  since: string;
  until: string;
  nextAt: string;
  /** Events (after `since`) already reported, and created resources already reported. */
  reportedEvents: number;
  reportedCreated: string[];
  checks: number;
  version: number;
  done?: boolean;
}

export interface WatchFinding {
  /** Events not reported before. */
  newEvents: number;
  denied: number;
  succeeded: number;
  ips: string[];
  created: string[];
}

const DENIED = /AccessDenied|UnauthorizedOperation|Unauthorized|InvalidClientTokenId|ExpiredToken/i;

export function assessWatch(w: Pick<WatchState, 'reportedEvents' | 'reportedCreated'>, s: TrailSummary): WatchFinding {
  // Only refusals count as "denied"; other errors (throttling, bad input) are not a sign
  // that the deny policy did its work.
  const denied = s.errorCodes.top.filter((e) => DENIED.test(e.key)).reduce((n, e) => n + e.count, 0);
  const created = s.createdResources.items.map((c) => `${c.kind} ${c.name}`).filter((c) => !w.reportedCreated.includes(c));
  return {
    newEvents: Math.max(0, s.eventCount - w.reportedEvents),
    denied,
    succeeded: s.eventCount - denied,
    ips: s.sourceIps.top.map((i) => i.ip).slice(0, 5),
    created,
  };
}

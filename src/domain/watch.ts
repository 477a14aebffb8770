/**
 * The watch after containment: is the key, or a session it minted, still being used, and
 * has new persistence appeared? Pure: what is new, given what CloudTrail shows now and what
 * was already reported (src/slack/incident-messages.ts says it).
 */
import type { TrailSummary } from './trail-summary';
import { attackerKeyIds, type CredentialGraph, type CredentialKind } from './credential-graph';

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
  /**
   * The credentials the leaked key minted (the investigation's credential graph), followed by
   * the watch as well: each is looked up by its own AccessKeyId. Recorded as they are learnt.
   */
  derived?: WatchedKey[];
  /** Graph nodes beyond MAX_WATCHED_KEYS: counted, said in the closing line. */
  notFollowed?: number;
  /** Events since containment already reported, per derived key id. */
  reportedByKey?: Record<string, number>;
  /** The drift last reported (src/domain/drift.ts driftSignature): the same drift is said once. */
  driftReported?: string;
}

export interface WatchedKey {
  keyId: string;
  kind: CredentialKind;
  /** Role sessions: the role's name; keys and session tokens: the user. */
  of?: string;
  /** The account the credential acts in (its CloudTrail is searched there). */
  account?: string;
}

/** At most this many derived keys are followed (each is one lookup per region per check). */
export const MAX_WATCHED_KEYS = 25;

/**
 * The derived keys to follow, from the graph: every access-key node but the leaked key
 * itself, those already followed kept first, capped (the rest counted). Pure.
 */
export function followGraph(w: Pick<WatchState, 'keyId' | 'derived'>, graph: CredentialGraph | undefined): { derived: WatchedKey[]; notFollowed: number } {
  const known = w.derived ?? [];
  if (!graph) return { derived: known, notFollowed: 0 };
  const ids = new Set(attackerKeyIds(graph));
  const byId = new Map(graph.nodes.map((n) => [n.id, n]));
  const fresh = [...ids]
    .filter((id) => id !== w.keyId && id !== graph.root && !known.some((k) => k.keyId === id))
    .map((id) => {
      const n = byId.get(id)!;
      const of = n.kind === 'role-session' ? n.roleArn?.split('/').pop() : n.userName;
      return { keyId: id, kind: n.kind, ...(of ? { of } : {}), ...(n.account ? { account: n.account } : {}) };
    });
  const all = [...known, ...fresh];
  return { derived: all.slice(0, MAX_WATCHED_KEYS), notFollowed: Math.max(0, all.length - MAX_WATCHED_KEYS) };
}

/** What the watch looked at, for its closing line. */
export interface WatchedSummary {
  keyId: string;
  minutes: number;
  checks: number;
  /** Events since containment per key (the leaked key first). */
  keys: Array<WatchedKey & { events: number }>;
  notFollowed: number;
  /** Keys whose lookup failed in the last check. */
  unsearched: string[];
  total: number;
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

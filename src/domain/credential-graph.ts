/**
 * The credentials a leaked key minted, as CloudTrail shows them: the graph the investigation,
 * containment and the watch reason about instead of the owner's user name. Pure types and
 * helpers: the graph is built from events by the trail service and stored with the
 * Investigate step's result.
 *
 * Nodes are credentials: the leaked key (the root), temporary keys it (or a derived key)
 * obtained with AssumeRole / GetSessionToken / GetFederationToken, and long-term credentials
 * it created (CreateAccessKey for any user, CreateLoginProfile / UpdateLoginProfile).
 */

/** How a credential came to exist. */
export type CredentialKind =
  | 'leaked-key'
  /** sts:AssumeRole (same or other account, or chained from another role session). */
  | 'role-session'
  /** sts:GetSessionToken: a session of the same user, covered by the user's deny policy. */
  | 'session-token'
  /** sts:GetFederationToken: a federated user session of the same user, covered likewise. */
  | 'federation-token'
  /** iam:CreateAccessKey: a new long-term key, of the same or another user. */
  | 'access-key'
  /** iam:CreateLoginProfile / UpdateLoginProfile: console access for a user. */
  | 'login-profile';

export interface IssuingEvent {
  eventId: string;
  eventName: string;
  time: string;
  region: string;
  /** The account the call was made in (the issuing credential's account). */
  account?: string;
}

export interface CredentialNode {
  /** The access key id, or `login-profile:<account>:<user>` for console access. */
  id: string;
  kind: CredentialKind;
  /** The node that minted this one; absent for the leaked key. */
  parent?: string;
  /** Hops from the leaked key (0 for the leaked key). */
  depth: number;
  issuedBy?: IssuingEvent;
  /** Role sessions: the role (ARN, with its account) and the session name. */
  roleArn?: string;
  sessionName?: string;
  /** Federation tokens: the federated user's ARN (never a role). */
  federatedUserArn?: string;
  /** Access keys, login profiles, session and federation tokens: the IAM user they belong to. */
  userName?: string;
  /** The account the credential acts in. */
  account?: string;
  /** When the credentials expire (temporary keys). */
  expiration?: string;
  /** What this credential did, as found (absent when it was never followed). */
  use?: {
    eventCount: number;
    firstUse?: string;
    lastUse?: string;
    sourceIps: string[];
    regions: string[];
  };
  /** Ids of nodes (and names of principals) this credential created. */
  created: string[];
  /** Why this node's own events were not looked up, when they were not. */
  notFollowed?: 'depth-cap' | 'fan-out-cap' | 'region-outside-search' | 'lookup-failed';
}

/** Who an event in the investigation is attributed to. Only the first two are the attacker. */
export type EventAttribution =
  | { by: 'leaked-key' }
  /** `path` is the node ids from the leaked key to the credential that made the call. */
  | { by: 'derived'; nodeId: string; path: string[] }
  /** The same user's other keys or console: context, never counted in findings, never offered for removal. */
  | { by: 'owner-other' };

export interface CredentialGraph {
  /** The leaked key's id. */
  root: string;
  nodes: CredentialNode[];
  caps: {
    maxDepth: number;
    maxFanOut: number;
    /** Credentials found but not followed because of a cap: counted, never silent. */
    depthHits: number;
    fanOutHits: number;
  };
  /** Regions whose lookups failed: that part of the graph is incomplete. */
  incompleteRegions: string[];
  /** The regions derived keys were looked up in (IR_REGIONS): their use elsewhere was not searched. */
  searchedRegions?: string[];
}

/** A node's path from the leaked key, as node ids (root first). */
export function pathTo(graph: CredentialGraph, nodeId: string): string[] {
  const byId = new Map(graph.nodes.map((n) => [n.id, n]));
  const path: string[] = [];
  const seen = new Set<string>();
  let cur = byId.get(nodeId);
  while (cur && !seen.has(cur.id)) {
    seen.add(cur.id);
    path.unshift(cur.id);
    cur = cur.parent ? byId.get(cur.parent) : undefined;
  }
  return path;
}

/** Every access key id the attacker held: the leaked key and every derived key (what the watch follows). */
export function attackerKeyIds(graph: CredentialGraph): string[] {
  return graph.nodes.filter((n) => !n.id.startsWith('login-profile:')).map((n) => n.id);
}

/** The roles whose sessions the attacker held (role sessions in the graph), one entry per role ARN. */
export function assumedRoleArns(graph: CredentialGraph): string[] {
  return [...new Set(graph.nodes.filter((n) => n.kind === 'role-session' && n.roleArn).map((n) => n.roleArn!))];
}

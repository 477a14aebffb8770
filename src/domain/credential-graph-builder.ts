/**
 * Builds the credential graph (credential-graph.ts) from CloudTrail events, one event at a
 * time, and says who each event is attributed to. Pure: the lookups are driven by the trail
 * service, which asks `toFollow()` for the next keys to look up by `AccessKeyId`.
 *
 * - Every event looked up by a node's key is that node's use (count, first/last use, source
 *   IPs, regions) and, when it minted a credential, adds a child node: AssumeRole /
 *   GetSessionToken / GetFederationToken (the issued key id from
 *   `responseElements.credentials.accessKeyId`, or the `AWS::IAM::AccessKey` resource),
 *   CreateAccessKey for any user, CreateLoginProfile / UpdateLoginProfile (console access).
 * - Caps bound the walk whatever the attacker did: children followed per node (fan-out),
 *   hops from the leaked key (depth), and nodes kept at all. Every credential past a cap is
 *   counted; the first ones are kept as nodes marked `notFollowed`.
 * - Attribution is by the calling key: the leaked key, a node of the graph (derived, with
 *   its path), or anything else (the owner's other keys, the console): context only.
 */
import type { CredentialGraph, CredentialKind, CredentialNode, EventAttribution } from './credential-graph';
import { TrailEvent, pickString, succeeded } from './trail-event';

export interface GraphCaps {
  /** Hops from the leaked key whose keys are still followed. */
  maxDepth: number;
  /** Minted credentials followed per node; the rest are counted. */
  maxFanOut: number;
  /** Nodes kept in the graph (followed or not); the rest are only counted. */
  maxNodes: number;
}

const DEFAULT_GRAPH_CAPS: GraphCaps = { maxDepth: 4, maxFanOut: 10, maxNodes: 100 };

/** Minted key ids remembered for attribution past the node cap (about 100 bytes each). */
const MAX_REMEMBERED = 50_000;

/** Source IPs and created names kept per node. */
const MAX_IPS_PER_NODE = 10;
const MAX_CREATED_PER_NODE = 20;

const MINTING: Record<string, CredentialKind> = {
  AssumeRole: 'role-session',
  GetSessionToken: 'session-token',
  GetFederationToken: 'federation-token',
  CreateAccessKey: 'access-key',
  CreateLoginProfile: 'login-profile',
  UpdateLoginProfile: 'login-profile',
};

/** Temporary and long-term key ids can be followed by `AccessKeyId`; console access cannot. */
const followable = (n: CredentialNode) => n.kind !== 'login-profile';

const accountOfArn = (arn: string | undefined) => arn?.split(':')[4] || undefined;

/** The key id an event was signed with. */
export function callingKey(e: TrailEvent): string | undefined {
  return e.identity.accessKeyId ?? e.accessKeyId;
}

/** The credential one successful event minted, if it minted one (without graph fields). */
export function mintedCredential(e: TrailEvent): Omit<CredentialNode, 'parent' | 'depth' | 'created'> | undefined {
  const kind = MINTING[e.name];
  if (!kind || !succeeded(e)) return undefined;
  const p = e.requestParameters;
  const r = e.responseElements;
  const issuedBy = { eventId: e.id, eventName: e.name, time: e.time, region: e.region, ...(e.identity.accountId ? { account: e.identity.accountId } : {}) };
  const callerUser = e.identity.type === 'IAMUser' ? e.identity.userName : undefined;
  const issuedKey = () =>
    pickString(r, 'credentials', 'accessKeyId') ?? e.resources.find((x) => x.type === 'AWS::IAM::AccessKey' && x.name)?.name;
  switch (kind) {
    case 'role-session': {
      const id = issuedKey();
      const roleArn = pickString(p, 'roleArn');
      if (!id) return undefined;
      return {
        id, kind, issuedBy, roleArn, sessionName: pickString(p, 'roleSessionName'),
        account: accountOfArn(roleArn) ?? e.identity.accountId,
        expiration: pickString(r, 'credentials', 'expiration'),
      };
    }
    case 'session-token':
    case 'federation-token': {
      const id = issuedKey();
      if (!id) return undefined;
      const federatedUserArn = kind === 'federation-token' ? pickString(r, 'federatedUser', 'arn') : undefined;
      return {
        id, kind, issuedBy, ...(federatedUserArn ? { federatedUserArn } : {}),
        userName: callerUser ?? e.identity.userName,
        account: e.identity.accountId,
        expiration: pickString(r, 'credentials', 'expiration'),
      };
    }
    case 'access-key': {
      const id = pickString(r, 'accessKey', 'accessKeyId');
      if (!id) return undefined;
      return { id, kind, issuedBy, userName: pickString(r, 'accessKey', 'userName') ?? pickString(p, 'userName') ?? callerUser, account: e.identity.accountId };
    }
    case 'login-profile': {
      const user = pickString(p, 'userName') ?? callerUser;
      if (!user) return undefined;
      const account = e.identity.accountId ?? '';
      return { id: `login-profile:${account}:${user}`, kind, issuedBy, userName: user, ...(account ? { account } : {}) };
    }
    default:
      return undefined;
  }
}

export class CredentialGraphBuilder {
  private readonly caps: GraphCaps;
  private readonly nodes = new Map<string, CredentialNode>();
  private readonly ips = new Map<string, Set<string>>();
  private readonly regions = new Map<string, Set<string>>();
  /** Followed children per node. */
  private readonly followedChildren = new Map<string, number>();
  /** Keys that are (or will be) looked up by AccessKeyId: their events come from that lookup. */
  private readonly followed = new Set<string>();
  private readonly queued: string[] = [];
  private depthHits = 0;
  private fanOutHits = 0;
  private readonly incomplete = new Set<string>();
  /** Every minted key id seen (also past the node cap, up to MAX_REMEMBERED), with its parent: attribution never forgets one. */
  private readonly minted = new Map<string, string>();

  constructor(root: { accessKeyId: string; userName?: string; account?: string }, caps: Partial<GraphCaps> = {}) {
    this.caps = { ...DEFAULT_GRAPH_CAPS, ...caps };
    this.nodes.set(root.accessKeyId, {
      id: root.accessKeyId,
      kind: 'leaked-key',
      depth: 0,
      created: [],
      ...(root.userName ? { userName: root.userName } : {}),
      ...(root.account ? { account: root.account } : {}),
    });
    this.followed.add(root.accessKeyId);
  }

  private get graphRoot(): string {
    return this.nodes.keys().next().value as string;
  }

  /** Keys found since the last call that are to be looked up next (under the caps), with their node. */
  toFollow(): CredentialNode[] {
    return this.queued.splice(0).map((id) => this.nodes.get(id)!);
  }

  /** True when this key's events are fetched by its own AccessKeyId lookup (so a Username pass skips them). */
  isFollowed(keyId: string | undefined): boolean {
    return keyId !== undefined && this.followed.has(keyId);
  }

  /** A region's lookups failed: that part of the graph is incomplete. */
  markIncomplete(region: string): void {
    this.incomplete.add(region);
  }

  /** A followed key could not be looked up at all (e.g. its account is not reachable). */
  markNotFollowed(keyId: string, why: NonNullable<CredentialNode['notFollowed']>): void {
    const n = this.nodes.get(keyId);
    if (n) n.notFollowed = why;
  }

  /** Who made this event, by its calling key. */
  attribute(e: TrailEvent): EventAttribution {
    return this.attributeKey(callingKey(e));
  }

  /** Attribution of a key id (for resources recorded with the key that created them). */
  attributeKey(key: string | undefined): EventAttribution {
    if (key === this.graphRoot) return { by: 'leaked-key' };
    if (key && (this.nodes.has(key) || this.minted.has(key))) return { by: 'derived', nodeId: key, path: this.pathOf(key) };
    return { by: 'owner-other' };
  }

  /** Node ids from the leaked key to `key`. */
  private pathOf(key: string): string[] {
    const path: string[] = [];
    const seen = new Set<string>();
    let cur: string | undefined = key;
    while (cur !== undefined && !seen.has(cur)) {
      seen.add(cur);
      path.unshift(cur);
      cur = this.nodes.get(cur)?.parent ?? this.minted.get(cur);
    }
    return path;
  }

  /**
   * One event of the attacker's (signed by the root or a node): its use is recorded and what
   * it minted becomes a node. Returns the event's attribution. Events by other keys are
   * context: attributed, nothing recorded.
   */
  observe(e: TrailEvent, createdNames: readonly string[] = []): EventAttribution {
    const attribution = this.attribute(e);
    if (attribution.by === 'owner-other') return attribution;
    const node = this.nodes.get(callingKey(e)!);
    // A credential past the node cap: attributed to the attacker, its use not recorded.
    if (!node) return attribution;
    this.recordUse(node, e);
    for (const name of createdNames) this.addCreated(node, name);
    const minted = mintedCredential(e);
    if (minted && minted.id !== node.id) this.addChild(node, minted);
    return attribution;
  }

  private recordUse(node: CredentialNode, e: TrailEvent): void {
    const use = (node.use ??= { eventCount: 0, sourceIps: [], regions: [] });
    use.eventCount++;
    if (Number.isFinite(e.timeMs) && e.time) {
      if (!use.firstUse || e.time < use.firstUse) use.firstUse = e.time;
      if (!use.lastUse || e.time > use.lastUse) use.lastUse = e.time;
    }
    let ips = this.ips.get(node.id);
    if (!ips) this.ips.set(node.id, (ips = new Set()));
    if (e.sourceIp && ips.size < MAX_IPS_PER_NODE) ips.add(e.sourceIp.slice(0, 64));
    let regions = this.regions.get(node.id);
    if (!regions) this.regions.set(node.id, (regions = new Set()));
    regions.add(e.region);
  }

  private addCreated(node: CredentialNode, name: string): void {
    if (!node.created.includes(name) && node.created.length < MAX_CREATED_PER_NODE) node.created.push(name);
  }

  private addChild(parent: CredentialNode, minted: Omit<CredentialNode, 'parent' | 'depth' | 'created'>): void {
    if (this.nodes.has(minted.id) || this.minted.has(minted.id)) return;
    if (this.minted.size < MAX_REMEMBERED) this.minted.set(minted.id, parent.id);
    this.addCreated(parent, minted.id);
    const depth = parent.depth + 1;
    const node: CredentialNode = { ...minted, parent: parent.id, depth, created: [] };
    if (followable(node)) {
      const children = this.followedChildren.get(parent.id) ?? 0;
      if (depth > this.caps.maxDepth) {
        this.depthHits++;
        node.notFollowed = 'depth-cap';
      } else if (children >= this.caps.maxFanOut) {
        this.fanOutHits++;
        node.notFollowed = 'fan-out-cap';
      }
      if (!node.notFollowed && this.nodes.size < this.caps.maxNodes) {
        this.followedChildren.set(parent.id, children + 1);
        this.followed.add(node.id);
        this.queued.push(node.id);
      } else if (!node.notFollowed) {
        this.fanOutHits++;
        node.notFollowed = 'fan-out-cap';
      }
    }
    // Past the node cap a credential is only counted (an attacker minting 10,000 sessions).
    if (this.nodes.size < this.caps.maxNodes) this.nodes.set(node.id, node);
  }

  graph(searchedRegions?: readonly string[]): CredentialGraph {
    const nodes = [...this.nodes.values()].map((n) => {
      const ips = this.ips.get(n.id);
      const regions = this.regions.get(n.id);
      return n.use && ips && regions ? { ...n, use: { ...n.use, sourceIps: [...ips], regions: [...regions].sort() } } : { ...n };
    });
    return {
      root: this.graphRoot,
      nodes,
      caps: { maxDepth: this.caps.maxDepth, maxFanOut: this.caps.maxFanOut, depthHits: this.depthHits, fanOutHits: this.fanOutHits },
      incompleteRegions: [...this.incomplete].sort(),
      ...(searchedRegions ? { searchedRegions: [...searchedRegions] } : {}),
    };
  }
}

/**
 * The shape of a detection rule. A rule names what an attacker holding the key does (its
 * MITRE ATT&CK tactic and technique, cloud/IaaS matrix), how bad it is, why a responder
 * should care, what to do next and what it deliberately leaves alone. Pure types.
 */
import type { TrailEvent } from '../trail-event';

/** ATT&CK Enterprise tactics that the IaaS matrix uses, in the order an intrusion unfolds. */
export type Tactic =
  | 'initial-access'
  | 'execution'
  | 'persistence'
  | 'privilege-escalation'
  | 'defense-evasion'
  | 'credential-access'
  | 'discovery'
  | 'lateral-movement'
  | 'collection'
  | 'exfiltration'
  | 'impact';

export const TACTICS: Record<Tactic, { id: string; title: string }> = {
  'initial-access': { id: 'TA0001', title: 'Initial Access' },
  execution: { id: 'TA0002', title: 'Execution' },
  persistence: { id: 'TA0003', title: 'Persistence' },
  'privilege-escalation': { id: 'TA0004', title: 'Privilege Escalation' },
  'defense-evasion': { id: 'TA0005', title: 'Defense Evasion' },
  'credential-access': { id: 'TA0006', title: 'Credential Access' },
  discovery: { id: 'TA0007', title: 'Discovery' },
  'lateral-movement': { id: 'TA0008', title: 'Lateral Movement' },
  collection: { id: 'TA0009', title: 'Collection' },
  exfiltration: { id: 'TA0010', title: 'Exfiltration' },
  impact: { id: 'TA0040', title: 'Impact' },
};

/**
 * The order a responder reads findings in: what outlives the key and what widens the
 * attacker's reach first, then what is burning money or data now, then how they got in and
 * looked around.
 */
export const TACTIC_ORDER: readonly Tactic[] = [
  'persistence',
  'privilege-escalation',
  'defense-evasion',
  'credential-access',
  'lateral-movement',
  'execution',
  'impact',
  'exfiltration',
  'collection',
  'initial-access',
  'discovery',
];

export type RuleSeverity = 'high' | 'medium' | 'low';

/**
 * What part of the account a rule watches, for the catalogue, for recall by family, and for
 * saying what a history source could not check.
 */
export type Family =
  | 'identity'
  | 'credentials-and-sessions'
  | 'defences'
  | 'network'
  | 'compute-and-functions'
  | 'storage-and-encryption'
  | 'databases'
  | 'public-exposure'
  | 'ai-services'
  | 'account-and-organization'
  | 'reconnaissance';

export const FAMILIES: Record<Family, { title: string }> = {
  identity: { title: 'IAM identities and permissions' },
  'credentials-and-sessions': { title: 'Credentials, secrets and sessions' },
  defences: { title: 'Logging and security services' },
  network: { title: 'Network' },
  'compute-and-functions': { title: 'Compute and functions' },
  'storage-and-encryption': { title: 'Storage and encryption' },
  databases: { title: 'Databases' },
  'public-exposure': { title: 'Resources made public or shared' },
  'ai-services': { title: 'AI services' },
  'account-and-organization': { title: 'Account and organization' },
  reconnaissance: { title: 'Reconnaissance' },
};

/** An ATT&CK technique or sub-technique: `T1098.001` "Account Manipulation: Additional Cloud Credentials". */
export interface Technique {
  id: string;
  name: string;
}

export interface RuleContext {
  /**
   * Regions this account normally runs things in, when configured (IR_USUAL_REGIONS).
   * Undefined: learned from the pulled history (see trail-summary.ts).
   */
  usualRegions?: ReadonlySet<string>;
}

export interface RuleBase {
  /** Stable id, used in stored summaries and tests: `<tactic-short>.<name>`. */
  id: string;
  tactic: Tactic;
  technique: Technique;
  severity: RuleSeverity;
  /** What happened, as a short noun phrase: "IAM user created". */
  title: string;
  /** One sentence for the responder: why this matters when the key is in the wrong hands. */
  why: string;
  /** What to do next, in one sentence. */
  next: string;
  /** What the rule deliberately does not flag (false positives it avoids). */
  ignores: string;
  /**
   * The calls it looks at, `service:EventName` (`*:…` for any call). The summary only offers
   * an event to the rules that list its call, so this list is also what the rule sees.
   */
  events: readonly string[];
  family: Family;
  /**
   * The calls are data events (S3 object calls, Lambda invokes): LookupEvents never returns
   * them; only a trail's history (Athena, CloudTrail Lake) with data events enabled does.
   */
  dataEvents?: boolean;
  /**
   * What one matching call did, in a few words, for the finding's examples ("shared with
   * 999988887777"); default: the resource the call names.
   */
  describe?(e: TrailEvent): string | undefined;
}

/**
 * Looks at one event. It matches the *call* whatever its outcome: the summary tells a
 * completed call from a refused or failed attempt (see `outcomeOf`).
 */
export interface EventRule extends RuleBase {
  kind: 'event';
  matches(e: TrailEvent, ctx: RuleContext): boolean;
}

/** Counts matching events and fires when enough land within a window. */
export interface BurstRule extends RuleBase {
  kind: 'burst';
  counts(e: TrailEvent): boolean;
  /**
   * The burst is made of refusals (probing): it is a fact even when every call was refused.
   * Otherwise a burst whose calls were all refused is reported as an attempt.
   */
  countsRefusals?: boolean;
  /** How much one counted event adds (instances in one TerminateInstances); default 1. */
  weight?(e: TrailEvent): number;
  /** Fires when counted events adding up to at least `threshold` fall within `windowMinutes`. */
  threshold: number;
  windowMinutes: number;
}

/** What a group rule knows once every event has been seen. */
export interface HistoryContext {
  /** The regions counted as usual, configured or learned. */
  usualRegions: ReadonlySet<string>;
  /** Earliest event of the whole pull, epoch ms. */
  historyStartMs: number;
  /** When a source IP was first seen in the pull (undefined: never, or past the cap). */
  ipFirstSeenMs(ip: string): number | undefined;
  /** The earliest candidate of this rule, over all its groups (epoch ms). */
  ruleFirstMs: number;
}

/** Facts about one group of candidate events (one region, one session, one source IP…). */
export interface GroupFacts {
  key: string;
  count: number;
  firstMs: number;
  lastMs: number;
  /** Distinct public source addresses (capped at a few). */
  publicIps: ReadonlySet<string>;
  /** Accounts owning the VPC endpoints the calls came through, when CloudTrail says. */
  vpcEndpointAccounts: ReadonlySet<string>;
  /** The account of the identity that made the calls. */
  identityAccount?: string;
}

/**
 * Rules that need the whole history to decide: "is this region one the account uses?",
 * "was this source IP seen before?". Candidate events are grouped by `groupOf`; once the
 * pull is done, `fires` decides per group.
 */
export interface GroupRule extends RuleBase {
  kind: 'group';
  groupOf(e: TrailEvent): string | undefined;
  fires(g: GroupFacts, history: HistoryContext): boolean;
  /** Its candidates say nothing about what is usual (a launch cannot vouch for its own region). */
  notBaseline?: boolean;
}

export type DetectionRule = EventRule | BurstRule | GroupRule;

/** What a rule file declares; the tactic is filled in by the file's helper. */
export type Unfiled<R> = Omit<R, 'kind' | 'tactic'>;

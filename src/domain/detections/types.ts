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
  /** The calls it looks at, `service:EventName`, for the catalogue. */
  events: readonly string[];
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
  /** Fires when at least `threshold` counted events fall within `windowMinutes`. */
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

/**
 * The summary a responder reads in a minute, built one event at a time so that a pull of
 * any size runs in fixed memory. Pure: no clock, no SDK; events in, a plain JSON-able object
 * out (it is stored on the incident, so it stays far below DynamoDB's 400 KB item limit).
 *
 * Events arrive in no particular order (regions interleave, each newest first), so every
 * statistic here is order-independent: minima/maxima instead of "first seen so far".
 */
import { BestOf, CappedTally, Tally } from './bounded';
import {
  BURST_INDEX, BURST_RULES, BurstTracker, DEFAULT_USUAL_REGIONS, DetectionRule, EVENT_RULES, Family, GROUP_RULES, GroupRule, IgnoredReason, Outcome, OwnActivity,
  RuleBase, RuleContext, RuleSeverity, SEVERITY_RANK, TACTIC_ORDER, dataEventFamilies, ignoredReason, matchingEventRules, outcomeOf,
  requestedInstanceTypes, ruleContext,
} from './detection-rules';
import type { HistorySourceName } from './history-choice';
import { isPublicIp, normaliseIp } from './detections/match';
import { TrailEvent, isoFromMillis, pick, pickString, succeeded } from './trail-event';
import { protectionTagWrite } from './protection';

export interface TrailSummaryOptions {
  /**
   * Regions the account normally uses (IR_USUAL_REGIONS), for the unusual-region rule.
   * Unset or empty: learned from the pull itself (see `usualRegions` in the result).
   */
  usualRegions?: readonly string[];
  /** How keyguard's own calls look in CloudTrail, so they are never flagged. */
  ownActivity?: OwnActivity;
  /** Entries kept in each top list (event names, IPs, user agents, error codes). */
  topN?: number;
  /** Example events kept per finding. */
  maxExamplesPerFinding?: number;
  /** Entries kept in the event index. Each is about 180 bytes of JSON: 600 are about 110 KB. */
  maxIndexEntries?: number;
  /** Created resources kept per kind (users, keys, instances…), so a fleet of miners cannot crowd out the back-door user. */
  maxCreatedPerKind?: number;
  /** Distinct values tracked per statistic before the rest are counted as overflow. */
  maxDistinctValues?: number;
  /**
   * Which history the events come from. LookupEvents returns management events only: the
   * summary then names the rule families it could not check (`coverage`).
   */
  historySource?: HistorySourceName;
}

const DEFAULTS = {
  topN: 10,
  maxExamplesPerFinding: 5,
  maxIndexEntries: 600,
  maxCreatedPerKind: 50,
  maxDistinctValues: 5000,
};

/** Groups a group rule keeps (regions, sessions, addresses); later ones are not judged. */
const MAX_GROUPS_PER_RULE = 1000;
/** Distinct addresses and endpoint accounts kept per group: enough to decide, no more. */
const MAX_ADDRESSES_PER_GROUP = 5;

/** Attacker-controlled text is cut before it is kept, so one event cannot bloat the summary. */
const MAX_KEPT_TEXT = 256;

export interface CountStat {
  key: string;
  count: number;
}

export interface TopList<T> {
  top: T[];
  /** Distinct values seen (a lower bound when `overflowEvents` > 0). */
  distinct: number;
  /** Events whose value was past the distinct-value cap. */
  overflowEvents: number;
}

export interface SourceIpStat {
  ip: string;
  count: number;
  firstSeen: string;
  lastSeen: string;
  /** First seen at or after the first suspicious event: likely the attacker's. */
  newSinceFirstSuspicious: boolean;
}

export interface FindingExample {
  id: string;
  time: string;
  name: string;
  region: string;
  sourceIp?: string;
  /** A few words on what the call touched: a user name, a policy, an instance type. */
  detail?: string;
  /** The error code of a refused or failed attempt. */
  error?: string;
}

/** What the rule says about itself (tactic, technique, severity, title, why, next step), and what it found. */
export interface Finding extends Pick<RuleBase, 'tactic' | 'technique' | 'severity' | 'title' | 'why' | 'next' | 'family'> {
  ruleId: string;
  /**
   * `done` when at least one matching call succeeded; `attempted` when none did and at least
   * one was refused (AccessDenied, UnauthorizedOperation, a dry run). An attempt is reported
   * one severity lower than the rule's. Calls that only failed for other reasons (bad input,
   * already exists) make no finding on their own.
   */
  outcome: 'done' | 'attempted';
  /** Matching events (for a burst: all counted events). */
  count: number;
  /** Of `count`: calls that succeeded, that were refused (AccessDenied…), that failed otherwise. */
  done: number;
  refused: number;
  failed: number;
  firstTime: string;
  lastTime: string;
  examples: FindingExample[];
  /** For burst rules: the densest window. */
  burst?: { windowStart: string; windowEnd: string; countInWindow: number };
}

export type CreatedResourceKind =
  | 'iam-user'
  | 'access-key'
  | 'login-profile'
  | 'role'
  | 'trust-policy'
  | 'attached-policy'
  | 'inline-policy'
  | 'group-membership'
  | 'ec2-instance'
  /** A keyguard:protected tag written on a user or role: attacker activity, never honoured. */
  | 'protection-tag';

export interface CreatedResource {
  kind: CreatedResourceKind;
  /** User name, key id, role name, policy ARN or name, instance id, group name. */
  name: string;
  /** Whom a policy, key, password or membership was given to. */
  target?: { type: 'user' | 'role' | 'group'; name: string };
  arn?: string;
  detail?: string;
  eventId: string;
  time: string;
  region: string;
  /** The access key that made the creating call (from the event's identity). */
  byAccessKeyId?: string;
  /** Who the creating call is attributed to (set when a credential graph was built); see credential-graph.ts. */
  attribution?: import('./credential-graph').EventAttribution;
  /** The account the creating call acted in (a cross-account role session's account). */
  account?: string;
}

/**
 * The owner's other activity (other keys, console) found by the Username pass: context,
 * shown apart from the findings, never counted in them, never offered for removal.
 */
export interface OwnerActivitySummary {
  userName: string;
  eventCount: number;
  firstTime?: string;
  lastTime?: string;
  /** The keys (or "console") that made these calls. */
  callers: CountStat[];
  eventNames: CountStat[];
  sourceIps: CountStat[];
  /** What the owner's other credentials created: shown as theirs, never offered for removal. */
  createdResources: CreatedResource[];
}

/** Condenses a summary of the owner's other events into the context shown apart. */
export function ownerActivityOf(userName: string, s: TrailSummary, callers: CountStat[]): OwnerActivitySummary {
  return {
    userName,
    eventCount: s.eventCount,
    ...(s.firstTime ? { firstTime: s.firstTime, lastTime: s.lastTime } : {}),
    callers,
    eventNames: s.eventNames.top.slice(0, 5),
    sourceIps: s.sourceIps.top.slice(0, 5).map((ip) => ({ key: ip.ip, count: ip.count })),
    createdResources: s.createdResources.items.map((c) => ({ ...c, attribution: { by: 'owner-other' } })),
  };
}

/** One line of the incident timeline; the raw events are not stored. */
export interface EventIndexEntry {
  id: string;
  time: string;
  name: string;
  region: string;
  ip?: string;
  error?: string;
  /** The most severe rule the event matched, if any. */
  rule?: string;
}

export interface TrailSummary {
  eventCount: number;
  firstTime?: string;
  lastTime?: string;
  regions: CountStat[];
  eventNames: TopList<CountStat>;
  sourceIps: TopList<SourceIpStat>;
  userAgents: TopList<CountStat>;
  errorCodes: TopList<CountStat>;
  identities: TopList<CountStat>;
  /** The earliest event that matched any rule: the moment things started to look wrong. */
  firstSuspiciousTime?: string;
  /** In tactic order (see TACTIC_ORDER); within a tactic, completed before attempted, most severe first. */
  findings: Finding[];
  /** The regions the unusual-region rule compared with, and where they came from. */
  usualRegions: { source: 'configured' | 'learned' | 'default'; regions: string[] };
  /** Events no rule looked at: AWS acting for itself, keyguard's own containment calls. */
  ignored: { awsService: number; keyguard: number };
  createdResources: { items: CreatedResource[]; dropped: number; droppedByKind: Partial<Record<CreatedResourceKind, number>> };
  eventIndex: { entries: EventIndexEntry[]; dropped: number };
  /**
   * What the history could not show the rules. LookupEvents holds management events only, so
   * the families whose rules read data events (S3 object calls, Lambda invokes) were not
   * checked; Athena and CloudTrail Lake hold them when the trail records data events.
   */
  coverage?: { source: HistorySourceName; notChecked: Array<{ family: Family; title: string; rules: string[] }> };
}

type KeptExample = FindingExample & { timeMs: number };

interface FindingAccumulator {
  rule: DetectionRule;
  count: number;
  outcomes: Record<Outcome, number>;
  firstMs: number;
  lastMs: number;
  examples: BestOf<KeptExample>;
}

interface GroupAccumulator extends FindingAccumulator {
  key: string;
  publicIps: Set<string>;
  vpcEndpointAccounts: Set<string>;
  identityAccount?: string;
}

const noOutcomes = (): Record<Outcome, number> => ({ done: 0, refused: 0, failed: 0 });

const ONE_LOWER: Record<RuleSeverity, RuleSeverity> = { high: 'medium', medium: 'low', low: 'low' };

/** Calls that only failed (not refused) prove no intent the rules can judge: no finding on their own. */
const isFinding = (o: Record<Outcome, number>) => o.done > 0 || o.refused > 0;

interface IndexCandidate extends EventIndexEntry {
  timeMs: number;
  priority: number;
}

function clipText(s: string): string {
  return s.length <= MAX_KEPT_TEXT ? s : `${s.slice(0, MAX_KEPT_TEXT - 1)}…`;
}

/** Earlier is better; equal times by id, so the kept examples do not depend on arrival order. */
const earlierFirst = (a: { timeMs: number; id: string }, b: { timeMs: number; id: string }) => b.timeMs - a.timeMs || b.id.localeCompare(a.id);

/** What the call touched, in a few words, for examples and resource lists. */
function eventDetail(e: TrailEvent): string | undefined {
  const p = e.requestParameters;
  const types = requestedInstanceTypes(e);
  if (types.length > 0) {
    const count = pick(p, 'instancesSet', 'items', '0', 'maxCount') ?? pick(p, 'maxCount');
    return `${types.join(', ')}${typeof count === 'number' && count > 1 ? ` ×${count}` : ''} in ${e.region}`;
  }
  const policy = pickString(p, 'policyArn')?.split('/').pop() ?? pickString(p, 'policyName');
  const target = pickString(p, 'userName') ?? pickString(p, 'roleName') ?? pickString(p, 'groupName');
  if (policy && target) return `${policy} → ${target}`;
  const named =
    target ??
    pickString(p, 'secretId') ??
    pickString(p, 'name') ??
    pickString(p, 'bucketName') ??
    pickString(p, 'detectorId') ??
    pickString(p, 'trailName') ??
    pickString(p, 'functionName') ??
    pickString(p, 'instanceId') ??
    pickString(p, 'documentName') ??
    pickString(p, 'groupId') ??
    pickString(p, 'modelId') ??
    pickString(p, 'snapshotId') ??
    pickString(p, 'keyName') ??
    pickString(p, 'roleArn');
  return named ? clipText(named) : undefined;
}

export class TrailSummaryBuilder {
  private readonly ctx: RuleContext;
  private readonly own: OwnActivity;
  private readonly opts: typeof DEFAULTS;
  private count = 0;
  private firstMs = Number.POSITIVE_INFINITY;
  private lastMs = Number.NEGATIVE_INFINITY;
  /** Earliest event an event rule matched (done or attempted). */
  private firstSuspiciousMs = Number.POSITIVE_INFINITY;
  private readonly regions: CappedTally;
  private readonly names: CappedTally;
  private readonly ips: CappedTally;
  private readonly agents: CappedTally;
  private readonly errors: CappedTally;
  private readonly identities: CappedTally;
  /** Per region, the earliest event that no rule looked at: what "usual" is learned from. */
  private readonly baselineRegionFirstMs = new Map<string, number>();
  private readonly ignored: Record<IgnoredReason, number> = { 'aws-service': 0, keyguard: 0 };
  private readonly findings = new Map<string, FindingAccumulator>();
  private readonly groups = new Map<string, Map<string, GroupAccumulator>>();
  private readonly bursts: Map<DetectionRule, { tracker: BurstTracker; examples: BestOf<KeptExample>; outcomes: Record<Outcome, number> }>;
  private readonly historySource?: HistorySourceName;
  private readonly created = new Map<string, CreatedResource>();
  private readonly createdPerKind = new Map<CreatedResourceKind, number>();
  private readonly createdDropped = new Map<CreatedResourceKind, number>();
  private readonly index: BestOf<IndexCandidate>;
  private ipFirstCache?: Map<string, number>;

  constructor(options: TrailSummaryOptions = {}) {
    this.opts = { ...DEFAULTS, ...definedOnly({ ...options, usualRegions: undefined, ownActivity: undefined, historySource: undefined }) } as typeof DEFAULTS;
    this.ctx = ruleContext(options.usualRegions);
    this.own = options.ownActivity ?? {};
    const cap = this.opts.maxDistinctValues;
    this.regions = new CappedTally(cap);
    this.names = new CappedTally(cap);
    this.ips = new CappedTally(cap);
    this.agents = new CappedTally(cap);
    this.errors = new CappedTally(cap);
    this.identities = new CappedTally(cap);
    this.bursts = new Map(BURST_RULES.map((r) => [r, { tracker: new BurstTracker(r), examples: this.newExamples(), outcomes: noOutcomes() }]));
    this.historySource = options.historySource;
    for (const r of GROUP_RULES) this.groups.set(r.id, new Map());
    // Keep the events that matter most for a timeline: flagged ones first, then the newest.
    this.index = new BestOf<IndexCandidate>(this.opts.maxIndexEntries, (a, b) => a.priority - b.priority || a.timeMs - b.timeMs);
  }

  /** One event; `attribution` (when a credential graph is built) goes onto what it created. */
  add(e: TrailEvent, attribution?: import('./credential-graph').EventAttribution): void {
    const t = e.timeMs;
    this.count++;
    if (t < this.firstMs) this.firstMs = t;
    if (t > this.lastMs) this.lastMs = t;
    this.regions.add(e.region, t);
    this.names.add(e.name, t);
    if (e.sourceIp) this.ips.add(clipText(e.sourceIp), t);
    if (e.userAgent) this.agents.add(clipText(e.userAgent), t);
    if (e.errorCode) this.errors.add(clipText(e.errorCode), t);
    if (e.identity.arn) this.identities.add(clipText(e.identity.arn), t);

    const ignored = ignoredReason(e, this.own);
    let topRule: DetectionRule | undefined;
    let inBurst = false;
    if (ignored) {
      this.ignored[ignored]++;
    } else {
      const outcome = outcomeOf(e);
      for (const rule of matchingEventRules(e, this.ctx, EVENT_RULES)) {
        this.recordFinding(this.findings, rule, e, outcome);
        if (outcome === 'failed') continue;
        if (!topRule || SEVERITY_RANK[rule.severity] > SEVERITY_RANK[topRule.severity]) topRule = rule;
      }
      for (const rule of BURST_INDEX.candidates(e)) {
        // A call that failed for another reason (throttled, bad input) did nothing and tried nothing.
        if (outcome === 'failed' && !rule.countsRefusals) continue;
        const b = this.bursts.get(rule)!;
        if (b.tracker.add(e)) {
          inBurst = true;
          b.outcomes[outcome]++;
          b.examples.add(this.example(e, outcome, rule));
        }
      }
      const notBaseline = this.recordGroups(e, outcome);
      if (topRule) this.firstSuspiciousMs = Math.min(this.firstSuspiciousMs, t);
      else if (!notBaseline && !inBurst && Number.isFinite(t)) {
        this.baselineRegionFirstMs.set(e.region, Math.min(this.baselineRegionFirstMs.get(e.region) ?? Number.POSITIVE_INFINITY, t));
      }
    }
    if (succeeded(e) && ignored !== 'keyguard') this.recordCreatedResources(e, attribution);

    const priority = topRule ? SEVERITY_RANK[topRule.severity] + 1 : inBurst || e.errorCode ? 1 : 0;
    this.index.add({
      id: e.id,
      time: e.time,
      timeMs: t,
      name: e.name,
      region: e.region,
      ...(e.sourceIp ? { ip: clipText(e.sourceIp) } : {}),
      ...(e.errorCode ? { error: clipText(e.errorCode) } : {}),
      ...(topRule ? { rule: topRule.id } : {}),
      priority,
    });
  }

  result(): TrailSummary {
    this.ipFirstCache = undefined;
    const burstFindings = this.burstFindings();
    // The stateless rules say when things started to look wrong; the history before that
    // moment is what "usual" is learned from.
    const cutMs = Math.min(this.firstSuspiciousMs, ...burstFindings.map((f) => f.startMs));
    const usualRegions = this.usualRegions(cutMs);
    const groupFindings = this.groupFindings(new Set(usualRegions.regions));
    const firstSuspiciousMs = Math.min(cutMs, ...groupFindings.map((f) => f.startMs));
    const findings = [
      ...[...this.findings.values()].filter((f) => isFinding(f.outcomes)).map((f) => this.toFinding(f)),
      ...groupFindings.map((f) => f.finding),
      ...burstFindings.map((f) => f.finding),
    ];
    findings.sort(
      (a, b) =>
        TACTIC_ORDER.indexOf(a.tactic) - TACTIC_ORDER.indexOf(b.tactic) ||
        Number(a.outcome === 'attempted') - Number(b.outcome === 'attempted') ||
        SEVERITY_RANK[b.severity] - SEVERITY_RANK[a.severity] ||
        b.count - a.count ||
        a.ruleId.localeCompare(b.ruleId),
    );
    const hasSuspicious = Number.isFinite(firstSuspiciousMs);
    return {
      eventCount: this.count,
      ...(this.count > 0 ? { firstTime: isoFromMillis(this.firstMs), lastTime: isoFromMillis(this.lastMs) } : {}),
      regions: this.regions.sorted().map(countStat),
      eventNames: this.topList(this.names, countStat),
      sourceIps: this.topList(this.ips, (t) => ({
        ip: t.key,
        count: t.count,
        firstSeen: isoFromMillis(t.firstMs),
        lastSeen: isoFromMillis(t.lastMs),
        newSinceFirstSuspicious: hasSuspicious && t.firstMs >= firstSuspiciousMs,
      })),
      userAgents: this.topList(this.agents, countStat),
      errorCodes: this.topList(this.errors, countStat),
      identities: this.topList(this.identities, countStat),
      ...(hasSuspicious ? { firstSuspiciousTime: isoFromMillis(firstSuspiciousMs) } : {}),
      findings,
      usualRegions,
      ignored: { awsService: this.ignored['aws-service'], keyguard: this.ignored.keyguard },
      createdResources: {
        items: [...this.created.values()].sort((a, b) => a.time.localeCompare(b.time)),
        dropped: [...this.createdDropped.values()].reduce((a, b) => a + b, 0),
        droppedByKind: Object.fromEntries(this.createdDropped),
      },
      ...(this.historySource ? { coverage: { source: this.historySource, notChecked: this.historySource === 'lookup' ? dataEventFamilies() : [] } } : {}),
      eventIndex: {
        entries: this.index
          .items()
          .sort((a, b) => a.timeMs - b.timeMs)
          .map(({ timeMs: _t, priority: _p, ...entry }) => entry),
        dropped: this.index.dropped,
      },
    };
  }

  /**
   * Configured regions win. Otherwise: the regions where the principal did something that
   * no rule flagged, before the first suspicious event (before any, when nothing was
   * suspicious). No such history (a key only the attacker used): the short default list.
   */
  private usualRegions(cutMs: number): TrailSummary['usualRegions'] {
    if (this.ctx.usualRegions) return { source: 'configured', regions: [...this.ctx.usualRegions].sort() };
    const learned = [...this.baselineRegionFirstMs].filter(([, first]) => first < cutMs).map(([region]) => region).sort();
    return learned.length > 0 ? { source: 'learned', regions: learned } : { source: 'default', regions: [...DEFAULT_USUAL_REGIONS] };
  }

  private newExamples(): BestOf<KeptExample> {
    return new BestOf<KeptExample>(this.opts.maxExamplesPerFinding, earlierFirst);
  }

  private example(e: TrailEvent, outcome: Outcome, rule?: DetectionRule): KeptExample {
    const described = rule?.describe?.(e);
    const detail = described ? clipText(described) : eventDetail(e);
    return {
      id: e.id,
      time: e.time,
      timeMs: e.timeMs,
      name: e.name,
      region: e.region,
      ...(e.sourceIp ? { sourceIp: clipText(e.sourceIp) } : {}),
      ...(detail ? { detail } : {}),
      ...(outcome !== 'done' ? { error: clipText(e.errorCode ?? 'Failure') } : {}),
    };
  }

  private recordFinding<A extends FindingAccumulator>(into: Map<string, A>, rule: DetectionRule, e: TrailEvent, outcome: Outcome, key = rule.id, extra?: () => Omit<A, keyof FindingAccumulator>): A | undefined {
    let f = into.get(key);
    if (!f) {
      if (extra && into.size >= MAX_GROUPS_PER_RULE) return undefined;
      f = { rule, count: 0, outcomes: noOutcomes(), firstMs: e.timeMs, lastMs: e.timeMs, examples: this.newExamples(), ...extra?.() } as A;
      into.set(key, f);
    }
    f.count++;
    f.outcomes[outcome]++;
    f.firstMs = Math.min(f.firstMs, e.timeMs);
    f.lastMs = Math.max(f.lastMs, e.timeMs);
    f.examples.add(this.example(e, outcome, rule));
    return f;
  }

  /** Files the event under every group rule it is a candidate for; true when one of them keeps it out of the baseline. */
  private recordGroups(e: TrailEvent, outcome: Outcome): boolean {
    let notBaseline = false;
    for (const rule of GROUP_RULES) {
      const key = rule.groupOf(e);
      if (key === undefined) continue;
      notBaseline ||= rule.notBaseline === true;
      const g = this.recordFinding(this.groups.get(rule.id)!, rule, e, outcome, clipText(key), () => ({
        key: clipText(key),
        publicIps: new Set<string>(),
        vpcEndpointAccounts: new Set<string>(),
        identityAccount: e.identity.accountId,
      }));
      if (!g) continue;
      if (isPublicIp(e.sourceIp) && g.publicIps.size < MAX_ADDRESSES_PER_GROUP) g.publicIps.add(normaliseIp(e.sourceIp!));
      const endpointAccount = pickString(e.record, 'vpcEndpointAccountId');
      if (endpointAccount && g.vpcEndpointAccounts.size < MAX_ADDRESSES_PER_GROUP) g.vpcEndpointAccounts.add(endpointAccount);
    }
    return notBaseline;
  }

  private toFinding(f: FindingAccumulator, extra: Partial<Finding> = {}): Finding {
    const { rule, outcomes } = f;
    const outcome = extra.outcome ?? (outcomes.done > 0 ? 'done' : 'attempted');
    return {
      ruleId: rule.id,
      tactic: rule.tactic,
      technique: rule.technique,
      family: rule.family,
      severity: outcome === 'attempted' ? ONE_LOWER[rule.severity] : rule.severity,
      title: rule.title,
      why: rule.why,
      next: rule.next,
      outcome,
      count: f.count,
      done: outcomes.done,
      refused: outcomes.refused,
      failed: outcomes.failed,
      firstTime: isoFromMillis(f.firstMs),
      lastTime: isoFromMillis(f.lastMs),
      examples: sortedExamples(f.examples),
      ...extra,
    };
  }

  /** One finding per group rule, over every group that fires. */
  private groupFindings(usualRegions: ReadonlySet<string>): Array<{ finding: Finding; startMs: number }> {
    const out: Array<{ finding: Finding; startMs: number }> = [];
    for (const rule of GROUP_RULES) {
      const groups = [...this.groups.get(rule.id)!.values()];
      const history = {
        usualRegions,
        historyStartMs: this.firstMs,
        ipFirstSeenMs: (ip: string) => this.ipFirstSeen(ip),
        ruleFirstMs: groups.reduce((m, g) => Math.min(m, g.firstMs), Number.POSITIVE_INFINITY),
      };
      const fired = groups.filter((g) => rule.fires(g, history));
      if (fired.length === 0) continue;
      const merged = this.mergeGroups(rule, fired);
      if (!isFinding(merged.outcomes)) continue;
      out.push({ finding: this.toFinding(merged), startMs: merged.firstMs });
    }
    return out;
  }

  private mergeGroups(rule: GroupRule, groups: GroupAccumulator[]): FindingAccumulator {
    const examples = this.newExamples();
    const outcomes = noOutcomes();
    for (const g of groups) {
      g.examples.items().forEach((x) => examples.add(x));
      for (const k of Object.keys(outcomes) as Outcome[]) outcomes[k] += g.outcomes[k];
    }
    return {
      rule,
      count: groups.reduce((n, g) => n + g.count, 0),
      outcomes,
      firstMs: Math.min(...groups.map((g) => g.firstMs)),
      lastMs: Math.max(...groups.map((g) => g.lastMs)),
      examples,
    };
  }

  private ipFirstSeen(ip: string): number | undefined {
    this.ipFirstCache ??= new Map(this.ips.sorted().map((t) => [t.key, t.firstMs]));
    return this.ipFirstCache.get(ip);
  }

  private burstFindings(): Array<{ finding: Finding; startMs: number }> {
    const out: Array<{ finding: Finding; startMs: number }> = [];
    for (const { tracker, examples, outcomes } of this.bursts.values()) {
      const w = tracker.densestWindow();
      if (!w || !(tracker.rule.countsRefusals || isFinding(outcomes))) continue;
      const kept = sortedExamples(examples);
      const acc: FindingAccumulator = { rule: tracker.rule, count: w.total, outcomes, firstMs: w.startMs, lastMs: w.endMs, examples };
      out.push({
        startMs: w.startMs,
        finding: this.toFinding(acc, {
          // A burst of refusals is a fact in itself; any other burst whose calls were all refused is an attempt.
          outcome: tracker.rule.countsRefusals || outcomes.done > 0 ? 'done' : 'attempted',
          firstTime: kept[0]?.time ?? isoFromMillis(w.startMs),
          lastTime: isoFromMillis(w.endMs),
          burst: { windowStart: isoFromMillis(w.startMs), windowEnd: isoFromMillis(w.endMs), countInWindow: w.count },
        }),
      });
    }
    return out;
  }

  private topList<T>(tally: CappedTally, map: (t: Tally) => T): TopList<T> {
    return {
      top: tally.sorted().slice(0, this.opts.topN).map(map),
      distinct: tally.size,
      overflowEvents: tally.overflowCount,
    };
  }

  private recordCreatedResources(e: TrailEvent, attribution?: import('./credential-graph').EventAttribution): void {
    for (const found of createdResources(e)) {
      const r = attribution ? { ...found, attribution } : found;
      const key = `${r.kind}|${r.name}|${r.target?.type ?? ''}:${r.target?.name ?? ''}`;
      if (this.created.has(key)) continue;
      const kept = this.createdPerKind.get(r.kind) ?? 0;
      if (kept >= this.opts.maxCreatedPerKind) {
        this.createdDropped.set(r.kind, (this.createdDropped.get(r.kind) ?? 0) + 1);
        continue;
      }
      this.createdPerKind.set(r.kind, kept + 1);
      this.created.set(key, r);
    }
  }
}

function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function countStat(t: Tally): CountStat {
  return { key: t.key, count: t.count };
}

function sortedExamples(examples: BestOf<KeptExample>): FindingExample[] {
  return examples
    .items()
    .sort((a, b) => a.timeMs - b.timeMs || a.id.localeCompare(b.id))
    .map(({ timeMs: _t, ...ex }) => ex);
}

function policyTarget(p: Record<string, unknown> | null): CreatedResource['target'] {
  const user = pickString(p, 'userName');
  if (user) return { type: 'user', name: user };
  const role = pickString(p, 'roleName');
  if (role) return { type: 'role', name: role };
  const group = pickString(p, 'groupName');
  return group ? { type: 'group', name: group } : undefined;
}

/**
 * The resources one successful event created or changed, for the Eradicate step. IAM
 * events carry names in requestParameters and ARNs/ids in responseElements.
 */
export function createdResources(e: TrailEvent): CreatedResource[] {
  const p = e.requestParameters;
  const r = e.responseElements;
  const byKey = e.identity.accessKeyId ?? e.accessKeyId;
  const account = e.identity.accountId ?? pickString(e.record, 'recipientAccountId');
  const base = { eventId: e.id, time: e.time, region: e.region, ...(byKey ? { byAccessKeyId: byKey } : {}), ...(account ? { account } : {}) };
  const callerUser = e.identity.type === 'IAMUser' ? e.identity.userName : undefined;
  const userTarget = (name: string | undefined) => (name ? { target: { type: 'user' as const, name } } : {});
  const one = (kind: CreatedResourceKind, name: string | undefined, extra: Partial<CreatedResource> = {}): CreatedResource[] =>
    name ? [{ kind, name: clipText(name), ...base, ...extra }] : [];

  // A keyguard:protected tag the caller wrote (TagUser/TagRole, or CreateUser/CreateRole with Tags).
  const tag = protectionTagWrite(e);
  const tagged = tag ? one('protection-tag', `${tag.type} ${tag.name}`, { target: { type: tag.type, name: tag.name }, detail: tag.eventName }) : [];
  if (e.source === 'iam.amazonaws.com') {
    const created = createdByIam(e, one, userTarget, callerUser);
    return [...created, ...tagged];
  }
  if (e.source === 'ec2.amazonaws.com' && e.name === 'RunInstances') {
    const items = pick(r, 'instancesSet', 'items');
    if (!Array.isArray(items)) return [];
    return items.flatMap((it) =>
      one('ec2-instance', pickString(it, 'instanceId'), { detail: pickString(it, 'instanceType') ?? pickString(p, 'instanceType') }),
    );
  }
  return [];
}

/** What one IAM call created or changed. */
function createdByIam(
  e: TrailEvent,
  one: (kind: CreatedResourceKind, name: string | undefined, extra?: Partial<CreatedResource>) => CreatedResource[],
  userTarget: (name: string | undefined) => { target?: { type: 'user'; name: string } },
  callerUser: string | undefined,
): CreatedResource[] {
  const p = e.requestParameters;
  const r = e.responseElements;
  switch (e.name) {
    case 'CreateUser':
      return one('iam-user', pickString(r, 'user', 'userName') ?? pickString(p, 'userName'), { arn: pickString(r, 'user', 'arn') });
    case 'CreateAccessKey':
      return one('access-key', pickString(r, 'accessKey', 'accessKeyId'), userTarget(pickString(r, 'accessKey', 'userName') ?? pickString(p, 'userName') ?? callerUser));
    case 'CreateLoginProfile':
      return one('login-profile', pickString(p, 'userName') ?? callerUser);
    case 'CreateRole':
      return one('role', pickString(p, 'roleName'), { arn: pickString(r, 'role', 'arn') });
    case 'UpdateAssumeRolePolicy':
      return one('trust-policy', pickString(p, 'roleName'), { target: { type: 'role', name: pickString(p, 'roleName')! } });
    case 'AttachUserPolicy':
    case 'AttachRolePolicy':
    case 'AttachGroupPolicy':
      return one('attached-policy', pickString(p, 'policyArn'), { target: policyTarget(p) });
    case 'PutUserPolicy':
    case 'PutRolePolicy':
    case 'PutGroupPolicy':
      return one('inline-policy', pickString(p, 'policyName'), { target: policyTarget(p) });
    case 'AddUserToGroup':
      return one('group-membership', pickString(p, 'groupName'), userTarget(pickString(p, 'userName')));
    default:
      return [];
  }
}

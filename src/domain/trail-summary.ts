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
  BURST_RULES, BurstTracker, CATEGORY_ORDER, DEFAULT_USUAL_REGIONS, EVENT_RULES, EventRule, FindingCategory,
  RuleContext, RuleSeverity, matchingEventRules, requestedInstanceTypes, ruleContext,
} from './detection-rules';
import { TrailEvent, isoFromMillis, pick, pickString, succeeded } from './trail-event';

export interface TrailSummaryOptions {
  /** Regions the account normally uses (for the unusual-region rules). */
  usualRegions?: readonly string[];
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
}

const DEFAULTS = {
  topN: 10,
  maxExamplesPerFinding: 5,
  maxIndexEntries: 600,
  maxCreatedPerKind: 50,
  maxDistinctValues: 5000,
};

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
}

export interface Finding {
  ruleId: string;
  category: FindingCategory;
  severity: RuleSeverity;
  title: string;
  why: string;
  /** Matching events (for a burst: all counted events). */
  count: number;
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
  | 'ec2-instance';

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
  /** In category order (see CATEGORY_ORDER), most severe first within a category. */
  findings: Finding[];
  createdResources: { items: CreatedResource[]; dropped: number; droppedByKind: Partial<Record<CreatedResourceKind, number>> };
  eventIndex: { entries: EventIndexEntry[]; dropped: number };
}

const SEVERITY_RANK: Record<RuleSeverity, number> = { high: 3, medium: 2, low: 1 };

interface FindingAccumulator {
  rule: EventRule;
  count: number;
  firstMs: number;
  lastMs: number;
  examples: BestOf<FindingExample & { timeMs: number }>;
}

interface IndexCandidate extends EventIndexEntry {
  timeMs: number;
  priority: number;
}

function clipText(s: string): string {
  return s.length <= MAX_KEPT_TEXT ? s : `${s.slice(0, MAX_KEPT_TEXT - 1)}…`;
}

const earlierFirst = (a: { timeMs: number }, b: { timeMs: number }) => b.timeMs - a.timeMs;

/** What the call touched, in a few words, for examples and resource lists. */
export function eventDetail(e: TrailEvent): string | undefined {
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
    pickString(p, 'trailName');
  return named ? clipText(named) : undefined;
}

export class TrailSummaryBuilder {
  private readonly ctx: RuleContext;
  private readonly opts: typeof DEFAULTS;
  private count = 0;
  private firstMs = Number.POSITIVE_INFINITY;
  private lastMs = Number.NEGATIVE_INFINITY;
  private firstSuspiciousMs = Number.POSITIVE_INFINITY;
  private readonly regions: CappedTally;
  private readonly names: CappedTally;
  private readonly ips: CappedTally;
  private readonly agents: CappedTally;
  private readonly errors: CappedTally;
  private readonly identities: CappedTally;
  private readonly findings = new Map<string, FindingAccumulator>();
  private readonly bursts: Array<{ tracker: BurstTracker; examples: BestOf<FindingExample & { timeMs: number }> }>;
  private readonly created = new Map<string, CreatedResource>();
  private readonly createdPerKind = new Map<CreatedResourceKind, number>();
  private readonly createdDropped = new Map<CreatedResourceKind, number>();
  private readonly index: BestOf<IndexCandidate>;

  constructor(options: TrailSummaryOptions = {}) {
    this.opts = { ...DEFAULTS, ...definedOnly(options) };
    this.ctx = ruleContext(options.usualRegions ?? DEFAULT_USUAL_REGIONS);
    const cap = this.opts.maxDistinctValues;
    this.regions = new CappedTally(cap);
    this.names = new CappedTally(cap);
    this.ips = new CappedTally(cap);
    this.agents = new CappedTally(cap);
    this.errors = new CappedTally(cap);
    this.identities = new CappedTally(cap);
    this.bursts = BURST_RULES.map((r) => ({ tracker: new BurstTracker(r), examples: this.newExamples() }));
    // Keep the events that matter most for a timeline: flagged ones first, then the newest.
    this.index = new BestOf<IndexCandidate>(this.opts.maxIndexEntries, (a, b) => a.priority - b.priority || a.timeMs - b.timeMs);
  }

  add(e: TrailEvent): void {
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

    let topRule: EventRule | undefined;
    for (const rule of matchingEventRules(e, this.ctx, EVENT_RULES)) {
      this.recordFinding(rule, e);
      if (!topRule || SEVERITY_RANK[rule.severity] > SEVERITY_RANK[topRule.severity]) topRule = rule;
    }
    let inBurst = false;
    for (const b of this.bursts) {
      if (b.tracker.add(e)) {
        inBurst = true;
        b.examples.add(this.example(e));
      }
    }
    if (topRule) this.firstSuspiciousMs = Math.min(this.firstSuspiciousMs, t);
    if (succeeded(e)) this.recordCreatedResources(e);

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
    const burstFindings = this.burstFindings();
    const firstSuspiciousMs = Math.min(this.firstSuspiciousMs, ...burstFindings.map((f) => f.startMs));
    const findings = [...[...this.findings.values()].map((f) => this.toFinding(f)), ...burstFindings.map((f) => f.finding)];
    findings.sort(
      (a, b) =>
        CATEGORY_ORDER.indexOf(a.category) - CATEGORY_ORDER.indexOf(b.category) ||
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
      createdResources: {
        items: [...this.created.values()].sort((a, b) => a.time.localeCompare(b.time)),
        dropped: [...this.createdDropped.values()].reduce((a, b) => a + b, 0),
        droppedByKind: Object.fromEntries(this.createdDropped),
      },
      eventIndex: {
        entries: this.index
          .items()
          .sort((a, b) => a.timeMs - b.timeMs)
          .map(({ timeMs: _t, priority: _p, ...entry }) => entry),
        dropped: this.index.dropped,
      },
    };
  }

  private newExamples(): BestOf<FindingExample & { timeMs: number }> {
    return new BestOf<FindingExample & { timeMs: number }>(this.opts.maxExamplesPerFinding, earlierFirst);
  }

  private example(e: TrailEvent): FindingExample & { timeMs: number } {
    const detail = eventDetail(e);
    return {
      id: e.id,
      time: e.time,
      timeMs: e.timeMs,
      name: e.name,
      region: e.region,
      ...(e.sourceIp ? { sourceIp: clipText(e.sourceIp) } : {}),
      ...(detail ? { detail } : {}),
    };
  }

  private recordFinding(rule: EventRule, e: TrailEvent): void {
    let f = this.findings.get(rule.id);
    if (!f) {
      f = { rule, count: 0, firstMs: e.timeMs, lastMs: e.timeMs, examples: this.newExamples() };
      this.findings.set(rule.id, f);
    }
    f.count++;
    f.firstMs = Math.min(f.firstMs, e.timeMs);
    f.lastMs = Math.max(f.lastMs, e.timeMs);
    f.examples.add(this.example(e));
  }

  private toFinding(f: FindingAccumulator): Finding {
    const { rule } = f;
    return {
      ruleId: rule.id,
      category: rule.category,
      severity: rule.severity,
      title: rule.title,
      why: rule.why,
      count: f.count,
      firstTime: isoFromMillis(f.firstMs),
      lastTime: isoFromMillis(f.lastMs),
      examples: sortedExamples(f.examples),
    };
  }

  private burstFindings(): Array<{ finding: Finding; startMs: number }> {
    const out: Array<{ finding: Finding; startMs: number }> = [];
    for (const { tracker, examples } of this.bursts) {
      const w = tracker.densestWindow();
      if (!w) continue;
      const rule = tracker.rule;
      const kept = sortedExamples(examples);
      out.push({
        startMs: w.startMs,
        finding: {
          ruleId: rule.id,
          category: rule.category,
          severity: rule.severity,
          title: rule.title,
          why: rule.why,
          count: w.total,
          firstTime: kept[0]?.time ?? isoFromMillis(w.startMs),
          lastTime: isoFromMillis(w.endMs),
          examples: kept,
          burst: { windowStart: isoFromMillis(w.startMs), windowEnd: isoFromMillis(w.endMs), countInWindow: w.count },
        },
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

  private recordCreatedResources(e: TrailEvent): void {
    for (const r of createdResources(e)) {
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

function sortedExamples(examples: BestOf<FindingExample & { timeMs: number }>): FindingExample[] {
  return examples
    .items()
    .sort((a, b) => a.timeMs - b.timeMs)
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
  const base = { eventId: e.id, time: e.time, region: e.region };
  const callerUser = e.identity.type === 'IAMUser' ? e.identity.userName : undefined;
  const userTarget = (name: string | undefined) => (name ? { target: { type: 'user' as const, name } } : {});
  const one = (kind: CreatedResourceKind, name: string | undefined, extra: Partial<CreatedResource> = {}): CreatedResource[] =>
    name ? [{ kind, name: clipText(name), ...base, ...extra }] : [];

  if (e.source === 'iam.amazonaws.com') {
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
  if (e.source === 'ec2.amazonaws.com' && e.name === 'RunInstances') {
    const items = pick(r, 'instancesSet', 'items');
    if (!Array.isArray(items)) return [];
    return items.flatMap((it) =>
      one('ec2-instance', pickString(it, 'instanceId'), { detail: pickString(it, 'instanceType') ?? pickString(p, 'instanceType') }),
    );
  }
  return [];
}

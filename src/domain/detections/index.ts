/**
 * The registry of detection rules: every tactic's rules in one list, and the functions the
 * summary uses to run them. Adding a rule to a tactic file is all it takes to detect it
 * (and to list it in the README's catalogue: `npm run docs:rules`). Pure.
 */
import type { TrailEvent } from '../trail-event';
import { COLLECTION } from './collection';
import { CREDENTIAL_ACCESS } from './credential-access';
import { DATA_EVENT_RULES } from './data-events';
import { DEFENSE_EVASION } from './defense-evasion';
import { DISCOVERY } from './discovery';
import { EXECUTION } from './execution';
import { EXFILTRATION } from './exfiltration';
import { IMPACT } from './impact';
import { INITIAL_ACCESS } from './initial-access';
import { LATERAL_MOVEMENT } from './lateral-movement';
import { PERSISTENCE } from './persistence';
import { PRIVILEGE_ESCALATION } from './privilege-escalation';
import { baseName } from './match';
import { FAMILIES, TACTIC_ORDER } from './types';
import type { BurstRule, DetectionRule, EventRule, Family, GroupRule, RuleContext, RuleSeverity } from './types';

export * from './types';
export { DEFAULT_USUAL_REGIONS } from './data';
export { isAcceleratedInstanceType, isLargeInstanceType, outcomeOf, requestedInstanceCount, requestedInstanceTypes } from './match';
export type { Outcome } from './match';
export { ignoredReason, isAwsServiceActivity, isContainmentCall, isKeyguardIdentity, KEYGUARD_SESSION_PREFIX } from './ignore';
export type { IgnoredReason, OwnActivity } from './ignore';

export const SEVERITY_RANK: Record<RuleSeverity, number> = { high: 3, medium: 2, low: 1 };

/** Every rule, in tactic order, most severe first within a tactic. */
export const DETECTION_RULES: readonly DetectionRule[] = [
  ...INITIAL_ACCESS,
  ...EXECUTION,
  ...PERSISTENCE,
  ...PRIVILEGE_ESCALATION,
  ...DEFENSE_EVASION,
  ...CREDENTIAL_ACCESS,
  ...DISCOVERY,
  ...LATERAL_MOVEMENT,
  ...COLLECTION,
  ...EXFILTRATION,
  ...IMPACT,
  ...DATA_EVENT_RULES,
].sort((a, b) => TACTIC_ORDER.indexOf(a.tactic) - TACTIC_ORDER.indexOf(b.tactic) || SEVERITY_RANK[b.severity] - SEVERITY_RANK[a.severity] || a.id.localeCompare(b.id));

export const EVENT_RULES: readonly EventRule[] = DETECTION_RULES.filter((r): r is EventRule => r.kind === 'event');
export const BURST_RULES: readonly BurstRule[] = DETECTION_RULES.filter((r): r is BurstRule => r.kind === 'burst');
export const GROUP_RULES: readonly GroupRule[] = DETECTION_RULES.filter((r): r is GroupRule => r.kind === 'group');

/**
 * Rules by the calls they list in `events`: `source|Name` → rules. Each event is offered only
 * to the rules of its call (and to the few that look at every call, `*:…`), so adding rules
 * for other services costs an event nothing. A rule must list every call it can match.
 */
export class RuleIndex<R extends DetectionRule> {
  private readonly byCall = new Map<string, R[]>();
  private readonly everyCall: R[] = [];

  constructor(readonly rules: readonly R[]) {
    for (const r of rules) {
      const keys = new Set<string>();
      let wildcard = false;
      for (const entry of r.events) {
        const [service, name] = entry.split(':');
        if (service === '*' || !name || name.startsWith('*')) wildcard = true;
        else keys.add(`${service}.amazonaws.com|${name.split(' ')[0]}`);
      }
      if (wildcard) this.everyCall.push(r);
      else for (const k of keys) this.byCall.set(k, [...(this.byCall.get(k) ?? []), r]);
    }
    // Each call's list also holds the every-call rules, in registry order.
    for (const [k, listed] of this.byCall) this.byCall.set(k, rules.filter((r) => listed.includes(r) || this.everyCall.includes(r)));
  }

  /** The rules that may match this event, in registry order. */
  candidates(e: { source: string; name: string }): readonly R[] {
    return this.byCall.get(`${e.source}|${baseName(e.name)}`) ?? this.everyCall;
  }
}

const EVENT_INDEX = new RuleIndex(EVENT_RULES);
export const BURST_INDEX = new RuleIndex(BURST_RULES);

/** A rule context; no regions given: the usual regions are learned from the pull. */
export function ruleContext(usualRegions?: readonly string[]): RuleContext {
  return usualRegions && usualRegions.length > 0 ? { usualRegions: new Set(usualRegions) } : {};
}

/** The event rules one event triggers (often none, sometimes several), whatever the call's outcome. */
export function matchingEventRules(e: TrailEvent, ctx: RuleContext = {}, rules: readonly EventRule[] = EVENT_RULES): EventRule[] {
  const candidates = rules === EVENT_RULES ? EVENT_INDEX.candidates(e) : rules;
  return candidates.filter((r) => r.matches(e, ctx));
}

/** The families whose rules need data events, with the rules' titles: what LookupEvents cannot check. */
export function dataEventFamilies(rules: readonly DetectionRule[] = DETECTION_RULES): Array<{ family: Family; title: string; rules: string[] }> {
  const byFamily = new Map<Family, string[]>();
  for (const r of rules) if (r.dataEvents) byFamily.set(r.family, [...(byFamily.get(r.family) ?? []), r.title]);
  return [...byFamily].map(([family, titles]) => ({ family, title: FAMILIES[family].title, rules: titles }));
}

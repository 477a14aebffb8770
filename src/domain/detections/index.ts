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
import { TACTIC_ORDER } from './types';
import type { BurstRule, DetectionRule, EventRule, GroupRule, RuleContext, RuleSeverity } from './types';

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

/** A rule context; no regions given: the usual regions are learned from the pull. */
export function ruleContext(usualRegions?: readonly string[]): RuleContext {
  return usualRegions && usualRegions.length > 0 ? { usualRegions: new Set(usualRegions) } : {};
}

/** The event rules one event triggers (often none, sometimes several), whatever the call's outcome. */
export function matchingEventRules(e: TrailEvent, ctx: RuleContext = {}, rules: readonly EventRule[] = EVENT_RULES): EventRule[] {
  return rules.filter((r) => r.matches(e, ctx));
}

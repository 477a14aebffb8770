/** Helpers that file a tactic's rules, so each rule file reads as a list of rules. Pure. */
import type { BurstRule, EventRule, GroupRule, Tactic, Unfiled } from './types';

export function eventRules(tactic: Tactic, rules: Array<Unfiled<EventRule>>): EventRule[] {
  return rules.map((r) => ({ kind: 'event', tactic, ...r }));
}

export function burstRule(tactic: Tactic, rule: Unfiled<BurstRule>): BurstRule {
  return { kind: 'burst', tactic, ...rule };
}

export function groupRule(tactic: Tactic, rule: Unfiled<GroupRule>): GroupRule {
  return { kind: 'group', tactic, ...rule };
}

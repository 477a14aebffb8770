/**
 * The review metrics of an incident, computed from its record alone. Pure.
 *
 * - time to detect: the attacker's first recorded call → the leak was detected
 *   (`Incident.detectedAt`, else the incident's `createdAt`). The first call is the
 *   investigation's first flagged event when it has one, else the key's first recorded call.
 * - time to contain / investigate / eradicate / recover: detection → the step's success
 *   (Contain succeeds only once the key has been read back Inactive). Eradication is done
 *   when Eradicate and every removal that ran have succeeded.
 *
 * Durations are differences of instants, so daylight-saving changes never stretch or
 * shrink them; only their display depends on a time zone.
 */
import type { Incident, StepRecord } from '../domain/incident';

export type MetricKey = 'detect' | 'contain' | 'investigate' | 'eradicate' | 'recover';

export interface Metric {
  key: MetricKey;
  label: string;
  /** Short label for compact places (the card's context line). */
  short: string;
  from?: string;
  to?: string;
  /** Milliseconds from `from` to `to`; absent when it cannot be measured (yet). */
  ms?: number;
  /** Why there is no figure, or what the figure is measured from. */
  note?: string;
}

export interface ReviewMetrics {
  detectedAt: string;
  /** Where the detection time came from. */
  detectedFrom: 'recorded' | 'incident opened';
  firstAttackerEvent?: string;
  metrics: Metric[];
}

interface InvestigationTimes {
  firstTime?: string;
  firstSuspiciousTime?: string;
}

const ms = (from: string, to: string) => Date.parse(to) - Date.parse(from);

function stepEnd(step: StepRecord | undefined): { at?: string; note?: string } {
  if (!step) return { note: 'not in this playbook' };
  if (step.state === 'succeeded') return { at: step.finishedAt ?? step.updatedAt };
  if (step.state === 'skipped' || step.state === 'denied' || step.state === 'expired' || step.state === 'withdrawn') return { note: step.state };
  if (step.state === 'failed') return { note: 'failed' };
  return { note: 'not yet' };
}

/** The attacker's first call: the first flagged event, else the key's first recorded call. */
function firstAttackerEvent(steps: StepRecord[]): { at?: string; basis?: 'first flagged event' | 'first recorded call' } {
  const inv = steps.find((s) => s.name === 'investigate')?.result as InvestigationTimes | undefined;
  if (inv?.firstSuspiciousTime) return { at: inv.firstSuspiciousTime, basis: 'first flagged event' };
  if (inv?.firstTime) return { at: inv.firstTime, basis: 'first recorded call' };
  return {};
}

export function reviewMetrics(incident: Incident, steps: StepRecord[]): ReviewMetrics {
  const detectedAt = incident.detectedAt ?? incident.createdAt;
  const byName = (n: string) => steps.find((s) => s.name === n);
  const first = firstAttackerEvent(steps);
  const detect: Metric = { key: 'detect', label: 'Time to detect', short: 'detect' };
  if (!first.at) detect.note = 'no CloudTrail record of the key yet';
  else if (ms(first.at, detectedAt) < 0) Object.assign(detect, { from: first.at, to: detectedAt, note: 'detected before the first recorded call' });
  else Object.assign(detect, { from: first.at, to: detectedAt, ms: ms(first.at, detectedAt), note: `from the ${first.basis}` });

  const since = (key: MetricKey, label: string, end: { at?: string; note?: string }): Metric => {
    const m: Metric = { key, label, short: key };
    if (!end.at) return { ...m, note: end.note };
    return { ...m, from: detectedAt, to: end.at, ms: Math.max(0, ms(detectedAt, end.at)) };
  };

  const eradicate = stepEnd(byName('eradicate'));
  const removals = steps.filter((s) => /^remove-\d+$/.test(s.name) && s.state === 'succeeded');
  const eradicated = eradicate.at
    ? { at: [eradicate.at, ...removals.map((s) => s.finishedAt ?? s.updatedAt)].sort().at(-1) }
    : eradicate;

  return {
    detectedAt,
    detectedFrom: incident.detectedAt ? 'recorded' : 'incident opened',
    firstAttackerEvent: first.at,
    metrics: [
      detect,
      since('contain', 'Time to contain', stepEnd(byName('contain'))),
      since('investigate', 'Time to investigate', stepEnd(byName('investigate'))),
      since('eradicate', 'Time to eradicate', eradicated),
      since('recover', 'Time to recover', stepEnd(byName('recover'))),
    ],
  };
}

/** "45 s", "12 min", "1 h 15 min", "2 d 3 h": two units at most, never rounded up past the truth. */
export function formatDuration(ms: number): string {
  const s = Math.floor(Math.abs(ms) / 1000);
  const d = Math.floor(s / 86_400);
  const h = Math.floor((s % 86_400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  if (d > 0) return h > 0 ? `${d} d ${h} h` : `${d} d`;
  if (h > 0) return m > 0 ? `${h} h ${m} min` : `${h} h`;
  if (m > 0) return `${m} min`;
  return `${s} s`;
}

/** "detect 5 h 30 min · contain 1 h 15 min · …" for the metrics that have a figure. */
export function compactMetrics(r: ReviewMetrics): string | undefined {
  const parts = r.metrics.filter((m) => m.ms !== undefined).map((m) => `${m.short} ${formatDuration(m.ms!)}`);
  return parts.length > 0 ? parts.join(' · ') : undefined;
}

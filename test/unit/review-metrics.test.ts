import { reviewMetrics, formatDuration, compactMetrics } from '../../src/timeline/review-metrics';
import { slackTime, fileTime, zonedFileTime, knownZone } from '../../src/timeline/zoned-time';
import { metricsText } from '../../src/slack/review-blocks';
import { incidentCard } from '../../src/slack/incident-card';
import { reviewScenario, SCENARIO } from '../support/review-scenario';

const H = 3_600_000;
const M = 60_000;
const noFigure = (m: { ms?: number; note?: string }, note: string) => expect([m.ms, m.note]).toEqual([undefined, note]);
const byKey = (r: ReturnType<typeof reviewMetrics>) => Object.fromEntries(r.metrics.map((m) => [m.key, m]));

describe('review metrics on an incident that spans the end of daylight saving time (America/New_York, 2026-11-01)', () => {
  const { incident, steps } = reviewScenario(50);
  const m = byKey(reviewMetrics(incident, steps));

  it('measures each phase as elapsed time, not wall-clock time', () => {
    // 18:00 EDT → 01:30 EDT.
    expect(m.detect.ms).toBe(7 * H + 30 * M);
    // 01:30 EDT → 01:40 EST reads as ten minutes on a New York clock; it took seventy.
    expect(m.contain.ms).toBe(70 * M);
    expect(m.investigate.ms).toBe(85 * M);
    // Eradication ends with the last removal (next day): 34 h 35 min.
    expect(m.eradicate.ms).toBe(34 * H + 35 * M);
    expect(m.recover.ms).toBe(34 * H + 40 * M);
    expect(m.detect.note).toBe('from the first flagged event');
  });

  it('shows each instant with the offset in force then, in Slack and in files', () => {
    const ny = 'America/New_York';
    expect(slackTime(SCENARIO.detectedAt, ny)).toBe('Sun 1 Nov 01:30 EDT');
    expect(slackTime(SCENARIO.contained, ny)).toBe('Sun 1 Nov 01:40 EST');
    expect(slackTime(SCENARIO.firstSuspicious, ny)).toBe('Sat 31 Oct 18:00 EDT');
    expect(slackTime(SCENARIO.closed, ny)).toBe('Tue 3 Nov 09:00 EST');
    expect(zonedFileTime(SCENARIO.detectedAt, ny)).toBe('2026-11-01T01:30:00-04:00');
    expect(zonedFileTime(SCENARIO.contained, ny)).toBe('2026-11-01T01:40:00-05:00');
    expect(fileTime(SCENARIO.contained)).toBe('2026-11-01T06:40:00+00:00');
    expect(fileTime('2026-11-01T06:40:00.123Z', true)).toBe('2026-11-01T06:40:00.123+00:00');
    const text = metricsText(reviewMetrics(incident, steps), ny);
    expect(text).toContain('*Detected* Sun 1 Nov 01:30 EDT');
    expect(text).toContain('*Time to contain* 1 h 10 min (Sun 1 Nov 01:40 EST)');
    expect(text).toContain('*Time to recover* 1 d 10 h (Mon 2 Nov 11:10 EST)');
  });

  it('reads a zone Slack does not know as UTC', () => {
    expect(knownZone('Mars/Olympus_Mons')).toBe('UTC');
    expect(knownZone(undefined)).toBe('UTC');
    expect(slackTime(SCENARIO.detectedAt, 'Mars/Olympus_Mons')).toBe('Sun 1 Nov 05:30 UTC');
  });

  it('puts the figures measured so far on the incident card', () => {
    const card = incidentCard(incident, steps);
    const text = JSON.stringify(card.blocks);
    expect(text).toContain('Time to detect 7 h 30 min · contain 1 h 10 min · investigate 1 h 25 min · eradicate 1 d 10 h · recover 1 d 10 h');
  });
});

describe('what cannot be measured says why', () => {
  const { incident, steps } = reviewScenario(10);

  it('falls back to the incident opening when no detection time was recorded', () => {
    const r = reviewMetrics({ ...incident, detectedAt: undefined }, steps);
    expect(r.detectedAt).toBe(SCENARIO.createdAt);
    expect(r.detectedFrom).toBe('incident opened');
    expect(byKey(r).contain.ms).toBe(58 * M);
  });

  it('an open incident awaiting containment has only what happened so far', () => {
    const early = steps.map((s) => (s.name === 'identify' ? s : { ...s, state: s.name === 'contain' ? ('awaiting_approval' as const) : ('pending' as const), finishedAt: undefined, result: undefined }));
    const m = byKey(reviewMetrics({ ...incident, status: 'open', closedAt: undefined }, early));
    noFigure(m.detect, 'no CloudTrail record of the key yet');
    noFigure(m.contain, 'not yet');
    expect(compactMetrics(reviewMetrics(incident, early))).toBeUndefined();
    expect(JSON.stringify(incidentCard({ ...incident, status: 'open' }, early).blocks)).not.toContain('Time to');
  });

  it('a skipped eradication is said, not measured', () => {
    const skipped = steps.map((s) => (s.name === 'eradicate' ? { ...s, state: 'skipped' as const, finishedAt: undefined } : s));
    noFigure(byKey(reviewMetrics(incident, skipped)).eradicate, 'skipped');
  });

  it('a key reported before its first recorded call has no time to detect', () => {
    const r = reviewMetrics({ ...incident, detectedAt: '2026-10-31T20:00:00.000Z' }, steps);
    noFigure(byKey(r).detect, 'detected before the first recorded call');
  });

  it('uses the first recorded call when nothing was flagged', () => {
    const unflagged = steps.map((s) => (s.name === 'investigate' ? { ...s, result: { ...(s.result as object), firstSuspiciousTime: undefined, firstTime: '2026-10-31T21:40:00.000Z' } } : s));
    expect(byKey(reviewMetrics(incident, unflagged)).detect).toMatchObject({ ms: 7 * H + 50 * M, note: 'from the first recorded call' });
  });
});

it('formats durations in at most two units, never rounding up', () => {
  expect(formatDuration(59_999)).toBe('59 s');
  expect(formatDuration(70 * M)).toBe('1 h 10 min');
  expect(formatDuration(2 * H)).toBe('2 h');
  expect(formatDuration(49 * H + 59 * M)).toBe('2 d 1 h');
  expect(formatDuration(72 * H)).toBe('3 d');
});

import { parseTrailQuery } from '../../src/domain/trail-query';

const NOW = new Date('2026-12-01T12:00:00Z');

it('source:athena|lake|lookup picks the history, anywhere on the line, and is not a time', () => {
  const r = parseTrailQuery('source:athena AKIAIOSFODNN7EXAMPLE 30d', NOW);
  expect(r).toMatchObject({ ok: true, query: { source: 'athena', label: 'AKIAIOSFODNN7EXAMPLE' } });
  expect(parseTrailQuery('alice 2d source:LOOKUP', NOW)).toMatchObject({ ok: true, query: { source: 'lookup' } });
  const plain = parseTrailQuery('alice', NOW);
  expect(plain.ok && plain.query.source).toBeUndefined();
});

it('with Athena or Lake asked for, since may go beyond 90 days; otherwise it is moved and the asked start kept', () => {
  const far = parseTrailQuery('alice 200d source:lake', NOW);
  expect(far.ok && far.query.start.toISOString()).toBe('2026-05-15T12:00:00.000Z');
  expect(far.ok && far.query.notes).toEqual([]);
  const clamped = parseTrailQuery('alice 200d', NOW);
  expect(clamped.ok && clamped.query.start.toISOString()).toBe('2026-09-02T12:00:00.000Z');
  expect(clamped.ok && clamped.query.requestedStart?.toISOString()).toBe('2026-05-15T12:00:00.000Z');
});

it('an unknown or repeated source gets a clear answer', () => {
  expect(parseTrailQuery('alice source:bigquery', NOW)).toMatchObject({ ok: false, message: expect.stringMatching(/`source:bigquery` is not a history I know/) });
  expect(parseTrailQuery('alice source:athena source:lake', NOW)).toMatchObject({ ok: false, message: expect.stringMatching(/Give `source:` once/) });
  expect(parseTrailQuery('source:athena', NOW)).toMatchObject({ ok: false, message: expect.stringMatching(/Tell me what to look up/) });
});

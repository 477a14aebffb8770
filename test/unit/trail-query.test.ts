import { parseTrailQuery, parseWhen } from '../../src/domain/trail-query';

const NOW = new Date('2026-11-28T03:00:00Z');

it('defaults to the last 7 days', () => {
  const r = parseTrailQuery('AKIAIOSFODNN7EXAMPLE', NOW);
  expect(r).toMatchObject({ ok: true, query: { subject: { kind: 'key', accessKeyId: 'AKIAIOSFODNN7EXAMPLE', temporary: false } } });
  if (r.ok) {
    expect(r.query.start.toISOString()).toBe('2026-11-21T03:00:00.000Z');
    expect(r.query.end).toEqual(NOW);
  }
});

it('understands users, role ARNs, ISO dates and relative times', () => {
  const user = parseTrailQuery('ci-deployer 24h', NOW);
  expect(user).toMatchObject({ ok: true, query: { subject: { kind: 'user', userName: 'ci-deployer' } } });
  if (user.ok) expect(user.query.start.toISOString()).toBe('2026-11-27T03:00:00.000Z');
  const role = parseTrailQuery('arn:aws:iam::123456789012:role/ops/prod-admin 2026-11-01 2026-11-02T12:00Z', NOW);
  expect(role).toMatchObject({ ok: true, query: { subject: { kind: 'role', roleName: 'prod-admin' } } });
  if (role.ok) {
    expect(role.query.start.toISOString()).toBe('2026-11-01T00:00:00.000Z');
    expect(role.query.end.toISOString()).toBe('2026-11-02T12:00:00.000Z');
  }
});

it('clamps to 90 days and to now, saying so', () => {
  const r = parseTrailQuery('alice 365d 1d', NOW);
  expect(r.ok).toBe(true);
  if (r.ok) {
    expect(r.query.start.toISOString()).toBe('2026-08-30T03:00:00.000Z');
    expect(r.query.notes).toEqual(['CloudTrail keeps 90 days of events: the search starts 90 days ago.']);
  }
  expect(parseWhen('30m', NOW)!.toISOString()).toBe('2026-11-28T02:30:00.000Z');
});

it.each([
  ['', /Tell me what to look up/],
  ['AKIA123', /not an access key id.*found 3/],
  ['alice 1d 2d', /since.*before.*until/],
  ['alice soon', /not a time/],
  ['a b c d', /Too many words/],
  ['wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', /secret access key/],
  // Without / or +, labelled: a user name's shape, and still a secret.
  ['aws_secret_access_key=wJalrXUtnFEMIK7MDENGbPxRfiCYzEXAMPLEKEY1', /secret access key/],
  ['alice 7d AWS_SECRET_ACCESS_KEY:wJalrXUtnFEMI+K7MDENG+bPxRfiCYEXAMPLEKEY', /secret access key/],
])('refuses %p', (text, why) => {
  const r = parseTrailQuery(text, NOW);
  expect(r.ok).toBe(false);
  if (!r.ok) expect(r.message).toMatch(why);
  // Never repeated back.
  if (!r.ok && /secret/.test(String(why))) expect(r.message).not.toContain('EXAMPLEKEY');
});

/**
 * The front door's own signature check (src/http-server.ts runs it before Bolt sees the
 * request). Bolt checks again behind it, so an end-to-end test cannot tell whether this one
 * works: these tests can.
 */
import { createHmac } from 'node:crypto';
import { MAX_SKEW_SECONDS, verifySlackSignature } from '../../src/slack/verify-signature';

const SECRET = 'test-signing-secret-not-real';
const NOW = 1_764_000_000;
const BODY = 'token=x&team_id=T1&user_id=U1&command=%2Fkey-owner&text=AKIAIOSFODNN7EXAMPLE';

/** Slack's v0 signature, computed independently of the code under test. */
const sign = (secret: string, ts: number | string, body: string) => `v0=${createHmac('sha256', secret).update(`v0:${ts}:${body}`).digest('hex')}`;
const verify = (headers: { timestamp?: string; signature?: string }, body = BODY, now = NOW) => verifySlackSignature(SECRET, headers, body, now);

describe('verifySlackSignature', () => {
  it('accepts a request Slack signed with our secret, now and at the edges of the window', () => {
    expect(verify({ timestamp: String(NOW), signature: sign(SECRET, NOW, BODY) })).toEqual({ ok: true });
    const oldest = NOW - MAX_SKEW_SECONDS;
    const newest = NOW + MAX_SKEW_SECONDS;
    expect(verify({ timestamp: String(oldest), signature: sign(SECRET, oldest, BODY) })).toEqual({ ok: true });
    expect(verify({ timestamp: String(newest), signature: sign(SECRET, newest, BODY) })).toEqual({ ok: true });
    expect(verify({ timestamp: String(NOW), signature: sign(SECRET, NOW, '') }, '')).toEqual({ ok: true });
  });

  it('refuses a signature made with another secret', () => {
    expect(verify({ timestamp: String(NOW), signature: sign('another-secret', NOW, BODY) })).toEqual({ ok: false, reason: 'mismatch' });
  });

  it('refuses a body changed after signing, even by one character', () => {
    const sig = sign(SECRET, NOW, BODY);
    expect(verify({ timestamp: String(NOW), signature: sig }, BODY.replace('U1', 'U2'))).toEqual({ ok: false, reason: 'mismatch' });
    expect(verify({ timestamp: String(NOW), signature: sig }, `${BODY}&x=1`)).toEqual({ ok: false, reason: 'mismatch' });
    expect(verify({ timestamp: String(NOW), signature: sig }, BODY.slice(0, -1))).toEqual({ ok: false, reason: 'mismatch' });
  });

  it('refuses a signature replayed with another timestamp', () => {
    expect(verify({ timestamp: String(NOW - 1), signature: sign(SECRET, NOW, BODY) })).toEqual({ ok: false, reason: 'mismatch' });
  });

  it('refuses a stale request (older than five minutes) even when correctly signed', () => {
    const ts = NOW - MAX_SKEW_SECONDS - 1;
    expect(verify({ timestamp: String(ts), signature: sign(SECRET, ts, BODY) })).toEqual({ ok: false, reason: 'stale' });
    expect(verify({ timestamp: '0', signature: sign(SECRET, 0, BODY) })).toEqual({ ok: false, reason: 'stale' });
  });

  it('refuses a request from more than five minutes in the future even when correctly signed', () => {
    const ts = NOW + MAX_SKEW_SECONDS + 1;
    expect(verify({ timestamp: String(ts), signature: sign(SECRET, ts, BODY) })).toEqual({ ok: false, reason: 'future' });
  });

  it.each([
    ['no timestamp', { signature: sign(SECRET, NOW, BODY) }],
    ['no signature', { timestamp: String(NOW) }],
    ['an empty timestamp', { timestamp: '', signature: sign(SECRET, NOW, BODY) }],
    ['a timestamp that is not a number', { timestamp: `${NOW}abc`, signature: sign(SECRET, `${NOW}abc`, BODY) }],
    ['a negative timestamp', { timestamp: `-${NOW}`, signature: sign(SECRET, `-${NOW}`, BODY) }],
    ['a fractional timestamp', { timestamp: `${NOW}.5`, signature: sign(SECRET, `${NOW}.5`, BODY) }],
    ['a timestamp with spaces', { timestamp: ` ${NOW}`, signature: sign(SECRET, ` ${NOW}`, BODY) }],
  ])('refuses a malformed header: %s', (_what, headers) => {
    expect(verify(headers)).toEqual({ ok: false, reason: 'missing' });
  });

  it.each([
    ['truncated by one character', (s: string) => s.slice(0, -1)],
    ['one character longer', (s: string) => `${s}0`],
    ['without the v0= prefix', (s: string) => s.slice(3)],
    ['empty after the prefix', () => 'v0='],
    ['another version prefix', (s: string) => `v1=${s.slice(3)}`],
    ['upper-case hex', (s: string) => `v0=${s.slice(3).toUpperCase()}`],
    ['a multi-byte character of the same string length', (s: string) => `${s.slice(0, -1)}é`],
  ])('refuses a signature %s, without throwing', (_what, change) => {
    const sig = change(sign(SECRET, NOW, BODY));
    expect(() => verify({ timestamp: String(NOW), signature: sig })).not.toThrow();
    expect(verify({ timestamp: String(NOW), signature: sig })).toEqual({ ok: false, reason: 'mismatch' });
  });

  it('is not fooled by a signature over the body without the timestamp', () => {
    const bare = `v0=${createHmac('sha256', SECRET).update(BODY).digest('hex')}`;
    expect(verify({ timestamp: String(NOW), signature: bare })).toEqual({ ok: false, reason: 'mismatch' });
  });
});

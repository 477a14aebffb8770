import { Writable } from 'node:stream';
import { createLogger, scrub } from '../../src/logger';

it('scrubs token and secret-key shapes from free text', () => {
  expect(scrub('token xoxb-EXAMPLE-not-a-token and secret wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY')).toBe('token [redacted] and secret [redacted]');
  expect(scrub('key AKIAIOSFODNN7EXAMPLE stays')).toBe('key AKIAIOSFODNN7EXAMPLE stays');
});

it('redacts secret-bearing fields in JSON logs', () => {
  const lines: string[] = [];
  const log = createLogger('info', new Writable({ write: (c, _e, cb) => (lines.push(c.toString()), cb()) }));
  log.info({ botToken: 'xoxb-abc', nested: { signingSecret: 's3cr3t' }, keep: 'visible' }, 'hello xoxp-EXAMPLE-not-a-token');
  const out = lines.join('');
  expect(out).toContain('visible');
  expect(out).not.toContain('xoxb-abc');
  expect(out).not.toContain('s3cr3t');
  expect(out).not.toContain('xoxp-EXAMPLE');
});

it('scrubs secrets inside error messages, stacks and nested fields', () => {
  const lines: string[] = [];
  const log = createLogger('info', new Writable({ write: (c, _e, cb) => (lines.push(c.toString()), cb()) }));
  const secret = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
  const err = Object.assign(new Error(`request failed with xoxb-EXAMPLE-not-a-token and ${secret}`), { $metadata: { requestId: 'req-1' } });
  log.error({ err, detail: { deep: { note: `key ${secret}` } } }, 'boom');
  const out = lines.join('');
  expect(out).not.toContain(secret);
  expect(out).not.toContain('xoxb-EXAMPLE');
  expect(JSON.parse(out).err).toMatchObject({ type: 'Error', requestId: 'req-1' });
});


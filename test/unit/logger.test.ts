import { Writable } from 'node:stream';
import { createLogger, scrub } from '../../src/logger';

it('scrubs token and secret-key shapes from free text', () => {
  expect(scrub('token xoxb-1234-abcd and secret wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY')).toBe('token [redacted] and secret [redacted]');
  expect(scrub('key AKIAIOSFODNN7EXAMPLE stays')).toBe('key AKIAIOSFODNN7EXAMPLE stays');
});

it('redacts secret-bearing fields in JSON logs', () => {
  const lines: string[] = [];
  const log = createLogger('info', new Writable({ write: (c, _e, cb) => (lines.push(c.toString()), cb()) }));
  log.info({ botToken: 'xoxb-abc', nested: { signingSecret: 's3cr3t' }, keep: 'visible' }, 'hello xoxp-999-zzz');
  const out = lines.join('');
  expect(out).toContain('visible');
  expect(out).not.toContain('xoxb-abc');
  expect(out).not.toContain('s3cr3t');
  expect(out).not.toContain('xoxp-999');
});

/**
 * JSON logs (pino). Anything that could carry a secret is redacted by path, and free text
 * is scrubbed of token and secret-key shapes before it is written.
 */
import pino, { Logger } from 'pino';
import { redactSecretKeys } from './domain/key-id';

export type { Logger };

const REDACT_PATHS = [
  'token', '*.token', 'botToken', '*.botToken', 'appToken', '*.appToken',
  'signingSecret', '*.signingSecret', 'secretAccessKey', '*.secretAccessKey',
  'SecretAccessKey', '*.SecretAccessKey', 'sessionToken', '*.sessionToken', 'SessionToken',
  '*.SessionToken', 'authorization', '*.authorization', 'headers.authorization',
  'headers["x-slack-signature"]', 'body', '*.body', 'text', '*.text',
  'secret', '*.secret', 'webhookSecret', '*.webhookSecret', 'headers["x-hub-signature-256"]',
];

const TOKEN_SHAPES: RegExp[] = [
  /xox[abposr]-[A-Za-z0-9-]+/g,
  /xapp-[A-Za-z0-9-]+/g,
];

/**
 * Replace token-shaped substrings with [redacted]: Slack tokens, and secret access keys by
 * the same rule every free-text input is checked with (domain/key-id.ts containsSecretKey).
 */
export function scrub(text: string): string {
  return redactSecretKeys(TOKEN_SHAPES.reduce((t, re) => t.replace(re, '[redacted]'), text), '[redacted]');
}

/** Every string in a log object scrubbed, at any depth (bounded), errors flattened. */
function scrubDeep(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return scrub(value);
  if (value instanceof Error) {
    const e = value as Error & { code?: unknown; $metadata?: { requestId?: string; httpStatusCode?: number } };
    return {
      type: e.name,
      message: scrub(e.message),
      stack: e.stack ? scrub(e.stack) : undefined,
      code: typeof e.code === 'string' ? e.code : undefined,
      requestId: e.$metadata?.requestId,
      status: e.$metadata?.httpStatusCode,
    };
  }
  if (depth > 6 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.slice(0, 100).map((v) => scrubDeep(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = scrubDeep(v, depth + 1);
  return out;
}

export function createLogger(level = 'info', destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { app: 'keyguard' },
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      // Errors are logged as name, message, stack, code and AWS request id only (never the
      // request or its headers), and every string anywhere in a line is scrubbed.
      serializers: { err: (e: unknown) => scrubDeep(e) },
      formatters: { log: (obj) => scrubDeep(obj) as Record<string, unknown> },
      hooks: {
        logMethod(args, method) {
          const scrubbed = args.map((a) => (typeof a === 'string' ? scrub(a) : a)) as typeof args;
          return method.apply(this, scrubbed);
        },
      },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    destination,
  );
}

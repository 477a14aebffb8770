/** Bolt's Logger interface on top of the project's pino logger (scrubbed, JSON). */
import { LogLevel, type Logger as BoltLogger } from '@slack/bolt';
import type { Logger } from '../logger';
import { scrub } from '../logger';

export function boltLogger(log: Logger): BoltLogger {
  let level: LogLevel = LogLevel.WARN;
  const text = (msg: unknown[]) => scrub(msg.map((m) => (m instanceof Error ? m.message : typeof m === 'string' ? m : JSON.stringify(m))).join(' '));
  return {
    debug: (...m) => log.debug({ src: 'bolt' }, text(m)),
    info: (...m) => log.info({ src: 'bolt' }, text(m)),
    warn: (...m) => log.warn({ src: 'bolt' }, text(m)),
    error: (...m) => log.error({ src: 'bolt' }, text(m)),
    setLevel: (l) => (level = l),
    getLevel: () => level,
    setName: () => undefined,
  };
}

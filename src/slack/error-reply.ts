/** What the person sees when something fails: a specific message, or a correlation id. */
import { randomUUID } from 'node:crypto';
import { isKeyguardError } from '../errors';

export interface ErrorReply {
  text: string;
  /** Set for unexpected errors: the same id is in the JSON log. */
  correlationId?: string;
}

export function errorReply(err: unknown, newId: () => string = () => randomUUID().slice(0, 8)): ErrorReply {
  const e = (err as { original?: unknown })?.original ?? err; // Bolt wraps listener errors
  if (isKeyguardError(e)) return { text: e.userMessage };
  const correlationId = newId();
  return {
    text: `Something went wrong on our side and nothing more was done. Give the security on-call this reference: \`${correlationId}\`.`,
    correlationId,
  };
}

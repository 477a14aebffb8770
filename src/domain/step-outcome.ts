/**
 * What running one step produced, in one shape for every step and every adapter: the
 * containment actions report it, the playbook's steps return it (with their own detail),
 * and the engine records it. Pure.
 */

export interface StepError {
  code: string;
  message: string;
}

export interface StepOutcome<Detail> {
  ok: boolean;
  /** One line for people: what happened. */
  summary: string;
  /** Everything AWS answered (calls, request ids, verified state): kept on the step. */
  detail?: Detail;
  /** A failure that may succeed if retried (throttling, 5xx); decided by the adapter that knows. */
  retryable?: boolean;
  error?: StepError;
}

/** Values a step records (JSON-shaped). */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [k: string]: JsonValue | undefined };

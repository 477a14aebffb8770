/**
 * Coded errors. Known errors carry a message written for the person in Slack; anything
 * else is answered with a correlation id that is also in the JSON log.
 */
export type ErrorCode =
  | 'BAD_INPUT'
  | 'AWS_ACCESS_DENIED'
  | 'AWS_THROTTLED'
  | 'AWS_NOT_FOUND'
  | 'AWS_FAILED'
  | 'GUARD_RAIL'
  | 'CONFLICT'
  | 'STALE'
  | 'NOT_AVAILABLE'
  | 'STORE_FAILED';

/** Codes whose failure may pass by itself (throttling, a 5xx): running the step again is safe. */
const RETRYABLE_CODES: readonly ErrorCode[] = ['AWS_THROTTLED'];

export class KeyguardError extends Error {
  /**
   * Whether trying again may succeed, decided where the error is made (the adapter that
   * knows). Default: by code (throttling and other AWS failures are, refusals are not).
   */
  readonly retryable: boolean;

  constructor(
    readonly code: ErrorCode,
    /** Safe to show to the person who asked: no secrets, no stack. */
    readonly userMessage: string,
    options?: { cause?: unknown; retryable?: boolean },
  ) {
    super(userMessage, options);
    this.name = 'KeyguardError';
    this.retryable = options?.retryable ?? RETRYABLE_CODES.includes(code);
  }
}

export function isKeyguardError(e: unknown): e is KeyguardError {
  return e instanceof KeyguardError;
}

/** The SDK's error name, e.g. AccessDenied, ThrottlingException, NoSuchEntity. */
export function awsErrorName(e: unknown): string | undefined {
  if (e && typeof e === 'object') {
    const o = e as { name?: unknown; Code?: unknown; code?: unknown };
    if (typeof o.name === 'string' && o.name !== 'Error') return o.name;
    if (typeof o.Code === 'string') return o.Code;
    if (typeof o.code === 'string') return o.code;
  }
  return undefined;
}

export function awsRequestId(e: unknown): string | undefined {
  const meta = (e as { $metadata?: { requestId?: string } } | undefined)?.$metadata;
  return meta?.requestId;
}

const ACCESS_DENIED = new Set(['AccessDenied', 'AccessDeniedException', 'UnauthorizedOperation', 'AuthorizationError']);
const THROTTLED = new Set(['Throttling', 'ThrottlingException', 'TooManyRequestsException', 'RequestLimitExceeded', 'SlowDown']);

export function isAccessDenied(e: unknown): boolean {
  return ACCESS_DENIED.has(awsErrorName(e) ?? '');
}
export function isThrottled(e: unknown): boolean {
  return THROTTLED.has(awsErrorName(e) ?? '');
}
export function isNoSuchEntity(e: unknown): boolean {
  const n = awsErrorName(e) ?? '';
  return n === 'NoSuchEntity' || n === 'NoSuchEntityException' || n === 'ResourceNotFoundException';
}

const NETWORK_ERRORS = new Set(['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE', 'EAI_AGAIN', 'TimeoutError', 'RequestTimeout']);

/** Failures that may pass by themselves: throttling, 5xx, the network. */
export function isRetryableAwsError(e: unknown): boolean {
  if (isKeyguardError(e)) return e.code === 'AWS_THROTTLED' || (e.cause !== undefined && isRetryableAwsError(e.cause));
  if (isThrottled(e)) return true;
  const status = (e as { $metadata?: { httpStatusCode?: number } } | undefined)?.$metadata?.httpStatusCode ?? 0;
  if (status >= 500) return true;
  const code = (e as { code?: unknown } | undefined)?.code;
  return NETWORK_ERRORS.has(awsErrorName(e) ?? '') || (typeof code === 'string' && NETWORK_ERRORS.has(code));
}

/** Wrap an AWS error as a KeyguardError naming the action that failed, classified retryable or not. */
export function fromAwsError(e: unknown, action: string): KeyguardError {
  if (isKeyguardError(e)) return e;
  const retryable = isRetryableAwsError(e);
  const name = awsErrorName(e) ?? 'Error';
  if (isAccessDenied(e)) {
    return new KeyguardError('AWS_ACCESS_DENIED', `AWS denied \`${action}\` to the bot's role. Grant it \`${action}\` and try again.`, { cause: e });
  }
  if (isThrottled(e)) {
    return new KeyguardError('AWS_THROTTLED', `AWS is throttling \`${action}\` and retries did not get through. Try again in a minute.`, { cause: e });
  }
  if (isNoSuchEntity(e)) {
    return new KeyguardError('AWS_NOT_FOUND', `AWS says the target of \`${action}\` does not exist (${name}).`, { cause: e });
  }
  return new KeyguardError('AWS_FAILED', `\`${action}\` failed: ${name}.`, { cause: e, retryable });
}

/** What the Slack Web API said went wrong (`invalid_auth`, `not_in_channel`…), or the error's own code or message. */
export function slackErrorCode(e: unknown): string {
  const x = e as { data?: { error?: string }; code?: string; message?: string } | undefined;
  return x?.data?.error ?? x?.code ?? x?.message ?? 'error';
}

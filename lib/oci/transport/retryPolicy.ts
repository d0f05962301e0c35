/**
 * The OCI transport's retry policy: its named defaults on top of the project's one retry module
 * (`lib/shared/retry.ts`), which owns the classification, the `Retry-After` parser, the backoff and
 * the abortable sleep.
 *
 * Retried: 429, 408 and 5xx except 501/505 (permanent), and connections that dropped (ECONNRESET,
 * EPIPE, timeouts). Waits grow exponentially with full jitter, so many copies hitting one
 * throttled registry spread out; a `Retry-After` from the registry (seconds or HTTP-date) wins
 * over the computed delay. Attempts are bounded and every wait is abortable.
 */
import { AutopilotError, isAutopilotError } from '../../errors';
import {
  abortableSleep,
  abortedError as abortedWork,
  backoffDelay,
  classifyFailure,
  classifyStatus,
  parseRetryAfter,
  retry,
  type RetryPolicy,
} from '../../shared/retry';

export { abortableSleep, parseRetryAfter, type RetryPolicy };

/** 1 try + 4 retries: rides out a registry restart (~8 s of backoff) without hanging for minutes. */
export const DEFAULT_MAX_ATTEMPTS = 5;
/** The first backoff ceiling; doubled on each retry. */
export const DEFAULT_BASE_DELAY_MS = 250;
/** No computed backoff waits longer than this. */
export const DEFAULT_MAX_DELAY_MS = 10_000;
/** A `Retry-After` longer than this is not worth waiting for inside one copy: fail with THROTTLED. */
export const MAX_RETRY_AFTER_MS = 60_000;

/**
 * The `ABORTED` error for a fired signal (its reason, when it is already an AutopilotError).
 *
 * @example
 * if (signal.aborted) throw abortedError(signal);
 */
export function abortedError(signal?: AbortSignal): AutopilotError {
  return abortedWork(signal, 'The copy');
}

/**
 * The default policy with some fields replaced.
 *
 * @example
 * const fast = createRetryPolicy({ baseDelayMs: 1, sleep: async () => {} });
 */
export function createRetryPolicy(overrides: Partial<RetryPolicy> = {}): RetryPolicy {
  return {
    maxAttempts: DEFAULT_MAX_ATTEMPTS,
    baseDelayMs: DEFAULT_BASE_DELAY_MS,
    maxDelayMs: DEFAULT_MAX_DELAY_MS,
    maxRetryAfterMs: MAX_RETRY_AFTER_MS,
    retryOn: ['throttled', 'transient'],
    random: Math.random,
    sleep: abortableSleep,
    now: Date.now,
    ...overrides,
  };
}

/**
 * True for HTTP statuses worth retrying.
 *
 * @example
 * isRetryableStatus(429); // true
 */
export function isRetryableStatus(status: number): boolean {
  return classifyStatus(status) !== 'permanent';
}

/**
 * True for a dropped or timed-out connection.
 *
 * @example
 * isRetryableNetworkError(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' })); // true
 */
export function isRetryableNetworkError(error: unknown): boolean {
  return error instanceof Error && !isAutopilotError(error) && classifyFailure(error) === 'transient';
}

/**
 * How long to wait after the `failedAttempts`-th failure: the registry's `Retry-After` when given,
 * otherwise full jitter over an exponentially growing ceiling.
 *
 * @example
 * retryDelay(createRetryPolicy({ random: () => 0.5 }), 3); // 0.5 * 250 * 2^2 = 500
 */
export function retryDelay(policy: RetryPolicy, failedAttempts: number, retryAfterMs?: number): number {
  return retryAfterMs ?? backoffDelay(policy, failedAttempts);
}

/**
 * Runs `operation` until it succeeds, fails with a non-retryable error, or attempts run out.
 * Retryable means an `AutopilotError` with `retryable: true` (the transport classifies statuses and
 * socket errors into those); anything else is a bug and rethrown. The last error is rethrown with
 * the attempt count in its message.
 *
 * @example
 * const response = await runWithRetry(policy, signal, (attempt) => sendOnce(request, attempt));
 */
export async function runWithRetry<T>(policy: RetryPolicy, signal: AbortSignal | undefined, operation: (attempt: number) => Promise<T>): Promise<T> {
  return retry(operation, policy, signal, {
    classify: (error) => (isAutopilotError(error) ? classifyFailure(error) : 'permanent'),
    giveUp: (error, why) => {
      if (!isAutopilotError(error)) return error;
      const detail =
        why.because === 'retry-after'
          ? `the registry asked to wait ${Math.ceil((why.retryAfterMs ?? 0) / 1000)} s, more than the ${policy.maxRetryAfterMs / 1000} s we wait`
          : `gave up after ${why.attempts} attempts`;
      return new AutopilotError(error.code, `${error.message} (${detail})`, { cause: error, retryable: true });
    },
  }).catch((error: unknown) => {
    if (signal?.aborted) throw abortedError(signal);
    throw error;
  });
}

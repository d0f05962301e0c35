/**
 * When and how long to wait before trying a registry request again.
 *
 * Retried: 429, 408 and 5xx except 501/505 (permanent), and connections that dropped (ECONNRESET,
 * EPIPE, timeouts). Waits grow exponentially with full jitter, so many copies hitting one
 * throttled registry spread out; a `Retry-After` from the registry (seconds or HTTP-date) wins
 * over the computed delay. Attempts are bounded and every wait is abortable.
 */
import { AutopilotError, isAutopilotError } from '../../errors';

/** 1 try + 4 retries: rides out a registry restart (~8 s of backoff) without hanging for minutes. */
export const DEFAULT_MAX_ATTEMPTS = 5;
/** The first backoff ceiling; doubled on each retry. */
export const DEFAULT_BASE_DELAY_MS = 250;
/** No computed backoff waits longer than this. */
export const DEFAULT_MAX_DELAY_MS = 10_000;
/** A `Retry-After` longer than this is not worth waiting for inside one copy: fail with THROTTLED. */
export const MAX_RETRY_AFTER_MS = 60_000;

/** Statuses worth retrying. 501 (not implemented) and 505 will not change on their own. */
const RETRYABLE_STATUSES: ReadonlySet<number> = new Set([408, 429, 500, 502, 503, 504]);

/** Socket errors that mean "the connection went away", not "the server refused us". */
const RETRYABLE_NETWORK_CODES: ReadonlySet<string> = new Set([
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'ECONNABORTED',
  'EAI_AGAIN',
  'ERR_STREAM_PREMATURE_CLOSE',
  'UND_ERR_SOCKET',
]);

export interface RetryPolicy {
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  maxRetryAfterMs: number;
  /** Source of jitter in [0, 1). */
  random: () => number;
  /** Waits `ms`, rejecting with `ABORTED` when `signal` fires; injectable so tests never sleep. */
  sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Clock for HTTP-date `Retry-After` values. */
  now: () => number;
}

/**
 * A real, abortable timer.
 *
 * @example
 * await abortableSleep(250, controller.signal);
 */
export function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(abortedError(signal));
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(abortedError(signal));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * The `ABORTED` error for a fired signal (its reason, when it is already an AutopilotError).
 *
 * @example
 * if (signal.aborted) throw abortedError(signal);
 */
export function abortedError(signal?: AbortSignal): AutopilotError {
  const reason: unknown = signal?.reason;
  if (isAutopilotError(reason)) return reason;
  return new AutopilotError('ABORTED', 'The copy was cancelled', { cause: reason });
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
  return RETRYABLE_STATUSES.has(status);
}

/**
 * True for a dropped or timed-out connection.
 *
 * @example
 * isRetryableNetworkError(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' })); // true
 */
export function isRetryableNetworkError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as NodeJS.ErrnoException).code;
  return code !== undefined && RETRYABLE_NETWORK_CODES.has(code);
}

/**
 * `Retry-After` in milliseconds from now: delta-seconds or an HTTP-date (RFC 9110 §10.2.3).
 * Returns undefined for absent or unparseable values, 0 for dates in the past.
 *
 * @example
 * parseRetryAfter('2', Date.now()); // 2000
 * parseRetryAfter('Wed, 21 Oct 2015 07:28:00 GMT', Date.parse('Wed, 21 Oct 2015 07:27:00 GMT')); // 60000
 */
export function parseRetryAfter(value: string | undefined, nowMs: number): number | undefined {
  if (value === undefined) return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  if (!/[a-z]/i.test(text)) return undefined;
  const date = Date.parse(text);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - nowMs);
}

/**
 * How long to wait after the `failedAttempts`-th failure: the registry's `Retry-After` when given,
 * otherwise full jitter over an exponentially growing ceiling.
 *
 * @example
 * retryDelay(createRetryPolicy({ random: () => 0.5 }), 3); // 0.5 * 250 * 2^2 = 500
 */
export function retryDelay(policy: RetryPolicy, failedAttempts: number, retryAfterMs?: number): number {
  if (retryAfterMs !== undefined) return retryAfterMs;
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, failedAttempts - 1));
  return Math.floor(policy.random() * ceiling);
}

/** An error that may carry the registry's requested wait. */
interface WithRetryAfter {
  retryAfterMs?: number;
}

/**
 * Runs `operation` until it succeeds, fails with a non-retryable error, or attempts run out.
 * Retryable means an `AutopilotError` with `retryable: true` (the transport classifies statuses and
 * socket errors into those). The last error is rethrown with the attempt count in its message.
 *
 * @example
 * const response = await runWithRetry(policy, signal, (attempt) => sendOnce(request, attempt));
 */
export async function runWithRetry<T>(policy: RetryPolicy, signal: AbortSignal | undefined, operation: (attempt: number) => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt += 1) {
    if (signal?.aborted) throw abortedError(signal);
    try {
      return await operation(attempt);
    } catch (error) {
      if (signal?.aborted) throw abortedError(signal);
      if (!isAutopilotError(error) || !error.retryable) throw error;
      const retryAfterMs = (error as WithRetryAfter).retryAfterMs;
      if (retryAfterMs !== undefined && retryAfterMs > policy.maxRetryAfterMs) {
        throw new AutopilotError(error.code, `${error.message} (the registry asked to wait ${Math.ceil(retryAfterMs / 1000)} s, more than the ${policy.maxRetryAfterMs / 1000} s we wait)`, {
          cause: error,
          retryable: true,
        });
      }
      if (attempt >= policy.maxAttempts) {
        throw new AutopilotError(error.code, `${error.message} (gave up after ${attempt} attempts)`, { cause: error, retryable: true });
      }
      await policy.sleep(retryDelay(policy, attempt, retryAfterMs), signal);
    }
  }
}

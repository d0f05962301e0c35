/**
 * Retrying and cancelling, one way for the whole project. Used by the AWS calls (`callAws`), the
 * OCI transport's retry policy and the Slack webhook:
 * - `classifyFailure` / `classifyStatus`: which failures are worth another try, and why;
 * - `parseRetryAfter`: how long the other side asked us to wait (RFC 9110 §10.2.3);
 * - `backoffDelay`: how long we wait otherwise (exponential, full jitter);
 * - `abortableSleep` / `abortedError`: waiting that a signal cuts short, and the error it ends with;
 * - `retry`: the loop that puts them together, with bounded attempts;
 * - `sharedSignal`: a signal many calls listen to at once, without Node's leak warning.
 */
import { setMaxListeners } from 'node:events';
import { AutopilotError, isAutopilotError } from '../errors';

/**
 * Listeners a run-wide signal may hold before Node warns of a leak. Every call in flight listens to
 * its run's signal (the AWS SDK adds two per request), and a run makes many calls at once (verify's
 * checks, a copy's blobs): Node's default of 10 warns on a healthy run. Bounded concurrency keeps
 * real runs far below this, so a true leak still warns.
 */
const SHARED_SIGNAL_MAX_LISTENERS = 1000;

/**
 * Marks `signal` as shared by the concurrent calls of one run (raises its listener limit) and returns it.
 *
 * @example
 * const controller = new AbortController();
 * sharedSignal(controller.signal);
 */
export function sharedSignal(signal: AbortSignal): AbortSignal {
  setMaxListeners(SHARED_SIGNAL_MAX_LISTENERS, signal);
  return signal;
}

/** Per-call options of anything that can be cancelled: a port method, an AWS call, a copy. */
export interface CallOptions {
  /** Cancels this call; nothing new is sent once it fired. */
  signal?: AbortSignal | undefined;
}

/**
 * Why an attempt failed, as far as retrying goes:
 * `throttled` (the other side asked us to slow down: 429, AWS throttling), `transient` (a dropped
 * connection, a timeout, a 5xx that may heal), `permanent` (will fail the same way again) and
 * `aborted` (we cancelled it ourselves: never retried).
 */
export type FailureClass = 'throttled' | 'transient' | 'permanent' | 'aborted';

/** Statuses worth another try. 501 (not implemented) and 505 will not change on their own. */
const TRANSIENT_STATUSES: ReadonlySet<number> = new Set([408, 500, 502, 503, 504]);

/** Error names the AWS SDK uses for throttling across services. */
const THROTTLING_NAMES: ReadonlySet<string> = new Set([
  'ThrottlingException',
  'Throttling',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'ThrottledException',
  'RequestThrottledException',
  'ProvisionedThroughputExceededException',
  'SlowDown',
]);

/** Socket errors that mean "the connection went away", not "the server refused us". */
const TRANSIENT_NETWORK_CODES: ReadonlySet<string> = new Set([
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'ECONNABORTED',
  'EAI_AGAIN',
  'ERR_STREAM_PREMATURE_CLOSE',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
]);

/**
 * The class of an HTTP status.
 *
 * @example
 * classifyStatus(429); // 'throttled'
 * classifyStatus(503); // 'transient'
 * classifyStatus(404); // 'permanent'
 */
export function classifyStatus(status: number): FailureClass {
  if (status === 429) return 'throttled';
  return TRANSIENT_STATUSES.has(status) ? 'transient' : 'permanent';
}

/**
 * The class of a thrown value: our own errors by code and `retryable`, AWS SDK errors by name and
 * HTTP status, socket errors by code (following `cause`, as `fetch` wraps them). A failure after
 * `signal` fired is `aborted`, whatever it looks like.
 *
 * @example
 * classifyFailure(Object.assign(new Error('x'), { name: 'ThrottlingException' })); // 'throttled'
 */
export function classifyFailure(error: unknown, signal?: AbortSignal): FailureClass {
  if (signal?.aborted) return 'aborted';
  if (isAutopilotError(error)) {
    if (error.code === 'ABORTED') return 'aborted';
    if (!error.retryable) return 'permanent';
    return error.code === 'THROTTLED' ? 'throttled' : 'transient';
  }
  if (!(error instanceof Error)) return 'permanent';
  if (THROTTLING_NAMES.has(error.name)) return 'throttled';
  if (error.name === 'AbortError') return 'aborted';
  // AbortSignal.timeout(): one attempt took too long, the next may not.
  if (error.name === 'TimeoutError') return 'transient';
  const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  if (status !== undefined) return classifyStatus(status);
  for (let cause: unknown = error; cause instanceof Error; cause = cause.cause) {
    const code = (cause as NodeJS.ErrnoException).code;
    if (code !== undefined && TRANSIENT_NETWORK_CODES.has(code)) return 'transient';
  }
  return 'permanent';
}

/** `delay-seconds = 1*DIGIT` (RFC 9110 §10.2.3). */
const DELAY_SECONDS = /^\d+$/;
/** The three HTTP-date forms (RFC 9110 §5.6.7): IMF-fixdate, obsolete RFC 850, asctime. */
const IMF_FIXDATE = /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d{2}:\d{2}:\d{2} GMT$/;
const RFC850_DATE = /^(Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday), \d{2}-(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)-\d{2} \d{2}:\d{2}:\d{2} GMT$/;
const ASCTIME_DATE = /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun) (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) [ \d]\d \d{2}:\d{2}:\d{2} \d{4}$/;

/**
 * `Retry-After` in milliseconds from `nowMs`: `delay-seconds` or an HTTP-date (RFC 9110 §10.2.3).
 * Undefined when absent or invalid, 0 for a date in the past.
 *
 * A value such as `2.5` is invalid: `delay-seconds` is `1*DIGIT`, so a fraction is neither form.
 * An invalid field value is ignored (RFC 9110 §5.5 lets a recipient ignore an invalid field), and
 * the caller's own backoff applies; guessing (2 s? 3 s? 2.5 s?) would read a meaning into a value
 * the sender did not write in HTTP. The same holds for signs, units and anything else.
 *
 * @example
 * parseRetryAfter('2', Date.now()); // 2000
 * parseRetryAfter('2.5', Date.now()); // undefined: not delay-seconds
 * parseRetryAfter('Wed, 21 Oct 2015 07:28:00 GMT', Date.parse('Wed, 21 Oct 2015 07:27:00 GMT')); // 60000
 */
export function parseRetryAfter(value: string | null | undefined, nowMs: number): number | undefined {
  if (value === null || value === undefined) return undefined;
  const text = value.trim();
  if (DELAY_SECONDS.test(text)) return Number(text) * 1000;
  let date = Number.NaN;
  if (IMF_FIXDATE.test(text) || RFC850_DATE.test(text)) date = Date.parse(text);
  // asctime carries no zone but means GMT; Date.parse would read it as local time.
  else if (ASCTIME_DATE.test(text)) date = Date.parse(`${text} GMT`);
  return Number.isNaN(date) ? undefined : Math.max(0, date - nowMs);
}

/** What the exponential backoff needs. */
export interface BackoffSettings {
  /** The first ceiling in ms; doubled after every failure. */
  baseDelayMs: number;
  /** No ceiling grows beyond this. */
  maxDelayMs: number;
  /** Source of jitter in [0, 1). */
  random: () => number;
}

/**
 * How long to wait after the `failedAttempts`-th failure: full jitter over an exponentially
 * growing ceiling, so many clients hitting one throttled service spread out.
 *
 * @example
 * backoffDelay({ baseDelayMs: 250, maxDelayMs: 10_000, random: () => 0.5 }, 3); // 0.5 * 250 * 2^2 = 500
 */
export function backoffDelay(settings: BackoffSettings, failedAttempts: number): number {
  const ceiling = Math.min(settings.maxDelayMs, settings.baseDelayMs * 2 ** Math.max(0, failedAttempts - 1));
  return Math.floor(settings.random() * ceiling);
}

/**
 * The `ABORTED` error for a fired signal: its reason when that is already one of ours (so the
 * reason a run stopped, e.g. its deadline, reaches the report), otherwise a new one.
 *
 * @example
 * if (signal?.aborted) throw abortedError(signal, 'The copy');
 */
export function abortedError(signal: AbortSignal | undefined, what = 'The work'): AutopilotError {
  const reason: unknown = signal?.reason;
  if (isAutopilotError(reason)) return reason;
  return new AutopilotError('ABORTED', `${what} was cancelled`, { cause: reason });
}

/**
 * Waits `ms`, rejecting with `abortedError(signal)` as soon as `signal` fires (or at once when it
 * already has).
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
 * A signal that fires `graceMs` after `stop` does (with its reason), or at once when `outright`
 * fires: for work already on the wire when a run stops, which may finish within the grace while
 * nothing new starts. Undefined without a `stop`. Call `dispose` when the work is over.
 *
 * @example
 * const grace = graceAfter(stop, 3_000);
 * try { await send({ signal: grace.signal, stop }); } finally { grace.dispose(); }
 */
export function graceAfter(stop: AbortSignal | undefined, graceMs: number, outright?: AbortSignal): { signal: AbortSignal | undefined; dispose(): void } {
  if (!stop) return { signal: outright, dispose: () => undefined };
  const controller = new AbortController();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const onStop = (): void => {
    timer ??= setTimeout(() => controller.abort(stop.reason), graceMs);
  };
  const onOutright = (): void => controller.abort(outright?.reason);
  if (stop.aborted) onStop();
  else stop.addEventListener('abort', onStop, { once: true });
  if (outright?.aborted) onOutright();
  else outright?.addEventListener('abort', onOutright, { once: true });
  return {
    signal: controller.signal,
    dispose: () => {
      clearTimeout(timer);
      stop.removeEventListener('abort', onStop);
      outright?.removeEventListener('abort', onOutright);
    },
  };
}

/** How a caller retries: attempts, waits and which classes of failure are worth another try. */
export interface RetryPolicy extends BackoffSettings {
  /** Attempts in total, the first included. */
  maxAttempts: number;
  /** A `Retry-After` longer than this is not worth waiting for: give up at once. */
  maxRetryAfterMs: number;
  /** The failure classes retried; everything else is rethrown at once. */
  retryOn: readonly FailureClass[];
  /** Waits `ms` unless `signal` fires first; injectable so tests never sleep. */
  sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Clock for HTTP-date `Retry-After` values (ms since the epoch). */
  now: () => number;
}

/** Why `retry` stopped trying. */
export interface GiveUp {
  /** Attempts made. */
  attempts: number;
  class: FailureClass;
  /** `attempts`: none left; `retry-after`: the other side asked for a longer wait than we accept. */
  because: 'attempts' | 'retry-after';
  /** The wait the other side asked for, when it did. */
  retryAfterMs?: number;
}

export interface RetryHooks {
  /** Classifies a failure (default `classifyFailure`). */
  classify?: (error: unknown) => FailureClass;
  /** The wait the failure asks for, in ms (default: its `retryAfterMs` property). */
  retryAfterMs?: (error: unknown) => number | undefined;
  /** The error to throw when retrying ends on a retryable failure (default: the failure itself). */
  giveUp?: (error: unknown, why: GiveUp) => unknown;
  /** Told about every wait, e.g. to report the time spent. */
  onWait?: (ms: number, error: unknown) => void;
}

/**
 * Runs `operation` until it succeeds, fails in a class the policy does not retry, or attempts run
 * out. A `Retry-After` the failure carries wins over the computed backoff; every wait ends when
 * `signal` fires, and no attempt starts after it has.
 *
 * @example
 * const page = await retry((attempt) => send(attempt), policy, signal, { giveUp: (error, why) => new AutopilotError('THROTTLED', `gave up after ${why.attempts}`) });
 */
export async function retry<T>(operation: (attempt: number) => Promise<T>, policy: RetryPolicy, signal: AbortSignal | undefined, hooks: RetryHooks = {}): Promise<T> {
  const classify = hooks.classify ?? ((error: unknown) => classifyFailure(error));
  const retryAfterOf = hooks.retryAfterMs ?? retryAfterProperty;
  for (let attempt = 1; ; attempt += 1) {
    if (signal?.aborted) throw abortedError(signal);
    try {
      return await operation(attempt);
    } catch (error) {
      if (signal?.aborted) throw abortedError(signal);
      const failureClass = classify(error);
      if (!policy.retryOn.includes(failureClass)) throw error;
      const retryAfterMs = retryAfterOf(error);
      if (retryAfterMs !== undefined && retryAfterMs > policy.maxRetryAfterMs) {
        throw hooks.giveUp ? hooks.giveUp(error, { attempts: attempt, class: failureClass, because: 'retry-after', retryAfterMs }) : error;
      }
      if (attempt >= policy.maxAttempts) {
        throw hooks.giveUp ? hooks.giveUp(error, { attempts: attempt, class: failureClass, because: 'attempts', ...(retryAfterMs === undefined ? {} : { retryAfterMs }) }) : error;
      }
      const wait = retryAfterMs ?? backoffDelay(policy, attempt);
      hooks.onWait?.(wait, error);
      await policy.sleep(wait, signal);
    }
  }
}

function retryAfterProperty(error: unknown): number | undefined {
  const value = (error as { retryAfterMs?: unknown } | undefined)?.retryAfterMs;
  return typeof value === 'number' ? value : undefined;
}

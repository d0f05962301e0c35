import { AutopilotError } from '../errors';
import { abortableSleep, abortedError, retry, type RetryPolicy } from './retry';

/**
 * Every AWS SDK call of the project goes through `callAws`: it carries the caller's signal into the
 * SDK (`abortSignal`) and retries throttling with bounded backoff on top of the SDK's own short retry.
 *
 * Control-plane quotas for ECR (DescribeImages, BatchDeleteImage, …) are unpublished and low
 * (aws-ecr-facts §6), so a sweep over many repositories can be throttled for longer than the SDK's
 * three attempts cover. Transient failures (5xx, dropped connections) are the SDK's own retry's job
 * and are not retried again here. Nothing is sent once the signal has fired: the SDK's
 * `abortSignal` only covers the HTTP request itself, not its middleware (aws/aws-sdk-js-v3#5810),
 * and a mocked client ignores it altogether, so the signal is also checked before every attempt,
 * and a call still pending when it fires is left behind (its late answer ignored) rather than awaited.
 */
export type RetryOptions = Partial<RetryPolicy>;

/** 1 try + 4 retries, waits from 200 ms doubling, full jitter. */
export const AWS_RETRY_POLICY: RetryPolicy = {
  maxAttempts: 5,
  baseDelayMs: 200,
  maxDelayMs: 10_000,
  // AWS throttling carries no Retry-After; the bound only matters if one ever does.
  maxRetryAfterMs: 30_000,
  retryOn: ['throttled'],
  random: Math.random,
  sleep: abortableSleep,
  now: Date.now,
};

export interface AwsCallOptions {
  /** Cancels the call: passed to the SDK as `abortSignal`, and no attempt starts after it fired. */
  signal?: AbortSignal | undefined;
  /** Replaces parts of `AWS_RETRY_POLICY` (tests record waits instead of sleeping). */
  retry?: RetryOptions | undefined;
}

/** What `send` receives: the SDK's per-call options. */
export interface SdkCallOptions {
  abortSignal?: AbortSignal;
}

/**
 * Runs one AWS call: `send` gets the SDK options to pass on (`client.send(command, options)`),
 * throttling is retried, and a cancelled call rejects with `ABORTED`.
 *
 * @example
 * const page = await callAws('ecr:DescribeImages', (sdk) => client.send(new DescribeImagesCommand(input), sdk), { signal });
 */
export async function callAws<T>(operation: string, send: (sdk: SdkCallOptions) => Promise<T>, options: AwsCallOptions = {}): Promise<T> {
  const { signal } = options;
  const sdk: SdkCallOptions = signal ? { abortSignal: signal } : {};
  return retry(() => unlessAborted(send(sdk), signal), { ...AWS_RETRY_POLICY, ...options.retry }, signal, {
    giveUp: (error, why) =>
      new AutopilotError('THROTTLED', `${operation} was throttled by AWS ${why.attempts} times in a row; try again later or lower the request rate`, { cause: error, retryable: true }),
  }).catch((error: unknown) => {
    // The SDK rejects an aborted request with its own AbortError: report the reason we stopped.
    if (signal?.aborted) throw abortedError(signal, operation);
    throw error;
  });
}

/** `pending`, or `ABORTED` as soon as `signal` fires, whichever comes first. */
function unlessAborted<T>(pending: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return pending;
  // A mocked client may answer with a plain value, where the SDK always returns a promise.
  const answer = Promise.resolve(pending);
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(abortedError(signal));
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
    answer.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}

import { AutopilotError } from '../errors';

/**
 * Bounded retries for AWS throttling, on top of the SDK's own (short) retry.
 *
 * Control-plane quotas for ECR (DescribeImages, BatchDeleteImage, …) are unpublished and low
 * (aws-ecr-facts §6), so a sweep over many repositories can be throttled for longer than the SDK's
 * three attempts cover. This adds a few more attempts with exponential backoff and full jitter,
 * then gives up with `THROTTLED` rather than retrying forever.
 */
export interface RetryOptions {
  /** Further attempts after the first (default 4). */
  retries?: number;
  /** First backoff ceiling in ms (default 200), doubled each time. */
  baseDelayMs?: number;
  /** Injected for tests; defaults to a real timer. */
  sleep?: (ms: number) => Promise<void>;
  signal?: AbortSignal;
}

/** Error names the SDK uses for throttling across services. */
const THROTTLING_NAMES: ReadonlySet<string> = new Set([
  'ThrottlingException',
  'Throttling',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'ThrottledException',
  'RequestThrottledException',
  'SlowDown',
]);

export function isThrottlingError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  return THROTTLING_NAMES.has(error.name) || status === 429;
}

export const realSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Runs `call`, retrying throttling errors with backoff; other errors are rethrown at once.
 *
 * @example
 * const page = await withThrottlingRetry(() => client.send(new DescribeImagesCommand(input)), 'DescribeImages');
 */
export async function withThrottlingRetry<T>(call: () => Promise<T>, operation: string, options: RetryOptions = {}): Promise<T> {
  const retries = options.retries ?? 4;
  const baseDelayMs = options.baseDelayMs ?? 200;
  const sleep = options.sleep ?? realSleep;
  for (let attempt = 0; ; attempt += 1) {
    try {
      return await call();
    } catch (error) {
      if (!isThrottlingError(error)) throw error;
      if (attempt >= retries) {
        throw new AutopilotError('THROTTLED', `${operation} was throttled by AWS ${attempt + 1} times in a row; try again later or lower the request rate`, {
          cause: error,
          retryable: true,
        });
      }
      if (options.signal?.aborted) throw new AutopilotError('ABORTED', `${operation} was cancelled while waiting to retry`, { cause: error });
      await sleep(Math.random() * baseDelayMs * 2 ** attempt);
    }
  }
}

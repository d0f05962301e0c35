/**
 * Runs tasks with at most N in flight. The first failure cancels the rest (through the signal
 * each task receives) and is rethrown once every task has settled, so nothing keeps writing to
 * the destination after `copyImage` has rejected.
 */
import { AutopilotError } from '../errors';
import { abortedError, sharedSignal } from './retry';

/**
 * Maps `items` through `task` with bounded concurrency, preserving order.
 *
 * @example
 * const sizes = await runBounded(blobs, 4, signal, (blob, taskSignal) => copyBlob(blob, taskSignal));
 */
export async function runBounded<T, R>(
  items: readonly T[],
  concurrency: number,
  signal: AbortSignal | undefined,
  task: (item: T, signal: AbortSignal) => Promise<R>,
): Promise<R[]> {
  const controller = new AbortController();
  sharedSignal(controller.signal);
  const onOuterAbort = (): void => controller.abort(signal?.reason);
  if (signal?.aborted) throw abortedError(signal);
  signal?.addEventListener('abort', onOuterAbort, { once: true });

  const results: R[] = new Array<R>(items.length);
  let next = 0;
  let failure: { error: unknown } | undefined;

  const worker = async (): Promise<void> => {
    while (!controller.signal.aborted) {
      const index = next;
      next += 1;
      if (index >= items.length) return;
      try {
        results[index] = await task(items[index] as T, controller.signal);
      } catch (error) {
        if (!failure) {
          failure = { error };
          controller.abort(new AutopilotError('ABORTED', 'Stopped because another transfer of the same copy failed'));
        }
        return;
      }
    }
  };

  try {
    const workers = Array.from({ length: Math.max(1, Math.min(concurrency, items.length)) }, () => worker());
    await Promise.all(workers);
  } finally {
    signal?.removeEventListener('abort', onOuterAbort);
  }
  if (signal?.aborted) throw abortedError(signal);
  if (failure) throw failure.error;
  return results;
}

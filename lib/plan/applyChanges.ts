import { AutopilotError, describeError, hasErrorCode } from '../errors';
import { abortedError } from '../shared/retry';
import type { AppliedChange, Change, ChangeWriter } from './types';

/** The signals a run (or a part of it) works under. */
export interface RunSignals {
  /** Handed to every `apply`: cancels the change in flight, and no change starts once it fired. */
  signal?: AbortSignal | undefined;
  /**
   * Checked before each change: once it fired, the remaining changes are not started, while the one
   * in flight finishes (unless `signal` fires too). A use case passes its stop line here and keeps
   * `signal` for cancelling outright, so that e.g. a BatchDeleteImage in flight at the stop still
   * reports which images it deleted.
   */
  stop?: AbortSignal | undefined;
}

/**
 * Applies changes in order and records each outcome. A change that fails with a user-fixable or
 * permanent error is reported as `failed` and the rest still run (one bad repository must not stop a
 * sweep); throttling and unknown errors are rethrown so the invocation can be retried.
 *
 * Once the run stops (`stop` or `signal` fired), every change not yet started is reported as
 * `stopped` with the reason, and a change cancelled in flight as `stopped` too ("may be partly
 * done"): the report says what was done, what was not, and why, instead of throwing it away.
 *
 * @example
 * const results = await applyChanges(writer, planGovernance(repositoryClass, state), { signal, stop });
 */
export async function applyChanges<C extends Change>(writer: ChangeWriter<C>, changes: readonly C[], options: RunSignals = {}): Promise<AppliedChange<C>[]> {
  const { signal } = options;
  const results: AppliedChange<C>[] = [];
  for (const change of changes) {
    const fired = firedSignal(options);
    if (fired) {
      results.push({ change, outcome: { status: 'stopped', message: `not started: ${stopReason(fired)}` } });
      continue;
    }
    try {
      results.push({ change, outcome: await writer.apply(change, { signal }) });
    } catch (error) {
      const stoppedBy = hasErrorCode(error, 'ABORTED') ? firedSignal(options) : undefined;
      if (stoppedBy) {
        results.push({ change, outcome: { status: 'stopped', message: `cancelled while in progress (it may be partly done): ${stopReason(stoppedBy)}` } });
      } else if (error instanceof AutopilotError && !error.retryable && error.code !== 'ABORTED' && error.code !== 'INTERNAL') {
        results.push({ change, outcome: { status: 'failed', message: describeError(error) } });
      } else {
        throw error;
      }
    }
  }
  return results;
}

/**
 * The signal that stopped the run, if one has fired: the outright cancel first.
 *
 * @example
 * const stopped = firedSignal(run); // then stopReason(stopped) says why
 */
export function firedSignal(options: RunSignals): AbortSignal | undefined {
  if (options.signal?.aborted) return options.signal;
  if (options.stop?.aborted) return options.stop;
  return undefined;
}

/**
 * The signal reads take: the stop when there is one (a read is abandoned safely at the stop),
 * otherwise the outright cancel.
 *
 * @example
 * for await (const image of registry.listImages(name, { signal: readSignal(run) })) images.push(image);
 */
export function readSignal(run: RunSignals): AbortSignal | undefined {
  return run.stop ?? run.signal;
}

/**
 * Why a fired signal stopped the run, in words (its reason's message when the reason is ours).
 *
 * @example
 * stopReason(stopLine.signal); // 'the time budget ran out: stopped 20 s before the Lambda timeout'
 */
export function stopReason(signal: AbortSignal): string {
  return describeError(abortedError(signal, 'The run'));
}

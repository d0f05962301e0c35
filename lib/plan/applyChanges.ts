import { AutopilotError, describeError } from '../errors';
import type { AppliedChange, Change, ChangeWriter } from './types';

/**
 * Applies changes in order and records each outcome. A change that fails with a user-fixable or
 * permanent error is reported as `failed` and the rest still run (one bad repository must not stop a
 * sweep); throttling, cancellation and unknown errors are rethrown so the invocation can be retried.
 *
 * @example
 * const results = await applyChanges(writer, planGovernance(repositoryClass, state));
 */
export async function applyChanges<C extends Change>(writer: ChangeWriter<C>, changes: readonly C[]): Promise<AppliedChange<C>[]> {
  const results: AppliedChange<C>[] = [];
  for (const change of changes) {
    try {
      results.push({ change, outcome: await writer.apply(change) });
    } catch (error) {
      if (error instanceof AutopilotError && !error.retryable && error.code !== 'ABORTED' && error.code !== 'INTERNAL') {
        results.push({ change, outcome: { status: 'failed', message: describeError(error) } });
      } else {
        throw error;
      }
    }
  }
  return results;
}

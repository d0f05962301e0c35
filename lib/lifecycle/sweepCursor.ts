import { createHash } from 'node:crypto';
import type { Repository } from '../ecr/types';
import type { StateKey, StateRecord } from '../state/StateStore';

/**
 * Where a sweep that stopped before its end resumes. A sweep visits repositories in name order; when
 * it stops (its deadline, Ctrl-C) it records the first repository it did not finish, and the next
 * sweep of the same scope starts there and goes round to where it began, so every repository is
 * reached even when a registry holds more than one invocation can sweep.
 */
export interface SweepCursor {
  [key: string]: string;
  /** The first repository the stopped run did not finish: the next run starts here. */
  nextRepository: string;
  /** The run that stopped, when, and why. */
  stoppedRunId: string;
  stoppedAt: string;
  reason: string;
}

/** A cursor nobody picked up within two weeks (the daily sweep stopped running) is forgotten. */
export const SWEEP_CURSOR_TTL_SECONDS = 14 * 24 * 60 * 60;

/**
 * The state-table key of a sweep scope's cursor: `all` for every repository, or a hash of the
 * repository globs of a manual sweep (globs can be longer than a sort key may be).
 *
 * @example
 * sweepCursorKey(undefined); // { pk: 'lifecycle-sweep#cursor', sk: 'all' }
 */
export function sweepCursorKey(repositoryGlobs: readonly string[] | undefined): StateKey {
  if (!repositoryGlobs) return { pk: 'lifecycle-sweep#cursor', sk: 'all' };
  const scope = createHash('sha256').update([...new Set(repositoryGlobs)].sort().join('\n')).digest('hex').slice(0, 32);
  return { pk: 'lifecycle-sweep#cursor', sk: `repositories#${scope}` };
}

/**
 * The order a sweep visits repositories in: by name, starting at the cursor's repository (or the
 * first name after it, when that repository is gone) and wrapping round to the beginning.
 *
 * @example
 * sweepOrder(repositories, 'team-b/api').map((r) => r.repositoryName); // ['team-b/api', 'team-c/web', 'team-a/api']
 */
export function sweepOrder(repositories: readonly Repository[], resumeAt: string | undefined): Repository[] {
  const sorted = [...repositories].sort((a, b) => (a.repositoryName < b.repositoryName ? -1 : a.repositoryName > b.repositoryName ? 1 : 0));
  if (resumeAt === undefined) return sorted;
  const start = sorted.findIndex((repository) => repository.repositoryName >= resumeAt);
  return start <= 0 ? sorted : [...sorted.slice(start), ...sorted.slice(0, start)];
}

/** "continued from team-b/api, where run … stopped at …" */
export function describeContinuation(cursor: StateRecord<SweepCursor>): string {
  return `continued from ${cursor.data.nextRepository}, where run ${cursor.data.stoppedRunId} stopped at ${cursor.data.stoppedAt} (${cursor.data.reason})`;
}

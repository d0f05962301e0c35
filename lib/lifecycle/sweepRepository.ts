import type { RepositoryClass } from '../config/types';
import type { BatchDeleteImageChange, GovernanceChange } from '../ecr/changes';
import type { RegistryReader } from '../ecr/RegistryReader';
import type { Repository } from '../ecr/types';
import { describeError, hasErrorCode } from '../errors';
import { governRepository } from '../governance/governRepository';
import { firedSignal, type RunSignals } from '../plan/applyChanges';
import type { ChangeWriter } from '../plan/types';
import type { LoggerPort } from '../runtime/types';
import { expireRepository } from './expireRepository';
import type { RepositoryLifecycleResult } from './ledger';
import type { SharedDeletionCap } from './sharedDeletionCap';

/** What a sweep may still delete this run, spent repository by repository. */
export class DeletionBudget {
  remaining: number;
  /** Whether the cap kept some image that the policies selected. */
  capReached = false;

  constructor(maxDeletions: number) {
    this.remaining = maxDeletions;
  }

  spend(result: RepositoryLifecycleResult): void {
    const plan = result.expiry?.plan;
    this.remaining = Math.max(0, this.remaining - (plan?.expire.length ?? 0));
    if (plan?.kept.some((kept) => kept.reason === 'cap-reached')) this.capReached = true;
  }
}

/**
 * One repository of a sweep: fix its governance drift, then expire what its class's policy selects
 * now, within the deletions the run has left (and spend them). Used by the single-invocation sweep
 * and by each batch of the fleet sweep, so both enforce exactly the same way.
 *
 * A failure in the repository is recorded in the result (the sweep goes on with the others); bugs
 * are rethrown. Under a stop (`run.stop`, see `stopLine`) reads are abandoned and no change starts
 * after it, the one in flight finishes; a repository the stop cut short is marked `unfinished` so the
 * caller starts there next time. A cancellation that is not the run's own is rethrown.
 * With `sharedCap` (the batches of a fleet run), deletions are also reserved from the cap the run's
 * concurrent batches share, and what was not deleted is given back (`expireRepository`).
 *
 * @example
 * const result = await sweepRepository(repository, servicesClass, { registry, writer, now, logger }, new DeletionBudget(200));
 */
export async function sweepRepository(
  repository: Repository,
  repositoryClass: RepositoryClass,
  deps: { registry: RegistryReader; writer: ChangeWriter<GovernanceChange | BatchDeleteImageChange>; now: Date; logger: LoggerPort },
  budget: DeletionBudget,
  run: RunSignals = {},
  sharedCap?: SharedDeletionCap,
): Promise<RepositoryLifecycleResult> {
  const result: RepositoryLifecycleResult = { repositoryName: repository.repositoryName, repositoryClass: repositoryClass.name, governance: [] };
  let cutShort = false;
  try {
    result.governance = await governRepository(repository.repositoryName, repositoryClass, { registry: deps.registry, writer: deps.writer }, repository, run);
    const expiry = await expireRepository(repository.repositoryName, repositoryClass, { registry: deps.registry, writer: deps.writer, now: deps.now }, { maxDeletions: budget.remaining, ...(sharedCap ? { sharedCap } : {}), ...run });
    if (expiry) result.expiry = expiry;
  } catch (error) {
    if (hasErrorCode(error, 'INTERNAL') || (hasErrorCode(error, 'ABORTED') && !firedSignal(run))) throw error;
    if (hasErrorCode(error, 'ABORTED')) {
      cutShort = true;
    } else {
      result.error = describeError(error);
      deps.logger.warn('Lifecycle sweep could not finish a repository; going on with the others', { repository: repository.repositoryName, error: result.error });
    }
  }
  if (cutShort || stoppedInside(result)) result.unfinished = true;
  budget.spend(result);
  return result;
}

/** True when the stop left something of the repository undone (a change not made, an image not deleted). */
function stoppedInside(result: RepositoryLifecycleResult): boolean {
  return (
    result.governance.some((change) => change.outcome.status === 'stopped') ||
    (result.expiry?.kept.some((kept) => kept.reason === 'run-stopped') ?? false) ||
    (result.expiry?.deletions.some((change) => change.outcome.status === 'stopped') ?? false)
  );
}

import type { RepositoryClass } from '../config/types';
import type { BatchDeleteImageChange, GovernanceChange } from '../ecr/changes';
import type { RegistryReader } from '../ecr/RegistryReader';
import type { Repository } from '../ecr/types';
import { describeError, hasErrorCode } from '../errors';
import { governRepository } from '../governance/governRepository';
import type { ChangeWriter } from '../plan/types';
import type { LoggerPort } from '../runtime/types';
import { expireRepository } from './expireRepository';
import type { RepositoryLifecycleResult } from './ledger';

/**
 * One repository of a sweep: fix its governance drift, then expire what its class's policy selects
 * now, within the deletions the run has left. Used by the single-invocation sweep and by each batch
 * of the fleet sweep, so both enforce exactly the same way.
 *
 * A failure in the repository is recorded in the result (the sweep goes on with the others);
 * cancellation and bugs are rethrown.
 *
 * @example
 * const result = await sweepRepository(repository, servicesClass, { registry, writer, now, logger }, { maxDeletions: 200 });
 */
export async function sweepRepository(
  repository: Repository,
  repositoryClass: RepositoryClass,
  deps: { registry: RegistryReader; writer: ChangeWriter<GovernanceChange | BatchDeleteImageChange>; now: Date; logger: LoggerPort },
  options: { maxDeletions: number },
): Promise<RepositoryLifecycleResult> {
  const result: RepositoryLifecycleResult = { repositoryName: repository.repositoryName, repositoryClass: repositoryClass.name, governance: [] };
  try {
    result.governance = await governRepository(repository.repositoryName, repositoryClass, { registry: deps.registry, writer: deps.writer }, repository);
    const expiry = await expireRepository(repository.repositoryName, repositoryClass, { registry: deps.registry, writer: deps.writer, now: deps.now }, options);
    if (expiry) result.expiry = expiry;
  } catch (error) {
    if (hasErrorCode(error, 'ABORTED', 'INTERNAL')) throw error;
    result.error = describeError(error);
    deps.logger.warn('Lifecycle sweep could not finish a repository; going on with the others', { repository: repository.repositoryName, error: result.error });
  }
  return result;
}

/** Images the result expired (or would), and whether the cap kept some. */
export function deletionsOf(result: RepositoryLifecycleResult): { planned: number; capReached: boolean } {
  const plan = result.expiry?.plan;
  return { planned: plan?.expire.length ?? 0, capReached: plan?.kept.some((kept) => kept.reason === 'cap-reached') ?? false };
}

import type { RepositoryClass } from '../config/types';
import type { GovernanceChange } from '../ecr/changes';
import type { RegistryReader } from '../ecr/RegistryReader';
import type { Repository } from '../ecr/types';
import type { AppliedChange, ChangeWriter } from '../plan/types';
import { applyChanges, readSignal, type RunSignals } from '../plan/applyChanges';
import { planGovernance } from './planGovernance';

/**
 * Brings one repository in line with its class.
 *
 * Input: the repository name and its class. Output: the changes, each with its outcome.
 * 1. Read the repository (DescribeRepositories) and, only when the class manages it, its lifecycle
 *    policy (GetLifecyclePolicy): at most 2 reads, so at most 3 AWS calls counting a single fix and
 *    exactly 2 when the repository is already right.
 * 2. Plan only what differs (`planGovernance`).
 * 3. Apply each change through the writer (recorded instead in plan mode). Reads end at the stop;
 *    a change is not started after it (`applyChanges`).
 *
 * @example
 * const changes = await governRepository('team-a/api', servicesClass, { registry, writer });
 */
export async function governRepository(
  repositoryName: string,
  repositoryClass: RepositoryClass,
  deps: { registry: RegistryReader; writer: ChangeWriter<GovernanceChange> },
  /** The repository when the caller already read it (a sweep lists them): saves the DescribeRepositories call. */
  known?: Repository,
  run: RunSignals = {},
): Promise<AppliedChange<GovernanceChange>[]> {
  const signal = readSignal(run);
  const repository = known ?? (await deps.registry.describeRepository(repositoryName, { signal }));
  const lifecyclePolicyText = repositoryClass.lifecyclePolicy ? await deps.registry.getLifecyclePolicyText(repositoryName, { signal }) : undefined;
  const changes = planGovernance(repositoryClass, { repository, lifecyclePolicyText });
  return applyChanges(deps.writer, changes, run);
}

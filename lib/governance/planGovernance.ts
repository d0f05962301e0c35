import type { RepositoryClass } from '../config/types';
import type { GovernanceChange } from '../ecr/changes';
import type { Repository } from '../ecr/types';
import { sameJson } from '../shared/canonicalJson';

/** What governance needs to know about a repository. */
export interface GovernedState {
  repository: Repository;
  /** Undefined when the repository has no lifecycle policy (or it was not read: the class does not manage it). */
  lifecyclePolicyText: string | undefined;
}

/**
 * The changes that make a repository match its class: only what differs, compared on normalised
 * values (canonical JSON for policies, sets for exclusion filters). Pure: no AWS calls, no clock.
 *
 * @example
 * planGovernance(servicesClass, { repository, lifecyclePolicyText: undefined })
 * // [{ action: 'ecr:PutLifecyclePolicy', target: 'team-a/api', reason: 'no lifecycle policy; class services requires lifecycle/services.json', ... }]
 */
export function planGovernance(repositoryClass: RepositoryClass, state: GovernedState): GovernanceChange[] {
  const { repository } = state;
  const target = repository.repositoryName;
  const changes: GovernanceChange[] = [];

  const desiredPolicy = repositoryClass.lifecyclePolicy;
  if (desiredPolicy && !sameJson(desiredPolicy.text, state.lifecyclePolicyText ?? 'null')) {
    changes.push({
      action: 'ecr:PutLifecyclePolicy',
      target,
      reason: state.lifecyclePolicyText === undefined
        ? `no lifecycle policy; class ${repositoryClass.name} requires ${desiredPolicy.source}`
        : `lifecycle policy differs from ${desiredPolicy.source} (class ${repositoryClass.name})`,
      lifecyclePolicyText: desiredPolicy.text,
    });
  }

  if (repositoryClass.scanOnPush !== undefined && repositoryClass.scanOnPush !== repository.scanOnPush) {
    changes.push({
      action: 'ecr:PutImageScanningConfiguration',
      target,
      reason: `scan on push is ${repository.scanOnPush ? 'on' : 'off'}; class ${repositoryClass.name} requires ${repositoryClass.scanOnPush ? 'on' : 'off'}`,
      scanOnPush: repositoryClass.scanOnPush,
    });
  }

  const desiredMutability = repositoryClass.tagMutability;
  if (desiredMutability !== undefined) {
    const desiredExclusions = repositoryClass.tagMutabilityExclusions ?? [];
    const exclusionsDiffer = !sameSet(desiredExclusions, repository.imageTagMutabilityExclusions);
    if (desiredMutability !== repository.imageTagMutability || exclusionsDiffer) {
      const exclusionText = desiredExclusions.length > 0 ? ` except ${desiredExclusions.join(', ')}` : '';
      changes.push({
        action: 'ecr:PutImageTagMutability',
        target,
        reason:
          desiredMutability !== repository.imageTagMutability
            ? `tags are ${repository.imageTagMutability}; class ${repositoryClass.name} requires ${desiredMutability}${exclusionText}`
            : `tag mutability exclusions are [${repository.imageTagMutabilityExclusions.join(', ')}]; class ${repositoryClass.name} requires [${desiredExclusions.join(', ')}]`,
        imageTagMutability: desiredMutability,
        exclusions: desiredExclusions,
      });
    }
  }
  return changes;
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  const left = new Set(a);
  const right = new Set(b);
  return left.size === right.size && [...left].every((item) => right.has(item));
}

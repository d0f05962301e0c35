import { compileRepositoryGlobs } from './repositoryGlob';
import type { AutopilotConfig, RepositoryClass } from './types';

const compiled = new WeakMap<RepositoryClass, (name: string) => boolean>();

/**
 * The repository class governing a repository: the first class whose globs match wins.
 * Returns undefined when no class matches (the repository is then left alone).
 *
 * @example
 * matchRepositoryClass(config, 'mirror/eks/aws-load-balancer-controller')?.name // 'mirrors'
 */
export function matchRepositoryClass(config: Pick<AutopilotConfig, 'repositoryClasses'>, repositoryName: string): RepositoryClass | undefined {
  return config.repositoryClasses.find((repositoryClass) => {
    let matches = compiled.get(repositoryClass);
    if (!matches) {
      matches = compileRepositoryGlobs(repositoryClass.repositories);
      compiled.set(repositoryClass, matches);
    }
    return matches(repositoryName);
  });
}

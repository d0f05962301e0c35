import { mirrorTargets } from '../mirror/mirrorTargets';
import { normalizePrefix, ROOT_PREFIX } from '../pull-through-cache/limits';
import { compileRepositoryGlob, isCatchAllGlob } from './repositoryGlob';
import type { AutopilotConfig } from './types';

/** Where the repositories a part of the configuration generates land: which class governs them, by which glob. */
export interface GeneratedRepositoryPlacement {
  /** The configuration field that decides the names: `mirror.repositoryPrefix`, `mirror.images[1].repository`, `pullThroughCache.rules[0].prefix`. */
  path: string;
  /** Its value. */
  value: string;
  /** What the repositories are, for messages: `the mirrored repositories (mirror/a, mirror/b)`, `repositories cached under quay/`. */
  what: string;
  /** The repository names (a pull-through cache prefix: an example under it). */
  repositories: string[];
  /** The governing class (the first whose globs match); absent when none does. */
  className?: string;
  /** The class's glob that matched. */
  glob?: string;
  /** True when a glob that is not a catch-all names them: a class meant for them. */
  named: boolean;
  /** The glob to add to a class to name them, e.g. `mirrors/**`. */
  suggestedGlob: string;
}

/**
 * Which repository class governs the mirrored repositories (`mirror.repositoryPrefix`, and images
 * with their own `repository`) and each pull-through cache prefix, and whether a class names them
 * or they fall through to a catch-all. Pure; `config` prints it and a configuration rule warns.
 *
 * @example
 * placeGeneratedRepositories(config).map((p) => `${p.value} → ${p.className}`)
 * // ['mirror → mirrors', 'ecr-public → pull-through-cache', …]
 */
export function placeGeneratedRepositories(config: Pick<AutopilotConfig, 'repositoryClasses' | 'mirror' | 'pullThroughCache'>): GeneratedRepositoryPlacement[] {
  const placements: GeneratedRepositoryPlacement[] = [];
  const mirror = config.mirror;
  if (mirror) {
    const byPrefix = mirrorTargets({ ...mirror, images: mirror.images.filter((image) => image.repository === undefined) }).map((target) => target.repository);
    const prefixRepositories = [...new Set(byPrefix)];
    // The prefix generates names only when an image uses it.
    if (prefixRepositories.length > 0) {
      const what = `the mirrored repositories (${prefixRepositories.join(', ')})`;
      placements.push(place(config, 'mirror.repositoryPrefix', mirror.repositoryPrefix, what, prefixRepositories, `${mirror.repositoryPrefix}/**`));
    }
    mirror.images.forEach((image, index) => {
      if (image.repository === undefined) return;
      placements.push(place(config, `mirror.images[${index}].repository`, image.repository, `the mirrored repository of ${image.source}`, [image.repository], image.repository));
    });
  }
  (config.pullThroughCache?.rules ?? []).forEach((rule, index) => {
    const prefix = normalizePrefix(rule.prefix);
    // ROOT caches into the registry root: its repositories have any name, so no class can name them.
    if (prefix === ROOT_PREFIX) return;
    placements.push(place(config, `pullThroughCache.rules[${index}].prefix`, prefix, `repositories cached under ${prefix}/`, [`${prefix}/example`], `${prefix}/**`));
  });
  return placements;
}

function place(
  config: Pick<AutopilotConfig, 'repositoryClasses'>,
  path: string,
  value: string,
  what: string,
  repositories: string[],
  suggestedGlob: string,
): GeneratedRepositoryPlacement {
  // The class of the first repository decides: the others share the prefix.
  const [first] = repositories;
  for (const repositoryClass of config.repositoryClasses) {
    const glob = repositoryClass.repositories.find((candidate) => first !== undefined && compileRepositoryGlob(candidate)(first));
    if (glob !== undefined) return { path, value, what, repositories, className: repositoryClass.name, glob, named: !isCatchAllGlob(glob), suggestedGlob };
  }
  return { path, value, what, repositories, named: false, suggestedGlob };
}

import type { MirrorSettings } from '../config/types';

/** One tag of one upstream image, and where it goes. */
export interface MirrorTarget {
  /** `registry/repository`, e.g. `public.ecr.aws/eks/aws-load-balancer-controller`. */
  source: string;
  tag: string;
  /** `source:tag`. */
  sourceReference: string;
  /** The private repository name, e.g. `mirror/eks/aws-load-balancer-controller`. */
  repository: string;
  /** `all`, or the platforms of the subset to build a new index from. */
  platforms: 'all' | string[];
  includeReferrers: boolean;
}

/**
 * Expands the `mirror` configuration into one target per image tag. The destination repository is
 * `<repositoryPrefix>/<source path>` unless the image names its own.
 *
 * @example
 * mirrorTargets({ repositoryPrefix: 'mirror', platforms: 'all', includeReferrers: false,
 *   images: [{ source: 'registry.k8s.io/autoscaling/cluster-autoscaler', tags: ['v1.32.0'] }] })[0].repository
 * // 'mirror/autoscaling/cluster-autoscaler'
 */
export function mirrorTargets(settings: MirrorSettings | undefined): MirrorTarget[] {
  if (!settings) return [];
  return settings.images.flatMap((image) => {
    const path = image.source.slice(image.source.indexOf('/') + 1);
    const repository = image.repository ?? `${settings.repositoryPrefix}/${path}`;
    const platforms = image.platforms ?? settings.platforms;
    return image.tags.map((tag) => ({
      source: image.source,
      tag,
      sourceReference: `${image.source}:${tag}`,
      repository,
      platforms: platforms === 'all' ? 'all' : [...platforms].sort(),
      includeReferrers: settings.includeReferrers,
    }));
  });
}

/** The key under which a snapshot records the digest of a platform subset (`linux/amd64,linux/arm64`). */
export function platformSubsetKey(platforms: readonly string[]): string {
  return [...platforms].sort().join(',');
}

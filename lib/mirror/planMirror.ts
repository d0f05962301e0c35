import type { RepositoryClass } from '../config/types';
import type { CreateRepositoryChange, PutLifecyclePolicyChange } from '../ecr/changes';
import type { ImageDetail } from '../ecr/types';
import { shortDigest } from '../notify/present/format';
import type { CopyImageChange } from './changes';
import type { MirrorTarget } from './mirrorTargets';
import type { UpstreamImage } from './UpstreamReader';

/** What we know about one target before deciding. */
export interface MirrorTargetState {
  target: MirrorTarget;
  upstream: UpstreamImage | { error: string };
  repositoryExists: boolean;
  /** What the destination tag points at now (DescribeImages metadata, not a pull). */
  current: ImageDetail | undefined;
}

export type MirrorDecision =
  | { target: MirrorTarget; status: 'unchanged'; digest: string; platforms: string[]; reason: string }
  | { target: MirrorTarget; status: 'copy'; previousDigest: string | undefined; expectedDigest: string | undefined; platforms: string[]; reason: string }
  | { target: MirrorTarget; status: 'failed'; reason: string };

/** Tags ecr-autopilot puts on repositories it creates, so teardown and people know who owns them. */
export const MANAGED_BY_TAG = { 'managed-by': 'ecr-autopilot' } as const;

/**
 * Decides, per target, whether to copy, and which repositories to create first. Pure.
 * An image is unchanged when the destination tag already points at the digest a copy would produce
 * (the upstream digest, or the subset index's); a missing repository is created with its class's
 * settings and lifecycle policy, before any copy into it.
 *
 * @example
 * const { decisions, changes } = planMirror(states, (name) => matchRepositoryClass(config, name));
 */
export function planMirror(
  states: readonly MirrorTargetState[],
  classFor: (repositoryName: string) => RepositoryClass | undefined,
): { decisions: MirrorDecision[]; changes: Array<CreateRepositoryChange | PutLifecyclePolicyChange | CopyImageChange> } {
  const decisions: MirrorDecision[] = [];
  const creations: Array<CreateRepositoryChange | PutLifecyclePolicyChange> = [];
  const copies: CopyImageChange[] = [];
  const created = new Set<string>();

  for (const state of states) {
    const { target, upstream } = state;
    if ('error' in upstream) {
      decisions.push({ target, status: 'failed', reason: `upstream ${target.sourceReference}: ${upstream.error}` });
      continue;
    }
    const platforms = target.platforms === 'all' ? upstream.platforms : target.platforms;
    const expected = upstream.destinationDigest;
    const currentDigest = state.current?.imageDigest;
    if (state.repositoryExists && currentDigest !== undefined && currentDigest === expected) {
      decisions.push({ target, status: 'unchanged', digest: currentDigest, platforms, reason: `${target.repository}:${target.tag} already is ${shortDigest(currentDigest)}` });
      continue;
    }
    if (!state.repositoryExists && !created.has(target.repository)) {
      created.add(target.repository);
      creations.push(...createRepository(target.repository, classFor(target.repository)));
    }
    const reason = !state.repositoryExists
      ? `new repository ${target.repository}`
      : currentDigest === undefined
        ? `tag ${target.tag} is not in ${target.repository} yet`
        : expected === undefined
          ? `cannot tell offline whether the ${platforms.join(', ')} subset changed; copying skips what exists`
          : `upstream moved: ${shortDigest(currentDigest)} → ${shortDigest(expected)}`;
    decisions.push({ target, status: 'copy', previousDigest: currentDigest, expectedDigest: expected, platforms, reason });
    copies.push({
      action: 'oci:CopyImage',
      target: `${target.repository}:${target.tag}`,
      reason: `${target.sourceReference} → ${target.repository}:${target.tag} (${target.platforms === 'all' ? `all ${platforms.length} platforms` : `platforms ${platforms.join(', ')}`}): ${reason}`,
      source: target.sourceReference,
      repository: target.repository,
      tag: target.tag,
      platforms: target.platforms,
      includeReferrers: target.includeReferrers,
      ...(currentDigest ? { previousDigest: currentDigest } : {}),
      ...(expected ? { expectedDigest: expected } : {}),
    });
  }
  return { decisions, changes: [...creations, ...copies] };
}

function createRepository(repositoryName: string, repositoryClass: RepositoryClass | undefined): Array<CreateRepositoryChange | PutLifecyclePolicyChange> {
  const classNote = repositoryClass ? `class ${repositoryClass.name}` : 'no repository class matches: created with ECR defaults';
  const changes: Array<CreateRepositoryChange | PutLifecyclePolicyChange> = [
    {
      action: 'ecr:CreateRepository',
      target: repositoryName,
      reason: `mirror destination does not exist (${classNote})`,
      ...(repositoryClass?.scanOnPush !== undefined ? { scanOnPush: repositoryClass.scanOnPush } : {}),
      ...(repositoryClass?.tagMutability ? { imageTagMutability: repositoryClass.tagMutability } : {}),
      exclusions: repositoryClass?.tagMutabilityExclusions ?? [],
      resourceTags: { ...MANAGED_BY_TAG },
    },
  ];
  if (repositoryClass?.lifecyclePolicy) {
    changes.push({
      action: 'ecr:PutLifecyclePolicy',
      target: repositoryName,
      reason: `new repository; class ${repositoryClass.name} requires ${repositoryClass.lifecyclePolicy.source}`,
      lifecyclePolicyText: repositoryClass.lifecyclePolicy.text,
    });
  }
  return changes;
}

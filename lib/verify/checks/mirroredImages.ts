import { matchRepositoryClass } from '../../config/matchRepositoryClass';
import { parseIndexChildren } from '../../ecr/manifests';
import { isIndexMediaType } from '../../ecr/types';
import { describeError, hasErrorCode } from '../../errors';
import { planGovernance } from '../../governance/planGovernance';
import { mirrorTargets, type MirrorTarget } from '../../mirror/mirrorTargets';
import { shortDigest } from '../../notify/present/format';
import type { CheckContext, CheckResult, LabCheck } from '../types';

const SECTION = 'Mirrored images' as const;

/**
 * The lab's "copy the public images into private ECR" step: every mirrored repository exists and is
 * governed by its class, and every configured tag holds the upstream index digest with every
 * upstream platform present (the lab's `docker pull/push` kept only one).
 */
export const mirroredImagesCheck: LabCheck = {
  id: 'mirrored-images',
  section: SECTION,
  async run(context) {
    const targets = mirrorTargets(context.config.mirror);
    if (targets.length === 0) {
      return [{ id: 'mirror', section: SECTION, title: 'Mirrored images', status: 'skipped', expected: 'images in mirror.images', found: 'none configured' }];
    }
    const results: CheckResult[] = [];
    const existing = new Set<string>();
    for (const repositoryName of [...new Set(targets.map((target) => target.repository))]) {
      const { result, exists } = await checkRepository(context, repositoryName);
      if (exists) existing.add(repositoryName);
      results.push(result);
    }
    for (const target of targets) results.push(existing.has(target.repository) ? await checkImage(context, target) : missingImage(target));
    return results;
  },
};

async function checkRepository(context: CheckContext, repositoryName: string): Promise<{ result: CheckResult; exists: boolean }> {
  const base = { id: `repository:${repositoryName}`, section: SECTION, title: `Repository ${repositoryName}` } as const;
  const repositoryClass = matchRepositoryClass(context.config, repositoryName);
  let repository;
  try {
    repository = await context.registry.describeRepository(repositoryName, { signal: context.signal });
  } catch (error) {
    if (hasErrorCode(error, 'REPOSITORY_NOT_FOUND')) {
      return { exists: false, result: { ...base, status: 'fail', expected: 'exists', found: 'no repository', fix: 'run mirrorImages (ecr-autopilot mirror)' } };
    }
    throw error;
  }
  if (!repositoryClass) {
    return { exists: true, result: { ...base, status: 'warn', expected: 'governed by a repository class', found: 'no class matches it', fix: 'add a class whose repositories glob matches it in infra/autopilot.yml' } };
  }
  const lifecyclePolicyText = repositoryClass.lifecyclePolicy ? await context.registry.getLifecyclePolicyText(repositoryName, { signal: context.signal }) : undefined;
  const drift = planGovernance(repositoryClass, { repository, lifecyclePolicyText });
  const expected = `governed by class ${repositoryClass.name}`;
  const result: CheckResult =
    drift.length === 0
      ? { ...base, status: 'pass', expected, found: 'lifecycle policy, scan on push and tag mutability as configured' }
      : { ...base, status: 'fail', expected, found: drift.map((change) => change.reason).join('; '), fix: `ecr-autopilot lifecycle sweep --repository ${repositoryName}` };
  return { exists: true, result };
}

/** What every result about one mirrored tag shares: its id, title and the command that fixes it. */
function imageResultBase(target: MirrorTarget) {
  return { id: `image:${target.repository}:${target.tag}`, section: SECTION, title: `${target.repository}:${target.tag}`, fix: `ecr-autopilot mirror --source ${target.source}` } as const;
}

function missingImage(target: MirrorTarget): CheckResult {
  return { ...imageResultBase(target), status: 'fail', expected: `a copy of ${target.sourceReference}`, found: 'the repository does not exist' };
}

async function checkImage(context: CheckContext, target: MirrorTarget): Promise<CheckResult> {
  const { fix, ...base } = imageResultBase(target);
  const current = await context.registry.describeImageByTag(target.repository, target.tag, { signal: context.signal });
  if (!current) return { ...base, status: 'fail', expected: `a copy of ${target.sourceReference}`, found: 'tag missing', fix };

  let upstream;
  try {
    upstream = await context.upstream.resolve(target, { signal: context.signal });
  } catch (error) {
    return { ...base, status: 'warn', expected: `the digest of ${target.sourceReference}`, found: `${shortDigest(current.imageDigest)}; upstream unreachable (${describeError(error)})`, fix: 'check network access to the upstream registry' };
  }
  const wantedPlatforms = target.platforms === 'all' ? upstream.platforms : target.platforms;
  const present = isIndexMediaType(current.imageManifestMediaType)
    ? await indexPlatforms(context, target.repository, current.imageDigest)
    : wantedPlatforms.slice(0, 1);
  const missing = wantedPlatforms.filter((platform) => !present.includes(platform));
  const expectedDigest = upstream.destinationDigest;
  const digestOk = expectedDigest === undefined || current.imageDigest === expectedDigest;
  const expected = `${expectedDigest ? shortDigest(expectedDigest) : 'the upstream index'} with ${wantedPlatforms.join(', ')}`;
  const found = `${shortDigest(current.imageDigest)} with ${present.join(', ') || 'no platforms'}`;
  if (missing.length > 0) return { ...base, status: 'fail', expected, found: `${found}: missing ${missing.join(', ')} (partially mirrored)`, fix };
  if (!digestOk) return { ...base, status: 'fail', expected, found: `${found}: upstream has moved on`, fix };
  return { ...base, status: 'pass', expected, found };
}

async function indexPlatforms(context: CheckContext, repositoryName: string, digest: string): Promise<string[]> {
  const [manifest] = (await context.registry.getManifests(repositoryName, [digest], { signal: context.signal })).manifests;
  return manifest ? parseIndexChildren(manifest.manifest).filter((child) => !child.isAttestation && child.platform).map((child) => child.platform as string) : [];
}

import { describe, expect, it } from 'vitest';
import { matchRepositoryClass } from '../../../lib/config/matchRepositoryClass';
import type { ImageDetail } from '../../../lib/ecr/types';
import type { MirrorTarget } from '../../../lib/mirror/mirrorTargets';
import { MANAGED_BY_TAG, planMirror, type MirrorTargetState } from '../../../lib/mirror/planMirror';
import { digestOf } from '../../support/events';
import { ALB, ALB_REPOSITORY, CA, CA_REPOSITORY, mirrorConfig, upstreamImage } from './mirrorFixtures';

const config = mirrorConfig();
const classFor = (name: string) => matchRepositoryClass(config, name);

function target(source: string, tag: string, repository: string, platforms: MirrorTarget['platforms'] = 'all'): MirrorTarget {
  return { source, tag, sourceReference: `${source}:${tag}`, repository, platforms, includeReferrers: false };
}

function detail(digest: string, tag: string): ImageDetail {
  return { imageDigest: digest, imageTags: [tag], imagePushedAt: new Date('2026-11-01T00:00:00Z'), storageClass: 'STANDARD' };
}

const ALB_TARGET = target(ALB, 'v2.9.2', ALB_REPOSITORY);
const NEW = upstreamImage(`${ALB}:v2.9.2`, 'alb new');
const OLD = digestOf('alb old');
const SUBSET_TARGET = target(ALB, 'v2.9.2', ALB_REPOSITORY, ['linux/amd64']);

describe('planMirror', () => {
  it.each<{ case: string; state: MirrorTargetState; status: string; reason: RegExp; previous?: string; expected?: string }>([
    {
      case: 'the destination tag already has the upstream digest → unchanged',
      state: { target: ALB_TARGET, upstream: NEW, repositoryExists: true, current: detail(NEW.digest, 'v2.9.2') },
      status: 'unchanged',
      reason: /already is sha256:[0-9a-f]{12}/,
    },
    {
      case: 'the repository does not exist → copy into a new repository',
      state: { target: ALB_TARGET, upstream: NEW, repositoryExists: false, current: undefined },
      status: 'copy',
      reason: new RegExp(`^new repository ${ALB_REPOSITORY}$`),
      expected: NEW.digest,
    },
    {
      case: 'the tag is missing from an existing repository → copy',
      state: { target: ALB_TARGET, upstream: NEW, repositoryExists: true, current: undefined },
      status: 'copy',
      reason: /^tag v2\.9\.2 is not in mirror\/eks\/aws-load-balancer-controller yet$/,
      expected: NEW.digest,
    },
    {
      case: 'upstream moved the tag → copy, old → new',
      state: { target: ALB_TARGET, upstream: NEW, repositoryExists: true, current: detail(OLD, 'v2.9.2') },
      status: 'copy',
      reason: /^upstream moved: sha256:[0-9a-f]{12} → sha256:[0-9a-f]{12}$/,
      previous: OLD,
      expected: NEW.digest,
    },
    {
      case: 'a subset whose index digest is unknown (offline) → copy, saying why',
      state: { target: SUBSET_TARGET, upstream: upstreamImage(`${ALB}:v2.9.2`, 'alb new', ['linux/amd64', 'linux/arm64'], null), repositoryExists: true, current: detail(OLD, 'v2.9.2') },
      status: 'copy',
      reason: /cannot tell offline whether the linux\/amd64 subset changed/,
      previous: OLD,
    },
    {
      case: 'a subset whose index digest is known and already there → unchanged',
      state: { target: SUBSET_TARGET, upstream: upstreamImage(`${ALB}:v2.9.2`, 'alb new', ['linux/amd64', 'linux/arm64'], digestOf('subset')), repositoryExists: true, current: detail(digestOf('subset'), 'v2.9.2') },
      status: 'unchanged',
      reason: /already is/,
    },
    {
      case: 'a subset: the destination holding the full upstream index is not the subset → copy',
      state: { target: SUBSET_TARGET, upstream: upstreamImage(`${ALB}:v2.9.2`, 'alb new', ['linux/amd64', 'linux/arm64'], digestOf('subset')), repositoryExists: true, current: detail(NEW.digest, 'v2.9.2') },
      status: 'copy',
      reason: /^upstream moved/,
      previous: NEW.digest,
      expected: digestOf('subset'),
    },
    {
      case: 'upstream could not be read → failed',
      state: { target: ALB_TARGET, upstream: { error: 'HTTP 503 from public.ecr.aws' }, repositoryExists: true, current: detail(OLD, 'v2.9.2') },
      status: 'failed',
      reason: /^upstream public\.ecr\.aws\/eks\/aws-load-balancer-controller:v2\.9\.2: HTTP 503 from public\.ecr\.aws$/,
    },
  ])('$case', ({ state, status, reason, previous, expected }) => {
    // Act
    const { decisions } = planMirror([state], classFor);

    // Assess
    expect(decisions).toHaveLength(1);
    const decision = decisions[0];
    expect(decision?.status).toBe(status);
    expect(decision?.reason).toMatch(reason);
    if (decision?.status === 'copy') {
      expect(decision.previousDigest).toBe(previous);
      expect(decision.expectedDigest).toBe(expected);
    }
  });

  it('plans nothing at all when every tag is unchanged', () => {
    // Prepare
    const states: MirrorTargetState[] = [{ target: ALB_TARGET, upstream: NEW, repositoryExists: true, current: detail(NEW.digest, 'v2.9.2') }];

    // Act
    const { changes } = planMirror(states, classFor);

    // Assess
    expect(changes).toEqual([]);
  });

  it('plans no repository and no copy for a target whose upstream failed', () => {
    // Prepare
    const states: MirrorTargetState[] = [{ target: ALB_TARGET, upstream: { error: 'unreachable' }, repositoryExists: false, current: undefined }];

    // Act
    const { changes } = planMirror(states, classFor);

    // Assess
    expect(changes).toEqual([]);
  });

  it('copies with the previous and expected digests, the platforms and the source reference', () => {
    // Prepare
    const states: MirrorTargetState[] = [{ target: ALB_TARGET, upstream: NEW, repositoryExists: true, current: detail(OLD, 'v2.9.2') }];

    // Act
    const { changes, decisions } = planMirror(states, classFor);

    // Assess
    expect(changes).toEqual([
      {
        action: 'oci:CopyImage',
        target: `${ALB_REPOSITORY}:v2.9.2`,
        reason: expect.stringMatching(/^public\.ecr\.aws\/eks\/aws-load-balancer-controller:v2\.9\.2 → mirror\/eks\/aws-load-balancer-controller:v2\.9\.2 \(all 2 platforms\): upstream moved/),
        source: `${ALB}:v2.9.2`,
        repository: ALB_REPOSITORY,
        tag: 'v2.9.2',
        platforms: 'all',
        includeReferrers: false,
        previousDigest: OLD,
        expectedDigest: NEW.digest,
      },
    ]);
    expect(decisions[0]).toMatchObject({ platforms: ['linux/amd64', 'linux/arm64'] });
  });

  it('reports the configured subset as the platforms of a subset target, not what upstream offers', () => {
    // Prepare
    const states: MirrorTargetState[] = [{ target: SUBSET_TARGET, upstream: upstreamImage(`${ALB}:v2.9.2`, 'alb', ['linux/amd64', 'linux/arm64'], digestOf('subset')), repositoryExists: false, current: undefined }];

    // Act
    const { changes, decisions } = planMirror(states, classFor);

    // Assess
    expect(decisions[0]).toMatchObject({ status: 'copy', platforms: ['linux/amd64'], expectedDigest: digestOf('subset') });
    expect(changes.at(-1)).toMatchObject({ action: 'oci:CopyImage', platforms: ['linux/amd64'], reason: expect.stringContaining('(platforms linux/amd64)') });
  });

  it('creates a missing repository once, with the class settings and lifecycle policy, even for several tags', () => {
    // Prepare
    const states: MirrorTargetState[] = ['v1.31.0', 'v1.32.0', 'v1.33.0'].map((tag) => ({
      target: target(CA, tag, CA_REPOSITORY),
      upstream: upstreamImage(`${CA}:${tag}`, `ca ${tag}`),
      repositoryExists: false,
      current: undefined,
    }));

    // Act
    const { changes } = planMirror(states, classFor);

    // Assess
    expect(changes.map((change) => `${change.action} ${change.target}`)).toEqual([
      `ecr:CreateRepository ${CA_REPOSITORY}`,
      `ecr:PutLifecyclePolicy ${CA_REPOSITORY}`,
      `oci:CopyImage ${CA_REPOSITORY}:v1.31.0`,
      `oci:CopyImage ${CA_REPOSITORY}:v1.32.0`,
      `oci:CopyImage ${CA_REPOSITORY}:v1.33.0`,
    ]);
    const mirrors = classFor(CA_REPOSITORY);
    expect(changes[0]).toEqual({
      action: 'ecr:CreateRepository',
      target: CA_REPOSITORY,
      reason: 'mirror destination does not exist (class mirrors)',
      scanOnPush: true,
      imageTagMutability: 'IMMUTABLE',
      exclusions: [],
      resourceTags: { ...MANAGED_BY_TAG },
    });
    expect(changes[1]).toMatchObject({ action: 'ecr:PutLifecyclePolicy', lifecyclePolicyText: mirrors?.lifecyclePolicy?.text });
  });

  it('puts every repository creation before the first copy, whatever the target order', () => {
    // Prepare
    const states: MirrorTargetState[] = [
      { target: ALB_TARGET, upstream: NEW, repositoryExists: true, current: detail(OLD, 'v2.9.2') },
      { target: target(CA, 'v1.32.0', CA_REPOSITORY), upstream: upstreamImage(`${CA}:v1.32.0`, 'ca'), repositoryExists: false, current: undefined },
      { target: target('quay.io/jetstack/cert-manager-controller', 'v1.16.0', 'mirror/jetstack/cert-manager-controller'), upstream: upstreamImage('quay.io/jetstack/cert-manager-controller:v1.16.0', 'cm'), repositoryExists: false, current: undefined },
    ];

    // Act
    const { changes } = planMirror(states, classFor);

    // Assess
    const actions = changes.map((change) => change.action);
    const firstCopy = actions.indexOf('oci:CopyImage');
    const lastCreation = Math.max(actions.lastIndexOf('ecr:CreateRepository'), actions.lastIndexOf('ecr:PutLifecyclePolicy'));
    expect(actions.filter((action) => action === 'ecr:CreateRepository')).toHaveLength(2);
    expect(lastCreation).toBeLessThan(firstCopy);
    expect(changes.filter((change) => change.action === 'oci:CopyImage').map((change) => change.target)).toEqual([
      `${ALB_REPOSITORY}:v2.9.2`,
      `${CA_REPOSITORY}:v1.32.0`,
      'mirror/jetstack/cert-manager-controller:v1.16.0',
    ]);
  });

  it('creates a repository no class matches with ECR defaults and no lifecycle policy', () => {
    // Prepare
    const states: MirrorTargetState[] = [{ target: target(ALB, 'v2.9.2', 'elsewhere'), upstream: NEW, repositoryExists: false, current: undefined }];

    // Act
    const { changes } = planMirror(states, () => undefined);

    // Assess
    expect(changes.map((change) => change.action)).toEqual(['ecr:CreateRepository', 'oci:CopyImage']);
    expect(changes[0]).toEqual({
      action: 'ecr:CreateRepository',
      target: 'elsewhere',
      reason: 'mirror destination does not exist (no repository class matches: created with ECR defaults)',
      exclusions: [],
      resourceTags: { ...MANAGED_BY_TAG },
    });
  });

  it('keeps one decision per target, in target order', () => {
    // Prepare
    const states: MirrorTargetState[] = [
      { target: target(CA, 'v1.32.0', CA_REPOSITORY), upstream: { error: 'boom' }, repositoryExists: true, current: undefined },
      { target: ALB_TARGET, upstream: NEW, repositoryExists: true, current: detail(NEW.digest, 'v2.9.2') },
    ];

    // Act
    const { decisions } = planMirror(states, classFor);

    // Assess
    expect(decisions.map((decision) => [decision.target.repository, decision.status])).toEqual([
      [CA_REPOSITORY, 'failed'],
      [ALB_REPOSITORY, 'unchanged'],
    ]);
  });
});

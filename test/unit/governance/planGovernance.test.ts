import { describe, expect, it } from 'vitest';
import type { RepositoryClass } from '../../../lib/config';
import type { Repository } from '../../../lib/ecr/types';
import { planGovernance } from '../../../lib/governance/planGovernance';
import { canonicalJson } from '../../../lib/shared/canonicalJson';

const POLICY = {
  rules: [{ rulePriority: 1, description: 'untagged', selection: { tagStatus: 'untagged', countType: 'sinceImagePushed', countUnit: 'days', countNumber: 7 }, action: { type: 'expire' } }],
};

const SERVICES: RepositoryClass = {
  name: 'services',
  repositories: ['**'],
  lifecyclePolicy: { text: canonicalJson(POLICY), source: 'lifecycle/services.json' },
  scanOnPush: true,
  tagMutability: 'IMMUTABLE_WITH_EXCLUSION',
  tagMutabilityExclusions: ['latest', 'main', 'dev-*'],
  protectedTags: [],
  expireOnPush: false,
};

function repository(settings: Partial<Repository> = {}): Repository {
  return {
    repositoryName: 'team-a/api',
    repositoryArn: 'arn:aws:ecr:ap-northeast-2:123456789012:repository/team-a/api',
    registryId: '123456789012',
    imageTagMutability: 'IMMUTABLE_WITH_EXCLUSION',
    imageTagMutabilityExclusions: ['latest', 'main', 'dev-*'],
    scanOnPush: true,
    ...settings,
  };
}

/** ECR's own rendering of the same policy: other key order, no indentation. */
const POLICY_AS_ECR_STORES_IT =
  '{"rules":[{"action":{"type":"expire"},"selection":{"countNumber":7,"countUnit":"days","countType":"sinceImagePushed","tagStatus":"untagged"},"description":"untagged","rulePriority":1}]}';

describe('planGovernance', () => {
  it('plans nothing for a repository that already matches its class', () => {
    // Act
    const changes = planGovernance(SERVICES, { repository: repository(), lifecyclePolicyText: POLICY_AS_ECR_STORES_IT });

    // Assess
    expect(changes).toEqual([]);
  });

  it('compares lifecycle policies as canonical JSON: key order and whitespace do not count', () => {
    // Prepare
    const spaced = `\n\t${JSON.stringify(POLICY, null, 8)}\n\n`;

    // Act
    const changes = planGovernance(SERVICES, { repository: repository(), lifecyclePolicyText: spaced });

    // Assess
    expect(changes).toEqual([]);
  });

  it('puts the policy when a value differs', () => {
    // Prepare
    const stored = POLICY_AS_ECR_STORES_IT.replace('"countNumber":7', '"countNumber":14');

    // Act
    const changes = planGovernance(SERVICES, { repository: repository(), lifecyclePolicyText: stored });

    // Assess
    expect(changes).toEqual([
      {
        action: 'ecr:PutLifecyclePolicy',
        target: 'team-a/api',
        reason: 'lifecycle policy differs from lifecycle/services.json (class services)',
        lifecyclePolicyText: canonicalJson(POLICY),
      },
    ]);
  });

  it('puts the policy when the repository has none', () => {
    // Act
    const changes = planGovernance(SERVICES, { repository: repository(), lifecyclePolicyText: undefined });

    // Assess
    expect(changes).toEqual([
      { action: 'ecr:PutLifecyclePolicy', target: 'team-a/api', reason: 'no lifecycle policy; class services requires lifecycle/services.json', lifecyclePolicyText: canonicalJson(POLICY) },
    ]);
  });

  it('puts the policy over stored text that is not JSON', () => {
    // Act
    const changes = planGovernance(SERVICES, { repository: repository(), lifecyclePolicyText: 'not json' });

    // Assess
    expect(changes.map((change) => change.action)).toEqual(['ecr:PutLifecyclePolicy']);
  });

  it('turns scan on push on, and only that, when only it differs', () => {
    // Act
    const changes = planGovernance(SERVICES, { repository: repository({ scanOnPush: false }), lifecyclePolicyText: POLICY_AS_ECR_STORES_IT });

    // Assess
    expect(changes).toEqual([{ action: 'ecr:PutImageScanningConfiguration', target: 'team-a/api', reason: 'scan on push is off; class services requires on', scanOnPush: true }]);
  });

  it('compares exclusion filters as sets: order and duplicates do not count', () => {
    // Prepare
    const state = { repository: repository({ imageTagMutabilityExclusions: ['dev-*', 'latest', 'main', 'latest'] }), lifecyclePolicyText: POLICY_AS_ECR_STORES_IT };

    // Act
    const changes = planGovernance(SERVICES, state);

    // Assess
    expect(changes).toEqual([]);
  });

  it('puts tag mutability when an exclusion filter is missing', () => {
    // Act
    const changes = planGovernance(SERVICES, { repository: repository({ imageTagMutabilityExclusions: ['latest', 'main'] }), lifecyclePolicyText: POLICY_AS_ECR_STORES_IT });

    // Assess
    expect(changes).toEqual([
      {
        action: 'ecr:PutImageTagMutability',
        target: 'team-a/api',
        reason: 'tag mutability exclusions are [latest, main]; class services requires [latest, main, dev-*]',
        imageTagMutability: 'IMMUTABLE_WITH_EXCLUSION',
        exclusions: ['latest', 'main', 'dev-*'],
      },
    ]);
  });

  it('puts tag mutability with the exclusions when the mutability differs', () => {
    // Act
    const changes = planGovernance(SERVICES, { repository: repository({ imageTagMutability: 'MUTABLE', imageTagMutabilityExclusions: [] }), lifecyclePolicyText: POLICY_AS_ECR_STORES_IT });

    // Assess
    expect(changes).toEqual([
      {
        action: 'ecr:PutImageTagMutability',
        target: 'team-a/api',
        reason: 'tags are MUTABLE; class services requires IMMUTABLE_WITH_EXCLUSION except latest, main, dev-*',
        imageTagMutability: 'IMMUTABLE_WITH_EXCLUSION',
        exclusions: ['latest', 'main', 'dev-*'],
      },
    ]);
  });

  it('drops leftover exclusions when the class wants plain immutable tags', () => {
    // Prepare
    const immutable: RepositoryClass = { ...SERVICES, tagMutability: 'IMMUTABLE', tagMutabilityExclusions: undefined };

    // Act
    const changes = planGovernance(immutable, { repository: repository({ imageTagMutability: 'IMMUTABLE', imageTagMutabilityExclusions: ['latest'] }), lifecyclePolicyText: POLICY_AS_ECR_STORES_IT });

    // Assess
    expect(changes).toEqual([
      { action: 'ecr:PutImageTagMutability', target: 'team-a/api', reason: 'tag mutability exclusions are [latest]; class services requires []', imageTagMutability: 'IMMUTABLE', exclusions: [] },
    ]);
  });

  it('plans all three changes, in a stable order, for a repository that drifted everywhere', () => {
    // Act
    const changes = planGovernance(SERVICES, { repository: repository({ scanOnPush: false, imageTagMutability: 'MUTABLE', imageTagMutabilityExclusions: [] }), lifecyclePolicyText: undefined });

    // Assess
    expect(changes.map((change) => change.action)).toEqual(['ecr:PutLifecyclePolicy', 'ecr:PutImageScanningConfiguration', 'ecr:PutImageTagMutability']);
  });

  it('leaves settings the class does not manage untouched', () => {
    // Prepare
    const unmanaged: RepositoryClass = { name: 'loose', repositories: ['**'], protectedTags: [], expireOnPush: false };
    const state = { repository: repository({ scanOnPush: false, imageTagMutability: 'MUTABLE', imageTagMutabilityExclusions: [] }), lifecyclePolicyText: '{"rules":[]}' };

    // Act
    const changes = planGovernance(unmanaged, state);

    // Assess
    expect(changes).toEqual([]);
  });

  it('turns scan on push off when the class says so', () => {
    // Prepare
    const noScan: RepositoryClass = { name: 'quiet', repositories: ['**'], scanOnPush: false, protectedTags: [], expireOnPush: false };

    // Act
    const changes = planGovernance(noScan, { repository: repository({ scanOnPush: true }), lifecyclePolicyText: undefined });

    // Assess
    expect(changes).toEqual([{ action: 'ecr:PutImageScanningConfiguration', target: 'team-a/api', reason: 'scan on push is on; class quiet requires off', scanOnPush: false }]);
  });
});

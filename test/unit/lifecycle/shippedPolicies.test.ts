import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../lib/config/loadConfig';
import { evaluateLifecyclePolicy, parseLifecyclePolicy, type LifecycleImage } from '../../../lib/lifecycle';
import { lifecyclePolicyWarnings } from '../../../lib/lifecycle/lifecyclePolicyWarnings';
import { image, NOW } from './lifecycleFixtures';

/**
 * The shipped configuration and policies are product: what ecr-autopilot protects, ECR's own engine
 * (which applies the same policy on the repository, within 24 hours) must keep too.
 */
const { config } = loadConfig();

/** A tag a protected pattern matches: every `*` filled with one character. */
function sampleTag(pattern: string): string {
  return pattern.replaceAll('*', '0');
}

/** 150 ordinary tagged images and 20 untagged ones, all newer than anything a test adds. */
function busyRepository(): LifecycleImage[] {
  return [
    ...Array.from({ length: 150 }, (_, i) => image({ name: `build-${i}`, tags: [`build-${i}`], pushedDaysAgo: i + 1 })),
    ...Array.from({ length: 20 }, (_, i) => image({ name: `untagged-${i}`, pushedDaysAgo: i + 1 })),
  ];
}

const protectingClasses = config.repositoryClasses.flatMap((repositoryClass) =>
  repositoryClass.lifecyclePolicy ? repositoryClass.protectedTags.map((pattern) => ({ name: repositoryClass.name, pattern, policy: repositoryClass.lifecyclePolicy?.text ?? '' })) : [],
);

describe('the shipped configuration', () => {
  it('has classes with protected tags and a lifecycle policy to check', () => {
    expect(protectingClasses.map(({ name, pattern }) => `${name} ${pattern}`)).toEqual(['services release-*', 'services prod-*']);
  });

  it.each(protectingClasses)('class $name: ECR keeps an old image tagged only $pattern in a busy repository', ({ pattern, policy }) => {
    // Prepare: the protected image is the oldest of 171, far beyond every count in the policy.
    const protectedImage = image({ name: 'protected', tags: [sampleTag(pattern)], pushedDaysAgo: 400 });
    const images = [protectedImage, ...busyRepository()];

    // Act
    const preview = evaluateLifecyclePolicy(parseLifecyclePolicy(policy), images, { now: NOW });

    // Assess: ECR selects images matching ALL prefixes of a rule, so each protected prefix needs its own rule.
    expect(preview.previewResults.map((result) => result.imageDigest)).not.toContain(protectedImage.imageDigest);
    expect(preview.summary.expiringImageTotalCount).toBeGreaterThan(0);
  });

  it.each(config.repositoryClasses.filter((repositoryClass) => repositoryClass.lifecyclePolicy))('class $name: its policy raises no warning from lifecycle check', (repositoryClass) => {
    // Act
    const warnings = lifecyclePolicyWarnings(parseLifecyclePolicy(repositoryClass.lifecyclePolicy?.text ?? ''));

    // Assess
    expect(warnings).toEqual([]);
  });
});

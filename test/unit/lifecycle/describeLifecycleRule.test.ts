import { describe, expect, it } from 'vitest';
import { describeLifecycleRule, type LifecycleRule } from '../../../lib/lifecycle';
import { policyOf, rule } from './lifecycleFixtures';

describe('describeLifecycleRule', () => {
  it.each<{ written: LifecycleRule; sentence: string }>([
    { written: rule(1, { tagStatus: 'tagged', tagPatternList: ['prod*'], countType: 'imageCountMoreThan', countNumber: 5 }), sentence: 'more than 5 images tagged prod*' },
    { written: rule(1, { tagStatus: 'tagged', tagPrefixList: ['alpha', 'beta'], countType: 'sinceImagePushed', countUnit: 'days', countNumber: 1 }), sentence: 'images tagged alpha* and beta* pushed more than 1 day ago' },
    { written: rule(1, { tagStatus: 'untagged', countType: 'sinceImagePushed', countUnit: 'days', countNumber: 14 }), sentence: 'untagged images pushed more than 14 days ago' },
    {
      written: rule(1, { tagStatus: 'any', countType: 'sinceImagePulled', countUnit: 'days', countNumber: 90 }, { type: 'transition', targetStorageClass: 'archive' }),
      sentence: 'images not pulled for more than 90 days',
    },
    { written: rule(1, { tagStatus: 'any', storageClass: 'archive', countType: 'sinceImageTransitioned', countUnit: 'days', countNumber: 365 }), sentence: 'images archived more than 365 days ago' },
    { written: rule(1, { tagStatus: 'untagged', storageClass: 'archive', countType: 'sinceImageTransitioned', countUnit: 'days', countNumber: 90 }), sentence: 'untagged images archived more than 90 days ago' },
  ])('describes a rule as "$sentence"', ({ written, sentence }) => {
    // Prepare
    const [parsed] = policyOf(written).rules;

    // Act
    const described = parsed && describeLifecycleRule(parsed);

    // Assess
    expect(described).toBe(sentence);
  });
});

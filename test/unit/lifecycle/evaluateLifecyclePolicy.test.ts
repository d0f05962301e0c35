import { describe, expect, it } from 'vitest';
import { evaluateLifecyclePolicy, MS_PER_DAY, type LifecycleImage, type LifecycleRule } from '../../../lib/lifecycle';
import { AutopilotError } from '../../../lib/errors';
import { digestOf, image, MS_PER_HOUR, namesOf, NOW, policyOf, rule, type ImageSpec } from './lifecycleFixtures';

interface ExampleCase {
  example: string;
  rules: LifecycleRule[];
  images: ImageSpec[];
  expired: string[];
  transitioned: string[];
}

function evaluate(rules: LifecycleRule[], images: LifecycleImage[]) {
  return evaluateLifecyclePolicy(policyOf(...rules), images, { now: NOW });
}

function expiredNames(rules: LifecycleRule[], images: LifecycleImage[]): string[] {
  return namesOf(evaluate(rules, images).previewResults.filter((result) => result.action.type === 'EXPIRE'));
}

const TRANSITION = { type: 'transition', targetStorageClass: 'archive' } as const;

describe('evaluateLifecyclePolicy', () => {
  // §2.3 Documented examples and outcomes (LP-EX).
  it.each<ExampleCase>([
    {
      example: 'Filtering on image age: prod* older than 14 days',
      rules: [rule(1, { tagStatus: 'tagged', tagPatternList: ['prod*'], countType: 'sinceImagePushed', countUnit: 'days', countNumber: 14 })],
      images: [
        { name: 'old-prod', tags: ['prod-1'], pushedDaysAgo: 20 },
        { name: 'old-production', tags: ['production-team1'], pushedDaysAgo: 15 },
        { name: 'new-prod', tags: ['prod-2'], pushedDaysAgo: 10 },
        { name: 'old-dev', tags: ['dev-1'], pushedDaysAgo: 30 },
        { name: 'old-untagged', pushedDaysAgo: 30 },
      ],
      expired: ['old-prod', 'old-production'],
      transitioned: [],
    },
    {
      example: 'Filtering on image count: keep only the newest untagged image',
      rules: [rule(1, { tagStatus: 'untagged', countType: 'imageCountMoreThan', countNumber: 1 })],
      images: [
        { name: 'u1', pushedDaysAgo: 3 },
        { name: 'u2', pushedDaysAgo: 2 },
        { name: 'u3', pushedDaysAgo: 1 },
        { name: 'tagged', tags: ['v1'], pushedDaysAgo: 9 },
      ],
      expired: ['u1', 'u2'],
      transitioned: [],
    },
    {
      example: 'Filtering on last pulled: archive images not pulled for 90 days',
      rules: [rule(1, { tagStatus: 'any', countType: 'sinceImagePulled', countUnit: 'days', countNumber: 90 }, TRANSITION)],
      images: [
        { name: 'pulled-long-ago', tags: ['v1'], pushedDaysAgo: 200, pulledDaysAgo: 100 },
        { name: 'pulled-recently', tags: ['v2'], pushedDaysAgo: 200, pulledDaysAgo: 10 },
        { name: 'never-pulled-old', pushedDaysAgo: 120 },
        { name: 'never-pulled-new', pushedDaysAgo: 30 },
        { name: 'already-archived', pushedDaysAgo: 300, archivedDaysAgo: 100, storageClass: 'ARCHIVE' },
      ],
      expired: [],
      transitioned: ['never-pulled-old', 'pulled-long-ago'],
    },
    {
      example: 'Filtering on archive age: expire images archived more than 365 days ago',
      rules: [rule(1, { tagStatus: 'any', storageClass: 'archive', countType: 'sinceImageTransitioned', countUnit: 'days', countNumber: 365 })],
      images: [
        { name: 'archived-400', tags: ['v1'], pushedDaysAgo: 500, archivedDaysAgo: 400, storageClass: 'ARCHIVE' },
        { name: 'archived-100', pushedDaysAgo: 500, archivedDaysAgo: 100, storageClass: 'ARCHIVE' },
        { name: 'standard-old', pushedDaysAgo: 800 },
      ],
      expired: ['archived-400'],
      transitioned: [],
    },
    {
      example: 'Archive and expire: archive after 30 days, expire 365 days after archiving',
      rules: [
        rule(1, { tagStatus: 'any', countType: 'sinceImagePushed', countUnit: 'days', countNumber: 30 }, TRANSITION),
        rule(2, { tagStatus: 'any', storageClass: 'archive', countType: 'sinceImageTransitioned', countUnit: 'days', countNumber: 365 }),
      ],
      images: [
        { name: 'standard-40', tags: ['v1'], pushedDaysAgo: 40 },
        { name: 'standard-10', tags: ['v2'], pushedDaysAgo: 10 },
        { name: 'archived-400', pushedDaysAgo: 450, archivedDaysAgo: 400, storageClass: 'ARCHIVE' },
        { name: 'archived-200', pushedDaysAgo: 250, archivedDaysAgo: 200, storageClass: 'ARCHIVE' },
      ],
      expired: ['archived-400'],
      transitioned: ['standard-40'],
    },
    // §2.4 Multiple-rule examples. A: beta-1 prod-1 (10 d), B: beta-2 prod-2 (9 d), C: beta-3 (8 d).
    {
      example: 'Multiple rules, Example A: prod* count 1 before beta* count 1',
      rules: [
        rule(1, { tagStatus: 'tagged', tagPatternList: ['prod*'], countType: 'imageCountMoreThan', countNumber: 1 }),
        rule(2, { tagStatus: 'tagged', tagPatternList: ['beta*'], countType: 'imageCountMoreThan', countNumber: 1 }),
      ],
      images: [
        { name: 'A', tags: ['beta-1', 'prod-1'], pushedDaysAgo: 10 },
        { name: 'B', tags: ['beta-2', 'prod-2'], pushedDaysAgo: 9 },
        { name: 'C', tags: ['beta-3'], pushedDaysAgo: 8 },
      ],
      expired: ['A'],
      transitioned: [],
    },
    {
      example: 'Multiple rules, Example B: beta* count 1 before prod* count 1',
      rules: [
        rule(1, { tagStatus: 'tagged', tagPatternList: ['beta*'], countType: 'imageCountMoreThan', countNumber: 1 }),
        rule(2, { tagStatus: 'tagged', tagPatternList: ['prod*'], countType: 'imageCountMoreThan', countNumber: 1 }),
      ],
      images: [
        { name: 'A', tags: ['beta-1', 'prod-1'], pushedDaysAgo: 10 },
        { name: 'B', tags: ['beta-2', 'prod-2'], pushedDaysAgo: 9 },
        { name: 'C', tags: ['beta-3'], pushedDaysAgo: 8 },
      ],
      expired: ['A', 'B'],
      transitioned: [],
    },
    // §2.5 Multiple-tag examples.
    {
      example: 'Multiple tags, Example A: alpha* and beta* older than 5 days',
      rules: [rule(1, { tagStatus: 'tagged', tagPatternList: ['alpha*', 'beta*'], countType: 'sinceImagePushed', countUnit: 'days', countNumber: 5 })],
      images: [
        { name: 'A', tags: ['alpha-1'], pushedDaysAgo: 12 },
        { name: 'B', tags: ['beta-1'], pushedDaysAgo: 11 },
        { name: 'C', tags: ['alpha-2', 'beta-2'], pushedDaysAgo: 10 },
        { name: 'D', tags: ['alpha-3'], pushedDaysAgo: 4 },
        { name: 'E', tags: ['beta-3'], pushedDaysAgo: 3 },
        { name: 'F', tags: ['alpha-4', 'beta-4'], pushedDaysAgo: 2 },
      ],
      expired: ['C'],
      transitioned: [],
    },
    {
      example: 'Multiple tags, Example B: alpha* and beta* count 1, tags are not exclusive',
      rules: [rule(1, { tagStatus: 'tagged', tagPatternList: ['alpha*', 'beta*'], countType: 'imageCountMoreThan', countNumber: 1 })],
      images: [
        { name: 'A', tags: ['alpha-1', 'beta-1', 'gamma-1'], pushedDaysAgo: 10 },
        { name: 'B', tags: ['alpha-2', 'beta-2'], pushedDaysAgo: 9 },
        { name: 'C', tags: ['alpha-3', 'beta-3', 'gamma-2'], pushedDaysAgo: 8 },
      ],
      expired: ['A', 'B'],
      transitioned: [],
    },
    // §2.6 "All images" examples.
    {
      example: 'All images, Example A: any count 1',
      rules: [rule(1, { tagStatus: 'any', countType: 'imageCountMoreThan', countNumber: 1 })],
      images: [
        { name: 'A', tags: ['alpha-1'], pushedDaysAgo: 4 },
        { name: 'B', tags: ['beta-1'], pushedDaysAgo: 3 },
        { name: 'C', pushedDaysAgo: 2 },
        { name: 'D', tags: ['alpha-2'], pushedDaysAgo: 1 },
      ],
      expired: ['A', 'B', 'C'],
      transitioned: [],
    },
    {
      // The doc gives D and E both as "1 day ago" and R3 keeps E, so E is the newer one. E is
      // pushed exactly 24 h ago (not *older* than 1 day, so R2 leaves it) and D one hour earlier.
      example: 'All images, Example B: alpha* count 1, untagged 1 day, then any count 1',
      rules: [
        rule(1, { tagStatus: 'tagged', tagPatternList: ['alpha*'], countType: 'imageCountMoreThan', countNumber: 1 }),
        rule(2, { tagStatus: 'untagged', countType: 'sinceImagePushed', countUnit: 'days', countNumber: 1 }),
        rule(3, { tagStatus: 'any', countType: 'imageCountMoreThan', countNumber: 1 }),
      ],
      images: [
        { name: 'A', tags: ['alpha-1', 'beta-1'], pushedDaysAgo: 4 },
        { name: 'B', pushedDaysAgo: 3 },
        { name: 'C', tags: ['alpha-2'], pushedDaysAgo: 2 },
        { name: 'D', tags: ['git hash'], pushedDaysAgo: 1 + 1 / 24 },
        { name: 'E', pushedDaysAgo: 1 },
      ],
      expired: ['A', 'B', 'D'],
      transitioned: [],
    },
  ])('reproduces the AWS example "$example"', ({ rules, images, expired, transitioned }) => {
    // Prepare
    const repository = images.map(image);

    // Act
    const preview = evaluate(rules, repository);

    // Assess
    const byAction = (type: 'EXPIRE' | 'TRANSITION') => namesOf(preview.previewResults.filter((result) => result.action.type === type));
    expect(byAction('EXPIRE')).toEqual([...expired].sort());
    expect(byAction('TRANSITION')).toEqual([...transitioned].sort());
    expect(preview.summary.expiringImageTotalCount).toBe(expired.length);
  });

  it('names the rule that took each image in appliedRulePriority', () => {
    // Prepare
    const rules = [
      rule(10, { tagStatus: 'tagged', tagPatternList: ['alpha*'], countType: 'imageCountMoreThan', countNumber: 1 }),
      rule(20, { tagStatus: 'untagged', countType: 'sinceImagePushed', countUnit: 'days', countNumber: 1 }),
      rule(30, { tagStatus: 'any', countType: 'imageCountMoreThan', countNumber: 1 }),
    ];
    const images = [
      image({ name: 'A', tags: ['alpha-1'], pushedDaysAgo: 4 }),
      image({ name: 'B', pushedDaysAgo: 3 }),
      image({ name: 'C', tags: ['alpha-2'], pushedDaysAgo: 2 }),
      image({ name: 'D', tags: ['other'], pushedDaysAgo: 1.5 }),
      image({ name: 'E', tags: ['newest'], pushedDaysAgo: 0.5 }),
    ];

    // Act
    const preview = evaluate(rules, images);

    // Assess
    expect(preview.previewResults.map((result) => [result.imageDigest, result.appliedRulePriority])).toEqual([
      [digestOf('A'), 10],
      [digestOf('B'), 20],
      [digestOf('D'), 30],
    ]);
  });

  it('returns exactly the GetLifecyclePolicyPreview shape, oldest push first', () => {
    // Prepare
    const rules = [
      rule(1, { tagStatus: 'tagged', tagPrefixList: ['old'], countType: 'sinceImagePushed', countUnit: 'days', countNumber: 30 }, TRANSITION),
      rule(2, { tagStatus: 'untagged', countType: 'imageCountMoreThan', countNumber: 1 }),
    ];
    const images = [
      image({ name: 'u-new', pushedDaysAgo: 1 }),
      image({ name: 'u-old', pushedDaysAgo: 5 }),
      image({ name: 'old', tags: ['old-1'], pushedDaysAgo: 40 }),
    ];

    // Act
    const preview = evaluate(rules, images);

    // Assess
    expect(preview).toEqual({
      previewResults: [
        {
          imageDigest: digestOf('old'),
          imageTags: ['old-1'],
          imagePushedAt: images[2]?.imagePushedAt,
          action: { type: 'TRANSITION', targetStorageClass: 'ARCHIVE' },
          appliedRulePriority: 1,
          storageClass: 'STANDARD',
        },
        {
          imageDigest: digestOf('u-old'),
          imageTags: [],
          imagePushedAt: images[1]?.imagePushedAt,
          action: { type: 'EXPIRE' },
          appliedRulePriority: 2,
          storageClass: 'STANDARD',
        },
      ],
      summary: { expiringImageTotalCount: 1, transitioningImageTotalCounts: [{ targetStorageClass: 'ARCHIVE', imageTotalCount: 1 }] },
    });
    expect(Object.keys(preview.previewResults[1]?.action ?? {})).toEqual(['type']);
  });

  it('lists no transitioning counts when nothing transitions', () => {
    // Prepare
    const rules = [rule(1, { tagStatus: 'any', countType: 'imageCountMoreThan', countNumber: 5 })];

    // Act
    const preview = evaluate(rules, [image({ name: 'A', pushedDaysAgo: 1 })]);

    // Assess
    expect(preview).toEqual({ previewResults: [], summary: { expiringImageTotalCount: 0, transitioningImageTotalCounts: [] } });
  });

  describe('sinceImagePushed boundary (strictly older than N days)', () => {
    const rules = [rule(1, { tagStatus: 'any', countType: 'sinceImagePushed', countUnit: 'days', countNumber: 14 })];
    it.each([
      { label: 'one millisecond past 14 days', ageMs: 14 * MS_PER_DAY + 1, expired: true },
      { label: 'exactly 14 days', ageMs: 14 * MS_PER_DAY, expired: false },
      { label: '13 days and 23 hours', ageMs: 14 * MS_PER_DAY - MS_PER_HOUR, expired: false },
      { label: '15 days', ageMs: 15 * MS_PER_DAY, expired: true },
    ])('expires an image pushed $label ago: $expired', ({ ageMs, expired }) => {
      // Prepare
      const pushed: LifecycleImage = { imageDigest: digestOf('X'), imageTags: ['v1'], imagePushedAt: new Date(NOW.getTime() - ageMs), storageClass: 'STANDARD' };

      // Act
      const names = expiredNames(rules, [pushed]);

      // Assess
      expect(names).toEqual(expired ? ['X'] : []);
    });
  });

  it('applies an untagged rule and a later any rule together, each image once', () => {
    // Prepare
    const rules = [
      rule(1, { tagStatus: 'untagged', countType: 'imageCountMoreThan', countNumber: 1 }),
      rule(2, { tagStatus: 'any', countType: 'imageCountMoreThan', countNumber: 3 }),
    ];
    const images = [
      image({ name: 'u1', pushedDaysAgo: 6 }),
      image({ name: 't1', tags: ['v1'], pushedDaysAgo: 5 }),
      image({ name: 'u2', pushedDaysAgo: 4 }),
      image({ name: 't2', tags: ['v2'], pushedDaysAgo: 3 }),
      image({ name: 't3', tags: ['v3'], pushedDaysAgo: 2 }),
      image({ name: 'u3', pushedDaysAgo: 1 }),
    ];

    // Act
    const preview = evaluate(rules, images);

    // Assess: rule 1 keeps u3 and takes u1, u2. Rule 2 counts all six (newest first u3, t3, t2, t1,
    // u2, u1) and may only take the tagged ones beyond the third: t1.
    expect(preview.previewResults.map((result) => [result.imageDigest.slice(7), result.appliedRulePriority])).toEqual([
      ['u1', 1],
      ['t1', 2],
      ['u2', 1],
    ]);
  });

  it('protects an image whose tags span two rules by the higher-priority rule that selects it', () => {
    // Prepare: `both` carries prod-1 and dev-1. Rule 1 selects it (prod*) but it is only 10 days
    // old; rule 2 (dev*, keep 1) would take it, but may not.
    const rules = [
      rule(1, { tagStatus: 'tagged', tagPatternList: ['prod*'], countType: 'sinceImagePushed', countUnit: 'days', countNumber: 30 }),
      rule(2, { tagStatus: 'tagged', tagPatternList: ['dev*'], countType: 'imageCountMoreThan', countNumber: 1 }),
    ];
    const images = [
      image({ name: 'both', tags: ['prod-1', 'dev-1'], pushedDaysAgo: 10 }),
      image({ name: 'dev-old', tags: ['dev-0'], pushedDaysAgo: 12 }),
      image({ name: 'dev-new', tags: ['dev-2'], pushedDaysAgo: 1 }),
    ];

    // Act
    const names = expiredNames(rules, images);

    // Assess: both still counts for rule 2, so dev-old is beyond the count too.
    expect(names).toEqual(['dev-old']);
  });

  it('lets a transition rule and an archive expire rule act on different images in one run', () => {
    // Prepare
    const rules = [
      rule(1, { tagStatus: 'any', countType: 'sinceImagePushed', countUnit: 'days', countNumber: 30 }, TRANSITION),
      rule(2, { tagStatus: 'any', storageClass: 'archive', countType: 'sinceImageTransitioned', countUnit: 'days', countNumber: 100 }),
    ];
    const images = [
      image({ name: 'to-archive', pushedDaysAgo: 900 }),
      image({ name: 'archived-long-ago', pushedDaysAgo: 800, archivedDaysAgo: 200, storageClass: 'ARCHIVE' }),
    ];

    // Act
    const preview = evaluate(rules, images);

    // Assess: the image transitioned in this run is still STANDARD, so rule 2 does not see it.
    expect(preview.previewResults.map((result) => [result.imageDigest.slice(7), result.action.type, result.storageClass])).toEqual([
      ['to-archive', 'TRANSITION', 'STANDARD'],
      ['archived-long-ago', 'EXPIRE', 'ARCHIVE'],
    ]);
  });

  it('never lets a standard rule select archived images, nor count them', () => {
    // Prepare
    const rules = [rule(1, { tagStatus: 'untagged', countType: 'imageCountMoreThan', countNumber: 1 })];
    const images = [
      image({ name: 'std-old', pushedDaysAgo: 5 }),
      image({ name: 'arch-newer', pushedDaysAgo: 2, archivedDaysAgo: 1, storageClass: 'ARCHIVE' }),
      image({ name: 'arch-older', pushedDaysAgo: 9, archivedDaysAgo: 1, storageClass: 'ARCHIVE' }),
    ];

    // Act
    const names = expiredNames(rules, images);

    // Assess: std-old is the only standard untagged image, so it is the one kept.
    expect(names).toEqual([]);
  });

  it('never lets an archive rule select standard images', () => {
    // Prepare
    const rules = [rule(1, { tagStatus: 'untagged', storageClass: 'archive', countType: 'sinceImageTransitioned', countUnit: 'days', countNumber: 90 })];
    const images = [image({ name: 'standard', pushedDaysAgo: 900, archivedDaysAgo: 800 })];

    // Act
    const names = expiredNames(rules, images);

    // Assess
    expect(names).toEqual([]);
  });

  describe('restored images (archived, then activated)', () => {
    it('ranks a restored image by lastActivatedAt for imageCountMoreThan', () => {
      // Prepare
      const rules = [rule(1, { tagStatus: 'tagged', tagPatternList: ['v*'], countType: 'imageCountMoreThan', countNumber: 1 })];
      const images = [
        image({ name: 'restored', tags: ['v1'], pushedDaysAgo: 100, archivedDaysAgo: 50, activatedDaysAgo: 1 }),
        image({ name: 'v2', tags: ['v2'], pushedDaysAgo: 10 }),
        image({ name: 'v3', tags: ['v3'], pushedDaysAgo: 5 }),
      ];

      // Act
      const names = expiredNames(rules, images);

      // Assess
      expect(names).toEqual(['v2', 'v3']);
    });

    it('lists push-time ties by digest, although ranking puts the restored one first', () => {
      // Prepare: a and b were pushed at the same instant; b, restored since, ranks younger than a.
      const rules = [rule(1, { tagStatus: 'any', countType: 'imageCountMoreThan', countNumber: 1 })];
      const images = [
        image({ name: 'b', pushedDaysAgo: 20, archivedDaysAgo: 15, activatedDaysAgo: 5 }),
        image({ name: 'a', pushedDaysAgo: 20 }),
        image({ name: 'newest', pushedDaysAgo: 1 }),
      ];

      // Act
      const { previewResults } = evaluate(rules, images);

      // Assess: oldest push first, then digest, as GetLifecyclePolicyPreview lists them.
      expect(previewResults.map((result) => result.imageDigest)).toEqual([digestOf('a'), digestOf('b')]);
    });

    it('measures sinceImagePushed from lastActivatedAt', () => {
      // Prepare
      const rules = [rule(1, { tagStatus: 'any', countType: 'sinceImagePushed', countUnit: 'days', countNumber: 30 })];
      const images = [
        image({ name: 'restored', pushedDaysAgo: 100, archivedDaysAgo: 60, activatedDaysAgo: 2 }),
        image({ name: 'plain', pushedDaysAgo: 100 }),
      ];

      // Act
      const names = expiredNames(rules, images);

      // Assess
      expect(names).toEqual(['plain']);
    });

    it('measures sinceImagePulled from lastActivatedAt when not pulled since the restore', () => {
      // Prepare
      const rules = [rule(1, { tagStatus: 'any', countType: 'sinceImagePulled', countUnit: 'days', countNumber: 90 }, TRANSITION)];
      const images = [
        image({ name: 'restored', pushedDaysAgo: 400, pulledDaysAgo: 300, archivedDaysAgo: 200, activatedDaysAgo: 10 }),
        image({ name: 'stale', pushedDaysAgo: 400, pulledDaysAgo: 300 }),
      ];

      // Act
      const preview = evaluate(rules, images);

      // Assess
      expect(namesOf(preview.previewResults)).toEqual(['stale']);
    });
  });

  describe('sinceImageTransitioned', () => {
    it.each([
      { label: 'archived 60 days ago with countNumber 30 (inside the 90-day minimum)', archivedDaysAgo: 60, countNumber: 30, expired: false },
      { label: 'archived 91 days ago with countNumber 30', archivedDaysAgo: 91, countNumber: 30, expired: true },
      { label: 'archived 366 days ago with countNumber 365', archivedDaysAgo: 366, countNumber: 365, expired: true },
      { label: 'archived 300 days ago with countNumber 365', archivedDaysAgo: 300, countNumber: 365, expired: false },
    ])('expires an image $label: $expired', ({ archivedDaysAgo, countNumber, expired }) => {
      // Prepare
      const rules = [rule(1, { tagStatus: 'any', storageClass: 'archive', countType: 'sinceImageTransitioned', countUnit: 'days', countNumber })];

      // Act
      const names = expiredNames(rules, [image({ name: 'X', pushedDaysAgo: 1000, archivedDaysAgo, storageClass: 'ARCHIVE' })]);

      // Assess
      expect(names).toEqual(expired ? ['X'] : []);
    });

    it('never expires an archived image whose lastArchivedAt is unknown', () => {
      // Prepare
      const rules = [rule(1, { tagStatus: 'any', storageClass: 'archive', countType: 'sinceImageTransitioned', countUnit: 'days', countNumber: 90 })];

      // Act
      const names = expiredNames(rules, [image({ name: 'X', pushedDaysAgo: 1000, storageClass: 'ARCHIVE' })]);

      // Assess
      expect(names).toEqual([]);
    });
  });

  describe('tag matching', () => {
    it.each([
      { filter: { tagPatternList: ['prod*'] }, tag: 'prod', selected: true },
      { filter: { tagPatternList: ['prod*'] }, tag: 'production-team1', selected: true },
      { filter: { tagPatternList: ['prod*'] }, tag: 'preprod', selected: false },
      { filter: { tagPatternList: ['*prod*'] }, tag: 'repo-production', selected: true },
      { filter: { tagPatternList: ['prod'] }, tag: 'prod-1', selected: false },
      { filter: { tagPatternList: ['v*-rc*'] }, tag: 'v1.2-rc3', selected: true },
      { filter: { tagPatternList: ['v*-rc*'] }, tag: 'v1.2', selected: false },
      { filter: { tagPatternList: ['*'] }, tag: 'anything', selected: true },
      { filter: { tagPrefixList: ['prod'] }, tag: 'production', selected: true },
      { filter: { tagPrefixList: ['prod'] }, tag: 'preprod', selected: false },
      { filter: { tagPatternList: ['a.b*'] }, tag: 'aXb1', selected: false },
    ])('$filter selects tag "$tag": $selected', ({ filter, tag, selected }) => {
      // Prepare
      const rules = [rule(1, { tagStatus: 'tagged', ...filter, countType: 'sinceImagePushed', countUnit: 'days', countNumber: 1 })];

      // Act
      const names = expiredNames(rules, [image({ name: 'X', tags: [tag], pushedDaysAgo: 2 })]);

      // Assess
      expect(names).toEqual(selected ? ['X'] : []);
    });

    it('never selects an untagged image with a tagged rule, even with the pattern "*"', () => {
      // Prepare
      const rules = [rule(1, { tagStatus: 'tagged', tagPatternList: ['*'], countType: 'sinceImagePushed', countUnit: 'days', countNumber: 1 })];

      // Act
      const names = expiredNames(rules, [image({ name: 'X', pushedDaysAgo: 2 })]);

      // Assess
      expect(names).toEqual([]);
    });

    it('requires every prefix of a tagPrefixList to match one of the tags', () => {
      // Prepare
      const rules = [rule(1, { tagStatus: 'tagged', tagPrefixList: ['prod', 'eu'], countType: 'sinceImagePushed', countUnit: 'days', countNumber: 1 })];
      const images = [
        image({ name: 'both', tags: ['prod-1', 'eu-west'], pushedDaysAgo: 2 }),
        image({ name: 'prod-only', tags: ['prod-2'], pushedDaysAgo: 2 }),
      ];

      // Act
      const names = expiredNames(rules, images);

      // Assess
      expect(names).toEqual(['both']);
    });
  });

  it('breaks push-time ties by digest, whatever the input order', () => {
    // Prepare
    const rules = [rule(1, { tagStatus: 'any', countType: 'imageCountMoreThan', countNumber: 1 })];
    const images = ['c', 'a', 'b'].map((name) => image({ name, pushedDaysAgo: 3 }));

    // Act
    const forward = expiredNames(rules, images);
    const backward = expiredNames(rules, [...images].reverse());

    // Assess: newest first, then digest ascending: a is kept.
    expect(forward).toEqual(['b', 'c']);
    expect(backward).toEqual(forward);
  });

  it('does not modify the images it is given', () => {
    // Prepare
    const images = [image({ name: 'A', tags: ['b', 'a'], pushedDaysAgo: 3 }), image({ name: 'B', pushedDaysAgo: 1 })];
    const copy = structuredClone(images);

    // Act
    evaluate([rule(1, { tagStatus: 'any', countType: 'imageCountMoreThan', countNumber: 1 })], images);

    // Assess
    expect(images).toEqual(copy);
  });

  it('rejects two images with the same digest', () => {
    // Prepare
    const images = [image({ name: 'A', pushedDaysAgo: 3 }), image({ name: 'A', pushedDaysAgo: 1 })];

    // Act
    const act = () => evaluate([rule(1, { tagStatus: 'any', countType: 'imageCountMoreThan', countNumber: 1 })], images);

    // Assess
    expect(act).toThrow(AutopilotError);
    expect(act).toThrow(/sha256:A appears more than once/);
  });

  it('rejects an invalid now', () => {
    // Act
    const act = () => evaluateLifecyclePolicy(policyOf(rule(1, { tagStatus: 'any', countType: 'imageCountMoreThan', countNumber: 1 })), [], { now: new Date('nope') });

    // Assess
    expect(act).toThrow(expect.objectContaining({ code: 'USAGE', message: '`now` is not a valid time' }));
  });

  it('ranks and lists push-time ties by digest, the same for every input order (all 120 orders of five images)', () => {
    // Prepare: five images pushed at the same instant; rule 1 keeps the first two by rank.
    const rules = [rule(1, { tagStatus: 'any', countType: 'imageCountMoreThan', countNumber: 2 })];
    const names = ['d', 'b', 'e', 'a', 'c'];
    const orders: string[][] = [];
    const permute = (rest: string[], prefix: string[]): void => {
      if (rest.length === 0) orders.push(prefix);
      rest.forEach((name, i) => permute([...rest.slice(0, i), ...rest.slice(i + 1)], [...prefix, name]));
    };
    permute(names, []);

    for (const order of orders) {
      // Act
      const preview = evaluate(rules, order.map((name) => image({ name, pushedDaysAgo: 3 })));

      // Assess: a and b rank first and are kept; the rest are listed in digest order.
      expect(preview.previewResults.map((result) => result.imageDigest)).toEqual(['c', 'd', 'e'].map(digestOf));
    }
  });

  it('tells which image and which time is invalid', () => {
    // Prepare
    const rules = [rule(1, { tagStatus: 'any', countType: 'imageCountMoreThan', countNumber: 1 })];
    const valid = image({ name: 'ok', pushedDaysAgo: 1 });
    const cases: Array<[Partial<LifecycleImage>, string]> = [
      [{ imagePushedAt: new Date('not a time') }, 'images[1] (sha256:bad): imagePushedAt is not a valid time'],
      [{ imagePushedAt: '2026-01-01T00:00:00Z' as unknown as Date }, 'images[1] (sha256:bad): imagePushedAt is not a valid time'],
      [{ imagePushedAt: undefined as unknown as Date }, 'images[1] (sha256:bad): imagePushedAt is required'],
      [{ lastActivatedAt: new Date(Number.NaN) }, 'images[1] (sha256:bad): lastActivatedAt is not a valid time'],
      [{ lastRecordedPullTime: new Date(Number.NaN) }, 'images[1] (sha256:bad): lastRecordedPullTime is not a valid time'],
      [{ lastArchivedAt: new Date(Number.NaN) }, 'images[1] (sha256:bad): lastArchivedAt is not a valid time'],
    ];

    for (const [broken, message] of cases) {
      // Act
      const act = () => evaluate(rules, [valid, { ...image({ name: 'bad', pushedDaysAgo: 2 }), ...broken }]);

      // Assess
      expect(act).toThrow(expect.objectContaining({ code: 'USAGE', message }));
    }
  });

  it('names the duplicated digest and its position', () => {
    // Act
    const act = () => evaluate([rule(1, { tagStatus: 'any', countType: 'imageCountMoreThan', countNumber: 1 })], [image({ name: 'A', pushedDaysAgo: 3 }), image({ name: 'A', pushedDaysAgo: 1 })]);

    // Assess
    expect(act).toThrow(expect.objectContaining({ code: 'USAGE', message: 'images[1]: digest sha256:A appears more than once' }));
  });

  it('matches an exact tag pattern (no wildcard) against the whole tag', () => {
    // Prepare
    const rules = [rule(1, { tagStatus: 'tagged', tagPatternList: ['latest'], countType: 'sinceImagePushed', countUnit: 'days', countNumber: 1 })];
    const images = [
      image({ name: 'latest', tags: ['v1', 'latest'], pushedDaysAgo: 2 }),
      image({ name: 'latest-1', tags: ['latest-1'], pushedDaysAgo: 2 }),
      image({ name: 'old-latest', tags: ['old-latest'], pushedDaysAgo: 2 }),
    ];

    // Act
    const names = expiredNames(rules, images);

    // Assess
    expect(names).toEqual(['latest']);
  });

  it('matches prefix, suffix and glob patterns of several rules that share them', () => {
    // Prepare: rule 1 needs both `v*` and `*-rc`; rule 2 reuses `v*` alone, rule 3 `*-rc` alone, rule 4
    // a glob. A mask shared between rules must not be narrowed by rule 1's combination.
    const rules = [
      rule(1, { tagStatus: 'tagged', tagPatternList: ['v*', '*-rc'], countType: 'sinceImagePushed', countUnit: 'days', countNumber: 1 }),
      rule(2, { tagStatus: 'tagged', tagPatternList: ['v*'], countType: 'sinceImagePushed', countUnit: 'days', countNumber: 1 }),
      rule(3, { tagStatus: 'tagged', tagPatternList: ['*-rc'], countType: 'sinceImagePushed', countUnit: 'days', countNumber: 1 }),
      rule(4, { tagStatus: 'tagged', tagPatternList: ['b*x*z'], countType: 'sinceImagePushed', countUnit: 'days', countNumber: 1 }),
    ];
    const images = [
      image({ name: 'v-and-rc', tags: ['v2-rc'], pushedDaysAgo: 2 }),
      image({ name: 'v-only', tags: ['v2'], pushedDaysAgo: 2 }),
      image({ name: 'rc-only', tags: ['beta-rc'], pushedDaysAgo: 2 }),
      image({ name: 'glob', tags: ['b1x2z'], pushedDaysAgo: 2 }),
      image({ name: 'none', tags: ['b1y2z'], pushedDaysAgo: 2 }),
    ];

    // Act
    const preview = evaluate(rules, images);

    // Assess
    expect(Object.fromEntries(preview.previewResults.map((result) => [result.imageDigest.slice(7), result.appliedRulePriority]))).toEqual({
      'v-and-rc': 1,
      'v-only': 2,
      'rc-only': 3,
      glob: 4,
    });
  });

  it('selects nothing with a tagged rule that has no pattern or prefix (a policy built without parseLifecyclePolicy)', () => {
    // Prepare: parseLifecyclePolicy rejects such a rule; the evaluator still must not read it as "any".
    const policy = policyOf(rule(1, { tagStatus: 'tagged', tagPatternList: ['*'], countType: 'imageCountMoreThan', countNumber: 1 }));
    const bare = { ...policy, rules: policy.rules.map((r) => ({ ...r, tagPatternList: [], tagPrefixList: [] })) };

    // Act
    const preview = evaluateLifecyclePolicy(bare, [image({ name: 'a', tags: ['x'], pushedDaysAgo: 2 }), image({ name: 'b', pushedDaysAgo: 3 })], { now: NOW });

    // Assess
    expect(preview.previewResults).toEqual([]);
  });
});

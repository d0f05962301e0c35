import { describe, expect, it } from 'vitest';
import { evaluateLifecyclePolicy, planExpiry, type ExpiryPlan, type LifecycleImage, type LifecyclePolicy } from '../../../lib/lifecycle';
import { AutopilotError } from '../../../lib/errors';
import { digestOf, image, namesOf, NOW, policyOf, rule } from './lifecycleFixtures';

/** Rule 1 keeps one prod* image; rule 2 expires untagged images older than 7 days. */
const POLICY: LifecyclePolicy = policyOf(
  rule(1, { tagStatus: 'tagged', tagPatternList: ['prod*'], countType: 'imageCountMoreThan', countNumber: 1 }),
  rule(2, { tagStatus: 'untagged', countType: 'sinceImagePushed', countUnit: 'days', countNumber: 7 }),
);

interface PlanOptions {
  protectedTagPatterns?: string[];
  indexChildren?: Record<string, string[]>;
  unreadableIndexes?: Record<string, string>;
  maxDeletions?: number;
  policy?: LifecyclePolicy;
  /** Images the planner is given, when not all that the preview was evaluated over. */
  listed?: LifecycleImage[];
}

function plan(images: LifecycleImage[], options: PlanOptions = {}): ExpiryPlan {
  const policy = options.policy ?? POLICY;
  const preview = evaluateLifecyclePolicy(policy, images, { now: NOW });
  const indexChildren = new Map(Object.entries(options.indexChildren ?? {}).map(([index, children]) => [digestOf(index), children.map(digestOf)]));
  const unreadableIndexes = new Map(Object.entries(options.unreadableIndexes ?? {}).map(([index, why]) => [digestOf(index), why]));
  return planExpiry({
    preview,
    images: options.listed ?? images,
    policy,
    protectedTagPatterns: options.protectedTagPatterns ?? [],
    graph: { indexChildren, ...(unreadableIndexes.size > 0 ? { unreadableIndexes } : {}) },
    ...(options.maxDeletions === undefined ? {} : { maxDeletions: options.maxDeletions }),
  });
}

function keptReasons(result: ExpiryPlan): Array<[string, string]> {
  return result.kept.map((kept) => [kept.imageDigest.slice(7), kept.reason]);
}

function order(result: ExpiryPlan): string[] {
  return result.deletionOrder.map((digest) => digest.slice(7));
}

describe('planExpiry', () => {
  it('expires what the preview expires, with a ledger reason naming the rule', () => {
    // Prepare
    const images = [
      image({ name: 'prod-old', tags: ['prod-1'], pushedDaysAgo: 20, size: 100 }),
      image({ name: 'prod-new', tags: ['prod-2'], pushedDaysAgo: 2, size: 200 }),
      image({ name: 'untagged-old', pushedDaysAgo: 10, size: 50 }),
    ];

    // Act
    const result = plan(images);

    // Assess
    expect(result.expire).toEqual([
      { imageDigest: digestOf('prod-old'), imageTags: ['prod-1'], imagePushedAt: images[0]?.imagePushedAt, imageSizeInBytes: 100, appliedRulePriority: 1, reason: 'rule 1: more than 1 image tagged prod*' },
      { imageDigest: digestOf('untagged-old'), imageTags: [], imagePushedAt: images[2]?.imagePushedAt, imageSizeInBytes: 50, appliedRulePriority: 2, reason: 'rule 2: untagged images pushed more than 7 days ago' },
    ]);
    expect(result.kept).toEqual([]);
    expect(result.bytesReclaimed).toBe(150);
    expect(order(result)).toEqual(['prod-old', 'untagged-old']);
  });

  it('says which rule without describing it when no policy is given', () => {
    // Prepare
    const images = [image({ name: 'u', pushedDaysAgo: 10 })];
    const preview = evaluateLifecyclePolicy(POLICY, images, { now: NOW });

    // Act
    const result = planExpiry({ preview, images, protectedTagPatterns: [], graph: { indexChildren: new Map() } });

    // Assess
    expect(result.expire[0]?.reason).toBe('rule 2 of the lifecycle policy');
  });

  it('never expires an image with a protected tag', () => {
    // Prepare
    const images = [
      image({ name: 'release', tags: ['prod-1', 'release-2024'], pushedDaysAgo: 30 }),
      image({ name: 'plain', tags: ['prod-2'], pushedDaysAgo: 20 }),
      image({ name: 'newest', tags: ['prod-3'], pushedDaysAgo: 1 }),
    ];

    // Act
    const result = plan(images, { protectedTagPatterns: ['release-*', '*-keep'] });

    // Assess
    expect(namesOf(result.expire)).toEqual(['plain']);
    expect(result.kept).toEqual([
      { imageDigest: digestOf('release'), imageTags: ['prod-1', 'release-2024'], reason: 'protected-tag', detail: 'tag "release-2024" matches protected pattern "release-*"' },
    ]);
  });

  it('keeps the platform manifests of a kept index', () => {
    // Prepare: the index is tagged prod-3 and newest, so rule 1 keeps it; its untagged children
    // are old enough for rule 2.
    const images = [
      image({ name: 'index', tags: ['prod-3'], pushedDaysAgo: 10 }),
      image({ name: 'amd64', pushedDaysAgo: 10 }),
      image({ name: 'arm64', pushedDaysAgo: 10 }),
      image({ name: 'orphan', pushedDaysAgo: 10 }),
    ];

    // Act
    const result = plan(images, { indexChildren: { index: ['amd64', 'arm64'] } });

    // Assess
    expect(namesOf(result.expire)).toEqual(['orphan']);
    expect(keptReasons(result)).toEqual([
      ['amd64', 'index-child'],
      ['arm64', 'index-child'],
    ]);
    expect(result.kept[0]?.detail).toBe('listed by index sha256:index (tags: prod-3), which is kept');
  });

  it('keeps the children of an index that is kept only because of a protected tag (fixpoint)', () => {
    // Prepare: outer is protected, so its child index inner is kept, so inner's children are kept.
    const images = [
      image({ name: 'outer', tags: ['prod-1', 'release-1'], pushedDaysAgo: 30 }),
      image({ name: 'inner', pushedDaysAgo: 30 }),
      image({ name: 'leaf', pushedDaysAgo: 30 }),
      image({ name: 'prod-new', tags: ['prod-2'], pushedDaysAgo: 1 }),
    ];

    // Act
    const result = plan(images, { protectedTagPatterns: ['release-*'], indexChildren: { outer: ['inner'], inner: ['leaf'] } });

    // Assess
    expect(result.expire).toEqual([]);
    expect(keptReasons(result)).toEqual([
      ['inner', 'index-child'],
      ['leaf', 'index-child'],
      ['outer', 'protected-tag'],
    ]);
  });

  it('keeps the children of an index it knows only from the graph', () => {
    // Prepare
    const images = [image({ name: 'child', pushedDaysAgo: 30 })];

    // Act
    const result = plan(images, { indexChildren: { 'unlisted-index': ['child'] } });

    // Assess
    expect(result.expire).toEqual([]);
    expect(keptReasons(result)).toEqual([['child', 'index-child']]);
    expect(result.kept[0]?.detail).toBe('listed by index sha256:unlisted-index (untagged), which is kept');
  });

  it('names every tag of the kept index that keeps a child', () => {
    // Prepare
    const images = [image({ name: 'index', tags: ['prod-9', 'stable'], pushedDaysAgo: 1 }), image({ name: 'child', pushedDaysAgo: 30 })];

    // Act
    const result = plan(images, { indexChildren: { index: ['child'] } });

    // Assess
    expect(result.kept.map((kept) => kept.detail)).toEqual(['listed by index sha256:index (tags: prod-9, stable), which is kept']);
  });

  it('expires an index with its expiring children, the index first', () => {
    // Prepare
    const images = [
      image({ name: 'index', tags: ['prod-1'], pushedDaysAgo: 20 }),
      image({ name: 'z-amd64', pushedDaysAgo: 21 }),
      image({ name: 'a-arm64', pushedDaysAgo: 20 }),
      image({ name: 'prod-new', tags: ['prod-2'], pushedDaysAgo: 1 }),
    ];

    // Act
    const result = plan(images, { indexChildren: { index: ['z-amd64', 'a-arm64'] } });

    // Assess
    expect(namesOf(result.expire)).toEqual(['a-arm64', 'index', 'z-amd64']);
    expect(order(result)).toEqual(['index', 'z-amd64', 'a-arm64']);
  });

  it('expires a referrer together with its subject, the referrer first', () => {
    // Prepare: the signature is tagged sig-1, which no rule selects.
    const images = [
      image({ name: 'subject', tags: ['prod-1'], pushedDaysAgo: 20, size: 1000 }),
      image({ name: 'signature', tags: ['sig-1'], pushedDaysAgo: 19, subject: 'subject', size: 10 }),
      image({ name: 'sbom-of-signature', pushedDaysAgo: 2, subject: 'signature', size: 1 }),
      image({ name: 'prod-new', tags: ['prod-2'], pushedDaysAgo: 1 }),
    ];

    // Act
    const result = plan(images);

    // Assess
    expect(result.expire.map((entry) => [entry.imageDigest.slice(7), entry.appliedRulePriority, entry.reason])).toEqual([
      ['subject', 1, 'rule 1: more than 1 image tagged prod*'],
      ['signature', 1, 'referrer of expired subject sha256:subject (rule 1: more than 1 image tagged prod*)'],
      ['sbom-of-signature', 1, 'referrer of expired subject sha256:signature (rule 1: more than 1 image tagged prod*)'],
    ]);
    expect(order(result)).toEqual(['sbom-of-signature', 'signature', 'subject']);
    expect(result.bytesReclaimed).toBe(1011);
  });

  it('deletes a referrer before its subject when rules chose both', () => {
    // Prepare: the untagged signature is old enough for rule 2, its subject is taken by rule 1,
    // and the signature is newer, so "oldest first" alone would delete it second.
    const images = [
      image({ name: 'subject', tags: ['prod-1'], pushedDaysAgo: 20 }),
      image({ name: 'signature', pushedDaysAgo: 10, subject: 'subject' }),
      image({ name: 'prod-new', tags: ['prod-2'], pushedDaysAgo: 1 }),
    ];

    // Act
    const result = plan(images);

    // Assess
    expect(result.expire.map((entry) => entry.appliedRulePriority)).toEqual([1, 2]);
    expect(order(result)).toEqual(['signature', 'subject']);
  });

  it('keeps the subject of a protected referrer', () => {
    // Prepare
    const images = [
      image({ name: 'subject', tags: ['prod-1'], pushedDaysAgo: 20 }),
      image({ name: 'signature', tags: ['sig-keep'], pushedDaysAgo: 19, subject: 'subject' }),
      image({ name: 'sbom', pushedDaysAgo: 2, subject: 'subject' }),
      image({ name: 'prod-new', tags: ['prod-2'], pushedDaysAgo: 1 }),
    ];

    // Act
    const result = plan(images, { protectedTagPatterns: ['*-keep'] });

    // Assess
    expect(result.expire).toEqual([]);
    expect(keptReasons(result)).toEqual([
      ['subject', 'referrer-subject'],
      ['signature', 'protected-tag'],
    ]);
    expect(result.kept[0]?.detail).toBe('subject of referrer sha256:signature (tags: sig-keep), which is kept');
  });

  it('names the first kept referrer by digest when several keep a subject', () => {
    // Prepare: both signatures are protected; the listing has sig-b first.
    const images = [
      image({ name: 'subject', tags: ['prod-1'], pushedDaysAgo: 20 }),
      image({ name: 'sig-b', tags: ['b-keep'], pushedDaysAgo: 19, subject: 'subject' }),
      image({ name: 'sig-a', tags: ['a-keep'], pushedDaysAgo: 19, subject: 'subject' }),
      image({ name: 'prod-new', tags: ['prod-2'], pushedDaysAgo: 1 }),
    ];

    // Act
    const result = plan(images, { protectedTagPatterns: ['*-keep'] });

    // Assess
    expect(result.kept.find((kept) => kept.reason === 'referrer-subject')?.detail).toBe('subject of referrer sha256:sig-a (tags: a-keep), which is kept');
  });

  it('keeps the subject of a referrer that a kept index lists', () => {
    // Prepare
    const images = [
      image({ name: 'subject', tags: ['prod-1'], pushedDaysAgo: 20 }),
      image({ name: 'attestation', pushedDaysAgo: 19, subject: 'subject' }),
      image({ name: 'index', tags: ['prod-2'], pushedDaysAgo: 1 }),
    ];

    // Act
    const result = plan(images, { indexChildren: { index: ['attestation'] } });

    // Assess
    expect(result.expire).toEqual([]);
    expect(keptReasons(result)).toEqual([
      ['subject', 'referrer-subject'],
      ['attestation', 'index-child'],
    ]);
  });

  it('keeps every link of a referrer chain whose last referrer is protected (T ← S ← R)', () => {
    // Prepare: rule 1 selects T; S refers to T and R to S, so both cascade; R is protected. The
    // referrer map lists T's referrers before S's, so keeping T takes a second pass after S is kept.
    const images = [
      image({ name: 'T', tags: ['prod-1'], pushedDaysAgo: 20 }),
      image({ name: 'S', tags: ['sig-1'], pushedDaysAgo: 19, subject: 'T' }),
      image({ name: 'R', tags: ['att-keep'], pushedDaysAgo: 18, subject: 'S' }),
      image({ name: 'prod-new', tags: ['prod-2'], pushedDaysAgo: 1 }),
    ];

    // Act
    const result = plan(images, { protectedTagPatterns: ['*-keep'] });

    // Assess
    expect(result.expire).toEqual([]);
    expect(result.deletionOrder).toEqual([]);
    expect(keptReasons(result)).toEqual([
      ['T', 'referrer-subject'],
      ['S', 'referrer-subject'],
      ['R', 'protected-tag'],
    ]);
  });

  it('keeps an image the preview selects but the listing lacks: its protected tag cannot be checked (fail safe)', () => {
    // Prepare: the preview was evaluated over release-2, the planner's listing lost it.
    const images = [
      image({ name: 'release-2', tags: ['release-2'], pushedDaysAgo: 10 }),
      image({ name: 'untagged-old', pushedDaysAgo: 10 }),
    ];
    const policy = policyOf(rule(1, { tagStatus: 'any', countType: 'sinceImagePushed', countUnit: 'days', countNumber: 7 }));

    // Act
    const result = plan(images, { policy, protectedTagPatterns: ['release-*'], listed: images.slice(1) });

    // Assess
    expect(namesOf(result.expire)).toEqual(['untagged-old']);
    expect(result.kept).toEqual([
      {
        imageDigest: digestOf('release-2'),
        imageTags: ['release-2'],
        reason: 'facts-unknown',
        detail: 'the preview selects it but the image listing does not have it, so its tags cannot be checked against the protected patterns',
      },
    ]);
  });

  it('keeps every untagged image while an index of the repository cannot be read, and says why', () => {
    // Prepare
    const images = [
      image({ name: 'mystery-index', tags: ['prod-1'], pushedDaysAgo: 30 }),
      image({ name: 'untagged-a', pushedDaysAgo: 30 }),
      image({ name: 'untagged-b', pushedDaysAgo: 20 }),
      image({ name: 'prod-new', tags: ['prod-2'], pushedDaysAgo: 1 }),
    ];

    // Act
    const result = plan(images, { unreadableIndexes: { 'mystery-index': 'KmsError: key disabled', other: 'ImageNotFound' } });

    // Assess: the tagged index itself still expires; no untagged image does.
    expect(namesOf(result.expire)).toEqual(['mystery-index']);
    expect(keptReasons(result)).toEqual([
      ['untagged-a', 'index-unreadable'],
      ['untagged-b', 'index-unreadable'],
    ]);
    expect(result.kept[0]?.detail).toBe(
      'the manifest of index sha256:mystery-index (and 1 more) could not be read (KmsError: key disabled); any untagged image may be one of its platforms, so none is expired this run',
    );
  });

  it('lists as kept only images the plan would otherwise expire', () => {
    // Prepare: a kept index with a child no rule selects, and a subject no rule selects with its referrer.
    const images = [
      image({ name: 'index', tags: ['prod-2'], pushedDaysAgo: 1 }),
      image({ name: 'fresh-child', pushedDaysAgo: 1 }),
      image({ name: 'fresh-subject', pushedDaysAgo: 2 }),
      image({ name: 'fresh-signature', pushedDaysAgo: 2, subject: 'fresh-subject' }),
      image({ name: 'untagged-old', pushedDaysAgo: 10 }),
    ];

    // Act
    const result = plan(images, { indexChildren: { index: ['fresh-child'] } });

    // Assess
    expect(namesOf(result.expire)).toEqual(['untagged-old']);
    expect(result.kept).toEqual([]);
  });

  it('returns only TRANSITION results as transitions, never an EXPIRE', () => {
    // Prepare
    const policy = policyOf(
      rule(1, { tagStatus: 'untagged', countType: 'sinceImagePushed', countUnit: 'days', countNumber: 7 }),
      rule(2, { tagStatus: 'any', countType: 'sinceImagePulled', countUnit: 'days', countNumber: 90 }, { type: 'transition', targetStorageClass: 'archive' }),
    );
    const images = [image({ name: 'untagged-old', pushedDaysAgo: 10 }), image({ name: 'cold', tags: ['v1'], pushedDaysAgo: 200 })];

    // Act
    const result = plan(images, { policy });

    // Assess
    expect(namesOf(result.expire)).toEqual(['untagged-old']);
    expect(result.transitions.map((transition) => [transition.imageDigest, transition.action.type])).toEqual([[digestOf('cold'), 'TRANSITION']]);
  });

  it('ends on an index cycle in bad input and deletes both indexes', () => {
    // Prepare: content addressing makes this impossible in a registry; a bad snapshot may hold it.
    const images = [image({ name: 'a', pushedDaysAgo: 30 }), image({ name: 'b', pushedDaysAgo: 29 })];

    // Act
    const result = plan(images, { indexChildren: { a: ['b'], b: ['a'] } });

    // Assess: the walk from a meets a again through b and stops there, so b gets the lower depth.
    expect(order(result)).toEqual(['b', 'a']);
    expect(result.kept).toEqual([]);
  });

  it.each([
    { how: 'an index that lists itself', subject: undefined, selfListed: ['self', 'child'] },
    { how: 'a referrer of itself', subject: 'self', selfListed: ['child'] },
  ])('orders $how (bad input) as if it did not name itself', ({ subject, selfListed }) => {
    // Prepare: two indexes share an old child; `self` also names itself, which content addressing makes impossible.
    const images = [
      image({ name: 'child', pushedDaysAgo: 31 }),
      image({ name: 'self', pushedDaysAgo: 30, ...(subject ? { subject } : {}) }),
      image({ name: 'other', pushedDaysAgo: 29 }),
    ];

    // Act
    const result = plan(images, { indexChildren: { self: selfListed, other: ['child'] } });

    // Assess: both indexes first, oldest first, then the child they list.
    expect(order(result)).toEqual(['self', 'other', 'child']);
    expect(result.kept).toEqual([]);
  });

  describe('deletion cap', () => {
    const images = [
      image({ name: 'index', pushedDaysAgo: 30 }),
      image({ name: 'amd64', pushedDaysAgo: 30 }),
      image({ name: 'arm64', pushedDaysAgo: 29 }),
      image({ name: 'single-1', pushedDaysAgo: 25 }),
      image({ name: 'single-2', pushedDaysAgo: 20 }),
    ];
    const indexChildren = { index: ['amd64', 'arm64'] };

    it('takes whole dependency units, oldest first, and keeps the rest as cap-reached', () => {
      // Act
      const result = plan(images, { indexChildren, maxDeletions: 4 });

      // Assess
      expect(order(result)).toEqual(['index', 'amd64', 'arm64', 'single-1']);
      expect(keptReasons(result)).toEqual([['single-2', 'cap-reached']]);
      expect(result.kept[0]?.detail).toBe('the per-run deletion cap of 4 is reached (4 deletions planned)');
    });

    it('never schedules a child whose index did not fit under the cap', () => {
      // Act
      const result = plan(images, { indexChildren, maxDeletions: 2 });

      // Assess: the oldest unit (index + 2 children) does not fit, and nothing newer jumps ahead.
      expect(result.expire).toEqual([]);
      expect(keptReasons(result)).toEqual([
        ['amd64', 'cap-reached'],
        ['index', 'cap-reached'],
        ['arm64', 'cap-reached'],
        ['single-1', 'cap-reached'],
        ['single-2', 'cap-reached'],
      ]);
    });

    it('does not merge two expiring indexes into one unit because they list the same image that is not expiring', () => {
      // Prepare: both indexes list `shared`, which is too young to expire.
      const sharing = [image({ name: 'index-1', pushedDaysAgo: 30 }), image({ name: 'index-2', pushedDaysAgo: 29 }), image({ name: 'shared', pushedDaysAgo: 1 })];

      // Act
      const result = plan(sharing, { indexChildren: { 'index-1': ['shared'], 'index-2': ['shared'] }, maxDeletions: 1 });

      // Assess
      expect(order(result)).toEqual(['index-1']);
      expect(keptReasons(result)).toEqual([['index-2', 'cap-reached']]);
    });

    it('breaks push-time ties by digest, whatever the input order', () => {
      // Prepare: three untagged images pushed at the same instant; room for one.
      const tied = ['c', 'a', 'b'].map((name) => image({ name, pushedDaysAgo: 10 }));

      for (const images of [tied, [...tied].reverse(), [tied[1], tied[2], tied[0]] as LifecycleImage[]]) {
        // Act
        const result = plan(images, { maxDeletions: 1 });

        // Assess
        expect(order(result)).toEqual(['a']);
        expect(keptReasons(result)).toEqual([
          ['b', 'cap-reached'],
          ['c', 'cap-reached'],
        ]);
      }
    });

    it('keeps two expiring referrers of images that stay in separate units under the cap', () => {
      // Prepare: untagged signatures old enough for rule 2, of tagged images no rule selects.
      const images = [
        image({ name: 'app-1', tags: ['v1'], pushedDaysAgo: 40 }),
        image({ name: 'app-2', tags: ['v2'], pushedDaysAgo: 40 }),
        image({ name: 'sig-1', pushedDaysAgo: 30, subject: 'app-1' }),
        image({ name: 'sig-2', pushedDaysAgo: 20, subject: 'app-2' }),
      ];

      // Act
      const result = plan(images, { maxDeletions: 1 });

      // Assess
      expect(order(result)).toEqual(['sig-1']);
      expect(keptReasons(result)).toEqual([['sig-2', 'cap-reached']]);
    });

    it('ranks a unit by its oldest image, even one that only the referrer cascade brought in', () => {
      // Prepare: rule 2 selects Y (20 days), rule 1 selects S (15 days); R refers to S and is
      // older than both, so S's unit is the oldest and goes first under a cap of 2.
      const cascade = [
        image({ name: 'Y', pushedDaysAgo: 20 }),
        image({ name: 'S', tags: ['prod-1'], pushedDaysAgo: 15 }),
        image({ name: 'R', tags: ['sig-1'], pushedDaysAgo: 30, subject: 'S' }),
        image({ name: 'prod-new', tags: ['prod-2'], pushedDaysAgo: 1 }),
      ];

      // Act
      const result = plan(cascade, { maxDeletions: 2 });

      // Assess
      expect(order(result)).toEqual(['R', 'S']);
      expect(keptReasons(result)).toEqual([['Y', 'cap-reached']]);
    });

    it('plans nothing with a cap of 0', () => {
      // Act
      const result = plan(images, { indexChildren, maxDeletions: 0 });

      // Assess
      expect(result.deletionOrder).toEqual([]);
      expect(result.kept).toHaveLength(5);
    });

    it.each([-1, 1.5, Number.NaN])('rejects maxDeletions %s', (maxDeletions) => {
      // Act
      const act = () => plan(images, { maxDeletions });

      // Assess
      expect(act).toThrow(AutopilotError);
      expect(act).toThrow(expect.objectContaining({ code: 'USAGE', message: `maxDeletions must be a whole number ≥ 0, got ${maxDeletions}` }));
    });
  });

  it('passes TRANSITION results through untouched', () => {
    // Prepare
    const policy = policyOf(rule(1, { tagStatus: 'any', countType: 'sinceImagePulled', countUnit: 'days', countNumber: 90 }, { type: 'transition', targetStorageClass: 'archive' }));
    const images = [image({ name: 'cold', tags: ['release-1'], pushedDaysAgo: 200 })];

    // Act
    const result = plan(images, { policy, protectedTagPatterns: ['release-*'] });

    // Assess
    expect(result.transitions).toEqual(evaluateLifecyclePolicy(policy, images, { now: NOW }).previewResults);
    expect(result.expire).toEqual([]);
    expect(result.kept).toEqual([]);
  });
});

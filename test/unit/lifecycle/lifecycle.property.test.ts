/**
 * Invariants of the evaluator and the planner over random repositories and valid policies.
 * Ages are whole days so that push-time ties (the tie-break path) are common.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { evaluateLifecyclePolicyWithSelection } from '../../../lib/lifecycle/evaluateLifecyclePolicy';
import {
  evaluateLifecyclePolicy,
  parseLifecyclePolicy,
  planExpiry,
  validateLifecyclePolicy,
  type LifecycleImage,
  type LifecyclePolicy,
  type LifecyclePolicyRule,
  type LifecycleRule,
} from '../../../lib/lifecycle';
import { daysAgo, NOW } from './lifecycleFixtures';

const RUNS = 300;

const TAG_STEMS = ['prod', 'beta', 'dev', 'v1', 'rel'];
const TAG_SUFFIXES = ['', '-1', '-2', '.3', 'x'];
const PATTERNS = ['prod*', 'beta*', '*-1', 'dev-*', '*', 'v1*', '*o*', 'rel', 'b*a*', 'prod-1'];
const PREFIXES = ['prod', 'beta', 'dev', 'v', 'r'];

/** Oracle for whole-tag `*` globs, independent of the code under test. */
function globToRegExp(pattern: string): RegExp {
  return new RegExp(`^${pattern.split('*').map((part) => part.replace(/[.*+?^${}()|[\]\\-]/g, '\\$&')).join('.*')}$`);
}

/** Oracle for "does this rule's selection match this image" (§2.2), written from the spec. */
function selectionMatches(rule: LifecyclePolicyRule, image: LifecycleImage): boolean {
  if ((rule.storageClass === 'archive') !== (image.storageClass === 'ARCHIVE')) return false;
  if (rule.tagStatus === 'any') return true;
  if (rule.tagStatus === 'untagged') return image.imageTags.length === 0;
  const filters = [...rule.tagPatternList.map(globToRegExp), ...rule.tagPrefixList.map((prefix) => globToRegExp(`${prefix}*`))];
  return image.imageTags.length > 0 && filters.every((filter) => image.imageTags.some((tag) => filter.test(tag)));
}

const tagArb = fc.tuple(fc.constantFrom(...TAG_STEMS), fc.constantFrom(...TAG_SUFFIXES)).map(([stem, suffix]) => stem + suffix);

const imagesArb = fc
  .uniqueArray(
    fc.record({
      id: fc.integer({ min: 0, max: 9999 }),
      tags: fc.uniqueArray(tagArb, { maxLength: 3 }),
      pushed: fc.integer({ min: 0, max: 400 }),
      archived: fc.boolean(),
      archivedAgo: fc.integer({ min: 0, max: 400 }),
      pulledAgo: fc.option(fc.integer({ min: 0, max: 400 }), { nil: undefined }),
      activatedAgo: fc.option(fc.integer({ min: 0, max: 100 }), { nil: undefined }),
      size: fc.integer({ min: 0, max: 1000 }),
    }),
    { selector: (spec) => spec.id, maxLength: 40 },
  )
  .map((specs) =>
    specs.map((spec): LifecycleImage => {
      const built: LifecycleImage = {
        imageDigest: `sha256:${String(spec.id).padStart(4, '0')}`,
        imageTags: spec.tags,
        imagePushedAt: daysAgo(spec.pushed),
        imageSizeInBytes: spec.size,
        storageClass: spec.archived ? 'ARCHIVE' : 'STANDARD',
      };
      if (spec.archived) built.lastArchivedAt = daysAgo(Math.min(spec.archivedAgo, spec.pushed));
      if (spec.pulledAgo !== undefined) built.lastRecordedPullTime = daysAgo(Math.min(spec.pulledAgo, spec.pushed));
      if (!spec.archived && spec.activatedAgo !== undefined && spec.activatedAgo < spec.pushed) built.lastActivatedAt = daysAgo(spec.activatedAgo);
      return built;
    }),
  );

const tagFilterArb = fc.oneof(
  fc.uniqueArray(fc.constantFrom(...PATTERNS), { minLength: 1, maxLength: 2 }).map((tagPatternList) => ({ tagPatternList })),
  fc.uniqueArray(fc.constantFrom(...PREFIXES), { minLength: 1, maxLength: 2 }).map((tagPrefixList) => ({ tagPrefixList })),
);
const tagStatusArb = fc.oneof(
  { weight: 3, arbitrary: tagFilterArb.map((filter) => ({ tagStatus: 'tagged' as const, ...filter })) },
  { weight: 1, arbitrary: fc.constant({ tagStatus: 'untagged' as const }) },
  { weight: 1, arbitrary: fc.constant({ tagStatus: 'any' as const }) },
);
const TRANSITION = { type: 'transition', targetStorageClass: 'archive' } as const;
const EXPIRE = { type: 'expire' } as const;

/** One rule without its priority: a count, an age, a pull or an archive-age rule. */
const ruleBodyArb = (countOnly: boolean): fc.Arbitrary<Omit<LifecycleRule, 'rulePriority'>> =>
  fc.tuple(tagStatusArb, fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 200 }), fc.constantFrom(0, 1, 2, 3), fc.boolean()).map(([tags, count, days, kind, transition]) => {
    if (countOnly || kind === 0) return { selection: { ...tags, countType: 'imageCountMoreThan', countNumber: count }, action: transition ? TRANSITION : EXPIRE };
    if (kind === 1) return { selection: { ...tags, countType: 'sinceImagePushed', countUnit: 'days', countNumber: days }, action: transition ? TRANSITION : EXPIRE };
    if (kind === 2) return { selection: { ...tags, countType: 'sinceImagePulled', countUnit: 'days', countNumber: days }, action: TRANSITION };
    return { selection: { ...tags, storageClass: 'archive', countType: 'sinceImageTransitioned', countUnit: 'days', countNumber: days }, action: EXPIRE };
  });

/**
 * A valid policy: random rules with unique priorities, then the cross-rule constraints enforced
 * by dropping offenders (a second untagged rule, a reused prefix) and moving `any` rules last.
 */
const policyArb = (countOnly = false): fc.Arbitrary<LifecyclePolicy> =>
  fc
    .uniqueArray(fc.record({ priority: fc.integer({ min: 1, max: 500 }), body: ruleBodyArb(countOnly) }), { minLength: 1, maxLength: 6, selector: (r) => r.priority })
    .map((drafts) => {
      const used = new Set<string>();
      const kept: LifecycleRule[] = [];
      for (const { priority, body } of drafts) {
        const storageClass = body.selection.storageClass ?? 'standard';
        const keys = [
          ...(body.selection.tagStatus === 'untagged' ? [`${storageClass}:untagged`] : []),
          ...(body.selection.tagStatus === 'any' ? [`${storageClass}:any`] : []),
          ...(body.selection.tagPrefixList ?? []).map((prefix) => `${storageClass}:prefix:${prefix}`),
        ];
        if (keys.some((key) => used.has(key))) continue;
        keys.forEach((key) => used.add(key));
        kept.push({ rulePriority: priority, ...body });
      }
      const highest = Math.max(...kept.map((r) => r.rulePriority));
      let next = highest;
      const rules = kept.map((r) => (r.selection.tagStatus === 'any' ? { ...r, rulePriority: (next += 1) } : r));
      const doc = { rules };
      expect(validateLifecyclePolicy(doc)).toEqual([]);
      return parseLifecyclePolicy(doc);
    });

describe('evaluateLifecyclePolicy (properties)', () => {
  it('acts on each image at most once, and only on images it was given', () => {
    fc.assert(
      fc.property(policyArb(), imagesArb, (policy, images) => {
        // Act
        const preview = evaluateLifecyclePolicy(policy, images, { now: NOW });

        // Assess
        const digests = preview.previewResults.map((result) => result.imageDigest);
        const known = new Set(images.map((image) => image.imageDigest));
        expect(new Set(digests).size).toBe(digests.length);
        expect(digests.every((digest) => known.has(digest))).toBe(true);
        const transitions = preview.previewResults.length - preview.summary.expiringImageTotalCount;
        expect(preview.summary.transitioningImageTotalCounts.reduce((sum, entry) => sum + entry.imageTotalCount, 0)).toBe(transitions);
      }),
      { numRuns: RUNS },
    );
  });

  it('returns the same preview whatever the order of the images', () => {
    const input = fc.tuple(policyArb(), imagesArb).chain(([policy, images]) =>
      fc.tuple(fc.constant(policy), fc.constant(images), fc.shuffledSubarray(images, { minLength: images.length, maxLength: images.length })),
    );
    fc.assert(
      fc.property(input, ([policy, images, shuffled]) => {
        // Act
        const original = evaluateLifecyclePolicy(policy, images, { now: NOW });
        const reordered = evaluateLifecyclePolicy(policy, shuffled, { now: NOW });

        // Assess
        expect(reordered).toEqual(original);
      }),
      { numRuns: RUNS },
    );
  });

  it('expires nothing more after applying a policy of imageCountMoreThan rules', () => {
    fc.assert(
      fc.property(policyArb(true), imagesArb, (policy, images) => {
        // Prepare
        const first = evaluateLifecyclePolicy(policy, images, { now: NOW });
        const expired = new Set(first.previewResults.filter((result) => result.action.type === 'EXPIRE').map((result) => result.imageDigest));
        const remaining = images.filter((image) => !expired.has(image.imageDigest));

        // Act
        const second = evaluateLifecyclePolicy(policy, remaining, { now: NOW });

        // Assess
        expect(second.summary.expiringImageTotalCount).toBe(0);
      }),
      { numRuns: RUNS },
    );
  });

  it('attributes every result to the first rule whose selection matches the image', () => {
    fc.assert(
      fc.property(policyArb(), imagesArb, (policy, images) => {
        // Act
        const preview = evaluateLifecyclePolicy(policy, images, { now: NOW });

        // Assess
        const byDigest = new Map(images.map((image) => [image.imageDigest, image]));
        for (const result of preview.previewResults) {
          const image = byDigest.get(result.imageDigest) as LifecycleImage;
          const first = policy.rules.find((rule) => selectionMatches(rule, image));
          expect(first?.rulePriority).toBe(result.appliedRulePriority);
          expect(result.action.type).toBe(first?.action === 'expire' ? 'EXPIRE' : 'TRANSITION');
          expect(result.storageClass).toBe(image.storageClass);
        }
      }),
      { numRuns: RUNS },
    );
  });

  it('says for every image which rule selected it: the first whose selection matches, acting on it or not', () => {
    fc.assert(
      fc.property(policyArb(), imagesArb, (policy, images) => {
        // Act
        const { preview, selectedBy } = evaluateLifecyclePolicyWithSelection(policy, images, { now: NOW });

        // Assess: the oracle picks the same rule, and the preview is evaluateLifecyclePolicy's.
        for (const image of images) expect(selectedBy.get(image.imageDigest)).toBe(policy.rules.find((rule) => selectionMatches(rule, image))?.rulePriority);
        expect(preview).toEqual(evaluateLifecyclePolicy(policy, images, { now: NOW }));
      }),
      { numRuns: RUNS },
    );
  });
});

const planInputArb = imagesArb.chain((images) =>
  fc.record({
    images: fc.constant(images),
    policy: policyArb(),
    indexEdges: fc.array(fc.tuple(fc.nat(), fc.nat()), { maxLength: 15 }),
    referrerEdges: fc.array(fc.tuple(fc.nat(), fc.nat()), { maxLength: 10 }),
    protectedTagPatterns: fc.uniqueArray(fc.constantFrom(...PATTERNS), { maxLength: 2 }),
    maxDeletions: fc.option(fc.integer({ min: 0, max: 30 }), { nil: undefined }),
  }),
);

describe('planExpiry (properties)', () => {
  it('never expires a protected image, an image a surviving index lists, or the subject of a surviving referrer', () => {
    fc.assert(
      fc.property(planInputArb, ({ images: generated, policy, indexEdges, referrerEdges, protectedTagPatterns, maxDeletions }) => {
        // Prepare: edges always point from a lower to a higher position, so the graph is acyclic.
        const n = generated.length;
        const images = generated.map((image) => ({ ...image }));
        const indexChildren = new Map<string, string[]>();
        if (n > 1) {
          for (const [a, b] of indexEdges) {
            const [from, to] = [Math.min(a % n, b % n), Math.max(a % n, b % n)];
            if (from === to) continue;
            const index = (images[from] as LifecycleImage).imageDigest;
            indexChildren.set(index, [...new Set([...(indexChildren.get(index) ?? []), (images[to] as LifecycleImage).imageDigest])]);
          }
          for (const [a, b] of referrerEdges) {
            const [from, to] = [Math.min(a % n, b % n), Math.max(a % n, b % n)];
            if (from !== to) (images[from] as LifecycleImage).subjectManifestDigest = (images[to] as LifecycleImage).imageDigest;
          }
        }
        const preview = evaluateLifecyclePolicy(policy, images, { now: NOW });

        // Act
        const plan = planExpiry({ preview, images, policy, protectedTagPatterns, graph: { indexChildren }, ...(maxDeletions === undefined ? {} : { maxDeletions }) });

        // Assess
        const expired = new Set(plan.expire.map((entry) => entry.imageDigest));
        const protectedMatchers = protectedTagPatterns.map(globToRegExp);
        for (const entry of plan.expire) {
          expect(entry.imageTags.some((tag) => protectedMatchers.some((matcher) => matcher.test(tag)))).toBe(false);
        }
        for (const [index, children] of indexChildren) {
          if (!expired.has(index)) expect(children.filter((child) => expired.has(child))).toEqual([]);
        }
        for (const image of images) {
          if (image.subjectManifestDigest !== undefined && !expired.has(image.imageDigest)) expect(expired.has(image.subjectManifestDigest)).toBe(false);
        }
        expect(new Set(plan.deletionOrder)).toEqual(expired);
        expect(plan.deletionOrder.length).toBeLessThanOrEqual(maxDeletions ?? Number.POSITIVE_INFINITY);
        const position = new Map(plan.deletionOrder.map((digest, i) => [digest, i]));
        for (const [index, children] of indexChildren) {
          for (const child of children) {
            if (expired.has(index) && expired.has(child)) expect(position.get(index)).toBeLessThan(position.get(child) as number);
          }
        }
        for (const image of images) {
          const subject = image.subjectManifestDigest;
          if (subject !== undefined && expired.has(image.imageDigest) && expired.has(subject)) {
            expect(position.get(image.imageDigest)).toBeLessThan(position.get(subject) as number);
          }
        }
        const previewExpired = preview.previewResults.filter((result) => result.action.type === 'EXPIRE').map((result) => result.imageDigest);
        const accounted = new Set([...expired, ...plan.kept.map((kept) => kept.imageDigest)]);
        expect(previewExpired.every((digest) => accounted.has(digest))).toBe(true);
      }),
      { numRuns: RUNS },
    );
  });
});

/**
 * Invariants of the deletion calls over random repositories: indexes with (sometimes shared)
 * children, referrers, unique random tags (some protected), random push times and a random cap,
 * all through a real EcrRegistry over a mocked ECR client.
 */
import { ECRClient } from '@aws-sdk/client-ecr';
import { mockClient } from 'aws-sdk-client-mock';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { BatchDeleteImageChange } from '../../../../lib/ecr/changes';
import { expireRepository } from '../../../../lib/lifecycle/expireRepository';
import { routeChanges } from '../../../../lib/plan/routeChanges';
import { deleteCalls, deleteEverything, digestOf, ecrRegistry, NOW, serveImages, servicesClass, type TestImage } from './enforcementFixtures';

const ecr = mockClient(ECRClient);
const RUNS = 200;
const REPO = 'team-a/api';

/** Tags are unique in a repository: a random kind plus the image's position. */
const TAG_KINDS = ['', '', 'v', 'release-', 'dev-'] as const;

const imageArb = fc.record({ tagKind: fc.constantFrom(...TAG_KINDS), age: fc.integer({ min: 0, max: 40 }) });

const repositoryArb = fc.record({
  images: fc.array(imageArb, { maxLength: 300, size: 'max' }),
  indexes: fc.array(fc.record({ tagKind: fc.constantFrom(...TAG_KINDS), age: fc.integer({ min: 0, max: 40 }), children: fc.uniqueArray(fc.nat(), { minLength: 1, maxLength: 4 }) }), { maxLength: 8 }),
  referrers: fc.array(fc.record({ subject: fc.nat(), age: fc.integer({ min: 0, max: 40 }) }), { maxLength: 6 }),
  maxDeletions: fc.integer({ min: 0, max: 400 }),
});

interface Repository {
  images: TestImage[];
  /** Index name → its children's names. */
  indexChildren: Map<string, string[]>;
  /** Referrer name → its subject's name. */
  subjects: Map<string, string>;
}

type RepositorySpec = typeof repositoryArb extends fc.Arbitrary<infer T> ? T : never;

function build(spec: RepositorySpec): Repository {
  const tagsOf = (kind: string, i: number) => (kind === '' ? [] : [`${kind}${i}`]);
  const images: TestImage[] = spec.images.map((image, i) => ({ name: `image-${i}`, tags: tagsOf(image.tagKind, i), pushedDaysAgo: image.age }));
  const indexChildren = new Map<string, string[]>();
  if (images.length > 0) {
    spec.indexes.forEach((index, i) => {
      const children = [...new Set(index.children.map((child) => `image-${child % images.length}`))];
      indexChildren.set(`index-${i}`, children);
      images.push({ name: `index-${i}`, tags: tagsOf(index.tagKind, 1000 + i), pushedDaysAgo: index.age, children });
    });
  }
  const subjects = new Map<string, string>();
  const subjectsPool = images.map((image) => image.name);
  if (subjectsPool.length > 0) {
    spec.referrers.forEach((referrer, i) => {
      const subject = subjectsPool[referrer.subject % subjectsPool.length] as string;
      subjects.set(`referrer-${i}`, subject);
      images.push({ name: `referrer-${i}`, pushedDaysAgo: referrer.age, subject });
    });
  }
  return { images, indexChildren, subjects };
}

describe('expireRepository deletion calls (property)', () => {
  it(`never exceed 100 ids, never repeat an image, never touch what a kept index or referrer needs, and delete indexes and referrers first (${RUNS} runs)`, async () => {
    // How often the interesting cases came up, so that the generator is known to reach them.
    const seen = { fullBatches: 0, keptIndexChildren: 0, expiredIndexWithChildren: 0, referrersFirst: 0 };
    await fc.assert(
      fc.asyncProperty(repositoryArb, async (spec) => {
        // Prepare
        ecr.reset();
        const repository = build(spec);
        serveImages(ecr, { [REPO]: repository.images });
        deleteEverything(ecr);
        const registry = ecrRegistry();

        // Act
        const expiry = await expireRepository(REPO, servicesClass(), { registry, writer: routeChanges<BatchDeleteImageChange>({ ecr: registry }), now: NOW }, { maxDeletions: spec.maxDeletions });

        // Assess
        const calls = deleteCalls(ecr);
        const callOf = new Map<string, number>();
        if (calls.some((ids) => ids.length === 100)) seen.fullBatches += 1;
        calls.forEach((ids, call) => {
          expect(ids.length).toBeGreaterThan(0);
          expect(ids.length).toBeLessThanOrEqual(100);
          for (const id of ids) {
            expect(callOf.has(id)).toBe(false);
            callOf.set(id, call);
          }
        });
        expect(callOf.size).toBeLessThanOrEqual(spec.maxDeletions);
        expect([...callOf.keys()].sort()).toEqual((expiry?.expired ?? []).map((image) => image.imageDigest).sort());
        for (const [index, children] of repository.indexChildren) {
          const indexCall = callOf.get(digestOf(index));
          for (const child of children) {
            const childCall = callOf.get(digestOf(child));
            if (indexCall === undefined) {
              expect(childCall, `${child} is listed by the kept ${index}`).toBeUndefined();
              if (expiry?.plan.kept.some((kept) => kept.imageDigest === digestOf(child) && kept.reason === 'index-child')) seen.keptIndexChildren += 1;
            } else if (childCall !== undefined) {
              expect(childCall, `${child} after its index ${index}`).toBeGreaterThan(indexCall);
              seen.expiredIndexWithChildren += 1;
            }
          }
        }
        for (const [referrer, subject] of repository.subjects) {
          const referrerCall = callOf.get(digestOf(referrer));
          const subjectCall = callOf.get(digestOf(subject));
          if (referrerCall === undefined) expect(subjectCall, `${subject} is the subject of the kept ${referrer}`).toBeUndefined();
          else if (subjectCall !== undefined) {
            expect(subjectCall, `${subject} after its referrer ${referrer}`).toBeGreaterThan(referrerCall);
            seen.referrersFirst += 1;
          }
        }
        for (const image of repository.images) {
          if (image.tags?.some((tag) => tag.startsWith('release-'))) expect(callOf.has(digestOf(image.name))).toBe(false);
        }
      }),
      { numRuns: RUNS },
    );
    expect(seen.fullBatches).toBeGreaterThan(0);
    expect(seen.keptIndexChildren).toBeGreaterThan(0);
    expect(seen.expiredIndexWithChildren).toBeGreaterThan(0);
    expect(seen.referrersFirst).toBeGreaterThan(0);
  });
});

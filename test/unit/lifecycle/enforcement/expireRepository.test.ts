import { BatchDeleteImageCommand, BatchGetImageCommand, DescribeImagesCommand, ECRClient } from '@aws-sdk/client-ecr';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import type { BatchDeleteImageChange } from '../../../../lib/ecr/changes';
import { ACCEPTED_MANIFEST_MEDIA_TYPES, type EcrRegistry } from '../../../../lib/ecr/EcrRegistry';
import { AutopilotError } from '../../../../lib/errors';
import { expireRepository, type RepositoryExpiry } from '../../../../lib/lifecycle/expireRepository';
import { sharedDeletionCap } from '../../../../lib/lifecycle/sharedDeletionCap';
import { PlanningWriter } from '../../../../lib/plan/PlanningWriter';
import { MemoryStateStore } from '../../../../lib/state/MemoryStateStore';
import { routeChanges } from '../../../../lib/plan/routeChanges';
import type { ChangeWriter } from '../../../../lib/plan/types';
import {
  deleteCalls,
  deleteEverything,
  deleteIdCalls,
  digestOf,
  ecrError,
  ecrRegistry,
  MEDIA_TYPES,
  NOW,
  serveImages,
  servicesClass,
  TAGGED_REASON,
  untaggedImages,
  UNTAGGED_REASON,
  type TestImage,
} from './enforcementFixtures';
import { indexManifest } from '../../../support/events';

const ecr = mockClient(ECRClient);
const REPO = 'team-a/api';

/** The backoff waits the registry asked for (never slept). */
let waits: number[];
let registry: EcrRegistry;

async function expire(
  images: TestImage[],
  options: { maxDeletions?: number; writer?: ChangeWriter<BatchDeleteImageChange>; pageSize?: number; afterListing?: () => void } = {},
): Promise<RepositoryExpiry> {
  serveImages(ecr, { [REPO]: images }, { ...(options.pageSize === undefined ? {} : { pageSize: options.pageSize }), ...(options.afterListing ? { afterListing: options.afterListing } : {}) });
  const expiry = await expireRepository(
    REPO,
    servicesClass(),
    { registry, writer: options.writer ?? routeChanges<BatchDeleteImageChange>({ ecr: registry }), now: NOW },
    { maxDeletions: options.maxDeletions ?? 10_000 },
  );
  if (!expiry) throw new Error('the class has a lifecycle policy: an expiry was expected');
  return expiry;
}

function sorted(digests: readonly string[]): string[] {
  return [...digests].sort();
}

function digestsOf(images: ReadonlyArray<{ imageDigest: string }>): string[] {
  return sorted(images.map((image) => image.imageDigest));
}

async function caught(promise: Promise<unknown>): Promise<AutopilotError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof AutopilotError) return error;
    throw error;
  }
  throw new Error('nothing was thrown');
}

beforeEach(() => {
  ecr.reset();
  waits = [];
  registry = ecrRegistry(waits);
});

describe('expireRepository', () => {
  describe('listing and batching', () => {
    it('reads every page of DescribeImages (more than 1,000 images) and deletes in batches of at most 100, each image once', async () => {
      // Prepare: 1,000 recent untagged images and 250 old ones, interleaved over three pages.
      const recent: TestImage[] = Array.from({ length: 1000 }, (_, i) => ({ name: `recent-${i}`, pushedDaysAgo: 1 + (i % 5) }));
      const old = untaggedImages('old', 250, 10);
      const images = recent.flatMap((image, i) => (i % 4 === 0 && old[i / 4] ? [image, old[i / 4] as TestImage] : [image]));
      deleteEverything(ecr);

      // Act
      const expiry = await expire(images, { pageSize: 450 });

      // Assess
      const listings = ecr
        .commandCalls(DescribeImagesCommand)
        .map((call) => call.args[0].input)
        .filter((input) => input.imageIds === undefined);
      expect(listings).toHaveLength(3);
      expect(listings.map((input) => input.nextToken)).toEqual([undefined, 'token-1', 'token-2']);
      for (const input of listings) expect(input).toMatchObject({ repositoryName: REPO, maxResults: 1000, filter: { imageStatus: 'ANY' } });
      const calls = deleteCalls(ecr);
      expect(calls.map((ids) => ids.length)).toEqual([100, 100, 50]);
      for (const ids of calls) expect(ids.length).toBeLessThanOrEqual(100);
      const sent = calls.flat();
      expect(new Set(sent).size).toBe(sent.length);
      expect(sorted(sent)).toEqual(sorted(old.map((image) => digestOf(image.name))));
      expect(sorted(sent)).toEqual(digestsOf(expiry.plan.expire));
      expect(expiry.expired).toHaveLength(250);
      expect(expiry.failures).toEqual([]);
      expect(expiry.bytesReclaimed).toBe(old.reduce((sum, image) => sum + (image.size ?? 0), 0));
      expect(expiry.expired.every((image) => image.reason === UNTAGGED_REASON && image.appliedRulePriority === 1)).toBe(true);
    });

    it('names the wave in each batch reason and sends every batch to the repository', async () => {
      // Prepare
      deleteEverything(ecr);

      // Act
      const expiry = await expire([{ name: 'index', pushedDaysAgo: 20, children: ['amd64', 'arm64'] }, { name: 'amd64', pushedDaysAgo: 20 }, { name: 'arm64', pushedDaysAgo: 20 }]);

      // Assess
      expect(expiry.deletions.map(({ change }) => change.reason)).toEqual([
        'expire 1 image(s) the lifecycle policy (lifecycle/test.json) selects (pass 1 of 2: indexes and referrers first)',
        'expire 2 image(s) the lifecycle policy (lifecycle/test.json) selects (pass 2 of 2: then what they referenced)',
      ]);
      for (const call of ecr.commandCalls(BatchDeleteImageCommand)) expect(call.args[0].input.repositoryName).toBe(REPO);
    });
  });

  describe('safety rules', () => {
    it('deletes an expiring index in an earlier call than its expiring children', async () => {
      // Prepare
      deleteEverything(ecr);
      const images: TestImage[] = [
        { name: 'index', pushedDaysAgo: 20, children: ['amd64', 'arm64'] },
        { name: 'amd64', pushedDaysAgo: 20 },
        { name: 'arm64', pushedDaysAgo: 20 },
        { name: 'lone', pushedDaysAgo: 30 },
      ];

      // Act
      const expiry = await expire(images);

      // Assess
      const calls = deleteCalls(ecr);
      const callOf = (name: string) => calls.findIndex((ids) => ids.includes(digestOf(name)));
      expect(calls).toHaveLength(2);
      expect(callOf('index')).toBeLessThan(callOf('amd64'));
      expect(callOf('index')).toBeLessThan(callOf('arm64'));
      expect(sorted(calls[0] ?? [])).toEqual(sorted([digestOf('index'), digestOf('lone')]));
      expect(sorted(calls[1] ?? [])).toEqual(sorted([digestOf('amd64'), digestOf('arm64')]));
      expect(expiry.expired).toHaveLength(4);
    });

    it('keeps the children of a kept index (reason index-child) and never sends them', async () => {
      // Prepare: the tagged index is kept by rule 2; its untagged children are old enough for rule 1.
      deleteEverything(ecr);
      const images: TestImage[] = [
        { name: 'kept-index', tags: ['v1'], pushedDaysAgo: 20, children: ['kept-amd64', 'kept-arm64'] },
        { name: 'kept-amd64', pushedDaysAgo: 20 },
        { name: 'kept-arm64', pushedDaysAgo: 20 },
        { name: 'lone', pushedDaysAgo: 30 },
      ];

      // Act
      const expiry = await expire(images);

      // Assess
      expect(deleteCalls(ecr)).toEqual([[digestOf('lone')]]);
      expect(expiry.plan.kept.map((kept) => [kept.imageDigest, kept.reason])).toEqual(
        expect.arrayContaining([
          [digestOf('kept-amd64'), 'index-child'],
          [digestOf('kept-arm64'), 'index-child'],
        ]),
      );
      expect(expiry.plan.kept.find((kept) => kept.imageDigest === digestOf('kept-amd64'))?.detail).toContain(digestOf('kept-index'));
      expect(digestsOf(expiry.expired)).toEqual([digestOf('lone')]);
    });

    it('deletes the signature of an expiring image with it, in an earlier call', async () => {
      // Prepare: the signature is too recent for any rule; it goes because its subject goes.
      deleteEverything(ecr);
      const images: TestImage[] = [
        { name: 'signed', pushedDaysAgo: 20 },
        { name: 'signature', pushedDaysAgo: 1, subject: 'signed' },
      ];

      // Act
      const expiry = await expire(images);

      // Assess
      expect(deleteCalls(ecr)).toEqual([[digestOf('signature')], [digestOf('signed')]]);
      expect(expiry.expired.find((image) => image.imageDigest === digestOf('signature'))?.reason).toBe(`referrer of expired subject ${digestOf('signed')} (${UNTAGGED_REASON})`);
    });

    it('keeps the subject of a kept referrer (reason referrer-subject)', async () => {
      // Prepare: the SBOM carries a protected tag, so it stays, and so does the image it describes.
      deleteEverything(ecr);
      const images: TestImage[] = [
        { name: 'described', pushedDaysAgo: 20 },
        { name: 'sbom', tags: ['release-sbom'], pushedDaysAgo: 20, subject: 'described' },
        { name: 'lone', pushedDaysAgo: 20 },
      ];

      // Act
      const expiry = await expire(images);

      // Assess
      expect(deleteCalls(ecr)).toEqual([[digestOf('lone')]]);
      expect(expiry.plan.kept.map((kept) => [kept.imageDigest, kept.reason])).toEqual(
        expect.arrayContaining([
          [digestOf('described'), 'referrer-subject'],
          [digestOf('sbom'), 'protected-tag'],
        ]),
      );
    });

    it('never deletes an image with a protected tag, even when its rule selects it', async () => {
      // Prepare: rule 2 keeps the 3 newest tagged images and selects the 4 older ones.
      deleteEverything(ecr);
      const images: TestImage[] = [
        { name: 'release-1', tags: ['release-1'], pushedDaysAgo: 30 },
        { name: 'v1', tags: ['v1'], pushedDaysAgo: 25 },
        { name: 'release-2', tags: ['release-2', 'candidate'], pushedDaysAgo: 20 },
        { name: 'v2', tags: ['v2'], pushedDaysAgo: 15 },
        { name: 'v3', tags: ['v3'], pushedDaysAgo: 3 },
        { name: 'v4', tags: ['v4'], pushedDaysAgo: 2 },
        { name: 'v5', tags: ['v5'], pushedDaysAgo: 1 },
      ];

      // Act
      const expiry = await expire(images);

      // Assess
      const sent = deleteCalls(ecr).flat();
      expect(sorted(sent)).toEqual(sorted([digestOf('v1'), digestOf('v2')]));
      expect(sent).not.toContain(digestOf('release-1'));
      expect(sent).not.toContain(digestOf('release-2'));
      expect(expiry.plan.kept.map((kept) => [kept.imageDigest, kept.reason])).toEqual([
        [digestOf('release-1'), 'protected-tag'],
        [digestOf('release-2'), 'protected-tag'],
      ]);
      expect(expiry.expired.map((image) => image.reason)).toEqual([TAGGED_REASON, TAGGED_REASON]);
    });
  });

  describe('races with pushes', () => {
    /** Three recent tagged images: rule 2 keeps these, so any older tagged image expires. */
    const newestTagged = (): TestImage[] => ['n3', 'n2', 'n1'].map((name, i): TestImage => ({ name, tags: [name], pushedDaysAgo: 3 - i }));

    /** v1 (tags v1 and stable), old enough for rule 2 to expire, beside the three newest. */
    const taggedTwice = (): TestImage[] => [{ name: 'v1', tags: ['v1', 'stable'], pushedDaysAgo: 30 }, ...newestTagged()];

    function keptReasons(expiry: RepositoryExpiry): Array<[string, string]> {
      return expiry.kept.map((kept) => [kept.imageDigest, kept.reason]);
    }

    it('keeps an image that gets a (protected) tag between the listing and its deletion', async () => {
      // Prepare: both untagged images are old enough; a push tags one of them right after the listing.
      deleteEverything(ecr);
      const racing: TestImage = { name: 'racing', pushedDaysAgo: 20 };
      const images: TestImage[] = [racing, { name: 'quiet', pushedDaysAgo: 21 }];

      // Act
      const expiry = await expire(images, {
        afterListing: () => {
          racing.tags = ['release-7'];
        },
      });

      // Assess
      expect(deleteCalls(ecr)).toEqual([[digestOf('quiet')]]);
      expect(digestsOf(expiry.expired)).toEqual([digestOf('quiet')]);
      expect(keptReasons(expiry)).toEqual([[digestOf('racing'), 'changed-since-read']]);
      expect(expiry.kept[0]?.detail).toBe('it changed since it was read (tagged release-7); the next run evaluates it again');
      // The plan itself was made from the listing: it still shows the image as planned.
      expect(digestsOf(expiry.plan.expire)).toEqual(sorted([digestOf('racing'), digestOf('quiet')]));
    });

    it.each([
      { change: 'pulled', apply: (image: TestImage) => (image.pulledDaysAgo = 0), detail: 'pulled' },
      { change: 'pushed again', apply: (image: TestImage) => (image.pushedDaysAgo = 0), detail: 'pushed again' },
      { change: 'untagged', apply: (image: TestImage) => (image.tags = []), detail: 'lost tag v1' },
    ])('keeps an image $change between the listing and its deletion', async ({ apply, detail }) => {
      // Prepare: rule 2 keeps the 3 newest tagged images, so v1 is selected.
      deleteEverything(ecr);
      const racing: TestImage = { name: 'v1', tags: ['v1'], pushedDaysAgo: 30 };
      const images: TestImage[] = [racing, ...newestTagged()];

      // Act
      const expiry = await expire(images, { afterListing: () => apply(racing) });

      // Assess
      expect(ecr).not.toHaveReceivedCommand(BatchDeleteImageCommand);
      expect(expiry.expired).toEqual([]);
      expect(keptReasons(expiry)).toEqual([[digestOf('v1'), 'changed-since-read']]);
      expect(expiry.kept[0]?.detail).toContain(detail);
    });

    it('does not send an image deleted meanwhile, and says so', async () => {
      // Prepare
      deleteEverything(ecr);
      const images: TestImage[] = [{ name: 'gone', pushedDaysAgo: 20 }, { name: 'stays', pushedDaysAgo: 21 }];

      // Act
      const expiry = await expire(images, { afterListing: () => images.splice(0, 1) });

      // Assess
      expect(deleteCalls(ecr)).toEqual([[digestOf('stays')]]);
      expect(expiry.kept).toEqual([{ imageDigest: digestOf('gone'), imageTags: [], reason: 'changed-since-read', detail: 'it is no longer in the repository (deleted meanwhile)' }]);
    });

    it('keeps the children of an expiring index that gets a tag meanwhile, and the subject of a changed referrer', async () => {
      // Prepare
      deleteEverything(ecr);
      const index: TestImage = { name: 'index', pushedDaysAgo: 20, children: ['amd64', 'arm64'] };
      const signature: TestImage = { name: 'signature', pushedDaysAgo: 20, subject: 'signed' };
      const images: TestImage[] = [index, { name: 'amd64', pushedDaysAgo: 20 }, { name: 'arm64', pushedDaysAgo: 20 }, signature, { name: 'signed', pushedDaysAgo: 20 }];

      // Act
      const expiry = await expire(images, {
        afterListing: () => {
          index.tags = ['v9'];
          signature.pulledDaysAgo = 0;
        },
      });

      // Assess
      expect(ecr).not.toHaveReceivedCommand(BatchDeleteImageCommand);
      expect(sorted(keptReasons(expiry).map(([digest, reason]) => `${digest} ${reason}`))).toEqual(
        sorted([
          `${digestOf('index')} changed-since-read`,
          `${digestOf('amd64')} index-child`,
          `${digestOf('arm64')} index-child`,
          `${digestOf('signature')} changed-since-read`,
          `${digestOf('signed')} referrer-subject`,
        ]),
      );
      expect(expiry.kept.find((kept) => kept.imageDigest === digestOf('amd64'))?.detail).toBe(
        `listed by index ${digestOf('index')}, which is not deleted: it changed since it was read (tagged v9); the next run evaluates it again`,
      );
    });

    it('never deletes the children of an index whose own deletion failed', async () => {
      // Prepare
      ecr.on(BatchDeleteImageCommand).callsFake((input: { imageIds: Array<{ imageDigest: string }> }) => ({
        imageIds: input.imageIds.filter((id) => id.imageDigest !== digestOf('index')),
        failures: input.imageIds.filter((id) => id.imageDigest === digestOf('index')).map((imageId) => ({ imageId, failureCode: 'KmsError', failureReason: 'KMS key is disabled' })),
      }));

      // Act
      const expiry = await expire([
        { name: 'index', pushedDaysAgo: 20, children: ['amd64'] },
        { name: 'amd64', pushedDaysAgo: 20 },
        { name: 'lone', pushedDaysAgo: 20 },
      ]);

      // Assess
      expect(deleteCalls(ecr).map(sorted)).toEqual([sorted([digestOf('index'), digestOf('lone')])]);
      expect(expiry.failures).toEqual([{ item: digestOf('index'), code: 'KmsError', reason: 'KMS key is disabled', expected: false }]);
      expect(keptReasons(expiry)).toEqual([[digestOf('amd64'), 'index-child']]);
      expect(expiry.kept[0]?.detail).toBe(`listed by index ${digestOf('index')}, which is not deleted: its deletion failed`);
    });

    it('names a tagged image by its digest and each of its tags, and an untagged one by its digest', async () => {
      // Prepare: v1 and v2 are beyond the 3 newest tagged images.
      deleteEverything(ecr);
      const images: TestImage[] = [
        { name: 'v1', tags: ['v1', 'stable'], pushedDaysAgo: 30 },
        { name: 'v2', tags: ['v2'], pushedDaysAgo: 29 },
        ...newestTagged(),
        { name: 'untagged', pushedDaysAgo: 31 },
      ];

      // Act
      const expiry = await expire(images);

      // Assess: oldest first.
      expect(deleteIdCalls(ecr)).toEqual([
        [
          { imageDigest: digestOf('untagged') },
          { imageDigest: digestOf('v1'), imageTag: 'v1' },
          { imageDigest: digestOf('v1'), imageTag: 'stable' },
          { imageDigest: digestOf('v2'), imageTag: 'v2' },
        ],
      ]);
      expect(digestsOf(expiry.expired)).toEqual(sorted([digestOf('v1'), digestOf('v2'), digestOf('untagged')]));
    });

    it('reports a tag that moved to another image meanwhile, and counts the image deleted only as ECR says', async () => {
      // Prepare: ECR refuses the moved tag and removes the other.
      ecr.on(BatchDeleteImageCommand).resolves({
        imageIds: [{ imageDigest: digestOf('v1'), imageTag: 'stable' }],
        failures: [{ imageId: { imageDigest: digestOf('v1'), imageTag: 'v1' }, failureCode: 'ImageTagDoesNotMatchDigest', failureReason: 'Invalid request parameters: image tag digest mismatch' }],
      });
      // Act
      const expiry = await expire(taggedTwice());

      // Assess
      expect(digestsOf(expiry.expired)).toEqual([digestOf('v1')]);
      expect(expiry.failures).toEqual([
        { item: digestOf('v1'), code: 'ImageTagDoesNotMatchDigest', reason: 'tag v1: Invalid request parameters: image tag digest mismatch', expected: false },
      ]);
    });

    it('does not count as failures the other tags of an image ECR deleted whole', async () => {
      // Prepare: ECR took the whole image with its first id, and found nothing for the second.
      ecr.on(BatchDeleteImageCommand).resolves({
        imageIds: [
          { imageDigest: digestOf('v1'), imageTag: 'v1' },
          { imageDigest: digestOf('v1'), imageTag: 'stable' },
        ],
        failures: [{ imageId: { imageDigest: digestOf('v1'), imageTag: 'stable' }, failureCode: 'ImageNotFound', failureReason: 'Requested image not found' }],
      });
      // Act
      const expiry = await expire(taggedTwice());

      // Assess
      expect(digestsOf(expiry.expired)).toEqual([digestOf('v1')]);
      expect(expiry.failures).toEqual([]);
    });

    it('puts at most 100 ids in a call, counting one per tag, and splits an image with more tags than that', async () => {
      // Prepare: 60 old images with 2 tags each (120 ids), and one with 150 tags.
      deleteEverything(ecr);
      const twoTags = Array.from({ length: 60 }, (_, i): TestImage => ({ name: `two-${i}`, tags: [`a-${i}`, `b-${i}`], pushedDaysAgo: 40 + i }));
      const manyTags: TestImage = { name: 'many', tags: Array.from({ length: 150 }, (_, i) => `t-${i}`), pushedDaysAgo: 200 };
      const newest = ['n1', 'n2', 'n3'].map((name, i): TestImage => ({ name, tags: [name], pushedDaysAgo: i }));

      // Act
      const expiry = await expire([...twoTags, manyTags, ...newest]);

      // Assess
      const calls = deleteIdCalls(ecr);
      expect(calls.map((ids) => ids.length)).toEqual([100, 50, 100, 20]);
      expect(new Set(calls[0]?.map((id) => id.imageDigest))).toEqual(new Set([digestOf('many')]));
      expect(expiry.expired).toHaveLength(61);
      expect(calls.flat()).toHaveLength(270);
    });
  });

  describe('an index whose manifest cannot be read', () => {
    /** An index with one untagged platform, an unrelated untagged image, and an old tagged image, all of which the policy selects but the index. */
    const besideIndex = (index: Partial<TestImage>): TestImage[] => [
      { name: 'index', tags: ['v9'], pushedDaysAgo: 1, children: ['amd64'], ...index },
      { name: 'amd64', pushedDaysAgo: 20 },
      { name: 'unrelated', pushedDaysAgo: 20 },
      { name: 'v1', tags: ['v1'], pushedDaysAgo: 30 },
      ...['v3', 'v4'].map((name, i): TestImage => ({ name, tags: [name], pushedDaysAgo: 3 - i })),
    ];

    it.each([
      { what: 'an index', unreadable: 'index', unlisted: false, read: [], why: 'KmsError: The KMS key is disabled' },
      {
        what: 'an image listed without a media type (it may be an index)',
        unreadable: 'v4',
        unlisted: true,
        read: [{ imageId: { imageDigest: digestOf('index') }, imageManifest: indexManifest([{ digest: digestOf('amd64'), platform: 'linux/amd64' }]), imageManifestMediaType: MEDIA_TYPES.ociIndex }],
        why: 'KmsError: The KMS key is disabled; ECR lists no media type for it, so it may be an index',
      },
    ])('keeps every untagged image of the repository this run when $what cannot be read, and says why; tagged images still expire', async ({ unreadable, unlisted, read, why }) => {
      // Prepare: v4 is one of the newest tagged images.
      deleteEverything(ecr);
      const images = besideIndex({});
      (images[5] as TestImage).mediaTypeUnlisted = unlisted;
      serveImages(ecr, { [REPO]: images });
      ecr.on(BatchGetImageCommand).resolves({
        images: read,
        failures: [{ imageId: { imageDigest: digestOf(unreadable) }, failureCode: 'KmsError', failureReason: 'The KMS key is disabled' }],
      });

      // Act
      const expiry = (await expireRepository(REPO, servicesClass(), { registry, writer: routeChanges<BatchDeleteImageChange>({ ecr: registry }), now: NOW }, { maxDeletions: 100 })) as RepositoryExpiry;

      // Assess
      expect(deleteCalls(ecr)).toEqual([[digestOf('v1')]]);
      expect(expiry.kept.map((kept) => [kept.imageDigest, kept.reason, kept.detail])).toEqual(
        ['amd64', 'unrelated'].map((name) => [
          digestOf(name),
          'index-unreadable',
          `the manifest of index ${digestOf(unreadable)} could not be read (${why}); any untagged image may be one of its platforms, so none is expired this run`,
        ]),
      );
    });

    it.each([
      { body: 'cut short', manifest: '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{"mediaT', why: 'is not valid JSON' },
      { body: 'without a manifests list', manifest: '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json"}', why: 'has no manifests list' },
      { body: 'with an entry that has no digest', manifest: '{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","size":1234}]}', why: 'Invalid descriptor' },
      { body: 'that is not an index', manifest: '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:' + 'c'.repeat(64) + '","size":2},"layers":[]}', why: 'is not an index' },
    ])('keeps every untagged image when an index manifest is returned $body', async ({ manifest, why }) => {
      // Prepare: BatchGetImage returns the index, but its manifest does not say what it lists.
      deleteEverything(ecr);

      // Act
      const expiry = await expire(besideIndex({ manifest }));

      // Assess
      expect(deleteCalls(ecr)).toEqual([[digestOf('v1')]]);
      expect(expiry.kept.map((kept) => [kept.imageDigest, kept.reason])).toEqual([
        [digestOf('amd64'), 'index-unreadable'],
        [digestOf('unrelated'), 'index-unreadable'],
      ]);
      expect(expiry.kept[0]?.detail).toContain(`the manifest of index ${digestOf('index')} could not be read (`);
      expect(expiry.kept[0]?.detail).toContain(why);
    });

    it('reads the manifest of an image listed without a media type, and keeps the platforms of one that is an index', async () => {
      // Prepare: DescribeImages leaves out imageManifestMediaType for the index and for a plain image.
      deleteEverything(ecr);
      const images = besideIndex({ mediaTypeUnlisted: true });
      (images[2] as TestImage).mediaTypeUnlisted = true;

      // Act
      const expiry = await expire(images);

      // Assess: the plain image is no index, so it expires; the index's platform does not.
      const read = ecr.commandCalls(BatchGetImageCommand).flatMap((call) => (call.args[0].input.imageIds ?? []).map((id) => id.imageDigest));
      expect(sorted(read as string[])).toEqual(sorted([digestOf('index'), digestOf('unrelated')]));
      expect(sorted(deleteCalls(ecr).flat())).toEqual(sorted([digestOf('unrelated'), digestOf('v1')]));
      expect(expiry.kept.map((kept) => [kept.imageDigest, kept.reason])).toEqual([[digestOf('amd64'), 'index-child']]);
    });

  });

  describe('reading index manifests', () => {
    it('calls neither BatchGetImage nor BatchDeleteImage when nothing expires', async () => {
      // Prepare
      deleteEverything(ecr);
      const images: TestImage[] = [
        { name: 'index', tags: ['v1'], pushedDaysAgo: 2, children: ['amd64', 'arm64'] },
        { name: 'amd64', pushedDaysAgo: 2 },
        { name: 'arm64', pushedDaysAgo: 2 },
      ];

      // Act
      const expiry = await expire(images);

      // Assess
      expect(ecr).not.toHaveReceivedCommand(BatchGetImageCommand);
      expect(ecr).not.toHaveReceivedCommand(BatchDeleteImageCommand);
      expect(expiry.plan.expire).toEqual([]);
      expect(expiry.deletions).toEqual([]);
      expect(expiry.expired).toEqual([]);
    });

    it('reads only the index manifests, once, when something expires', async () => {
      // Prepare
      deleteEverything(ecr);
      const images: TestImage[] = [
        { name: 'index', tags: ['v1'], pushedDaysAgo: 2, children: ['amd64', 'arm64'] },
        { name: 'amd64', pushedDaysAgo: 2 },
        { name: 'arm64', pushedDaysAgo: 2 },
        { name: 'old', pushedDaysAgo: 9 },
      ];

      // Act
      await expire(images);

      // Assess
      expect(ecr).toHaveReceivedCommandExactlyOnceWith(BatchGetImageCommand, {
        repositoryName: REPO,
        imageIds: [{ imageDigest: digestOf('index') }],
        acceptedMediaTypes: ACCEPTED_MANIFEST_MEDIA_TYPES,
      });
      expect(deleteCalls(ecr)).toEqual([[digestOf('old')]]);
    });
  });

  describe('partial failures', () => {
    it('reports every per-image failure (ImageReferencedByManifestList as expected) and lists as expired only what ECR confirmed', async () => {
      // Prepare
      const images = ['a', 'b', 'c', 'd', 'e'].map((name, i): TestImage => ({ name, pushedDaysAgo: 20 + i, size: 100 * (i + 1) }));
      ecr.on(BatchDeleteImageCommand).resolves({
        imageIds: [{ imageDigest: digestOf('a') }, { imageDigest: digestOf('a'), imageTag: 'old-tag' }, { imageDigest: digestOf('b') }],
        failures: [
          { imageId: { imageDigest: digestOf('c') }, failureCode: 'ImageNotFound', failureReason: 'Requested image not found' },
          { imageId: { imageDigest: digestOf('d') }, failureCode: 'KmsError', failureReason: 'KMS key is disabled' },
          { imageId: { imageDigest: digestOf('e') }, failureCode: 'ImageReferencedByManifestList', failureReason: 'Requested image is referenced by a manifest list' },
        ],
      });

      // Act
      const expiry = await expire(images);

      // Assess
      expect(digestsOf(expiry.expired)).toEqual(sorted([digestOf('a'), digestOf('b')]));
      expect(expiry.bytesReclaimed).toBe(100 + 200);
      expect(expiry.failures).toEqual([
        { item: digestOf('c'), code: 'ImageNotFound', reason: 'Requested image not found', expected: false },
        { item: digestOf('d'), code: 'KmsError', reason: 'KMS key is disabled', expected: false },
        { item: digestOf('e'), code: 'ImageReferencedByManifestList', reason: 'Requested image is referenced by a manifest list', expected: true },
      ]);
      expect(expiry.deletions.map(({ outcome }) => [outcome.status, outcome.message])).toEqual([['applied', '2 deleted, 3 not deleted']]);
    });

    it('keeps the per-image failure codes when ECR deleted nothing of a batch', async () => {
      // Prepare
      ecr.on(BatchDeleteImageCommand).resolves({
        imageIds: [],
        failures: [
          { imageId: { imageDigest: digestOf('a') }, failureCode: 'KmsError', failureReason: 'KMS key is disabled' },
          { imageId: { imageDigest: digestOf('b') }, failureCode: 'KmsError', failureReason: 'KMS key is disabled' },
        ],
      });

      // Act
      const expiry = await expire([
        { name: 'a', pushedDaysAgo: 20 },
        { name: 'b', pushedDaysAgo: 21 },
      ]);

      // Assess
      expect(expiry.expired).toEqual([]);
      expect(expiry.bytesReclaimed).toBe(0);
      expect(expiry.failures.map((failure) => [failure.item, failure.code])).toEqual([
        [digestOf('a'), 'KmsError'],
        [digestOf('b'), 'KmsError'],
      ]);
      expect(expiry.deletions[0]?.outcome.status).toBe('failed');
    });

    it('reports every image of a batch whose call was denied, and deletes nothing', async () => {
      // Prepare
      ecr.on(BatchDeleteImageCommand).rejects(ecrError('AccessDeniedException', 'not authorized to perform: ecr:BatchDeleteImage'));

      // Act
      const expiry = await expire([
        { name: 'a', pushedDaysAgo: 20 },
        { name: 'b', pushedDaysAgo: 21 },
      ]);

      // Assess
      expect(expiry.expired).toEqual([]);
      expect(sorted(expiry.failures.map((failure) => failure.item))).toEqual(sorted([digestOf('a'), digestOf('b')]));
      for (const failure of expiry.failures) {
        expect(failure.code).toBe('DeleteFailed');
        expect(failure.reason).toContain('BatchDeleteImage on repository team-a/api');
        expect(failure.reason).toContain('was denied');
      }
    });
  });

  describe('throttling', () => {
    it('retries a BatchDeleteImage throttled twice and then deletes', async () => {
      // Prepare
      ecr
        .on(BatchDeleteImageCommand)
        .rejectsOnce(ecrError('ThrottlingException', 'Rate exceeded'))
        .rejectsOnce(ecrError('ThrottlingException', 'Rate exceeded'))
        .resolves({ imageIds: [{ imageDigest: digestOf('a') }, { imageDigest: digestOf('b') }], failures: [] });

      // Act
      const expiry = await expire([
        { name: 'a', pushedDaysAgo: 20 },
        { name: 'b', pushedDaysAgo: 21 },
      ]);

      // Assess
      expect(ecr).toHaveReceivedCommandTimes(BatchDeleteImageCommand, 3);
      expect(waits).toHaveLength(2);
      expect(digestsOf(expiry.expired)).toEqual(sorted([digestOf('a'), digestOf('b')]));
      expect(expiry.failures).toEqual([]);
    });

    it('gives up with THROTTLED when the throttling never stops', async () => {
      // Prepare
      ecr.on(BatchDeleteImageCommand).rejects(ecrError('ThrottlingException', 'Rate exceeded'));

      // Act
      const error = await caught(expire([{ name: 'a', pushedDaysAgo: 20 }]));

      // Assess
      expect(error.code).toBe('THROTTLED');
      expect(error.retryable).toBe(true);
      expect(error.message).toContain('BatchDeleteImage was throttled by AWS 5 times in a row');
      expect(ecr).toHaveReceivedCommandTimes(BatchDeleteImageCommand, 5);
    });
  });

  describe('the deletion cap', () => {
    it('deletes at most maxDeletions images, oldest first, and keeps the rest as cap-reached', async () => {
      // Prepare: ten old untagged images, old-9 the oldest.
      deleteEverything(ecr);
      const images = untaggedImages('old', 10, 10);

      // Act
      const expiry = await expire(images, { maxDeletions: 4 });

      // Assess
      expect(deleteCalls(ecr).map(sorted)).toEqual([sorted(['old-6', 'old-7', 'old-8', 'old-9'].map(digestOf))]);
      expect(expiry.expired).toHaveLength(4);
      expect(expiry.plan.kept).toHaveLength(6);
      expect(expiry.plan.kept.every((kept) => kept.reason === 'cap-reached')).toBe(true);
      expect(expiry.plan.kept[0]?.detail).toBe('the per-run deletion cap of 4 is reached (4 deletions planned)');
    });

    it('plans within what a shared cap grants, names that cap for what it keeps, and gives back what it did not delete', async () => {
      // Prepare: another run already used 7 of the window's 10; one of the three granted images gets a tag meanwhile.
      deleteEverything(ecr);
      const state = new MemoryStateStore({ now: () => NOW.getTime() });
      const sharedCap = sharedDeletionCap(state, { scope: 'expire-on-push', cap: 10, windowSeconds: 3600, now: NOW });
      expect(await sharedCap.reserve(7)).toBe(7);
      const images = untaggedImages('old', 5, 10);
      serveImages(ecr, { [REPO]: images }, { afterListing: () => ((images[4] as TestImage).tags = ['release-9']) });

      // Act
      const expiry = (await expireRepository(REPO, servicesClass(), { registry, writer: routeChanges<BatchDeleteImageChange>({ ecr: registry }), now: NOW }, { maxDeletions: 200, sharedCap })) as RepositoryExpiry;

      // Assess: old-4, old-3, old-2 are the oldest; old-4 changed, so two are deleted and one is given back.
      expect(deleteCalls(ecr).map(sorted)).toEqual([sorted(['old-3', 'old-2'].map(digestOf))]);
      expect(expiry.kept.filter((kept) => kept.reason === 'cap-reached').map((kept) => kept.detail)).toEqual([
        'at most 10 deletion(s) on push per 60 minutes, shared by every run (window from 2026-11-20T09:00:00.000Z) is reached (3 deletions planned)',
        'at most 10 deletion(s) on push per 60 minutes, shared by every run (window from 2026-11-20T09:00:00.000Z) is reached (3 deletions planned)',
      ]);
      expect(await sharedCap.reserve(5)).toBe(1);
    });

    it('gives back to a shared cap what ECR refused, but not what it reports as not found (deleted by a lost first attempt, or by someone else)', async () => {
      // Prepare: three old images granted; ECR deletes one, reports one as not found and refuses one.
      const state = new MemoryStateStore({ now: () => NOW.getTime() });
      const sharedCap = sharedDeletionCap(state, { scope: 'expire-on-push', cap: 10, windowSeconds: 3600, now: NOW });
      serveImages(ecr, { [REPO]: untaggedImages('old', 3, 10) });
      ecr.on(BatchDeleteImageCommand).resolves({
        imageIds: [{ imageDigest: digestOf('old-2') }],
        failures: [
          { imageId: { imageDigest: digestOf('old-1') }, failureCode: 'ImageNotFound', failureReason: 'Requested image not found' },
          { imageId: { imageDigest: digestOf('old-0') }, failureCode: 'KmsError', failureReason: 'The KMS key is disabled' },
        ],
      });

      // Act
      const expiry = (await expireRepository(REPO, servicesClass(), { registry, writer: routeChanges<BatchDeleteImageChange>({ ecr: registry }), now: NOW }, { maxDeletions: 200, sharedCap })) as RepositoryExpiry;

      // Assess: the deleted and the not-found image stay used; only the refused one is given back.
      expect(digestsOf(expiry.expired)).toEqual([digestOf('old-2')]);
      expect(expiry.failures.map((failure) => failure.code).sort()).toEqual(['ImageNotFound', 'KmsError']);
      expect(await sharedCap.reserve(10)).toBe(8);
    });

    it('deletes nothing with a cap of 0', async () => {
      // Prepare
      deleteEverything(ecr);

      // Act
      const expiry = await expire(untaggedImages('old', 3, 10), { maxDeletions: 0 });

      // Assess
      expect(ecr).not.toHaveReceivedCommand(BatchDeleteImageCommand);
      expect(expiry.expired).toEqual([]);
      expect(expiry.plan.kept.map((kept) => kept.reason)).toEqual(['cap-reached', 'cap-reached', 'cap-reached']);
    });
  });

  describe('plan mode', () => {
    it('calls no BatchDeleteImage, records batches of at most 100 and reports the planned images as expired', async () => {
      // Prepare
      const writer = new PlanningWriter();
      const images: TestImage[] = [
        ...untaggedImages('old', 150, 10),
        { name: 'index', pushedDaysAgo: 20, children: ['amd64', 'arm64'] },
        { name: 'amd64', pushedDaysAgo: 20 },
        { name: 'arm64', pushedDaysAgo: 20 },
      ];

      // Act
      const expiry = await expire(images, { writer });

      // Assess
      expect(ecr).not.toHaveReceivedCommand(BatchDeleteImageCommand);
      expect(expiry.deletions.every(({ outcome }) => outcome.status === 'planned')).toBe(true);
      const planned = writer.changes as BatchDeleteImageChange[];
      expect(planned.every((change) => change.action === 'ecr:BatchDeleteImage' && change.images.length <= 100)).toBe(true);
      expect(planned.map((change) => change.images.length).reduce((a, b) => a + b, 0)).toBe(153);
      expect(digestsOf(expiry.expired)).toEqual(digestsOf(expiry.plan.expire));
      expect(expiry.expired).toHaveLength(153);
      expect(expiry.failures).toEqual([]);
      expect(expiry.bytesReclaimed).toBe(expiry.plan.bytesReclaimed);
    });
  });
});

import {
  BatchDeleteImageCommand,
  BatchGetImageCommand,
  DescribeImageScanFindingsCommand,
  DescribeImagesCommand,
  DescribeRepositoriesCommand,
  ECRClient,
  ECRServiceException,
  GetLifecyclePolicyCommand,
  ImageNotFoundException,
  LifecyclePolicyNotFoundException,
  PutImageScanningConfigurationCommand,
  PutImageTagMutabilityCommand,
  PutLifecyclePolicyCommand,
  RepositoryNotFoundException,
  ScanNotFoundException,
  type DescribeImageScanFindingsCommandInput,
  type DescribeImagesCommandInput,
  type ImageScanFinding,
  type Repository as SdkRepository,
} from '@aws-sdk/client-ecr';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { ACCEPTED_MANIFEST_MEDIA_TYPES, EcrRegistry, MAX_IMAGE_IDS_PER_CALL, MAX_PAGE_SIZE } from '../../../lib/ecr/EcrRegistry';
import { AutopilotError } from '../../../lib/errors';
import { parseDescribeImagesOutput } from '../../../lib/lifecycle/describeImagesInput';
import { abortSignalOf } from '../../support/sdkCalls';
import { basicFinding, digestOf, enhancedFinding, manyFindings, pageFor, pagesOf, sdkImage, sdkRepository } from '../../support/events';

const ecr = mockClient(ECRClient);
const REGION = 'ap-northeast-2';
const REPO = 'team-a/api';

/** The waits the registry asked for (the retry's injected sleep). */
let waits: number[];

function registry(options: { registryId?: string } = {}): EcrRegistry {
  return new EcrRegistry({
    client: new ECRClient({ region: REGION }),
    region: REGION,
    ...options,
    retry: {
      sleep: async (ms) => {
        waits.push(ms);
      },
    },
  });
}

function throttling(): ECRServiceException {
  return new ECRServiceException({ name: 'ThrottlingException', $fault: 'client', $metadata: { httpStatusCode: 400 }, message: 'Rate exceeded' });
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

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

beforeEach(() => {
  ecr.reset();
  waits = [];
});

describe('EcrRegistry', () => {
  describe('describeRepository', () => {
    it('maps the repository settings governance compares', async () => {
      // Prepare
      ecr.on(DescribeRepositoriesCommand).resolves({
        repositories: [
          sdkRepository(REPO, {
            imageTagMutability: 'IMMUTABLE_WITH_EXCLUSION',
            imageTagMutabilityExclusionFilters: [
              { filterType: 'WILDCARD', filter: 'latest' },
              { filterType: 'WILDCARD', filter: 'dev-*' },
            ],
            imageScanningConfiguration: { scanOnPush: true },
            createdAt: new Date('2025-03-02T10:11:12Z'),
          }),
        ],
      });

      // Act
      const repository = await registry().describeRepository(REPO);

      // Assess
      expect(repository).toEqual({
        repositoryName: REPO,
        repositoryArn: `arn:aws:ecr:${REGION}:123456789012:repository/${REPO}`,
        registryId: '123456789012',
        repositoryUri: `123456789012.dkr.ecr.${REGION}.amazonaws.com/${REPO}`,
        createdAt: new Date('2025-03-02T10:11:12Z'),
        imageTagMutability: 'IMMUTABLE_WITH_EXCLUSION',
        imageTagMutabilityExclusions: ['latest', 'dev-*'],
        scanOnPush: true,
      });
      expect(ecr).toHaveReceivedCommandExactlyOnceWith(DescribeRepositoriesCommand, { repositoryNames: [REPO] });
    });

    it('asks the configured registry', async () => {
      // Prepare
      ecr.on(DescribeRepositoriesCommand).resolves({ repositories: [sdkRepository(REPO)] });

      // Act
      await registry({ registryId: '210987654321' }).describeRepository(REPO);

      // Assess
      expect(ecr).toHaveReceivedCommandWith(DescribeRepositoriesCommand, { registryId: '210987654321', repositoryNames: [REPO] });
    });

    it('translates RepositoryNotFoundException into REPOSITORY_NOT_FOUND', async () => {
      // Prepare
      ecr.on(DescribeRepositoriesCommand).rejects(new RepositoryNotFoundException({ message: 'The repository does not exist', $metadata: {} }));

      // Act
      const error = await caught(registry().describeRepository(REPO));

      // Assess
      expect(error.code).toBe('REPOSITORY_NOT_FOUND');
      expect(error.message).toBe(`DescribeRepositories: repository ${REPO} (${REGION}) does not exist; check the name and region`);
      expect(error.cause).toBeInstanceOf(RepositoryNotFoundException);
    });

    it('retries throttling and succeeds on the third attempt', async () => {
      // Prepare
      ecr.on(DescribeRepositoriesCommand).rejectsOnce(throttling()).rejectsOnce(throttling()).resolves({ repositories: [sdkRepository(REPO)] });

      // Act
      const repository = await registry().describeRepository(REPO);

      // Assess
      expect(repository.repositoryName).toBe(REPO);
      expect(ecr).toHaveReceivedCommandTimes(DescribeRepositoriesCommand, 3);
      expect(waits).toHaveLength(2);
      expect(waits[0]).toBeLessThanOrEqual(200);
      expect(waits[1]).toBeLessThanOrEqual(400);
    });

    it('gives up on throttling after five attempts with THROTTLED', async () => {
      // Prepare
      ecr.on(DescribeRepositoriesCommand).rejects(throttling());

      // Act
      const error = await caught(registry().describeRepository(REPO));

      // Assess
      expect(error.code).toBe('THROTTLED');
      expect(error.retryable).toBe(true);
      expect(error.message).toMatch(/DescribeRepositories was throttled by AWS 5 times in a row/);
      expect(ecr).toHaveReceivedCommandTimes(DescribeRepositoriesCommand, 5);
      expect(waits).toHaveLength(4);
    });

    it('retries a 429 answer like a throttling error', async () => {
      // Prepare
      const tooMany = new ECRServiceException({ name: 'SomethingElse', $fault: 'client', $metadata: { httpStatusCode: 429 }, message: 'slow down' });
      ecr.on(DescribeRepositoriesCommand).rejectsOnce(tooMany).resolves({ repositories: [sdkRepository(REPO)] });

      // Act
      await registry().describeRepository(REPO);

      // Assess
      expect(ecr).toHaveReceivedCommandTimes(DescribeRepositoriesCommand, 2);
    });

    it('does not retry other errors', async () => {
      // Prepare
      const denied = new ECRServiceException({ name: 'AccessDeniedException', $fault: 'client', $metadata: { httpStatusCode: 403 }, message: 'not authorized to perform ecr:DescribeRepositories' });
      ecr.on(DescribeRepositoriesCommand).rejects(denied);

      // Act
      const error = await caught(registry().describeRepository(REPO));

      // Assess
      expect(error.code).toBe('ACCESS_DENIED');
      expect(ecr).toHaveReceivedCommandTimes(DescribeRepositoriesCommand, 1);
      expect(waits).toEqual([]);
    });

    it('says REPOSITORY_NOT_FOUND when ECR answers with no repository', async () => {
      // Prepare
      ecr.on(DescribeRepositoriesCommand).resolves({ repositories: [] });

      // Act
      const error = await caught(registry().describeRepository(REPO));

      // Assess
      expect(error.code).toBe('REPOSITORY_NOT_FOUND');
    });
  });

  describe('listRepositories', () => {
    it('reads every page of DescribeRepositories with the largest page size', async () => {
      // Prepare
      const repositories: SdkRepository[] = Array.from({ length: 2500 }, (_, i) => sdkRepository(`team-${i}/api`));
      const pages = pagesOf(repositories, MAX_PAGE_SIZE);
      ecr.on(DescribeRepositoriesCommand).callsFake((input: { nextToken?: string }) => {
        const page = pageFor(pages, input.nextToken);
        return { repositories: page.items, nextToken: page.nextToken };
      });

      // Act
      const listed = await collect(registry().listRepositories());

      // Assess
      expect(listed).toHaveLength(2500);
      expect(listed[2499]?.repositoryName).toBe('team-2499/api');
      expect(ecr).toHaveReceivedCommandTimes(DescribeRepositoriesCommand, 3);
      expect(ecr).toHaveReceivedNthCommandWith(DescribeRepositoriesCommand, 1, { maxResults: 1000, nextToken: undefined });
      expect(ecr).toHaveReceivedNthCommandWith(DescribeRepositoriesCommand, 2, { maxResults: 1000, nextToken: 'token-1' });
      expect(ecr).toHaveReceivedNthCommandWith(DescribeRepositoriesCommand, 3, { maxResults: 1000, nextToken: 'token-2' });
    });
  });

  describe('getLifecyclePolicyText', () => {
    it('returns the policy text ECR stored', async () => {
      // Prepare
      ecr.on(GetLifecyclePolicyCommand).resolves({ repositoryName: REPO, lifecyclePolicyText: '{"rules":[]}' });

      // Act
      const text = await registry().getLifecyclePolicyText(REPO);

      // Assess
      expect(text).toBe('{"rules":[]}');
      expect(ecr).toHaveReceivedCommandExactlyOnceWith(GetLifecyclePolicyCommand, { repositoryName: REPO });
    });

    it('returns undefined for LifecyclePolicyNotFoundException', async () => {
      // Prepare
      ecr.on(GetLifecyclePolicyCommand).rejects(new LifecyclePolicyNotFoundException({ message: 'Lifecycle policy does not exist', $metadata: {} }));

      // Act
      const text = await registry().getLifecyclePolicyText(REPO);

      // Assess
      expect(text).toBeUndefined();
    });

    it('still fails for a missing repository', async () => {
      // Prepare
      ecr.on(GetLifecyclePolicyCommand).rejects(new RepositoryNotFoundException({ message: 'no', $metadata: {} }));

      // Act
      const error = await caught(registry().getLifecyclePolicyText(REPO));

      // Assess
      expect(error.code).toBe('REPOSITORY_NOT_FOUND');
    });
  });

  describe('describeImages', () => {
    it('asks for at most 100 image ids per call, without duplicates', async () => {
      // Prepare
      const digests = Array.from({ length: 250 }, (_, i) => digestOf(`image-${i}`));
      ecr.on(DescribeImagesCommand).callsFake((input: DescribeImagesCommandInput) => ({
        imageDetails: (input.imageIds ?? []).map((id) => sdkImage('x', { digest: id.imageDigest, imageTags: [] })),
      }));

      // Act
      const details = await registry().describeImages(REPO, [...digests, digests[0] as string]);

      // Assess
      expect(details.map((detail) => detail.imageDigest)).toEqual(digests);
      const batches = ecr.commandCalls(DescribeImagesCommand).map((call) => call.args[0].input.imageIds?.length);
      expect(batches).toEqual([MAX_IMAGE_IDS_PER_CALL, MAX_IMAGE_IDS_PER_CALL, 50]);
      expect(ecr).toHaveReceivedNthCommandWith(DescribeImagesCommand, 3, {
        repositoryName: REPO,
        imageIds: digests.slice(200).map((imageDigest) => ({ imageDigest })),
        filter: { imageStatus: 'ANY' },
      });
    });

    it('maps the details lifecycle and summaries use', async () => {
      // Prepare
      ecr.on(DescribeImagesCommand).resolves({
        imageDetails: [
          sdkImage('archived', {
            imageTags: ['v1'],
            imageStatus: 'ARCHIVED',
            imageSizeInBytes: 4096,
            lastRecordedPullTime: new Date('2026-10-01T00:00:00Z'),
            lastArchivedAt: new Date('2026-10-02T00:00:00Z'),
            artifactMediaType: 'application/vnd.oci.image.config.v1+json',
          }),
        ],
      });

      // Act
      const [detail] = await registry().describeImages(REPO, [digestOf('archived')]);

      // Assess
      expect(detail).toEqual({
        imageDigest: digestOf('archived'),
        imageTags: ['v1'],
        imagePushedAt: new Date('2026-11-20T08:00:00Z'),
        imageSizeInBytes: 4096,
        imageManifestMediaType: 'application/vnd.docker.distribution.manifest.v2+json',
        artifactMediaType: 'application/vnd.oci.image.config.v1+json',
        lastRecordedPullTime: new Date('2026-10-01T00:00:00Z'),
        lastArchivedAt: new Date('2026-10-02T00:00:00Z'),
        storageClass: 'ARCHIVE',
        scanStatus: 'COMPLETE',
      });
    });

    it('leaves out an image that no longer exists and keeps the others', async () => {
      // Prepare
      const [kept, gone] = [digestOf('kept'), digestOf('gone')];
      ecr.on(DescribeImagesCommand).callsFake((input: DescribeImagesCommandInput) => {
        if (input.imageIds?.some((id) => id.imageDigest === gone)) throw new ImageNotFoundException({ message: 'image not found', $metadata: {} });
        return { imageDetails: [sdkImage('kept')] };
      });

      // Act
      const details = await registry().describeImages(REPO, [kept, gone]);

      // Assess
      expect(details.map((detail) => detail.imageDigest)).toEqual([kept]);
      expect(ecr).toHaveReceivedCommandTimes(DescribeImagesCommand, 3);
    });
  });

  describe('listImages', () => {
    it('reads every page of DescribeImages, archived images included', async () => {
      // Prepare
      const images = Array.from({ length: 1001 }, (_, i) => sdkImage(`image-${i}`));
      const pages = pagesOf(images, MAX_PAGE_SIZE);
      ecr.on(DescribeImagesCommand).callsFake((input: DescribeImagesCommandInput) => {
        const page = pageFor(pages, input.nextToken);
        return { imageDetails: page.items, nextToken: page.nextToken };
      });

      // Act
      const listed = await collect(registry().listImages(REPO));

      // Assess
      expect(listed).toHaveLength(1001);
      expect(ecr).toHaveReceivedCommandTimes(DescribeImagesCommand, 2);
      expect(ecr).toHaveReceivedNthCommandWith(DescribeImagesCommand, 1, { repositoryName: REPO, maxResults: 1000, nextToken: undefined, filter: { imageStatus: 'ANY' } });
      expect(ecr).toHaveReceivedNthCommandWith(DescribeImagesCommand, 2, { repositoryName: REPO, maxResults: 1000, nextToken: 'token-1', filter: { imageStatus: 'ANY' } });
    });

    it('reads every imageStatus as the storage class the offline preview gives it (ACTIVATING is still archived)', async () => {
      // Prepare: one image per status, as DescribeImages returns them (and `aws ecr describe-images` prints them).
      const statuses = ['ACTIVE', 'ARCHIVED', 'ACTIVATING'] as const;
      const images = statuses.map((imageStatus) => sdkImage(imageStatus, { imageStatus, imagePushedAt: new Date('2026-01-01T00:00:00Z') }));
      ecr.on(DescribeImagesCommand).resolves({ imageDetails: images });
      const offline = parseDescribeImagesOutput({ imageDetails: images.map((image) => ({ ...image, imagePushedAt: image.imagePushedAt?.toISOString() })) });

      // Act
      const listed = await collect(registry().listImages(REPO));

      // Assess: restore-image.html: a restoring image stays in the archival state until the restore completes.
      expect(listed.map((image) => image.storageClass)).toEqual(['STANDARD', 'ARCHIVE', 'ARCHIVE']);
      expect(listed.map((image) => image.storageClass)).toEqual(offline.map((image) => image.storageClass));
    });

    it('retries a throttled page and continues from the same token', async () => {
      // Prepare
      const pages = pagesOf(Array.from({ length: 1500 }, (_, i) => sdkImage(`image-${i}`)), MAX_PAGE_SIZE);
      let throttledSecondPage = 0;
      ecr.on(DescribeImagesCommand).callsFake((input: DescribeImagesCommandInput) => {
        if (input.nextToken === 'token-1' && throttledSecondPage < 2) {
          throttledSecondPage += 1;
          throw throttling();
        }
        const page = pageFor(pages, input.nextToken);
        return { imageDetails: page.items, nextToken: page.nextToken };
      });

      // Act
      const listed = await collect(registry().listImages(REPO));

      // Assess
      expect(listed).toHaveLength(1500);
      expect(ecr.commandCalls(DescribeImagesCommand).map((call) => call.args[0].input.nextToken)).toEqual([undefined, 'token-1', 'token-1', 'token-1']);
    });
  });

  describe('getManifests', () => {
    it('asks BatchGetImage for at most 100 ids per call, accepting every manifest type', async () => {
      // Prepare
      const digests = Array.from({ length: 201 }, (_, i) => digestOf(`m-${i}`));
      ecr.on(BatchGetImageCommand).callsFake((input: { imageIds: Array<{ imageDigest: string }> }) => ({
        images: input.imageIds.map((id) => ({
          imageId: id,
          imageManifest: '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json"}',
        })),
      }));

      // Act
      const { manifests, failures } = await registry().getManifests(REPO, digests);

      // Assess
      expect(failures).toEqual([]);
      expect(manifests).toHaveLength(201);
      expect(manifests[0]).toEqual({
        imageDigest: digests[0],
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        manifest: '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json"}',
      });
      expect(ecr.commandCalls(BatchGetImageCommand).map((call) => call.args[0].input.imageIds?.length)).toEqual([100, 100, 1]);
      expect(ecr).toHaveReceivedNthCommandWith(BatchGetImageCommand, 1, {
        repositoryName: REPO,
        imageIds: digests.slice(0, 100).map((imageDigest) => ({ imageDigest })),
        acceptedMediaTypes: ACCEPTED_MANIFEST_MEDIA_TYPES,
      });
    });

    it('prefers the media type ECR reports', async () => {
      // Prepare
      ecr.on(BatchGetImageCommand).resolves({
        images: [{ imageId: { imageDigest: digestOf('list') }, imageManifest: '{"manifests":[]}', imageManifestMediaType: 'application/vnd.docker.distribution.manifest.list.v2+json' }],
      });

      // Act
      const [manifest] = (await registry().getManifests(REPO, [digestOf('list')])).manifests;

      // Assess
      expect(manifest?.mediaType).toBe('application/vnd.docker.distribution.manifest.list.v2+json');
    });

    it('returns every image it could not read: ECR failures, images without a manifest, and images ECR said nothing about', async () => {
      // Prepare
      ecr.on(BatchGetImageCommand).resolves({
        images: [
          { imageId: { imageDigest: digestOf('ok') }, imageManifest: '{"manifests":[]}' },
          { imageId: { imageDigest: digestOf('empty') } },
          // Not asked for: never taken as a read of anything.
          { imageId: { imageDigest: digestOf('stranger') }, imageManifest: '{"manifests":[]}' },
        ],
        failures: [
          { imageId: { imageDigest: digestOf('kms') }, failureCode: 'KmsError', failureReason: 'The KMS key is disabled' },
          { imageId: { imageDigest: digestOf('ok') }, failureCode: 'ImageNotFound', failureReason: 'contradicts the image above' },
        ],
      });

      // Act
      const read = await registry().getManifests(REPO, [digestOf('ok'), digestOf('empty'), digestOf('kms'), digestOf('silent')]);

      // Assess
      expect(read.manifests.map((manifest) => manifest.imageDigest)).toEqual([digestOf('ok')]);
      expect(read.failures).toEqual([
        { imageDigest: digestOf('empty'), code: 'ManifestMissing', reason: 'BatchGetImage returned neither its manifest nor a failure' },
        { imageDigest: digestOf('kms'), code: 'KmsError', reason: 'The KMS key is disabled' },
        { imageDigest: digestOf('silent'), code: 'ManifestMissing', reason: 'BatchGetImage returned neither its manifest nor a failure' },
      ]);
    });
  });

  describe('getImageScan', () => {
    function findingPages(findings: ImageScanFinding[]) {
      const pages = pagesOf(findings, MAX_PAGE_SIZE);
      ecr.on(DescribeImageScanFindingsCommand).callsFake((input: DescribeImageScanFindingsCommandInput) => {
        const page = pageFor(pages, input.nextToken);
        return {
          imageScanStatus: { status: 'COMPLETE' },
          imageScanFindings: { findings: page.items, imageScanCompletedAt: new Date('2026-11-20T08:56:40Z') },
          nextToken: page.nextToken,
        };
      });
    }

    it('reads every finding over several pages (more than 1,000)', async () => {
      // Prepare
      findingPages(manyFindings(2345, ['CRITICAL', 'HIGH', 'LOW']));

      // Act
      const scan = await registry().getImageScan(REPO, digestOf('scanned'));

      // Assess
      expect(scan?.findings).toHaveLength(2345);
      expect(new Set(scan?.findings.map((finding) => finding.id)).size).toBe(2345);
      expect(scan).toMatchObject({ scanType: 'BASIC', status: 'COMPLETE', completedAt: new Date('2026-11-20T08:56:40Z') });
      expect(ecr.commandCalls(DescribeImageScanFindingsCommand).map((call) => call.args[0].input)).toEqual([
        { registryId: undefined, repositoryName: REPO, imageId: { imageDigest: digestOf('scanned') }, maxResults: 1000, nextToken: undefined },
        { registryId: undefined, repositoryName: REPO, imageId: { imageDigest: digestOf('scanned') }, maxResults: 1000, nextToken: 'token-1' },
        { registryId: undefined, repositoryName: REPO, imageId: { imageDigest: digestOf('scanned') }, maxResults: 1000, nextToken: 'token-2' },
      ]);
    });

    it('maps a basic finding with its package, versions, link and score', async () => {
      // Prepare
      findingPages([basicFinding('CVE-2024-6387', 'CRITICAL', { packageName: 'openssh-client', version: '1:9.2p1-2', fixedIn: '1:9.2p1-3', score: 8.1, description: 'regreSSHion\nlong text' })]);

      // Act
      const scan = await registry().getImageScan(REPO, digestOf('scanned'));

      // Assess
      expect(scan?.findings).toEqual([
        {
          id: 'CVE-2024-6387',
          severity: 'CRITICAL',
          title: 'regreSSHion',
          packageName: 'openssh-client',
          installedVersion: '1:9.2p1-2',
          fixedVersion: '1:9.2p1-3',
          uri: 'https://nvd.nist.gov/vuln/detail/CVE-2024-6387',
          score: 8.1,
        },
      ]);
    });

    it('maps an enhanced finding to one finding per vulnerable package, UNTRIAGED as UNDEFINED', async () => {
      // Prepare
      ecr.on(DescribeImageScanFindingsCommand).resolves({
        imageScanStatus: { status: 'ACTIVE' },
        imageScanFindings: {
          enhancedFindings: [
            enhancedFinding('CVE-2024-45590', 'UNTRIAGED', [
              { name: 'body-parser', version: '1.20.2', fixedInVersion: '1.20.3' },
              { name: 'libexpat1', version: '2.5.0', release: '1+deb12u1', fixedInVersion: 'NotAvailable' },
            ]),
            enhancedFinding('CVE-2024-0001', 'HIGH', []),
          ],
        },
      });

      // Act
      const scan = await registry().getImageScan(REPO, digestOf('scanned'));

      // Assess
      expect(scan).toEqual({
        scanType: 'ENHANCED',
        status: 'ACTIVE',
        findings: [
          {
            id: 'CVE-2024-45590',
            severity: 'UNDEFINED',
            title: 'CVE-2024-45590 - body-parser, libexpat1',
            uri: 'https://nvd.nist.gov/vuln/detail/CVE-2024-45590',
            score: 7.5,
            packageName: 'body-parser',
            installedVersion: '1.20.2',
            fixedVersion: '1.20.3',
          },
          {
            id: 'CVE-2024-45590',
            severity: 'UNDEFINED',
            title: 'CVE-2024-45590 - body-parser, libexpat1',
            uri: 'https://nvd.nist.gov/vuln/detail/CVE-2024-45590',
            score: 7.5,
            packageName: 'libexpat1',
            installedVersion: '2.5.0-1+deb12u1',
          },
          { id: 'CVE-2024-0001', severity: 'HIGH', title: 'CVE-2024-0001 - ', uri: 'https://nvd.nist.gov/vuln/detail/CVE-2024-0001', score: 7.5 },
        ],
      });
    });

    it('returns undefined for ScanNotFoundException', async () => {
      // Prepare
      ecr.on(DescribeImageScanFindingsCommand).rejects(new ScanNotFoundException({ message: 'Image scan does not exist', $metadata: {} }));

      // Act
      const scan = await registry().getImageScan(REPO, digestOf('never-scanned'));

      // Assess
      expect(scan).toBeUndefined();
    });

    it('fails with IMAGE_NOT_FOUND for an image that does not exist', async () => {
      // Prepare
      ecr.on(DescribeImageScanFindingsCommand).rejects(new ImageNotFoundException({ message: 'not found', $metadata: {} }));

      // Act
      const error = await caught(registry().getImageScan(REPO, digestOf('deleted')));

      // Assess
      expect(error.code).toBe('IMAGE_NOT_FOUND');
      expect(error.message).toContain(digestOf('deleted'));
    });
  });

  describe("the caller's signal", () => {
    it('reaches every SDK call, reads and writes, page by page', async () => {
      // Prepare
      ecr.on(DescribeRepositoriesCommand).resolvesOnce({ repositories: [sdkRepository(REPO)], nextToken: 't' }).resolves({ repositories: [] });
      ecr.on(DescribeImagesCommand).resolves({ imageDetails: [] });
      ecr.on(BatchDeleteImageCommand).resolves({ imageIds: [], failures: [] });
      const controller = new AbortController();
      const signal = controller.signal;

      // Act
      for await (const _repository of registry().listRepositories({ signal })) void _repository;
      for await (const _image of registry().listImages(REPO, { signal })) void _image;
      await registry().apply({ action: 'ecr:BatchDeleteImage', target: REPO, reason: 'expire', images: [{ imageDigest: digestOf('a'), imageTags: [], appliedRulePriority: 1, reason: 'r' }] }, { signal });

      // Assess
      const calls = [...ecr.commandCalls(DescribeRepositoriesCommand), ...ecr.commandCalls(DescribeImagesCommand), ...ecr.commandCalls(BatchDeleteImageCommand)];
      expect(calls).toHaveLength(4);
      for (const call of calls) expect(abortSignalOf(call)).toBe(signal);
    });

    it('ends a listing when it fires between pages: no further page is requested', async () => {
      // Prepare
      ecr.on(DescribeRepositoriesCommand).resolves({ repositories: [sdkRepository(REPO)], nextToken: 'more' });
      const controller = new AbortController();
      const seen: string[] = [];

      // Act
      const listing = (async () => {
        for await (const repository of registry().listRepositories({ signal: controller.signal })) {
          seen.push(repository.repositoryName);
          controller.abort();
        }
      })();

      // Assess
      await expect(listing).rejects.toMatchObject({ code: 'ABORTED' });
      expect(seen).toEqual([REPO]);
      expect(ecr.commandCalls(DescribeRepositoriesCommand)).toHaveLength(1);
    });
  });

  describe('apply', () => {
    it('puts a lifecycle policy with the exact text', async () => {
      // Prepare
      ecr.on(PutLifecyclePolicyCommand).resolves({});

      // Act
      const outcome = await registry().apply({ action: 'ecr:PutLifecyclePolicy', target: REPO, reason: 'drift', lifecyclePolicyText: '{\n  "rules": []\n}' }, {});

      // Assess
      expect(outcome).toEqual({ status: 'applied' });
      expect(ecr).toHaveReceivedCommandExactlyOnceWith(PutLifecyclePolicyCommand, { registryId: undefined, repositoryName: REPO, lifecyclePolicyText: '{\n  "rules": []\n}' });
      expect(ecr.commandCalls(PutLifecyclePolicyCommand)[0]?.args[0].input).toEqual({ registryId: undefined, repositoryName: REPO, lifecyclePolicyText: '{\n  "rules": []\n}' });
    });

    it('puts the scanning configuration', async () => {
      // Prepare
      ecr.on(PutImageScanningConfigurationCommand).resolves({});

      // Act
      await registry({ registryId: '123456789012' }).apply({ action: 'ecr:PutImageScanningConfiguration', target: REPO, reason: 'drift', scanOnPush: true }, {});

      // Assess
      expect(ecr).toHaveReceivedCommandExactlyOnceWith(PutImageScanningConfigurationCommand, {
        registryId: '123456789012',
        repositoryName: REPO,
        imageScanningConfiguration: { scanOnPush: true },
      });
    });

    it('puts tag mutability with its exclusions as wildcard filters', async () => {
      // Prepare
      ecr.on(PutImageTagMutabilityCommand).resolves({});

      // Act
      await registry().apply({ action: 'ecr:PutImageTagMutability', target: REPO, reason: 'drift', imageTagMutability: 'IMMUTABLE_WITH_EXCLUSION', exclusions: ['latest', 'dev-*'] }, {});

      // Assess
      expect(ecr.commandCalls(PutImageTagMutabilityCommand)[0]?.args[0].input).toEqual({
        registryId: undefined,
        repositoryName: REPO,
        imageTagMutability: 'IMMUTABLE_WITH_EXCLUSION',
        imageTagMutabilityExclusionFilters: [
          { filterType: 'WILDCARD', filter: 'latest' },
          { filterType: 'WILDCARD', filter: 'dev-*' },
        ],
      });
    });

    it('puts plain tag mutability without an exclusion filter list', async () => {
      // Prepare
      ecr.on(PutImageTagMutabilityCommand).resolves({});

      // Act
      await registry().apply({ action: 'ecr:PutImageTagMutability', target: REPO, reason: 'drift', imageTagMutability: 'IMMUTABLE', exclusions: [] }, {});

      // Assess
      expect(ecr.commandCalls(PutImageTagMutabilityCommand)[0]?.args[0].input).toEqual({ registryId: undefined, repositoryName: REPO, imageTagMutability: 'IMMUTABLE' });
    });

    it('retries a throttled change and reports it applied', async () => {
      // Prepare
      ecr.on(PutImageScanningConfigurationCommand).rejectsOnce(throttling()).rejectsOnce(throttling()).resolves({});

      // Act
      const outcome = await registry().apply({ action: 'ecr:PutImageScanningConfiguration', target: REPO, reason: 'drift', scanOnPush: false }, {});

      // Assess
      expect(outcome.status).toBe('applied');
      expect(ecr).toHaveReceivedCommandTimes(PutImageScanningConfigurationCommand, 3);
    });
  });
});

/**
 * Builders shared by the enforcement tests: a fixed clock, a repository class with a small
 * lifecycle policy, ECR's DescribeImages / DescribeRepositories / BatchGetImage / BatchDeleteImage
 * answered from in-memory repositories through `aws-sdk-client-mock`, and a real `EcrRegistry`
 * whose throttling retries never wait.
 */
import {
  BatchDeleteImageCommand,
  BatchGetImageCommand,
  DescribeImagesCommand,
  DescribeRepositoriesCommand,
  ECRClient,
  ECRServiceException,
  type BatchDeleteImageCommandInput,
  type ImageDetail as SdkImageDetail,
} from '@aws-sdk/client-ecr';
import type { AwsStub } from 'aws-sdk-client-mock';
import type { RepositoryClass } from '../../../../lib/config/types';
import { EcrRegistry } from '../../../../lib/ecr/EcrRegistry';
import type { LoggerPort } from '../../../../lib/runtime/types';
import { canonicalJson } from '../../../../lib/shared/canonicalJson';
import { ACCOUNT, digestOf, indexManifest, MEDIA_TYPES, pageFor, pagesOf, REGION } from '../../../support/events';

export { ACCOUNT, digestOf, MEDIA_TYPES, REGION };

/** Every enforcement test runs at this instant. */
export const NOW = new Date('2026-11-20T09:00:00.000Z');
export const MS_PER_DAY = 86_400_000;

export function daysAgo(days: number): Date {
  return new Date(NOW.getTime() - days * MS_PER_DAY);
}

/** Rule 1: untagged images older than 7 days expire. Rule 2: keep the 3 newest tagged images. */
export const POLICY_DOCUMENT = {
  rules: [
    {
      rulePriority: 1,
      description: 'Expire untagged images a week after push',
      selection: { tagStatus: 'untagged', countType: 'sinceImagePushed', countUnit: 'days', countNumber: 7 },
      action: { type: 'expire' },
    },
    {
      rulePriority: 2,
      description: 'Keep the 3 newest tagged images',
      selection: { tagStatus: 'tagged', tagPatternList: ['*'], countType: 'imageCountMoreThan', countNumber: 3 },
      action: { type: 'expire' },
    },
  ],
};
export const POLICY_TEXT = canonicalJson(POLICY_DOCUMENT);
export const UNTAGGED_REASON = 'rule 1: untagged images pushed more than 7 days ago';
export const TAGGED_REASON = 'rule 2: more than 3 images tagged *';

/** A class that manages only the lifecycle policy (so governance reads GetLifecyclePolicy only). */
export function servicesClass(overrides: Partial<RepositoryClass> = {}): RepositoryClass {
  return {
    name: 'services',
    repositories: ['team-*/**'],
    lifecyclePolicy: { text: POLICY_TEXT, source: 'lifecycle/test.json' },
    protectedTags: ['release-*'],
    expireOnPush: false,
    ...overrides,
  };
}

export const silentLogger: LoggerPort = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

/** A real EcrRegistry over the mocked client; throttling backoff is recorded, never slept. */
export function ecrRegistry(waits: number[] = []): EcrRegistry {
  return new EcrRegistry({
    client: new ECRClient({ region: REGION }),
    region: REGION,
    retry: {
      sleep: async (ms) => {
        waits.push(ms);
      },
    },
  });
}

export function ecrError(name: string, message = name): ECRServiceException {
  return new ECRServiceException({ name, $fault: 'client', $metadata: { httpStatusCode: 400 }, message });
}

/** What a test image is: a name (its digest is `digestOf(name)`), tags, age, size, and index children. */
export interface TestImage {
  name: string;
  tags?: string[];
  pushedDaysAgo: number;
  size?: number;
  /** Makes the image an OCI index listing these images (by name). */
  children?: string[];
  /** Makes the image a referrer of this image (by name). */
  subject?: string;
  pulledDaysAgo?: number;
  /** DescribeImages lists no `imageManifestMediaType` for it (the field is optional in ECR's API). */
  mediaTypeUnlisted?: boolean;
  /** The manifest BatchGetImage returns for it, instead of the index or image manifest it is. */
  manifest?: string;
}

export function sdkImageOf(repositoryName: string, image: TestImage): SdkImageDetail {
  return {
    registryId: ACCOUNT,
    repositoryName,
    imageDigest: digestOf(image.name),
    imageTags: image.tags ?? [],
    imagePushedAt: daysAgo(image.pushedDaysAgo),
    imageSizeInBytes: image.size ?? 1000,
    ...(image.mediaTypeUnlisted ? {} : { imageManifestMediaType: image.children ? MEDIA_TYPES.ociIndex : MEDIA_TYPES.ociManifest }),
    imageStatus: 'ACTIVE',
    ...(image.pulledDaysAgo !== undefined ? { lastRecordedPullTime: daysAgo(image.pulledDaysAgo) } : {}),
    ...(image.subject ? { subjectManifestDigest: digestOf(image.subject), artifactMediaType: 'application/vnd.dev.cosign.artifact.sig.v1+json' } : {}),
  };
}

/**
 * Answers DescribeImages (listing, page by page, `pageSize` per page, and by id) and BatchGetImage
 * (index manifests) for the given repositories, from their current state: a test may change an
 * image between calls, e.g. in `afterListing`, which runs once, after the last page of the first
 * listing (a push racing with the run). BatchDeleteImage is left to each test.
 */
export function serveImages(
  ecr: AwsStub<any, any, any>,
  repositories: Record<string, TestImage[]>,
  options: { pageSize?: number; afterListing?: () => void } = {},
): void {
  const pageSize = options.pageSize ?? 1000;
  let afterListing = options.afterListing;
  ecr.on(DescribeImagesCommand).callsFake((input: { repositoryName: string; nextToken?: string; imageIds?: Array<{ imageDigest?: string }> }) => {
    const images = (repositories[input.repositoryName] ?? []).map((image) => sdkImageOf(input.repositoryName, image));
    if (input.imageIds) {
      const wanted = new Set(input.imageIds.map((id) => id.imageDigest));
      return { imageDetails: images.filter((image) => wanted.has(image.imageDigest)) };
    }
    const page = pageFor(pagesOf(images, pageSize), input.nextToken);
    if (!page.nextToken && afterListing) {
      afterListing();
      afterListing = undefined;
    }
    return { imageDetails: page.items, ...(page.nextToken ? { nextToken: page.nextToken } : {}) };
  });
  ecr.on(BatchGetImageCommand).callsFake((input: { repositoryName: string; imageIds: Array<{ imageDigest?: string }> }) => {
    const byDigest = new Map((repositories[input.repositoryName] ?? []).map((image) => [digestOf(image.name), image]));
    const found = input.imageIds.filter(({ imageDigest }) => imageDigest !== undefined && byDigest.has(imageDigest));
    const images = found.flatMap(({ imageDigest }) => {
      const image = byDigest.get(imageDigest as string) as TestImage;
      return [
        {
          registryId: ACCOUNT,
          repositoryName: input.repositoryName,
          imageId: { imageDigest },
          imageManifest: image.manifest ?? manifestOf(image),
          imageManifestMediaType: image.children ? MEDIA_TYPES.ociIndex : MEDIA_TYPES.ociManifest,
        },
      ];
    });
    const failures = input.imageIds.filter((id) => !found.includes(id)).map((imageId) => ({ imageId, failureCode: 'ImageNotFound', failureReason: 'Requested image not found' }));
    return { images, failures };
  });
}

/** The manifest ECR stores for a test image: an OCI index of its children, or an image manifest. */
function manifestOf(image: TestImage): string {
  if (image.children) return indexManifest(image.children.map((child, i) => ({ digest: digestOf(child), platform: i % 2 === 0 ? 'linux/amd64' : 'linux/arm64' })));
  const blob = (mediaType: string, name: string) => ({ mediaType, digest: digestOf(`${image.name}-${name}`), size: 1000 });
  return JSON.stringify({ schemaVersion: 2, mediaType: MEDIA_TYPES.ociManifest, config: blob('application/vnd.oci.image.config.v1+json', 'config'), layers: [blob('application/vnd.oci.image.layer.v1.tar+gzip', 'layer')] });
}

/** BatchDeleteImage deletes everything it is asked to (one id per tag, as ECR answers). */
export function deleteEverything(ecr: AwsStub<any, any, any>): void {
  ecr.on(BatchDeleteImageCommand).callsFake((input: BatchDeleteImageCommandInput) => ({ imageIds: (input.imageIds ?? []).map((id) => ({ imageDigest: id.imageDigest })), failures: [] }));
}

/** The digests each BatchDeleteImage call names, in call order (a tagged image, named once per tag, appears once). */
export function deleteCalls(ecr: AwsStub<any, any, any>): string[][] {
  return ecr.commandCalls(BatchDeleteImageCommand).map((call) => [...new Set((call.args[0].input.imageIds ?? []).map((id) => id.imageDigest as string))]);
}

/** The image ids of every BatchDeleteImage call, exactly as sent. */
export function deleteIdCalls(ecr: AwsStub<any, any, any>): Array<Array<{ imageDigest?: string; imageTag?: string }>> {
  return ecr.commandCalls(BatchDeleteImageCommand).map((call) => call.args[0].input.imageIds ?? []);
}

/** Repositories as DescribeRepositories answers them, `pageSize` per page. */
export function serveRepositories(ecr: AwsStub<any, any, any>, names: string[], pageSize = 1000): void {
  const repositories = names.map((name) => ({
    repositoryName: name,
    repositoryArn: `arn:aws:ecr:${REGION}:${ACCOUNT}:repository/${name}`,
    registryId: ACCOUNT,
    repositoryUri: `${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com/${name}`,
    imageTagMutability: 'MUTABLE' as const,
    imageScanningConfiguration: { scanOnPush: false },
  }));
  ecr.on(DescribeRepositoriesCommand).callsFake((input: { nextToken?: string; repositoryNames?: string[] }) => {
    if (input.repositoryNames) return { repositories: repositories.filter((r) => input.repositoryNames?.includes(r.repositoryName)) };
    const page = pageFor(pagesOf(repositories, pageSize), input.nextToken);
    return { repositories: page.items, ...(page.nextToken ? { nextToken: page.nextToken } : {}) };
  });
}

/** `count` untagged images named `${prefix}-${i}`, pushed `firstAge`, `firstAge + 1`, … days ago. */
export function untaggedImages(prefix: string, count: number, firstAge: number): TestImage[] {
  return Array.from({ length: count }, (_, i) => ({ name: `${prefix}-${i}`, pushedDaysAgo: firstAge + i, size: 1000 + i }));
}

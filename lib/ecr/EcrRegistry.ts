import {
  BatchDeleteImageCommand,
  BatchGetImageCommand,
  CreateRepositoryCommand,
  DeleteRepositoryCommand,
  DescribeImageScanFindingsCommand,
  DescribeImagesCommand,
  DescribeRepositoriesCommand,
  GetLifecyclePolicyCommand,
  PutImageScanningConfigurationCommand,
  PutImageTagMutabilityCommand,
  PutLifecyclePolicyCommand,
  type ECRClient,
  type EnhancedImageScanFinding,
  type ImageDetail as SdkImageDetail,
  type ImageIdentifier,
  type ImageScanFinding,
  type Repository as SdkRepository,
} from '@aws-sdk/client-ecr';
import type { TagMutability } from '../config/types';
import { AutopilotError, hasErrorCode } from '../errors';
import { SEVERITIES, type Severity } from '../events/primitives';
import type { ApplyOptions, ChangeOutcome, ChangeWriter } from '../plan/types';
import { callAws, type RetryOptions, type SdkCallOptions } from '../shared/awsCall';
import type { CallPacer } from '../shared/callPacer';
import { classifyFailure, type CallOptions } from '../shared/retry';
import { chunk } from '../shared/chunk';
import type { ImageToDelete, RegistryChange } from './changes';
import { translateEcrError } from './ecrErrors';
import { MAX_IMAGE_IDS_PER_CALL, MAX_IMAGE_IDS_PER_DELETE, MAX_PAGE_SIZE, MAX_REPOSITORY_NAMES_PER_DESCRIBE } from './limits';

export { MAX_IMAGE_IDS_PER_CALL, MAX_IMAGE_IDS_PER_DELETE, MAX_PAGE_SIZE } from './limits';
import { mediaTypeOf } from './manifests';
import type { RegistryReader } from './RegistryReader';
import { storageClassOfStatus, type Finding, type ImageDetail, type ImageScan, type ManifestRead, type ManifestReadFailure, type Repository, type StoredManifest } from './types';


/** Every manifest media type we accept from BatchGetImage, so ECR never converts a manifest. */
export const ACCEPTED_MANIFEST_MEDIA_TYPES = [
  'application/vnd.docker.distribution.manifest.v2+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.v1+json',
];

/**
 * The live registry: reads and changes ECR through the AWS SDK. Pagination and batching follow
 * the API limits; every call carries the caller's signal and throttling is retried with backoff
 * (`callAws`); the exceptions callers branch on become `AutopilotError`s.
 */
export class EcrRegistry implements RegistryReader, ChangeWriter<RegistryChange> {
  readonly registryId: string | undefined;
  readonly region: string;
  private readonly client: ECRClient;
  private readonly retry: RetryOptions;
  private readonly pacer: CallPacer | undefined;

  /**
   * `pacer` spaces every ECR call (retries included) at a fixed rate: a fleet batch gets its share
   * of `fleet.ecrCallsPerSecond`, so the whole fan-out stays under the budget.
   */
  constructor(options: { client: ECRClient; region: string; registryId?: string; retry?: RetryOptions; pacer?: CallPacer }) {
    this.client = options.client;
    this.region = options.region;
    this.registryId = options.registryId;
    this.retry = options.retry ?? {};
    this.pacer = options.pacer;
  }

  async describeRepository(repositoryName: string, options: CallOptions = {}): Promise<Repository> {
    const output = await this.call('DescribeRepositories', { repositoryName }, options, (sdk) =>
      this.client.send(new DescribeRepositoriesCommand({ registryId: this.registryId, repositoryNames: [repositoryName] }), sdk),
    );
    const repository = output.repositories?.[0];
    if (!repository) {
      throw new AutopilotError('REPOSITORY_NOT_FOUND', `DescribeRepositories: repository ${repositoryName} (${this.region}) does not exist; check the name and region`);
    }
    return toRepository(repository);
  }

  /**
   * Several repositories in as few calls as possible (DescribeRepositories takes 1–100 names). The
   * call fails whole when one name is missing; the batch is then read one name at a time and missing
   * repositories are left out.
   */
  async describeRepositories(repositoryNames: readonly string[], options: CallOptions = {}): Promise<Repository[]> {
    const repositories: Repository[] = [];
    for (const batch of chunk([...new Set(repositoryNames)], MAX_REPOSITORY_NAMES_PER_DESCRIBE)) {
      try {
        const output = await this.call('DescribeRepositories', {}, options, (sdk) =>
          this.client.send(new DescribeRepositoriesCommand({ registryId: this.registryId, repositoryNames: batch }), sdk),
        );
        repositories.push(...(output.repositories ?? []).map(toRepository));
      } catch (error) {
        if (!hasErrorCode(error, 'REPOSITORY_NOT_FOUND')) throw error;
        for (const repositoryName of batch) {
          try {
            repositories.push(await this.describeRepository(repositoryName, options));
          } catch (single) {
            if (!hasErrorCode(single, 'REPOSITORY_NOT_FOUND')) throw single;
          }
        }
      }
    }
    return repositories;
  }

  async *listRepositories(options: CallOptions = {}): AsyncIterable<Repository> {
    let nextToken: string | undefined;
    do {
      const token = nextToken;
      const output = await this.call('DescribeRepositories', {}, options, (sdk) =>
        this.client.send(new DescribeRepositoriesCommand({ registryId: this.registryId, maxResults: MAX_PAGE_SIZE, nextToken: token }), sdk),
      );
      for (const repository of output.repositories ?? []) yield toRepository(repository);
      nextToken = output.nextToken;
    } while (nextToken);
  }

  async getLifecyclePolicyText(repositoryName: string, options: CallOptions = {}): Promise<string | undefined> {
    try {
      const output = await this.call('GetLifecyclePolicy', { repositoryName }, options, (sdk) =>
        this.client.send(new GetLifecyclePolicyCommand({ registryId: this.registryId, repositoryName }), sdk),
      );
      return output.lifecyclePolicyText;
    } catch (error) {
      // No policy is a normal state, not an error.
      if (error instanceof Error && error.name === 'LifecyclePolicyNotFoundException') return undefined;
      throw error;
    }
  }

  async describeImages(repositoryName: string, imageDigests: readonly string[], options: CallOptions = {}): Promise<ImageDetail[]> {
    const details: ImageDetail[] = [];
    for (const batch of chunk([...new Set(imageDigests)], MAX_IMAGE_IDS_PER_CALL)) {
      try {
        const output = await this.call('DescribeImages', { repositoryName }, options, (sdk) =>
          this.client.send(
            new DescribeImagesCommand({
              registryId: this.registryId,
              repositoryName,
              imageIds: batch.map((imageDigest) => ({ imageDigest })),
              filter: { imageStatus: 'ANY' },
            }),
            sdk,
          ),
        );
        details.push(...(output.imageDetails ?? []).map(toImageDetail));
      } catch (error) {
        // DescribeImages fails the whole call when one id is missing; fall back to one id at a time.
        if (hasErrorCode(error, 'IMAGE_NOT_FOUND') && batch.length > 1) {
          for (const imageDigest of batch) details.push(...(await this.describeImages(repositoryName, [imageDigest], options)));
        } else if (!hasErrorCode(error, 'IMAGE_NOT_FOUND')) {
          throw error;
        }
      }
    }
    return details;
  }

  async describeImageByTag(repositoryName: string, imageTag: string, options: CallOptions = {}): Promise<ImageDetail | undefined> {
    try {
      const output = await this.call('DescribeImages', { repositoryName }, options, (sdk) =>
        this.client.send(new DescribeImagesCommand({ registryId: this.registryId, repositoryName, imageIds: [{ imageTag }], filter: { imageStatus: 'ANY' } }), sdk),
      );
      const detail = output.imageDetails?.[0];
      return detail ? toImageDetail(detail) : undefined;
    } catch (error) {
      if (hasErrorCode(error, 'IMAGE_NOT_FOUND')) return undefined;
      throw error;
    }
  }

  async *listImages(repositoryName: string, options: CallOptions = {}): AsyncIterable<ImageDetail> {
    let nextToken: string | undefined;
    do {
      const token = nextToken;
      const output = await this.call('DescribeImages', { repositoryName }, options, (sdk) =>
        this.client.send(
          new DescribeImagesCommand({
            registryId: this.registryId,
            repositoryName,
            maxResults: MAX_PAGE_SIZE,
            nextToken: token,
            // DescribeImages returns only ACTIVE images by default (§6); lifecycle needs archived ones too.
            filter: { imageStatus: 'ANY' },
          }),
          sdk,
        ),
      );
      for (const detail of output.imageDetails ?? []) yield toImageDetail(detail);
      nextToken = output.nextToken;
    } while (nextToken);
  }

  async getManifests(repositoryName: string, imageDigests: readonly string[], options: CallOptions = {}): Promise<ManifestRead> {
    const manifests: StoredManifest[] = [];
    const failures: ManifestReadFailure[] = [];
    for (const batch of chunk([...new Set(imageDigests)], MAX_IMAGE_IDS_PER_CALL)) {
      const output = await this.call('BatchGetImage', { repositoryName }, options, (sdk) =>
        this.client.send(
          new BatchGetImageCommand({
            registryId: this.registryId,
            repositoryName,
            imageIds: batch.map((imageDigest) => ({ imageDigest })),
            acceptedMediaTypes: ACCEPTED_MANIFEST_MEDIA_TYPES,
          }),
          sdk,
        ),
      );
      const read = new Set<string>();
      for (const image of output.images ?? []) {
        const digest = image.imageId?.imageDigest;
        if (digest && batch.includes(digest) && image.imageManifest) {
          read.add(digest);
          manifests.push({ imageDigest: digest, mediaType: image.imageManifestMediaType ?? mediaTypeOf(image.imageManifest), manifest: image.imageManifest });
        }
      }
      // BatchGetImage reports per-image failures in its body (aws-ecr-facts §6), e.g. ImageNotFound
      // or KmsError: https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_BatchGetImage.html
      const reported = new Map<string, ManifestReadFailure>();
      for (const failure of output.failures ?? []) {
        const digest = failure.imageId?.imageDigest;
        if (digest && batch.includes(digest) && !read.has(digest)) {
          reported.set(digest, { imageDigest: digest, code: failure.failureCode ?? 'Unknown', reason: failure.failureReason ?? '' });
        }
      }
      for (const digest of batch) {
        if (read.has(digest)) continue;
        failures.push(reported.get(digest) ?? { imageDigest: digest, code: 'ManifestMissing', reason: 'BatchGetImage returned neither its manifest nor a failure' });
      }
    }
    return { manifests, failures };
  }

  async getImageScan(repositoryName: string, imageDigest: string, options: CallOptions = {}): Promise<ImageScan | undefined> {
    const findings: Finding[] = [];
    let scanType: ImageScan['scanType'] = 'BASIC';
    let status = 'UNKNOWN';
    let completedAt: Date | undefined;
    let nextToken: string | undefined;
    try {
      do {
        const token = nextToken;
        const output = await this.call('DescribeImageScanFindings', { repositoryName, imageDigest }, options, (sdk) =>
          this.client.send(
            new DescribeImageScanFindingsCommand({
              registryId: this.registryId,
              repositoryName,
              imageId: { imageDigest },
              maxResults: MAX_PAGE_SIZE,
              nextToken: token,
            }),
            sdk,
          ),
        );
        status = output.imageScanStatus?.status ?? status;
        const page = output.imageScanFindings;
        completedAt = page?.imageScanCompletedAt ?? completedAt;
        for (const finding of page?.findings ?? []) findings.push(fromBasicFinding(finding));
        if ((page?.enhancedFindings?.length ?? 0) > 0) scanType = 'ENHANCED';
        for (const finding of page?.enhancedFindings ?? []) findings.push(...fromEnhancedFinding(finding));
        nextToken = output.nextToken;
      } while (nextToken);
    } catch (error) {
      if (hasErrorCode(error, 'SCAN_NOT_FOUND')) return undefined;
      throw error;
    }
    return completedAt ? { scanType, status, completedAt, findings } : { scanType, status, findings };
  }

  async apply(change: RegistryChange, options: ApplyOptions): Promise<ChangeOutcome> {
    const repositoryName = change.target;
    switch (change.action) {
      case 'ecr:PutLifecyclePolicy':
        await this.call('PutLifecyclePolicy', { repositoryName }, options, (sdk) =>
          this.client.send(new PutLifecyclePolicyCommand({ registryId: this.registryId, repositoryName, lifecyclePolicyText: change.lifecyclePolicyText }), sdk),
        );
        return { status: 'applied' };
      case 'ecr:PutImageScanningConfiguration':
        await this.call('PutImageScanningConfiguration', { repositoryName }, options, (sdk) =>
          this.client.send(
            new PutImageScanningConfigurationCommand({
              registryId: this.registryId,
              repositoryName,
              imageScanningConfiguration: { scanOnPush: change.scanOnPush },
            }),
            sdk,
          ),
        );
        return { status: 'applied' };
      case 'ecr:PutImageTagMutability':
        await this.call('PutImageTagMutability', { repositoryName }, options, (sdk) =>
          this.client.send(
            new PutImageTagMutabilityCommand({
              registryId: this.registryId,
              repositoryName,
              imageTagMutability: change.imageTagMutability,
              ...(change.exclusions.length > 0
                ? { imageTagMutabilityExclusionFilters: change.exclusions.map((filter) => ({ filterType: 'WILDCARD' as const, filter })) }
                : {}),
            }),
            sdk,
          ),
        );
        return { status: 'applied' };
      case 'ecr:BatchDeleteImage':
        return this.deleteImages(repositoryName, change.images, options);
      case 'ecr:CreateRepository':
        try {
          await this.call('CreateRepository', { repositoryName }, options, (sdk) =>
            this.client.send(
              new CreateRepositoryCommand({
                registryId: this.registryId,
                repositoryName,
                ...(change.scanOnPush !== undefined ? { imageScanningConfiguration: { scanOnPush: change.scanOnPush } } : {}),
                ...(change.imageTagMutability ? { imageTagMutability: change.imageTagMutability } : {}),
                ...(change.exclusions.length > 0
                  ? { imageTagMutabilityExclusionFilters: change.exclusions.map((filter) => ({ filterType: 'WILDCARD' as const, filter })) }
                  : {}),
                tags: Object.entries(change.resourceTags).map(([Key, Value]) => ({ Key, Value })),
              }),
              sdk,
            ),
          );
          return { status: 'applied' };
        } catch (error) {
          // Another run created it in the meantime: the desired state holds.
          if (error instanceof Error && error.name === 'RepositoryAlreadyExistsException') return { status: 'applied', message: 'already existed' };
          throw error;
        }
      case 'ecr:DeleteRepository':
        try {
          await this.call('DeleteRepository', { repositoryName }, options, (sdk) =>
            this.client.send(new DeleteRepositoryCommand({ registryId: this.registryId, repositoryName, force: true }), sdk),
          );
          return { status: 'applied' };
        } catch (error) {
          if (hasErrorCode(error, 'REPOSITORY_NOT_FOUND')) return { status: 'applied', message: 'already gone' };
          throw error;
        }
    }
  }

  /**
   * Deletes images by id, at most 100 ids per call (BatchDeleteImage's limit:
   * https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_BatchDeleteImage.html).
   *
   * An untagged image is named by its digest. A tagged image is named by its digest together with
   * each of its tags. What AWS documents (API_BatchDeleteImage): naming a tag removes only that tag,
   * and removing an image's last tag deletes the image; naming the digest deletes the image with all
   * its tags. What an id naming both does is not documented: its failure code
   * `ImageTagDoesNotMatchDigest` (API_ImageFailure) shows that ECR checks the tag still points at the
   * digest, so a tag moved to another image since it was read is never removed from that image (as
   * naming the tag alone would, deleting that image if it was its only tag); but ECR may then delete
   * the whole image, tags added meanwhile included, as naming the digest does (moto, the AWS
   * emulator, does so). So the deletion itself does not keep an image tagged meanwhile:
   * `expireRepository` describes each batch again just before deleting it and holds every image
   * that changed, which leaves only the time between that check and this call.
   *
   * Per-image failures come back in the response, not as errors: every one is returned.
   * `ImageReferencedByManifestList` is an expected outcome (an index still lists the image), and an
   * `ImageNotFound` for one tag of an image whose deletion ECR confirmed is its consequence, not a failure.
   */
  private async deleteImages(repositoryName: string, images: readonly ImageToDelete[], options: CallOptions): Promise<ChangeOutcome> {
    if (images.length > MAX_IMAGE_IDS_PER_DELETE) {
      throw new AutopilotError('INTERNAL', `BatchDeleteImage takes at most ${MAX_IMAGE_IDS_PER_DELETE} images; got ${images.length}`);
    }
    const ids = images.flatMap((image): ImageIdentifier[] =>
      image.imageTags.length === 0 ? [{ imageDigest: image.imageDigest }] : image.imageTags.map((imageTag) => ({ imageDigest: image.imageDigest, imageTag })),
    );
    const deleted = new Set<string>();
    const reported: Array<{ digest: string | undefined; tag: string | undefined; code: string; reason: string }> = [];
    for (const batch of chunk(ids, MAX_IMAGE_IDS_PER_DELETE)) {
      const output = await this.call('BatchDeleteImage', { repositoryName }, options, (sdk) =>
        this.client.send(new BatchDeleteImageCommand({ registryId: this.registryId, repositoryName, imageIds: batch }), sdk),
      );
      for (const id of output.imageIds ?? []) if (id.imageDigest) deleted.add(id.imageDigest);
      for (const failure of output.failures ?? []) {
        reported.push({ digest: failure.imageId?.imageDigest, tag: failure.imageId?.imageTag, code: failure.failureCode ?? 'Unknown', reason: failure.failureReason ?? '' });
      }
    }
    const digestOfTag = new Map(images.flatMap((image) => image.imageTags.map((tag) => [tag, image.imageDigest] as const)));
    const failures = reported.flatMap((failure) => {
      const digest = failure.digest ?? (failure.tag === undefined ? undefined : digestOfTag.get(failure.tag));
      if (digest !== undefined && deleted.has(digest) && failure.code === 'ImageNotFound') return [];
      const reason = failure.tag !== undefined && digest !== undefined ? `tag ${failure.tag}: ${failure.reason}` : failure.reason;
      return [{ item: digest ?? failure.tag ?? 'unknown', code: failure.code, reason, expected: failure.code === 'ImageReferencedByManifestList' }];
    });
    const completed = images.map((image) => image.imageDigest).filter((digest) => deleted.has(digest));
    const unexpected = failures.filter((failure) => !failure.expected).length;
    return {
      status: unexpected > 0 && completed.length === 0 ? 'failed' : 'applied',
      message: `${completed.length} deleted${failures.length > 0 ? `, ${failures.length} not deleted` : ''}`,
      completed,
      failures,
    };
  }

  /** One AWS call: the caller's signal passed on, throttling retried, known exceptions translated. */
  private async call<T>(operation: string, context: { repositoryName?: string; imageDigest?: string }, options: CallOptions, send: (sdk: SdkCallOptions) => Promise<T>): Promise<T> {
    const pacer = this.pacer;
    // The pacer spaces every attempt, retries included, at the batch's share of the fleet's budget.
    const paced = pacer
      ? async (sdk: SdkCallOptions) => {
          await pacer.take(options.signal);
          try {
            const output = await send(sdk);
            pacer.succeeded();
            return output;
          } catch (error) {
            // Throttled although paced: the account allows less than planned, so slow down (AIMD).
            if (classifyFailure(error) === 'throttled') pacer.throttled();
            throw error;
          }
        }
      : send;
    try {
      return await callAws(operation, paced, { signal: options.signal, retry: this.retry });
    } catch (error) {
      throw translateEcrError(error, { operation, region: this.region, ...context });
    }
  }
}

function toRepository(repository: SdkRepository): Repository {
  const name = repository.repositoryName ?? '';
  return {
    repositoryName: name,
    repositoryArn: repository.repositoryArn ?? '',
    registryId: repository.registryId ?? '',
    ...(repository.repositoryUri ? { repositoryUri: repository.repositoryUri } : {}),
    ...(repository.createdAt ? { createdAt: repository.createdAt } : {}),
    imageTagMutability: (repository.imageTagMutability ?? 'MUTABLE') as TagMutability,
    imageTagMutabilityExclusions: (repository.imageTagMutabilityExclusionFilters ?? []).map((filter) => filter.filter ?? '').filter((f) => f !== ''),
    scanOnPush: repository.imageScanningConfiguration?.scanOnPush ?? false,
  };
}

function toImageDetail(detail: SdkImageDetail): ImageDetail {
  const image: ImageDetail = {
    imageDigest: detail.imageDigest ?? '',
    imageTags: detail.imageTags ?? [],
    imagePushedAt: detail.imagePushedAt ?? new Date(0),
    // An unknown future status is read as STANDARD, the class DescribeImages lists by default.
    storageClass: storageClassOfStatus(detail.imageStatus) ?? 'STANDARD',
  };
  if (detail.imageSizeInBytes !== undefined) image.imageSizeInBytes = detail.imageSizeInBytes;
  if (detail.imageManifestMediaType) image.imageManifestMediaType = detail.imageManifestMediaType;
  if (detail.artifactMediaType) image.artifactMediaType = detail.artifactMediaType;
  if (detail.lastRecordedPullTime) image.lastRecordedPullTime = detail.lastRecordedPullTime;
  if (detail.lastArchivedAt) image.lastArchivedAt = detail.lastArchivedAt;
  if (detail.lastActivatedAt) image.lastActivatedAt = detail.lastActivatedAt;
  if (detail.subjectManifestDigest) image.subjectManifestDigest = detail.subjectManifestDigest;
  if (detail.imageScanStatus?.status) image.scanStatus = detail.imageScanStatus.status;
  return image;
}

function toSeverity(value: string | undefined): Severity {
  const upper = (value ?? '').toUpperCase();
  return (SEVERITIES as readonly string[]).includes(upper) ? (upper as Severity) : 'UNDEFINED';
}

function fromBasicFinding(finding: ImageScanFinding): Finding {
  const attribute = (key: string): string | undefined => finding.attributes?.find((a) => a.key === key)?.value;
  const score = Number(attribute('CVSS3_SCORE') ?? attribute('CVSS2_SCORE'));
  const result: Finding = { id: finding.name ?? 'unknown', severity: toSeverity(finding.severity) };
  const packageName = attribute('package_name');
  const installedVersion = attribute('package_version');
  const fixedVersion = attribute('fixed_in_version') ?? attribute('package_fixed_version');
  if (finding.description) result.title = finding.description.split('\n')[0] ?? finding.description;
  if (packageName) result.packageName = packageName;
  if (installedVersion) result.installedVersion = installedVersion;
  if (fixedVersion) result.fixedVersion = fixedVersion;
  if (finding.uri) result.uri = finding.uri;
  if (Number.isFinite(score)) result.score = score;
  return result;
}

/** An enhanced finding can name several vulnerable packages: one `Finding` per package. */
function fromEnhancedFinding(finding: EnhancedImageScanFinding): Finding[] {
  const details = finding.packageVulnerabilityDetails;
  const id = details?.vulnerabilityId ?? finding.title ?? finding.findingArn ?? 'unknown';
  // Inspector uses UNTRIAGED where ECR's basic scanning says UNDEFINED.
  const severity = toSeverity(finding.severity === 'UNTRIAGED' ? 'UNDEFINED' : finding.severity);
  const base: Finding = { id, severity };
  if (finding.title) base.title = finding.title;
  const uri = details?.sourceUrl ?? finding.remediation?.recommendation?.url ?? details?.referenceUrls?.[0];
  if (uri) base.uri = uri;
  if (finding.score !== undefined) base.score = finding.score;
  const packages = details?.vulnerablePackages ?? [];
  if (packages.length === 0) return [base];
  return packages.map((vulnerable) => {
    const withPackage: Finding = { ...base };
    if (vulnerable.name) withPackage.packageName = vulnerable.name;
    if (vulnerable.version) withPackage.installedVersion = vulnerable.release ? `${vulnerable.version}-${vulnerable.release}` : vulnerable.version;
    if (vulnerable.fixedInVersion && vulnerable.fixedInVersion !== 'NotAvailable') withPackage.fixedVersion = vulnerable.fixedInVersion;
    return withPackage;
  });
}

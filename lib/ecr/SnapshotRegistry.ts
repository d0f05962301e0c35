import { readFileSync } from 'node:fs';
import { AutopilotError, formatIssue } from '../errors';
import { toValidationIssues } from '../validation/toValidationIssues';
import { mediaTypeOf } from './manifests';
import type { RegistryReader } from './RegistryReader';
import { RegistrySnapshot, type SnapshotImage, type SnapshotRepository } from './registrySnapshot';
import { storageClassOfStatus, type ImageDetail, type ImageScan, type ManifestRead, type Repository } from './types';

/**
 * A registry read from a snapshot file instead of AWS: plan mode and the demo run the same code
 * as enforcement against it.
 *
 * @example
 * const registry = SnapshotRegistry.fromFile('events/registry-snapshot.json');
 * await registry.describeRepository('team-a/api');
 */
export class SnapshotRegistry implements RegistryReader {
  readonly registryId: string;
  readonly region: string;
  readonly snapshot: RegistrySnapshot;
  private readonly repositories: Map<string, SnapshotRepository>;

  constructor(snapshot: RegistrySnapshot) {
    this.snapshot = snapshot;
    this.registryId = snapshot.registryId;
    this.region = snapshot.region;
    this.repositories = new Map(snapshot.repositories.map((repository) => [repository.repositoryName, repository]));
  }

  /** Reads and validates a snapshot file; errors name the field and the file. */
  static fromFile(file: string): SnapshotRegistry {
    let raw: unknown;
    try {
      raw = JSON.parse(readFileSync(file, 'utf8'));
    } catch (error) {
      throw new AutopilotError('SNAPSHOT_INVALID', `Cannot read registry snapshot ${file}: ${(error as Error).message}`, { cause: error });
    }
    return SnapshotRegistry.fromJson(raw, file);
  }

  static fromJson(raw: unknown, file = 'snapshot'): SnapshotRegistry {
    const parsed = RegistrySnapshot.safeParse(raw);
    if (!parsed.success) {
      const issues = toValidationIssues(parsed.error.issues, raw);
      throw new AutopilotError('SNAPSHOT_INVALID', `Invalid registry snapshot ${file}:\n${issues.map((i) => `  - ${formatIssue(i)}`).join('\n')}`);
    }
    return new SnapshotRegistry(parsed.data);
  }

  async describeRepository(repositoryName: string): Promise<Repository> {
    return this.toRepository(this.repository(repositoryName));
  }

  /** The named repositories that exist in the snapshot (others are left out, as ECR's adapter does). */
  async describeRepositories(repositoryNames: readonly string[]): Promise<Repository[]> {
    return repositoryNames.flatMap((name) => {
      const repository = this.repositories.get(name);
      return repository ? [this.toRepository(repository)] : [];
    });
  }

  async *listRepositories(): AsyncIterable<Repository> {
    for (const repository of this.repositories.values()) yield this.toRepository(repository);
  }

  async getLifecyclePolicyText(repositoryName: string): Promise<string | undefined> {
    return this.repository(repositoryName).lifecyclePolicyText ?? undefined;
  }

  async describeImages(repositoryName: string, imageDigests: readonly string[]): Promise<ImageDetail[]> {
    const wanted = new Set(imageDigests);
    return this.repository(repositoryName)
      .images.filter((image) => wanted.has(image.imageDigest))
      .map(toImageDetail);
  }

  async describeImageByTag(repositoryName: string, imageTag: string): Promise<ImageDetail | undefined> {
    const image = this.repository(repositoryName).images.find((candidate) => candidate.imageTags.includes(imageTag));
    return image ? toImageDetail(image) : undefined;
  }

  async *listImages(repositoryName: string): AsyncIterable<ImageDetail> {
    for (const image of this.repository(repositoryName).images) yield toImageDetail(image);
  }

  async getManifests(repositoryName: string, imageDigests: readonly string[]): Promise<ManifestRead> {
    const images = new Map(this.repository(repositoryName).images.map((image) => [image.imageDigest, image]));
    const read: ManifestRead = { manifests: [], failures: [] };
    for (const digest of new Set(imageDigests)) {
      const image = images.get(digest);
      if (image?.manifest === undefined) {
        read.failures.push({ imageDigest: digest, code: image ? 'ManifestMissing' : 'ImageNotFound', reason: image ? 'the snapshot has no manifest for this image' : 'the image is not in the snapshot' });
        continue;
      }
      const manifest = typeof image.manifest === 'string' ? image.manifest : JSON.stringify(image.manifest);
      read.manifests.push({ imageDigest: digest, mediaType: image.imageManifestMediaType ?? mediaTypeOf(manifest), manifest });
    }
    return read;
  }

  async getImageScan(repositoryName: string, imageDigest: string): Promise<ImageScan | undefined> {
    const image = this.repository(repositoryName).images.find((candidate) => candidate.imageDigest === imageDigest);
    if (!image) {
      throw new AutopilotError('IMAGE_NOT_FOUND', `image ${imageDigest} is not in repository ${repositoryName} of the snapshot`);
    }
    if (!image.scan) return undefined;
    const { completedAt, ...scan } = image.scan;
    return completedAt ? { ...scan, completedAt: new Date(completedAt) } : scan;
  }

  private repository(repositoryName: string): SnapshotRepository {
    const repository = this.repositories.get(repositoryName);
    if (!repository) {
      throw new AutopilotError('REPOSITORY_NOT_FOUND', `repository ${repositoryName} (${this.region}) does not exist in the snapshot; add it to the snapshot file`);
    }
    return repository;
  }

  private toRepository(repository: SnapshotRepository): Repository {
    const result: Repository = {
      repositoryName: repository.repositoryName,
      repositoryArn: `arn:aws:ecr:${this.region}:${this.registryId}:repository/${repository.repositoryName}`,
      registryId: this.registryId,
      repositoryUri: `${this.registryId}.dkr.ecr.${this.region}.amazonaws.com/${repository.repositoryName}`,
      imageTagMutability: repository.imageTagMutability,
      imageTagMutabilityExclusions: repository.imageTagMutabilityExclusions,
      scanOnPush: repository.scanOnPush,
    };
    if (repository.createdAt) result.createdAt = new Date(repository.createdAt);
    return result;
  }
}

function toImageDetail(image: SnapshotImage): ImageDetail {
  const detail: ImageDetail = {
    imageDigest: image.imageDigest,
    imageTags: image.imageTags,
    imagePushedAt: new Date(image.imagePushedAt),
    storageClass: storageClassOfStatus(image.imageStatus) ?? 'STANDARD',
  };
  if (image.imageSizeInBytes !== undefined) detail.imageSizeInBytes = image.imageSizeInBytes;
  if (image.imageManifestMediaType) detail.imageManifestMediaType = image.imageManifestMediaType;
  if (image.artifactMediaType) detail.artifactMediaType = image.artifactMediaType;
  if (image.lastRecordedPullTime) detail.lastRecordedPullTime = new Date(image.lastRecordedPullTime);
  if (image.lastArchivedAt) detail.lastArchivedAt = new Date(image.lastArchivedAt);
  if (image.lastActivatedAt) detail.lastActivatedAt = new Date(image.lastActivatedAt);
  if (image.subjectManifestDigest) detail.subjectManifestDigest = image.subjectManifestDigest;
  if (image.scan) detail.scanStatus = image.scan.status;
  return detail;
}

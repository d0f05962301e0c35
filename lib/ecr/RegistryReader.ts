import type { CallOptions } from '../shared/retry';
import type { ImageDetail, ImageScan, ManifestRead, Repository } from './types';

/**
 * Read-only access to an ECR registry. Implemented by `EcrRegistry` (AWS SDK) and
 * `SnapshotRegistry` (a registry snapshot file, for plan mode and the demo). Nothing that only
 * holds a reader can change anything. Every method takes the caller's signal (`options.signal`):
 * the reader is built once per container, the signal belongs to one invocation.
 */
export interface RegistryReader {
  /** The registry (account) id and region the reader looks at. */
  readonly registryId: string | undefined;
  readonly region: string;

  /** Throws `AutopilotError('REPOSITORY_NOT_FOUND')` when the repository does not exist. */
  describeRepository(repositoryName: string, options?: CallOptions): Promise<Repository>;
  /** Every repository of the registry, page by page. */
  listRepositories(options?: CallOptions): AsyncIterable<Repository>;
  /** The repository's lifecycle policy text, or undefined when it has none. */
  getLifecyclePolicyText(repositoryName: string, options?: CallOptions): Promise<string | undefined>;
  /** Details of the given images (missing ones are left out). */
  describeImages(repositoryName: string, imageDigests: readonly string[], options?: CallOptions): Promise<ImageDetail[]>;
  /**
   * The image a tag points at, from metadata only (DescribeImages): unlike a manifest GET, this does
   * not count as a pull, so it never defeats `sinceImagePulled` rules. Undefined when the tag is absent.
   */
  describeImageByTag(repositoryName: string, imageTag: string, options?: CallOptions): Promise<ImageDetail | undefined>;
  /** Every image of the repository, page by page (ACTIVE and ARCHIVED). */
  listImages(repositoryName: string, options?: CallOptions): AsyncIterable<ImageDetail>;
  /**
   * The manifests of the given images, byte for byte, and every image whose manifest could not be
   * read (BatchGetImage's per-image `failures`, or an image it returned nothing for) with why.
   */
  getManifests(repositoryName: string, imageDigests: readonly string[], options?: CallOptions): Promise<ManifestRead>;
  /**
   * Every finding of the image's latest scan (all pages), or undefined when the image has no scan
   * (ECR's ScanNotFoundException). Throws `IMAGE_NOT_FOUND` when the image does not exist.
   */
  getImageScan(repositoryName: string, imageDigest: string, options?: CallOptions): Promise<ImageScan | undefined>;
}

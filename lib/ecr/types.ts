import type { TagMutability } from '../config/types';
import type { Severity } from '../events/primitives';
import type { Finding } from './finding';

/** A repository as ecr-autopilot sees it (from DescribeRepositories or a snapshot). */
export interface Repository {
  repositoryName: string;
  repositoryArn: string;
  registryId: string;
  repositoryUri?: string;
  createdAt?: Date;
  imageTagMutability: TagMutability;
  /** Wildcard filters of the `*_WITH_EXCLUSION` mutabilities; empty otherwise. */
  imageTagMutabilityExclusions: string[];
  scanOnPush: boolean;
}

/** Storage class of an image: ECR's `imageStatus` ACTIVE/ARCHIVED, as lifecycle rules name it. */
export type StorageClass = 'STANDARD' | 'ARCHIVE';

/** DescribeImages `imageStatus` values (UpdateImageStorageClass response: ACTIVE, ARCHIVED, ACTIVATING). */
export const IMAGE_STATUSES = ['ACTIVE', 'ARCHIVED', 'ACTIVATING'] as const;
export type ImageStatus = (typeof IMAGE_STATUSES)[number];

/**
 * The storage class of an image by its `imageStatus`, the one mapping the live sweep, snapshots and
 * the offline preview share. ACTIVATING is a restore in progress: "during the restore process, the
 * image remains in the archival state and cannot be pulled until restore completes"
 * (https://docs.aws.amazon.com/AmazonECR/latest/userguide/restore-image.html), so it is still
 * ARCHIVE. A missing status means ACTIVE: older CLIs and DescribeImages' default filter return only
 * active images.
 *
 * @example
 * storageClassOfStatus('ACTIVATING') // 'ARCHIVE'
 */
export function storageClassOfStatus(imageStatus: string | undefined): StorageClass | undefined {
  switch (imageStatus) {
    case undefined:
    case 'ACTIVE':
      return 'STANDARD';
    case 'ARCHIVED':
    case 'ACTIVATING':
      return 'ARCHIVE';
    default:
      return undefined;
  }
}

/** An image as DescribeImages reports it (times as Dates). */
export interface ImageDetail {
  imageDigest: string;
  imageTags: string[];
  imagePushedAt: Date;
  imageSizeInBytes?: number;
  imageManifestMediaType?: string;
  artifactMediaType?: string;
  lastRecordedPullTime?: Date;
  storageClass: StorageClass;
  lastArchivedAt?: Date;
  lastActivatedAt?: Date;
  /** For referrers (signatures, SBOMs): the digest of the image they refer to. */
  subjectManifestDigest?: string;
  /** `imageScanStatus.status`, e.g. COMPLETE, ACTIVE, FAILED. */
  scanStatus?: string;
}

export type FindingSeverity = Severity;

export type { Finding } from './finding';

export interface ImageScan {
  scanType: 'BASIC' | 'ENHANCED';
  /** `imageScanStatus.status`. */
  status: string;
  completedAt?: Date;
  findings: Finding[];
}

/** A manifest as stored: its exact bytes (as text) and media type. */
export interface StoredManifest {
  imageDigest: string;
  mediaType: string;
  manifest: string;
}

/** An image whose manifest BatchGetImage did not return, with why (ECR's failure code, or ours). */
export interface ManifestReadFailure {
  imageDigest: string;
  /** ECR's `failureCode` (e.g. `ImageNotFound`, `KmsError`), or `ManifestMissing` when ECR said nothing. */
  code: string;
  reason: string;
}

/** What a manifest read returned: the manifests, and every image it could not read. */
export interface ManifestRead {
  manifests: StoredManifest[];
  failures: ManifestReadFailure[];
}

/** Media types of manifest lists / indexes: their children are per-platform manifests. */
export const INDEX_MEDIA_TYPES: ReadonlySet<string> = new Set([
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.oci.image.index.v1+json',
]);

export function isIndexMediaType(mediaType: string | undefined): boolean {
  return mediaType !== undefined && INDEX_MEDIA_TYPES.has(mediaType);
}

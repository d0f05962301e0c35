import type { CallOptions } from '../shared/retry';
import { parseIndexChildren } from '../ecr/manifests';
import { hasErrorCode } from '../errors';
import type { RegistryReader } from '../ecr/RegistryReader';
import { isIndexMediaType, type ImageDetail, type ImageScan } from '../ecr/types';
import { chunk } from '../shared/chunk';

/** How many of the newest indexes we read when looking for the one that references an untagged manifest. */
export const MAX_INDEXES_SEARCHED = 500;
/** How many earlier images we try before giving up on a comparison baseline. */
export const MAX_BASELINE_CANDIDATES = 5;

const SCANNED: ReadonlySet<string> = new Set(['COMPLETE', 'ACTIVE']);

export interface ScannedImageContext {
  /** All images of the repository, listed once and reused. */
  images: ImageDetail[];
  current: ImageDetail | undefined;
  /** Set when the scanned image is a platform manifest of an index. */
  index?: { digest: string; tags: string[]; platform: string | undefined; pushedAt: Date };
}

export interface Baseline {
  imageDigest: string;
  tags: string[];
  scan: ImageScan;
}

/**
 * Lists the repository once, finds the scanned image and, when it is an untagged platform manifest,
 * the newest index that references it (so the scan is reported under the index's tag and platform).
 *
 * @example
 * const context = await locateScannedImage(registry, 'team-a/api', digest);
 * context.index?.tags // ['v1.4.0']
 */
export async function locateScannedImage(registry: RegistryReader, repositoryName: string, imageDigest: string, call: CallOptions = {}): Promise<ScannedImageContext> {
  const images: ImageDetail[] = [];
  for await (const image of registry.listImages(repositoryName, call)) images.push(image);
  const current = images.find((image) => image.imageDigest === imageDigest);
  if (isIndexMediaType(current?.imageManifestMediaType) || (current && current.imageTags.length > 0)) return { images, current };

  const indexes = newestFirst(images.filter((image) => isIndexMediaType(image.imageManifestMediaType))).slice(0, MAX_INDEXES_SEARCHED);
  for (const batch of chunk(indexes, 100)) {
    const { manifests } = await registry.getManifests(repositoryName, batch.map((index) => index.imageDigest), call);
    for (const index of batch) {
      const manifest = manifests.find((m) => m.imageDigest === index.imageDigest);
      const child = manifest ? parseIndexChildren(manifest.manifest).find((c) => c.digest === imageDigest) : undefined;
      if (child) return { images, current, index: { digest: index.imageDigest, tags: index.imageTags, platform: child.platform, pushedAt: index.imagePushedAt } };
    }
  }
  return { images, current };
}

/**
 * The previous scanned image of the same repository, to compute new and fixed findings:
 * for a platform manifest of an index, the same platform of the previous index; otherwise the newest
 * earlier single-platform image that has a completed scan.
 */
export async function findBaseline(registry: RegistryReader, repositoryName: string, context: ScannedImageContext, call: CallOptions = {}): Promise<Baseline | undefined> {
  const { images, current, index } = context;
  if (index) {
    const earlierIndexes = newestFirst(
      images.filter((image) => isIndexMediaType(image.imageManifestMediaType) && image.imageDigest !== index.digest && image.imagePushedAt < index.pushedAt),
    ).slice(0, MAX_BASELINE_CANDIDATES);
    if (earlierIndexes.length === 0) return undefined;
    const { manifests } = await registry.getManifests(repositoryName, earlierIndexes.map((image) => image.imageDigest), call);
    for (const earlier of earlierIndexes) {
      const manifest = manifests.find((m) => m.imageDigest === earlier.imageDigest);
      const sibling = manifest ? parseIndexChildren(manifest.manifest).find((c) => c.platform === index.platform && !c.isAttestation) : undefined;
      if (!sibling) continue;
      const scan = await registry.getImageScan(repositoryName, sibling.digest, call).catch(ignoreDeletedImage);
      if (scan) return { imageDigest: sibling.digest, tags: earlier.imageTags, scan };
    }
    return undefined;
  }

  const pushedAt = current?.imagePushedAt;
  const candidates = newestFirst(
    images.filter(
      (image) =>
        image.imageDigest !== current?.imageDigest &&
        !isIndexMediaType(image.imageManifestMediaType) &&
        (image.scanStatus === undefined || SCANNED.has(image.scanStatus)) &&
        (pushedAt === undefined || image.imagePushedAt < pushedAt),
    ),
  ).slice(0, MAX_BASELINE_CANDIDATES);
  for (const candidate of candidates) {
    const scan = await registry.getImageScan(repositoryName, candidate.imageDigest, call).catch(ignoreDeletedImage);
    if (scan) return { imageDigest: candidate.imageDigest, tags: candidate.imageTags, scan };
  }
  return undefined;
}

function newestFirst(images: ImageDetail[]): ImageDetail[] {
  return [...images].sort((a, b) => b.imagePushedAt.getTime() - a.imagePushedAt.getTime() || a.imageDigest.localeCompare(b.imageDigest));
}

/** An earlier image deleted since it was listed is simply not a baseline; any other failure is real. */
function ignoreDeletedImage(error: unknown): undefined {
  if (hasErrorCode(error, 'IMAGE_NOT_FOUND')) return undefined;
  throw error;
}

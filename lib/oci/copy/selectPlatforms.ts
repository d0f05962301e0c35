/**
 * Choosing the children of an index for `--platform`. A subset becomes a NEW index (same fields,
 * fewer `manifests`), which necessarily has a new digest; all platforms keep the original bytes.
 */
import { AutopilotError } from '../../errors';
import { computeDigest } from '../digest';
import { formatPlatform, platformMatches } from '../platform';
import type { Descriptor, IndexDocument, Platform, RawManifest } from '../types';

/** BuildKit marks provenance/SBOM attestations in an index with these annotations. */
const REFERENCE_TYPE_ANNOTATION = 'vnd.docker.reference.type';
const REFERENCE_DIGEST_ANNOTATION = 'vnd.docker.reference.digest';

export interface PlatformSelection {
  /** What the destination tag will point at. */
  root: RawManifest;
  newIndex: boolean;
  /** The children kept (images and their attestations). */
  children: Descriptor[];
}

/**
 * True for a BuildKit attestation entry (platform `unknown/unknown`), which is not a runnable platform.
 *
 * @example
 * isAttestation({ mediaType, digest, size, annotations: { 'vnd.docker.reference.type': 'attestation-manifest' } }); // true
 */
export function isAttestation(descriptor: Descriptor): boolean {
  return descriptor.annotations?.[REFERENCE_TYPE_ANNOTATION] === 'attestation-manifest';
}

/**
 * The runnable platforms an index lists, as `os/arch[/variant]`, in index order, without duplicates.
 *
 * @example
 * platformsOf(index.manifests); // ['linux/amd64', 'linux/arm64']
 */
export function platformsOf(descriptors: readonly Descriptor[]): string[] {
  const platforms = descriptors.filter((d) => d.platform && !isAttestation(d)).map((d) => formatPlatform(d.platform as Platform));
  return [...new Set(platforms)];
}

/**
 * Keeps the children matching `wanted` (plus attestations of kept children). Throws `USAGE`, naming
 * what the index offers, when a wanted platform is missing.
 *
 * @example
 * selectPlatforms(index, document, [parsePlatform('linux/arm64')]).newIndex; // true for a two-platform index
 */
export function selectPlatforms(index: RawManifest, document: IndexDocument, wanted: readonly Platform[] | undefined): PlatformSelection {
  if (!wanted || wanted.length === 0) return { root: index, newIndex: false, children: document.manifests };
  const available = platformsOf(document.manifests);
  const missing = wanted.filter((w) => !document.manifests.some((d) => d.platform && !isAttestation(d) && platformMatches(d.platform, w)));
  if (missing.length > 0) {
    throw new AutopilotError('USAGE', `The source index has no ${missing.map(formatPlatform).join(', ')} image; it offers ${available.join(', ') || 'no platform-tagged images'}`);
  }
  const images = document.manifests.filter((d) => d.platform && !isAttestation(d) && wanted.some((w) => platformMatches(d.platform as Platform, w)));
  const keptDigests = new Set(images.map((d) => d.digest));
  const kept = document.manifests.filter((d) => keptDigests.has(d.digest) || (isAttestation(d) && keptDigests.has(d.annotations?.[REFERENCE_DIGEST_ANNOTATION] ?? '')));
  if (kept.length === document.manifests.length) return { root: index, newIndex: false, children: document.manifests };

  const original = JSON.parse(index.bytes.toString('utf8')) as Record<string, unknown>;
  const bytes = Buffer.from(JSON.stringify({ ...original, manifests: kept }));
  return { root: { mediaType: index.mediaType, digest: computeDigest(bytes), bytes }, newIndex: true, children: kept };
}

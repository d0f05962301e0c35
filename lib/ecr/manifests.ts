/**
 * Reading manifests that ECR returns: media types, index children and their platforms.
 */
import { AutopilotError } from '../errors';
import { checkDescriptor } from '../oci/manifestDocument';
import { isIndexMediaType } from './types';

/** One entry of a manifest list / OCI index. */
export interface IndexChild {
  digest: string;
  mediaType: string;
  size: number;
  /** `os/architecture[/variant]`, e.g. `linux/arm64/v8`; undefined when the entry has no platform. */
  platform?: string;
  /** buildx attaches provenance/SBOM attestations as `unknown/unknown` children; they are not platforms. */
  isAttestation: boolean;
}

/** The media type a manifest declares about itself, for when ECR does not say. */
export function mediaTypeOf(manifest: string): string {
  try {
    const parsed = JSON.parse(manifest) as { mediaType?: unknown; manifests?: unknown };
    if (typeof parsed.mediaType === 'string') return parsed.mediaType;
    return Array.isArray(parsed.manifests) ? 'application/vnd.oci.image.index.v1+json' : 'application/vnd.oci.image.manifest.v1+json';
  } catch {
    return 'application/octet-stream';
  }
}

interface RawIndexEntry {
  digest?: unknown;
  mediaType?: unknown;
  size?: unknown;
  platform?: { os?: unknown; architecture?: unknown; variant?: unknown };
  annotations?: Record<string, unknown>;
}

/**
 * The children of an index manifest; an empty list for anything that is not an index.
 *
 * @example
 * parseIndexChildren(indexText).filter((c) => !c.isAttestation).map((c) => c.platform) // ['linux/amd64', 'linux/arm64']
 */
export function parseIndexChildren(manifest: string): IndexChild[] {
  let parsed: { manifests?: unknown };
  try {
    parsed = JSON.parse(manifest) as { manifests?: unknown };
  } catch {
    return [];
  }
  if (!Array.isArray(parsed.manifests)) return [];
  return (parsed.manifests as RawIndexEntry[]).flatMap((entry) => {
    if (typeof entry.digest !== 'string') return [];
    const platform = formatPlatform(entry.platform);
    const isAttestation = entry.annotations?.['vnd.docker.reference.type'] === 'attestation-manifest' || platform === 'unknown/unknown';
    const child: IndexChild = {
      digest: entry.digest,
      mediaType: typeof entry.mediaType === 'string' ? entry.mediaType : 'application/vnd.oci.image.manifest.v1+json',
      size: typeof entry.size === 'number' ? entry.size : 0,
      isAttestation,
    };
    if (platform) child.platform = platform;
    return [child];
  });
}

function formatPlatform(platform: RawIndexEntry['platform']): string | undefined {
  if (!platform || typeof platform.os !== 'string' || typeof platform.architecture !== 'string') return undefined;
  const variant = typeof platform.variant === 'string' && platform.variant !== '' ? `/${platform.variant}` : '';
  return `${platform.os}/${platform.architecture}${variant}`;
}

/**
 * The digests an index lists, read strictly, for deciding what may be deleted: reading leniently
 * (as `parseIndexChildren` does for reports) would take the protection of the children away from an
 * index whose manifest is cut short or malformed. Throws REGISTRY_ERROR, saying what is wrong, for
 * a manifest that is not JSON, not an index, has no `manifests` list or lists an invalid descriptor.
 *
 * @example
 * readIndexChildDigests(indexText) // ['sha256:…amd64', 'sha256:…arm64']
 */
export function readIndexChildDigests(manifest: string): string[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(manifest);
  } catch (error) {
    throw new AutopilotError('REGISTRY_ERROR', `the manifest is not valid JSON (${(error as Error).message})`, { cause: error });
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new AutopilotError('REGISTRY_ERROR', 'the manifest is not a JSON object');
  const document = parsed as { mediaType?: unknown; manifests?: unknown; config?: unknown };
  if (typeof document.mediaType === 'string' && !isIndexMediaType(document.mediaType)) {
    throw new AutopilotError('REGISTRY_ERROR', `the manifest is not an index (its mediaType is ${document.mediaType})`);
  }
  if (!Array.isArray(document.manifests)) {
    throw new AutopilotError('REGISTRY_ERROR', document.config === undefined ? 'the manifest has no manifests list' : 'the manifest is not an index (it has a config, as an image manifest does)');
  }
  return document.manifests.map((entry, i) => checkDescriptor(entry, `manifests[${i}]`).digest);
}

/**
 * Reading the structure of raw manifest bytes: is it an index (children) or an image (config and
 * layers), and which descriptors does it reference. Validation is limited to what the copy needs;
 * the bytes themselves are never modified.
 */
import { AutopilotError } from '../errors';
import { isDigest } from './digest';
import { isImageManifestMediaType, isIndexMediaType, OCI_ARTIFACT_MANIFEST } from './mediaTypes';
import type { Descriptor, ImageManifestDocument, IndexDocument, RawManifest } from './types';

export type ParsedManifest =
  | { kind: 'index'; document: IndexDocument }
  | { kind: 'image'; document: ImageManifestDocument }
  /** An OCI 1.1-rc artifact manifest: blobs without a config. */
  | { kind: 'artifact'; blobs: Descriptor[] }
  /** A manifest type we copy as opaque bytes (it references nothing we know of). */
  | { kind: 'opaque' };

/**
 * A descriptor from a remote document, checked before any of it is used: its digest becomes a URL
 * path (`/v2/<name>/blobs/<digest>`), so it must follow the digest grammar (a `../..` "digest"
 * would reach another repository).
 *
 * @example
 * checkDescriptor(JSON.parse(text).manifests[0], 'referrers of sha256:… manifests[0]');
 */
export function checkDescriptor(value: unknown, where: string): Descriptor {
  const candidate = value as Partial<Descriptor> | null;
  if (
    typeof candidate !== 'object' ||
    candidate === null ||
    typeof candidate.digest !== 'string' ||
    !isDigest(candidate.digest) ||
    typeof candidate.size !== 'number' ||
    !Number.isSafeInteger(candidate.size) ||
    candidate.size < 0 ||
    typeof candidate.mediaType !== 'string'
  ) {
    throw new AutopilotError('REGISTRY_ERROR', `Invalid descriptor at ${where}: needs mediaType, a sha256/sha512 digest and a non-negative size`);
  }
  return candidate as Descriptor;
}

/**
 * Parses a manifest into its kind and referenced descriptors.
 *
 * @example
 * const parsed = parseManifest(raw);
 * if (parsed.kind === 'index') parsed.document.manifests.map((child) => child.digest);
 */
export function parseManifest(manifest: RawManifest): ParsedManifest {
  let json: unknown;
  try {
    json = JSON.parse(manifest.bytes.toString('utf8'));
  } catch (error) {
    throw new AutopilotError('REGISTRY_ERROR', `Manifest ${manifest.digest} is not valid JSON`, { cause: error });
  }
  if (typeof json !== 'object' || json === null) throw new AutopilotError('REGISTRY_ERROR', `Manifest ${manifest.digest} is not a JSON object`);
  const document = json as Record<string, unknown>;
  if (isIndexMediaType(manifest.mediaType) || Array.isArray(document.manifests)) {
    const manifests = Array.isArray(document.manifests) ? document.manifests : [];
    return {
      kind: 'index',
      document: { ...(document as unknown as IndexDocument), manifests: manifests.map((d, i) => checkDescriptor(d, `${manifest.digest} manifests[${i}]`)) },
    };
  }
  if (isImageManifestMediaType(manifest.mediaType) || (typeof document.config === 'object' && document.config !== null)) {
    const layers = Array.isArray(document.layers) ? document.layers : [];
    return {
      kind: 'image',
      document: {
        ...(document as unknown as ImageManifestDocument),
        config: checkDescriptor(document.config, `${manifest.digest} config`),
        layers: layers.map((d, i) => checkDescriptor(d, `${manifest.digest} layers[${i}]`)),
      },
    };
  }
  if (manifest.mediaType === OCI_ARTIFACT_MANIFEST || Array.isArray(document.blobs)) {
    const blobs = Array.isArray(document.blobs) ? document.blobs : [];
    return { kind: 'artifact', blobs: blobs.map((d, i) => checkDescriptor(d, `${manifest.digest} blobs[${i}]`)) };
  }
  return { kind: 'opaque' };
}

/**
 * True for layers stored outside the registry (Windows foreign layers with `urls`): registries do
 * not require them, so they are not copied.
 *
 * @example
 * isForeignLayer({ mediaType: 'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip', digest, size, urls: ['https://…'] }); // true
 */
export function isForeignLayer(descriptor: Descriptor): boolean {
  return (descriptor.urls?.length ?? 0) > 0 && /foreign|nondistributable/.test(descriptor.mediaType);
}

/**
 * Manifests as raw bytes: fetched with an `Accept` for every type we copy, verified against their
 * digest, and pushed back byte for byte with the media type they were served with, so a copied
 * image keeps its digest.
 */
import { AutopilotError } from '../../errors';
import { computeDigest, isDigest, parseDigest } from '../digest';
import { isValidMediaType, MANIFEST_MEDIA_TYPES, OCI_INDEX, OCI_MANIFEST } from '../mediaTypes';
import type { RawManifest, RepositoryRef } from '../types';
import { DigestMismatchError } from '../transport/registryErrors';
import type { RegistryHttp } from '../transport/RegistryHttp';

/** ECR's manifest limit (4,194,304 characters) and distribution's default; also bounds memory per manifest. */
export const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;

const ACCEPT_HEADER = MANIFEST_MEDIA_TYPES.join(', ');

/** What a HEAD says about a manifest. */
export interface ManifestHead {
  digest: string;
  mediaType: string;
  size: number;
}

/** Per-call options: token scopes (defaults: pull for reads, pull+push for writes) and cancellation. */
export interface ManifestCallOptions {
  scopes?: readonly string[];
  signal?: AbortSignal;
}

/** What a manifest PUT reports. */
export interface PushedManifest {
  digest: string;
  /** `OCI-Subject`: the registry indexed this referrer itself (OCI 1.1 referrers API). */
  subject?: string;
}

function pullScope(repository: string): string[] {
  return [`repository:${repository}:pull`];
}

function pushScope(repository: string): string[] {
  return [`repository:${repository}:pull,push`];
}

function manifestPath(repository: string, reference: string): string {
  return `/v2/${repository}/manifests/${reference}`;
}

/** The media type without parameters (`; charset=utf-8`). */
function baseMediaType(contentType: string | undefined): string {
  return (contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
}

/**
 * The media type of manifest bytes when the registry did not say: the `mediaType` field, else the
 * shape of the document (an index lists `manifests`, an image has `config`).
 *
 * @example
 * inferManifestMediaType(Buffer.from('{"schemaVersion":2,"manifests":[]}')); // 'application/vnd.oci.image.index.v1+json'
 */
export function inferManifestMediaType(bytes: Buffer): string {
  let document: unknown;
  try {
    document = JSON.parse(bytes.toString('utf8'));
  } catch (error) {
    throw new AutopilotError('REGISTRY_ERROR', 'The registry returned a manifest that is not JSON', { cause: error });
  }
  if (typeof document !== 'object' || document === null) throw new AutopilotError('REGISTRY_ERROR', 'The registry returned a manifest that is not a JSON object');
  const { mediaType, manifests, config } = document as { mediaType?: unknown; manifests?: unknown; config?: unknown };
  if (typeof mediaType === 'string' && mediaType !== '') return mediaType;
  if (Array.isArray(manifests)) return OCI_INDEX;
  if (typeof config === 'object' && config !== null) return OCI_MANIFEST;
  throw new AutopilotError('REGISTRY_ERROR', 'Cannot tell the media type of a manifest without mediaType, manifests or config');
}

/**
 * The media type manifest bytes are pushed with. It comes from the registry (its `Content-Type`,
 * or the document's `mediaType`) and becomes the `Content-Type` of the PUT to the destination, the
 * request that carries the destination's credentials: it must be an RFC 6838 media type.
 */
function resolveMediaType(contentType: string | undefined, bytes: Buffer, where: string): string {
  const served = baseMediaType(contentType);
  if (MANIFEST_MEDIA_TYPES.includes(served)) return served;
  // An artifact manifest type we do not list is still pushed byte for byte, with its own type.
  const mediaType = served === '' || served === 'application/json' || served === 'text/plain' || served === 'application/octet-stream' ? inferManifestMediaType(bytes) : served;
  if (!isValidMediaType(mediaType)) {
    throw new AutopilotError('REGISTRY_ERROR', `${where} served a manifest whose media type ${JSON.stringify(mediaType.slice(0, 100))} is not an RFC 6838 media type; refusing to copy it`);
  }
  return mediaType;
}

/**
 * Manifest operations on one registry HTTP client.
 *
 * @example
 * const manifests = new ManifestClient(registryHttp);
 * const index = await manifests.get({ registry: 'registry.k8s.io', repository: 'pause' }, '3.10');
 */
export class ManifestClient {
  constructor(private readonly registryHttp: RegistryHttp) {}

  /**
   * The digest, media type and size of a manifest, or undefined when it does not exist. Uses
   * HEAD, so it does not download (and on ECR does not count as a pull of) the image.
   *
   * @example
   * const existing = await manifests.head(destination, 'sha256:…');
   */
  async head(repo: RepositoryRef, reference: string, options: ManifestCallOptions = {}): Promise<ManifestHead | undefined> {
    const response = await this.registryHttp.send({
      registry: repo.registry,
      method: 'HEAD',
      path: manifestPath(repo.repository, reference),
      headers: { accept: ACCEPT_HEADER },
      scopes: options.scopes ?? pullScope(repo.repository),
      expect: [200, 404],
      ...(options.signal ? { signal: options.signal } : {}),
    });
    response.discard();
    if (response.status === 404) return undefined;
    // Header values are untrusted: a digest or media type that fails its grammar is treated as absent.
    const claimed = response.header('docker-content-digest');
    const digest = claimed !== undefined && isDigest(claimed) ? claimed : isDigest(reference) ? reference : '';
    const size = Number(response.header('content-length') ?? '0');
    const mediaType = baseMediaType(response.header('content-type'));
    return { digest, mediaType: isValidMediaType(mediaType) ? mediaType : '', size };
  }

  /**
   * Fetches a manifest and verifies its bytes: against the reference when it is a digest, else
   * against the registry's `Docker-Content-Digest`. Throws `IMAGE_NOT_FOUND` when absent.
   *
   * @example
   * const { bytes, mediaType, digest } = await manifests.get(source, 'v1.32.0');
   */
  async get(repo: RepositoryRef, reference: string, options: ManifestCallOptions = {}): Promise<RawManifest> {
    const response = await this.registryHttp.send({
      registry: repo.registry,
      method: 'GET',
      path: manifestPath(repo.repository, reference),
      headers: { accept: ACCEPT_HEADER },
      scopes: options.scopes ?? pullScope(repo.repository),
      ...(options.signal ? { signal: options.signal } : {}),
    });
    const bytes = await response.bytes(MAX_MANIFEST_BYTES);
    const where = `${repo.registry}/${repo.repository}`;
    const algorithm = isDigest(reference) ? parseDigest(reference).algorithm : 'sha256';
    const digest = computeDigest(bytes, algorithm);
    if (isDigest(reference) && digest !== reference) {
      throw new DigestMismatchError(`Manifest ${where}@${reference}`, reference, digest);
    }
    const claimed = response.header('docker-content-digest');
    if (claimed !== undefined && isDigest(claimed) && parseDigest(claimed).algorithm === algorithm && claimed !== digest) {
      throw new DigestMismatchError(`Manifest ${where}:${reference} (Docker-Content-Digest)`, claimed, digest);
    }
    return { mediaType: resolveMediaType(response.header('content-type'), bytes, where), digest, bytes };
  }

  /**
   * Pushes manifest bytes unchanged under a tag or their digest. Children and blobs must already
   * exist (registries check). Fails with `DIGEST_MISMATCH` if the registry stored other bytes.
   *
   * @example
   * await manifests.put(destination, manifest.digest, manifest);
   */
  async put(repo: RepositoryRef, reference: string, manifest: RawManifest, options: ManifestCallOptions = {}): Promise<PushedManifest> {
    if (!isValidMediaType(manifest.mediaType)) {
      throw new AutopilotError('REGISTRY_ERROR', `Manifest ${manifest.digest} has the media type ${JSON.stringify(manifest.mediaType.slice(0, 100))}, which is not an RFC 6838 media type; refusing to push it`);
    }
    if (manifest.bytes.length > MAX_MANIFEST_BYTES) {
      throw new AutopilotError('REGISTRY_ERROR', `Manifest ${manifest.digest} is ${manifest.bytes.length} bytes, over the ${MAX_MANIFEST_BYTES}-byte registry limit`);
    }
    const response = await this.registryHttp.send({
      registry: repo.registry,
      method: 'PUT',
      path: manifestPath(repo.repository, reference),
      body: { length: manifest.bytes.length, open: () => manifest.bytes, replayable: true, contentType: manifest.mediaType },
      scopes: options.scopes ?? pushScope(repo.repository),
      expect: [200, 201, 202, 204],
      ...(options.signal ? { signal: options.signal } : {}),
    });
    response.discard();
    const stored = response.header('docker-content-digest');
    if (stored !== undefined && stored !== manifest.digest && isDigest(stored) && parseDigest(stored).algorithm === parseDigest(manifest.digest).algorithm) {
      throw new DigestMismatchError(`Manifest pushed to ${repo.registry}/${repo.repository}:${reference}`, manifest.digest, stored);
    }
    const subject = response.header('oci-subject');
    return subject === undefined || !isDigest(subject) ? { digest: manifest.digest } : { digest: manifest.digest, subject };
  }
}

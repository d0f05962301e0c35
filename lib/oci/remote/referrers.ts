/**
 * Referrers (signatures, SBOMs, attestations) of a manifest, per OCI distribution 1.1: the
 * referrers API (`GET /v2/<name>/referrers/<digest>`), or on registries without it (distribution
 * 2.8 answers 404) the fallback tag schema, an index tagged `<alg>-<hex>` listing them.
 */
import { AutopilotError } from '../../errors';
import { checkDescriptor } from '../manifestDocument';
import { OCI_INDEX } from '../mediaTypes';
import type { Descriptor, IndexDocument, RawManifest, RepositoryRef } from '../types';
import { isNotFoundError } from '../transport/registryErrors';
import type { RegistryHttp } from '../transport/RegistryHttp';
import { ManifestClient, MAX_MANIFEST_BYTES } from './ManifestClient';

/** Where the list came from, which decides how the destination must be updated. */
export type ReferrersSource = 'api' | 'tag-schema' | 'none';

export interface ReferrersList {
  source: ReferrersSource;
  descriptors: Descriptor[];
  /** The fallback index as stored, when `source` is `tag-schema`. */
  fallbackIndex?: RawManifest;
}

/**
 * The fallback tag for a subject digest: `sha256:abc…` → `sha256-abc…`.
 *
 * @example
 * referrersTagFor('sha256:' + 'a'.repeat(64)); // 'sha256-aaaa…'
 */
export function referrersTagFor(digest: string): string {
  return digest.replace(':', '-');
}

/** The descriptors of a referrers index, each checked (digest grammar, size, media type) before use. */
function manifestsOf(bytes: Buffer, where: string): Descriptor[] {
  let document: Partial<IndexDocument>;
  try {
    document = JSON.parse(bytes.toString('utf8')) as Partial<IndexDocument>;
  } catch (error) {
    throw new AutopilotError('REGISTRY_ERROR', `${where} is not valid JSON`, { cause: error });
  }
  const manifests: unknown = document?.manifests;
  return Array.isArray(manifests) ? manifests.map((descriptor: unknown, i) => checkDescriptor(descriptor, `${where} manifests[${i}]`)) : [];
}

/**
 * Lists the referrers of `digest` in `repo`.
 *
 * @example
 * const { descriptors } = await listReferrers(registryHttp, source, index.digest);
 */
export async function listReferrers(registryHttp: RegistryHttp, repo: RepositoryRef, digest: string, options: { signal?: AbortSignal } = {}): Promise<ReferrersList> {
  const scopes = [`repository:${repo.repository}:pull`];
  const response = await registryHttp.send({
    registry: repo.registry,
    method: 'GET',
    path: `/v2/${repo.repository}/referrers/${digest}`,
    headers: { accept: OCI_INDEX },
    scopes,
    expect: [200, 404],
    ...(options.signal ? { signal: options.signal } : {}),
  });
  const contentType = response.header('content-type') ?? '';
  const where = `The referrers of ${repo.registry}/${repo.repository}@${digest}`;
  if (response.status === 200 && contentType.startsWith(OCI_INDEX)) {
    return { source: 'api', descriptors: manifestsOf(await response.bytes(MAX_MANIFEST_BYTES), where) };
  }
  response.discard();
  try {
    const fallbackIndex = await new ManifestClient(registryHttp).get(repo, referrersTagFor(digest), { scopes, ...(options.signal ? { signal: options.signal } : {}) });
    return { source: 'tag-schema', descriptors: manifestsOf(fallbackIndex.bytes, `${where} (tag ${referrersTagFor(digest)})`), fallbackIndex };
  } catch (error) {
    if (isNotFoundError(error)) return { source: 'none', descriptors: [] };
    throw error;
  }
}

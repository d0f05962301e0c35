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
import type { RegistryHttp, RegistryResponse } from '../transport/RegistryHttp';
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

/** Pages of the referrers API followed at most: a registry that pages forever fails instead. */
export const MAX_REFERRER_PAGES = 50;

/**
 * The `rel="next"` target of a `Link` header (RFC 8288), as the distribution spec paginates.
 *
 * @example
 * nextPageLink('</v2/app/referrers/sha256:…?n=10&last=x>; rel="next"'); // '/v2/app/referrers/sha256:…?n=10&last=x'
 */
export function nextPageLink(link: string | undefined): string | undefined {
  // A target never holds `<` (RFC 3986): excluding it keeps the scan linear, where `[^>]*` made a
  // hostile header of 64 KiB of `<` cost seconds of CPU (every `<` re-scanned to the end).
  for (const match of (link ?? '').matchAll(/<([^<>]*)>\s*;([^,<]*)/g)) {
    if (/(?:^|;)\s*rel\s*=\s*"?next"?\s*(?:;|$)/i.test(match[2] ?? '')) return match[1];
  }
  return undefined;
}

/**
 * Lists the referrers of `digest` in `repo`: every page of the referrers API (each next page, a
 * URL from the registry, goes through the transport's follow-up policy like a redirect), or the
 * fallback tag's index.
 *
 * @example
 * const { descriptors } = await listReferrers(registryHttp, source, index.digest);
 */
export async function listReferrers(registryHttp: RegistryHttp, repo: RepositoryRef, digest: string, options: { signal?: AbortSignal } = {}): Promise<ReferrersList> {
  const scopes = [`repository:${repo.repository}:pull`];
  const signal = options.signal ? { signal: options.signal } : {};
  const where = `The referrers of ${repo.registry}/${repo.repository}@${digest}`;
  const page = (path: string, next: boolean): Promise<RegistryResponse> =>
    registryHttp.send({
      registry: repo.registry,
      method: 'GET',
      path,
      ...(next ? { pathKind: 'next-page link' as const } : {}),
      headers: { accept: OCI_INDEX },
      scopes,
      expect: next ? [200] : [200, 404],
      ...signal,
    });
  let response = await page(`/v2/${repo.repository}/referrers/${digest}`, false);
  if (response.status === 200 && (response.header('content-type') ?? '').startsWith(OCI_INDEX)) {
    const descriptors: Descriptor[] = [];
    const seen = new Set<string>();
    for (let pages = 1; ; pages += 1) {
      descriptors.push(...manifestsOf(await response.bytes(MAX_MANIFEST_BYTES), pages === 1 ? where : `${where} (page ${pages})`));
      const link = nextPageLink(response.header('link'));
      if (link === undefined) return { source: 'api', descriptors };
      const next = new URL(link, response.url).toString();
      if (seen.has(next) || pages >= MAX_REFERRER_PAGES) {
        throw new AutopilotError('REGISTRY_ERROR', `${where}: the registry kept paging (${pages} pages, or a page seen before); giving up`);
      }
      seen.add(next);
      response = await page(next, true);
    }
  }
  response.discard();
  try {
    const fallbackIndex = await new ManifestClient(registryHttp).get(repo, referrersTagFor(digest), { scopes, ...signal });
    return { source: 'tag-schema', descriptors: manifestsOf(fallbackIndex.bytes, `${where} (tag ${referrersTagFor(digest)})`), fallbackIndex };
  } catch (error) {
    if (isNotFoundError(error)) return { source: 'none', descriptors: [] };
    throw error;
  }
}

/**
 * The platform of a single-platform image, read from its config blob (`os`, `architecture`,
 * `variant`), for images pushed without an index.
 */
import { isImageConfigMediaType } from '../mediaTypes';
import type { RegistryClient } from '../remote/RegistryClient';
import type { ImageManifestDocument, Platform, RepositoryRef } from '../types';

/** Image configs are a few KiB; anything this big is not worth reading just for a platform. */
export const MAX_CONFIG_BYTES = 4 * 1024 * 1024;

/**
 * The image's platform, or undefined for artifacts (their config is not an image config).
 *
 * @example
 * const platform = await readImagePlatform(client, source, parsed.document, { scopes: ['repository:app:pull'] });
 */
export async function readImagePlatform(
  client: RegistryClient,
  repo: RepositoryRef,
  manifest: ImageManifestDocument,
  options: { scopes?: readonly string[]; signal?: AbortSignal } = {},
): Promise<Platform | undefined> {
  if (!isImageConfigMediaType(manifest.config.mediaType) || manifest.config.size > MAX_CONFIG_BYTES) return undefined;
  const bytes = await client.blobs.read(repo, manifest.config, MAX_CONFIG_BYTES, options);
  const config = JSON.parse(bytes.toString('utf8')) as { os?: unknown; architecture?: unknown; variant?: unknown };
  if (typeof config.os !== 'string' || typeof config.architecture !== 'string') return undefined;
  return typeof config.variant === 'string' && config.variant !== ''
    ? { os: config.os, architecture: config.architecture, variant: config.variant }
    : { os: config.os, architecture: config.architecture };
}

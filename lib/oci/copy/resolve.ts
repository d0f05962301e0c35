/**
 * Read-only questions about a remote image, for the mirror (which decides whether to copy at all)
 * and for verification: what digest does a tag point at, and which platforms does it carry.
 */
import { AutopilotError } from '../../errors';
import { isDigest } from '../digest';
import { parseManifest } from '../manifestDocument';
import { formatPlatform } from '../platform';
import { formatImageReference } from '../reference';
import { RegistryClient } from '../remote/RegistryClient';
import type { CredentialsForRegistry } from '../transport/credentials';
import type { ImageReference } from '../types';
import { readImagePlatform } from './imagePlatform';
import { platformsOf } from './selectPlatforms';

export interface ResolveOptions {
  insecureRegistries?: string[];
  /** How long a silent registry is waited for, in ms (`CopyOptions.timeoutMs`; default 30 s). */
  timeoutMs?: number;
  signal?: AbortSignal;
}

/** What a reference currently points at. */
export interface ResolvedManifest {
  digest: string;
  mediaType: string;
  size: number;
}

function referenceOf(ref: ImageReference): string {
  const reference = ref.digest ?? ref.tag;
  if (reference === undefined) throw new AutopilotError('USAGE', `${formatImageReference(ref)} needs a tag or a digest`);
  return reference;
}

function clientFor(credentials: CredentialsForRegistry, options: ResolveOptions): RegistryClient {
  return new RegistryClient({
    credentials,
    ...(options.insecureRegistries ? { insecureRegistries: options.insecureRegistries } : {}),
    ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
  });
}

/**
 * The digest a tag (or digest) points at, with a HEAD request; falls back to GET (and hashing the
 * bytes) when the registry's HEAD gives no `Docker-Content-Digest`.
 *
 * @example
 * const { digest } = await resolveManifestDigest(parseImageReference('registry.k8s.io/autoscaling/cluster-autoscaler:v1.32.0'), () => anonymousCredentials);
 */
export async function resolveManifestDigest(ref: ImageReference, credentials: CredentialsForRegistry, options: ResolveOptions = {}): Promise<ResolvedManifest> {
  const client = clientFor(credentials, options);
  const signal = options.signal ? { signal: options.signal } : {};
  try {
    const head = await client.manifests.head(ref, referenceOf(ref), signal);
    if (!head) throw new AutopilotError('IMAGE_NOT_FOUND', `${formatImageReference(ref)} does not exist`);
    if (isDigest(head.digest) && head.mediaType !== '') return head;
    const manifest = await client.manifests.get(ref, referenceOf(ref), signal);
    return { digest: manifest.digest, mediaType: manifest.mediaType, size: manifest.bytes.length };
  } finally {
    client.close();
  }
}

/**
 * The platforms of an image: every runnable platform of an index (BuildKit attestations left
 * out), or the single platform of an image read from its config; empty for artifacts.
 *
 * @example
 * await listIndexPlatforms(parseImageReference('public.ecr.aws/eks/aws-load-balancer-controller:v2.9.2'), () => anonymousCredentials);
 * // ['linux/amd64', 'linux/arm64']
 */
export async function listIndexPlatforms(ref: ImageReference, credentials: CredentialsForRegistry, options: ResolveOptions = {}): Promise<string[]> {
  const client = clientFor(credentials, options);
  const signal = options.signal ? { signal: options.signal } : {};
  try {
    const manifest = await client.manifests.get(ref, referenceOf(ref), signal);
    const parsed = parseManifest(manifest);
    if (parsed.kind === 'index') return platformsOf(parsed.document.manifests);
    if (parsed.kind !== 'image') return [];
    const platform = await readImagePlatform(client, ref, parsed.document, signal);
    return platform ? [formatPlatform(platform)] : [];
  } finally {
    client.close();
  }
}

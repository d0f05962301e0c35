/**
 * Copies an image (a single manifest or a whole multi-platform index) between registries, digests
 * unchanged.
 *
 * Input: source and destination references, the credential provider per registry, options.
 * Output: a `CopyReport`.
 * Steps:
 *  1. Fetch the source's top manifest (by digest when given, else by tag) and verify it.
 *  2. Choose platforms: all by default (the original bytes), or a subset (a new index).
 *  3. Plan: skip any manifest whose digest the destination has, list the blobs of the rest.
 *  4. Copy blobs (HEAD → mount → stream with sha256 check), deduplicated, bounded concurrency.
 *  5. Push child manifests by digest, deepest first.
 *  6. Push the top manifest by tag last; an interrupted copy never moves the tag.
 *  7. Optionally copy referrers of what was copied.
 */
import { AutopilotError } from '../../errors';
import { parseManifest } from '../manifestDocument';
import { formatPlatform, parsePlatform, platformMatches } from '../platform';
import { formatImageReference } from '../reference';
import { RegistryClient } from '../remote/RegistryClient';
import { isNotFoundError } from '../transport/registryErrors';
import type { ImageReference, Platform, RawManifest } from '../types';
import { type CopyContext, emptyStats, signalOf } from './copyContext';
import { copyReferrers } from './copyReferrers';
import { executePlan } from './executePlan';
import { readImagePlatform } from './imagePlatform';
import { planTree } from './planTree';
import { ProgressTracker } from './progressTracker';
import { platformsOf, selectPlatforms } from './selectPlatforms';
import type { CopyOptions, CopyReport } from './types';

/**
 * Blobs in flight at once. Four saturates a loopback or a 1 Gb/s link with typical layer sizes
 * while staying far below registry rate limits (ECR: 100 InitiateLayerUpload/s).
 */
export const DEFAULT_COPY_CONCURRENCY = 4;

interface RootSelection {
  root: RawManifest;
  newIndex: boolean;
  /** Resolved late for single images: reading the config overlaps the copy. */
  platforms: Promise<string[]>;
}

async function selectRoot(ctx: CopyContext, sourceRoot: RawManifest, wanted: Platform[] | undefined): Promise<RootSelection> {
  const parsed = parseManifest(sourceRoot);
  if (parsed.kind === 'index') {
    const selection = selectPlatforms(sourceRoot, parsed.document, wanted);
    return { root: selection.root, newIndex: selection.newIndex, platforms: Promise.resolve(platformsOf(selection.children)) };
  }
  if (parsed.kind !== 'image') {
    if (wanted) throw new AutopilotError('USAGE', `The source (${sourceRoot.mediaType}) has no platforms to choose from; omit --platform`);
    return { root: sourceRoot, newIndex: false, platforms: Promise.resolve([]) };
  }
  const reading = readImagePlatform(ctx.client, ctx.source, parsed.document, { scopes: ctx.sourceScopes, ...signalOf(ctx) });
  if (!wanted) {
    // Only the report needs the platform: read it while the copy runs. A failed read surfaces
    // when the report is built; the no-op catch only stops it counting as unhandled before that.
    const platforms = reading.then((platform) => (platform ? [formatPlatform(platform)] : []));
    platforms.catch(() => undefined);
    return { root: sourceRoot, newIndex: false, platforms };
  }
  const platform = await reading;
  if (!(platform && wanted.some((w) => platformMatches(platform, w)))) {
    throw new AutopilotError(
      'USAGE',
      `The source is a single-platform image (${platform ? formatPlatform(platform) : 'no platform'}), not ${wanted.map(formatPlatform).join(', ')}; omit --platform or pick its platform`,
    );
  }
  return { root: sourceRoot, newIndex: false, platforms: Promise.resolve([formatPlatform(platform)]) };
}

/** A missing source is the user's to fix (a typo in the tag or repository), not a registry failure. */
function sourceNotFound(src: ImageReference, reference: string, cause: unknown): AutopilotError {
  const what = src.digest ? `manifest ${reference}` : `tag ${reference}`;
  return new AutopilotError('IMAGE_NOT_FOUND', `${formatImageReference(src)} not found: ${src.registry} has no ${what} in repository ${src.repository}; check the reference (and the credentials: some registries answer "not found" to callers who may not see a private repository)`, {
    source: 'user',
    cause,
  });
}

function destinationTagFor(source: ImageReference, destination: ImageReference): string | undefined {
  if (destination.tag !== undefined) return destination.tag;
  // `dst/repo` without tag or digest keeps the source's tag; `dst/repo@sha256:…` pushes by digest only.
  return destination.digest === undefined ? source.tag : undefined;
}

/**
 * Copies `src` to `dst`. All platforms by default; `platforms` builds a new index with only those.
 * Rejects with `USAGE` for impossible requests, `REGISTRY_UNAUTHORIZED`, `IMAGE_NOT_FOUND`,
 * `DIGEST_MISMATCH`, `THROTTLED` or `REGISTRY_ERROR` (retries exhausted) — and in every failure
 * case the destination tag is untouched.
 *
 * @example
 * const report = await copyImage(
 *   parseImageReference('public.ecr.aws/eks/aws-load-balancer-controller:v2.9.2'),
 *   parseImageReference('123456789012.dkr.ecr.eu-west-1.amazonaws.com/mirror/aws-load-balancer-controller:v2.9.2'),
 *   { credentials: (registry) => (isEcrRegistry(registry) ? ecrProvider : anonymousCredentials) },
 * );
 */
export async function copyImage(src: ImageReference, dst: ImageReference, options: CopyOptions): Promise<CopyReport> {
  const startedAt = performance.now();
  const sourceReference = src.digest ?? src.tag;
  if (sourceReference === undefined) {
    throw new AutopilotError('USAGE', `The source ${formatImageReference(src)} needs a tag or a digest`);
  }
  const wanted = options.platforms && options.platforms.length > 0 ? options.platforms.map(parsePlatform) : undefined;
  const concurrency = options.concurrency ?? DEFAULT_COPY_CONCURRENCY;
  if (!Number.isInteger(concurrency) || concurrency < 1) throw new AutopilotError('USAGE', `concurrency must be a positive integer, not ${concurrency}`);
  const tag = destinationTagFor(src, dst);

  const client = new RegistryClient({
    credentials: options.credentials,
    ...(options.insecureRegistries ? { insecureRegistries: options.insecureRegistries } : {}),
    ...(options.retry ? { retry: options.retry } : {}),
    ...(options.chunkedUploadThreshold === undefined ? {} : { chunkedUploadThreshold: options.chunkedUploadThreshold }),
    ...(options.uploadChunkSize === undefined ? {} : { uploadChunkSize: options.uploadChunkSize }),
    ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
    ...(options.wire ? { wire: options.wire } : {}),
    ...(options.pacing ? { pacing: options.pacing } : {}),
  });
  const ctx: CopyContext = {
    client,
    source: { registry: src.registry, repository: src.repository },
    destination: { registry: dst.registry, repository: dst.repository },
    sourceScopes: [`repository:${src.repository}:pull`],
    destinationScopes: [`repository:${dst.repository}:pull,push`],
    sameRegistry: src.registry === dst.registry,
    concurrency,
    signal: options.signal,
    progress: new ProgressTracker(options.onProgress),
    stats: emptyStats(),
  };

  try {
    ctx.progress.phase('planning');
    client.http.prepare(ctx.destination.registry, options.signal);
    const sourceRoot = await client.manifests.get(ctx.source, sourceReference, { scopes: ctx.sourceScopes, ...signalOf(ctx) }).catch((error: unknown) => {
      throw isNotFoundError(error) ? sourceNotFound(src, sourceReference, error) : error;
    });
    const selection = await selectRoot(ctx, sourceRoot, wanted);
    if (dst.digest !== undefined && dst.digest !== selection.root.digest) {
      throw new AutopilotError('USAGE', `The destination names digest ${dst.digest} but the copied image is ${selection.root.digest}; drop the digest from the destination`);
    }

    ctx.progress.phase('comparing');
    const plan = await planTree(ctx, selection.root);
    await executePlan(ctx, plan, tag);

    if (options.includeReferrers) {
      ctx.progress.phase('referrers');
      // Referrers of the source index were made for its digest, not for a subset index.
      await copyReferrers(ctx, selection.newIndex ? plan.childDigests : [sourceRoot.digest, ...plan.childDigests]);
    }
    const platforms = await selection.platforms;
    ctx.progress.phase('done');

    return {
      source: formatImageReference(src),
      destination: formatImageReference(tag === undefined ? { ...dst, digest: selection.root.digest } : { ...dst, tag }),
      sourceDigest: sourceRoot.digest,
      destinationDigest: selection.root.digest,
      mediaType: selection.root.mediaType,
      platforms,
      ...ctx.stats,
      durationMs: Math.round(performance.now() - startedAt),
      newIndex: selection.newIndex,
    };
  } finally {
    client.close();
  }
}

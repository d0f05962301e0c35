/**
 * Walks a manifest tree from the top down and works out what the destination lacks: a manifest
 * whose digest the destination already has is skipped with everything below it (a registry only
 * accepts a manifest once its children and blobs exist), otherwise it is fetched from the source
 * and its children or blobs are examined in turn.
 */
import { isForeignLayer, parseManifest } from '../manifestDocument';
import type { Descriptor, RawManifest } from '../types';
import { type CopyContext, signalOf } from './copyContext';
import { runBounded } from '../../shared/runBounded';

/** What has to be pushed for one manifest tree. */
export interface TreePlan {
  root: RawManifest;
  /** The destination already has the root digest: nothing below it needs copying. */
  rootExists: boolean;
  /**
   * Manifests below the root to push by digest, one array per depth, deepest first: every
   * manifest of a level can be pushed at once, and before the level above it.
   */
  childLevels: RawManifest[][];
  /** Distinct blobs of the manifests to push. */
  blobs: Descriptor[];
  /** Digests of the root's direct children (whether pushed or already present). */
  childDigests: string[];
  /**
   * Existence checks already under way (the blob's size at the destination, or undefined), by
   * digest: for an image root, those of the blobs copied first were sent with the root's HEAD
   * rather than after it, saving a round trip before the first byte moves.
   */
  presence: ReadonlyMap<string, Promise<number | undefined>>;
}

/** The distinct blobs a manifest references that live in the registry (foreign layers live elsewhere). */
function blobsOf(parsed: ReturnType<typeof parseManifest>): Descriptor[] {
  if (parsed.kind !== 'image' && parsed.kind !== 'artifact') return [];
  const referenced = parsed.kind === 'image' ? [parsed.document.config, ...parsed.document.layers] : parsed.blobs;
  return [...new Map(referenced.filter((blob) => !isForeignLayer(blob)).map((blob) => [blob.digest, blob])).values()];
}

/**
 * The order blobs are copied in. Largest first: with bounded concurrency the big layers set the
 * total time, so they start at once and the small blobs (configs) fill the gaps.
 *
 * @example
 * await runBounded(largestFirst(plan.blobs), ctx.concurrency, ctx.signal, (blob, signal) => copyBlob({ ...ctx, signal }, blob));
 */
export function largestFirst(blobs: readonly Descriptor[]): Descriptor[] {
  return [...blobs].sort((a, b) => b.size - a.size);
}

/**
 * Sends the existence checks of the blobs copied first (as many as run at once), so they travel
 * with the root's HEAD instead of after it. Only those: the others wait for a free slot anyway,
 * and checking every blob at once would open a connection per blob.
 */
function checkFirstWave(ctx: CopyContext, blobs: readonly Descriptor[], options: { scopes: string[]; signal?: AbortSignal }): Map<string, Promise<number | undefined>> {
  const checks = new Map<string, Promise<number | undefined>>();
  for (const blob of largestFirst(blobs).slice(0, ctx.concurrency)) {
    const check = ctx.client.blobs.exists(ctx.destination, blob.digest, options);
    // Awaited by copyBlob, or settled by planTree; a failure surfaces there, never as unhandled.
    check.catch(() => undefined);
    checks.set(blob.digest, check);
  }
  return checks;
}

/**
 * Plans the copy of `root` (fetched from, or built for, the source) to the destination.
 *
 * @example
 * const plan = await planTree(ctx, sourceIndex);
 */
export async function planTree(ctx: CopyContext, root: RawManifest): Promise<TreePlan> {
  const parsedRoot = parseManifest(root);
  const childDigests = parsedRoot.kind === 'index' ? parsedRoot.document.manifests.map((d) => d.digest) : [];
  const options = { scopes: ctx.destinationScopes, ...signalOf(ctx) };
  const presence = checkFirstWave(ctx, blobsOf(parsedRoot), options);
  let rootExists: boolean;
  try {
    rootExists = (await ctx.client.manifests.head(ctx.destination, root.digest, options)) !== undefined;
  } catch (error) {
    await Promise.allSettled(presence.values());
    throw error;
  }
  if (rootExists) {
    // Not needed after all; they finish (HEADs are cheap) and their failures do not matter.
    await Promise.allSettled(presence.values());
    ctx.stats.manifestsSkipped += 1 + childDigests.length;
    // A registry holds a manifest only with all its blobs: those of an image root are known to be there.
    ctx.stats.blobsSkipped += blobsOf(parsedRoot).length;
    return { root, rootExists, childLevels: [], blobs: [], childDigests, presence: new Map() };
  }

  const levels: RawManifest[][] = [];
  const blobs = new Map<string, Descriptor>();
  const visit = async (manifest: RawManifest, depth: number): Promise<void> => {
    const parsed = parseManifest(manifest);
    if (parsed.kind === 'image' || parsed.kind === 'artifact') {
      for (const blob of blobsOf(parsed)) blobs.set(blob.digest, blob);
      return;
    }
    if (parsed.kind !== 'index') return;
    await runBounded(parsed.document.manifests, ctx.concurrency, ctx.signal, async (child, signal) => {
      const options = { signal };
      const present = await ctx.client.manifests.head(ctx.destination, child.digest, { scopes: ctx.destinationScopes, ...options });
      if (present) {
        ctx.stats.manifestsSkipped += 1;
        return;
      }
      const fetched = await ctx.client.manifests.get(ctx.source, child.digest, { scopes: ctx.sourceScopes, ...options });
      (levels[depth + 1] ??= []).push(fetched);
      await visit(fetched, depth + 1);
    });
  };
  await visit(root, 0);

  const childLevels = levels.slice(1).reverse();
  return { root, rootExists, childLevels, blobs: [...blobs.values()], childDigests, presence };
}

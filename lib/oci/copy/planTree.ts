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
}

/** The distinct blobs a manifest references that live in the registry (foreign layers live elsewhere). */
function blobsOf(parsed: ReturnType<typeof parseManifest>): Descriptor[] {
  if (parsed.kind !== 'image' && parsed.kind !== 'artifact') return [];
  const referenced = parsed.kind === 'image' ? [parsed.document.config, ...parsed.document.layers] : parsed.blobs;
  return [...new Map(referenced.filter((blob) => !isForeignLayer(blob)).map((blob) => [blob.digest, blob])).values()];
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
  const rootExists = (await ctx.client.manifests.head(ctx.destination, root.digest, { scopes: ctx.destinationScopes, ...signalOf(ctx) })) !== undefined;
  if (rootExists) {
    ctx.stats.manifestsSkipped += 1 + childDigests.length;
    // A registry holds a manifest only with all its blobs: those of an image root are known to be there.
    ctx.stats.blobsSkipped += blobsOf(parsedRoot).length;
    return { root, rootExists, childLevels: [], blobs: [], childDigests };
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
  return { root, rootExists, childLevels, blobs: [...blobs.values()], childDigests };
}

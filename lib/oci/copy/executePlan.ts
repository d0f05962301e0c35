/**
 * Carries out a `TreePlan` in the only safe order: blobs → child manifests by digest (deepest
 * level first) → the root, by tag last. A failure anywhere stops before the root is pushed, so a
 * tag never points at an image whose parts are missing, and an existing tag is never moved to one.
 */
import type { PushedManifest } from '../remote/ManifestClient';
import { copyBlob } from './copyBlob';
import { type CopyContext, signalOf } from './copyContext';
import { largestFirst, type TreePlan } from './planTree';
import { runBounded } from '../../shared/runBounded';

/**
 * Pushes everything `plan` lacks and points `tag` (when given) at its root. Returns what the root
 * PUT reported, or undefined when nothing had to be pushed.
 *
 * @example
 * await executePlan(ctx, await planTree(ctx, index), 'v1.32.0');
 */
export async function executePlan(ctx: CopyContext, plan: TreePlan, tag: string | undefined): Promise<PushedManifest | undefined> {
  ctx.progress.addBlobs(plan.blobs);
  ctx.progress.addManifests(plan.childLevels.reduce((sum, level) => sum + level.length, 0) + 1);

  ctx.progress.phase('blobs');
  try {
    await runBounded(largestFirst(plan.blobs), ctx.concurrency, ctx.signal, (blob, signal) => copyBlob({ ...ctx, signal }, blob, plan.presence.get(blob.digest)));
  } finally {
    // Checks sent with the plan that no transfer awaited (a cancel before it started) end here too.
    await Promise.allSettled(plan.presence.values());
  }

  ctx.progress.phase('manifests');
  for (const level of plan.childLevels) {
    await runBounded(level, ctx.concurrency, ctx.signal, async (manifest, signal) => {
      await ctx.client.manifests.put(ctx.destination, manifest.digest, manifest, { scopes: ctx.destinationScopes, signal });
      ctx.stats.manifestsCopied += 1;
      ctx.progress.manifestDone();
    });
  }

  const options = { scopes: ctx.destinationScopes, ...signalOf(ctx) };
  if (plan.rootExists) {
    const current = tag === undefined ? undefined : await ctx.client.manifests.head(ctx.destination, tag, options);
    if (tag === undefined || current?.digest === plan.root.digest) {
      ctx.progress.manifestDone();
      return undefined;
    }
    // The image is there but the tag points elsewhere (or nowhere): move the tag.
    ctx.stats.manifestsSkipped -= 1;
  }
  const pushed = await ctx.client.manifests.put(ctx.destination, tag ?? plan.root.digest, plan.root, options);
  ctx.stats.manifestsCopied += 1;
  ctx.progress.manifestDone();
  return pushed;
}

/**
 * One blob to the destination, cheapest way first: already there (HEAD) → mount from the source
 * repository (same registry) → stream source GET → sha256/size check → destination upload.
 */
import { verifyingSource } from '../remote/verifyingSource';
import type { BodySource } from '../transport/bodySource';
import type { Descriptor } from '../types';
import type { CopyContext } from './copyContext';

/** What happened to a blob. */
export type BlobOutcome = 'copied' | 'skipped' | 'mounted';

/**
 * Ensures the destination repository has `blob`, updating the context's counters and progress.
 * `presence` is an existence check already sent (see `TreePlan.presence`); without it, one is sent.
 *
 * @example
 * await runBounded(plan.blobs, ctx.concurrency, ctx.signal, (blob, signal) => copyBlob({ ...ctx, signal }, blob, plan.presence.get(blob.digest)));
 */
export async function copyBlob(ctx: CopyContext, blob: Descriptor, presence?: Promise<number | undefined>): Promise<BlobOutcome> {
  const signal = ctx.signal ? { signal: ctx.signal } : {};
  const present = await (presence ?? ctx.client.blobs.exists(ctx.destination, blob.digest, { scopes: ctx.destinationScopes, ...signal }));
  if (present !== undefined) {
    ctx.stats.blobsSkipped += 1;
    ctx.progress.blobDone(blob);
    return 'skipped';
  }

  // The upload gives the download its own signals: a cancel then stops both alike.
  const openVerified = async (calls: { signal?: AbortSignal; stop?: AbortSignal } = signal): Promise<BodySource> => {
    ctx.progress.blobBytes(blob.digest, 0);
    const download = await ctx.client.blobs.open(ctx.source, blob, { scopes: ctx.sourceScopes, ...calls });
    return verifyingSource(download, blob, { onBytes: (bytesSoFar) => ctx.progress.blobBytes(blob.digest, bytesSoFar) });
  };

  const outcome = await ctx.client.blobs.upload(ctx.destination, blob, openVerified, {
    scopes: ctx.destinationScopes,
    ...(ctx.sameRegistry ? { mountFrom: ctx.source.repository } : {}),
    onSessionLeftOpen: (location) => ctx.progress.uploadSessionLeftOpen(location),
    ...signal,
  });
  if (outcome === 'mounted') {
    ctx.stats.blobsMounted += 1;
  } else {
    ctx.stats.blobsCopied += 1;
    ctx.stats.bytesCopied += blob.size;
  }
  ctx.progress.blobDone(blob);
  return outcome === 'mounted' ? 'mounted' : 'copied';
}

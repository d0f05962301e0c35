/**
 * Copies the referrers (signatures, SBOMs, attestations) of copied manifests. Each referrer is
 * copied like an image, by digest. Registries with the referrers API index them on push; for
 * those without it (distribution 2.8), the destination's fallback index tag `<alg>-<hex>` is
 * created or extended with the new descriptors.
 *
 * Only direct referrers are copied (not referrers of referrers), and referrers of a source index
 * are not copied to a platform-subset index: they were made for the original digest.
 */
import { OCI_INDEX } from '../mediaTypes';
import { computeDigest } from '../digest';
import { listReferrers, referrersTagFor } from '../remote/referrers';
import type { Descriptor, IndexDocument, RawManifest } from '../types';
import { type CopyContext, signalOf } from './copyContext';
import { executePlan } from './executePlan';
import { planTree } from './planTree';

/**
 * Copies the referrers of each subject digest (present at both ends) to the destination.
 *
 * @example
 * await copyReferrers(ctx, [report.sourceDigest, ...childDigests]);
 */
export async function copyReferrers(ctx: CopyContext, subjects: readonly string[]): Promise<void> {
  const options = { scopes: ctx.sourceScopes, ...signalOf(ctx) };
  for (const subject of subjects) {
    const found = await listReferrers(ctx.client.http, ctx.source, subject, signalOf(ctx));
    if (found.descriptors.length === 0) continue;
    for (const descriptor of found.descriptors) {
      const referrer = await ctx.client.manifests.get(ctx.source, descriptor.digest, options);
      await executePlan(ctx, await planTree(ctx, referrer), undefined);
    }
    await updateFallbackIndex(ctx, subject, found.descriptors);
  }
}

/** Adds `descriptors` to the destination's fallback tag unless the destination has the referrers API. */
async function updateFallbackIndex(ctx: CopyContext, subject: string, descriptors: readonly Descriptor[]): Promise<void> {
  const atDestination = await listReferrers(ctx.client.http, ctx.destination, subject, signalOf(ctx));
  if (atDestination.source === 'api') return;
  const existing = atDestination.fallbackIndex ? (JSON.parse(atDestination.fallbackIndex.bytes.toString('utf8')) as IndexDocument) : undefined;
  const known = new Set(atDestination.descriptors.map((d) => d.digest));
  const missing = descriptors.filter((d) => !known.has(d.digest));
  if (missing.length === 0) return;
  const document: IndexDocument = existing
    ? { ...existing, manifests: [...existing.manifests, ...missing] }
    : { schemaVersion: 2, mediaType: OCI_INDEX, manifests: [...missing] };
  const bytes = Buffer.from(JSON.stringify(document));
  const index: RawManifest = { mediaType: OCI_INDEX, digest: computeDigest(bytes), bytes };
  await ctx.client.manifests.put(ctx.destination, referrersTagFor(subject), index, { scopes: ctx.destinationScopes, ...signalOf(ctx) });
  ctx.stats.manifestsCopied += 1;
}

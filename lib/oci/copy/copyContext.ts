/**
 * The state one copy shares between its steps: the registry session, both repositories with the
 * token scopes used for them, limits, cancellation, counters and progress.
 */
import type { RegistryClient } from '../remote/RegistryClient';
import type { RepositoryRef } from '../types';
import type { ProgressTracker } from './progressTracker';

/** Counters that end up in the `CopyReport`. */
export interface CopyStats {
  manifestsCopied: number;
  manifestsSkipped: number;
  blobsCopied: number;
  blobsSkipped: number;
  blobsMounted: number;
  bytesCopied: number;
}

export interface CopyContext {
  client: RegistryClient;
  source: RepositoryRef;
  destination: RepositoryRef;
  /** `repository:<src>:pull`. */
  sourceScopes: string[];
  /** `repository:<dst>:pull,push`: one token serves every destination request. */
  destinationScopes: string[];
  /** Source and destination are on the same registry, so blobs can be mounted. */
  sameRegistry: boolean;
  concurrency: number;
  signal: AbortSignal | undefined;
  progress: ProgressTracker;
  stats: CopyStats;
}

/**
 * Zeroed counters.
 *
 * @example
 * const stats = emptyStats();
 */
export function emptyStats(): CopyStats {
  return { manifestsCopied: 0, manifestsSkipped: 0, blobsCopied: 0, blobsSkipped: 0, blobsMounted: 0, bytesCopied: 0 };
}

/**
 * The `signal` option in the shape the clients take.
 *
 * @example
 * await ctx.client.manifests.head(ctx.destination, digest, { scopes: ctx.destinationScopes, ...signalOf(ctx) });
 */
export function signalOf(ctx: Pick<CopyContext, 'signal'>): { signal?: AbortSignal } {
  return ctx.signal ? { signal: ctx.signal } : {};
}

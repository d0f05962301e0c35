import { AutopilotError } from '../errors';
import type { SnapshotUpstreamImage } from '../ecr/registrySnapshot';
import type { CallOptions } from '../shared/retry';
import { platformSubsetKey, type MirrorTarget } from './mirrorTargets';

/** What an upstream tag points at now. */
export interface UpstreamImage {
  reference: string;
  /** The digest of the upstream manifest (index or image). */
  digest: string;
  mediaType: string;
  /** Every runnable platform upstream offers. */
  platforms: string[];
  /**
   * The digest the destination tag has after a copy: the upstream digest for all platforms, the new
   * index's for a subset; undefined when it cannot be known without copying (a subset, offline).
   */
  destinationDigest: string | undefined;
}

/** Reads upstream (public) registries. Live: the OCI client; plan mode: the snapshot. */
export interface UpstreamReader {
  resolve(target: Pick<MirrorTarget, 'sourceReference' | 'platforms'>, options?: CallOptions): Promise<UpstreamImage>;
}

/** Upstream state recorded in a registry snapshot (`upstreamImages`). */
export class SnapshotUpstreamReader implements UpstreamReader {
  private readonly images: Map<string, SnapshotUpstreamImage>;

  constructor(images: readonly SnapshotUpstreamImage[]) {
    this.images = new Map(images.map((image) => [image.reference, image]));
  }

  async resolve(target: Pick<MirrorTarget, 'sourceReference' | 'platforms'>): Promise<UpstreamImage> {
    const image = this.images.get(target.sourceReference);
    if (!image) {
      throw new AutopilotError('IMAGE_NOT_FOUND', `${target.sourceReference} is not in the snapshot's upstreamImages; add it to plan offline`);
    }
    const destinationDigest = target.platforms === 'all' ? image.digest : image.subsetDigests[platformSubsetKey(target.platforms)];
    return { reference: image.reference, digest: image.digest, mediaType: image.mediaType, platforms: image.platforms, destinationDigest };
  }
}

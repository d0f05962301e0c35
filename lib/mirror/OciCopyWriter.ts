import { describeError, hasErrorCode } from '../errors';
import { copyImage } from '../oci/copy/copyImage';
import type { CopyProgress } from '../oci/copy/types';
import { parseImageReference } from '../oci/reference';
import { anonymousCredentials, type CredentialProvider, type CredentialsForRegistry } from '../oci/transport/credentials';
import type { RequestPacing } from '../oci/transport/requestPacing';
import type { ApplyOptions, ChangeOutcome, ChangeWriter } from '../plan/types';
import type { CopyImageChange } from './changes';

/** Where mirrored images go: the account's ECR registry (or, in tests, a local registry). */
export interface MirrorDestination {
  /**
   * `host[:port]` of the destination registry, e.g. `123456789012.dkr.ecr.ap-northeast-2.amazonaws.com`.
   * May call AWS (ECR's `GetAuthorizationToken`) the first time: `signal` cancels that call.
   */
  registry(signal?: AbortSignal): Promise<string>;
  credentials: CredentialProvider;
}

/**
 * Applies `oci:CopyImage` changes with the copy engine. The destination's credentials go to the
 * destination host only; upstream registries get their own (anonymous by default). A failed copy
 * is reported as a failed change (the others still run); cancellation is rethrown. The writer is
 * built once per container: each copy runs under the signal its `apply` call brings, so a copy
 * abandoned at one invocation's stop can never resume later and move a tag.
 */
export class OciCopyWriter implements ChangeWriter<CopyImageChange> {
  constructor(
    private readonly options: {
      destination: MirrorDestination;
      upstreamCredentials?: CredentialsForRegistry;
      insecureRegistries?: string[];
      /** How long a silent registry is waited for, in ms (`CopyOptions.timeoutMs`; default 30 s). */
      timeoutMs?: number;
      onProgress?: (change: CopyImageChange, progress: CopyProgress) => void;
      /**
       * Paces the requests to the destination (a fleet batch: its share of ECR's image action rates,
       * `EcrImageApiPacer`), shared by every copy this writer makes; upstream requests are not paced.
       */
      destinationPacing?: RequestPacing;
    },
  ) {}

  async apply(change: CopyImageChange, options: ApplyOptions): Promise<ChangeOutcome> {
    const host = await this.options.destination.registry(options.signal);
    const upstream = this.options.upstreamCredentials ?? (() => anonymousCredentials);
    const credentials: CredentialsForRegistry = (registry) => (registry === host ? this.options.destination.credentials : upstream(registry));
    const destinationPacing = this.options.destinationPacing;
    const pacing: RequestPacing | undefined = destinationPacing && { pace: async (exchange, signal) => (exchange.registry === host ? destinationPacing.pace(exchange, signal) : undefined) };
    try {
      const report = await copyImage(parseImageReference(change.source), parseImageReference(`${host}/${change.repository}:${change.tag}`), {
        credentials,
        ...(change.platforms === 'all' ? {} : { platforms: change.platforms }),
        includeReferrers: change.includeReferrers,
        ...(this.options.insecureRegistries ? { insecureRegistries: this.options.insecureRegistries } : {}),
        ...(this.options.timeoutMs === undefined ? {} : { timeoutMs: this.options.timeoutMs }),
        ...(options.signal ? { signal: options.signal } : {}),
        ...(pacing ? { pacing } : {}),
        ...(this.options.onProgress ? { onProgress: (progress: CopyProgress) => this.options.onProgress?.(change, progress) } : {}),
      });
      return {
        status: 'applied',
        message: `${report.destinationDigest.slice(0, 19)}: ${report.manifestsCopied} manifest(s) and ${report.blobsCopied} blob(s) copied (${report.bytesCopied} bytes), ${report.blobsSkipped + report.blobsMounted} blob(s) already there, ${report.durationMs} ms`,
        data: {
          digest: report.destinationDigest,
          sourceDigest: report.sourceDigest,
          platforms: report.platforms.join(','),
          bytesCopied: report.bytesCopied,
          blobsCopied: report.blobsCopied,
          blobsSkipped: report.blobsSkipped + report.blobsMounted,
          newIndex: report.newIndex,
          durationMs: report.durationMs,
        },
      };
    } catch (error) {
      if (hasErrorCode(error, 'ABORTED')) throw error;
      return { status: 'failed', message: describeError(error) };
    }
  }
}

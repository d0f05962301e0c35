/**
 * The copy engine's options, progress events and report.
 */
import type { CredentialProvider } from '../transport/credentials';
import type { RequestPacing } from '../transport/requestPacing';
import type { RetryPolicy } from '../transport/retryPolicy';
import type { Wire } from '../transport/wire';

export interface CopyOptions {
  /** Platforms to keep (`linux/amd64`, `linux/arm64/v8`); all when omitted. A subset makes a new index. */
  platforms?: string[];
  /** Also copy referrers (signatures, SBOMs) of the copied manifests. */
  includeReferrers?: boolean;
  /** Blobs and manifests transferred at once (default `DEFAULT_COPY_CONCURRENCY`). */
  concurrency?: number;
  signal?: AbortSignal;
  onProgress?: (progress: CopyProgress) => void;
  /** The credential provider for each registry host. */
  credentials: (registry: string) => CredentialProvider;
  /** Registries (`host[:port]`) reachable over plain http besides loopback. */
  insecureRegistries?: string[];
  /**
   * How long a silent registry is waited for, in ms (default 30 s; the CLI's `--timeout`): a
   * registry that accepts the connection and then sends no response head within it, or stalls a
   * transfer that long, fails with an error naming the host. Connecting gets at most 10 s of it.
   */
  timeoutMs?: number;
  /** The HTTP client (default: undici behind `HTTPS_PROXY`/`HTTP_PROXY`, else our own wire); closed when the copy ends. */
  wire?: Wire;
  /** Tuning for tests: replaces parts of the retry policy. */
  retry?: Partial<RetryPolicy>;
  /** Tuning: blobs at least this big are uploaded in PATCH chunks. */
  chunkedUploadThreshold?: number;
  /** Tuning: bytes per PATCH chunk. */
  uploadChunkSize?: number;
  /** Paces the requests to each registry, e.g. to keep pushes to ECR under its API rates (`requestPacing.ts`). */
  pacing?: RequestPacing;
}

/** Where the copy is. Sent at most every `PROGRESS_INTERVAL_MS` while bytes flow, and at each step. */
export interface CopyProgress {
  /** `planning`: reading the source; `comparing`: asking the destination what it already has. */
  phase: 'planning' | 'comparing' | 'blobs' | 'manifests' | 'referrers' | 'done';
  blobsTotal: number;
  /** Blobs finished: copied, mounted or already present. */
  blobsDone: number;
  /** Size of every distinct blob of the copied manifests. */
  bytesTotal: number;
  /** Bytes finished or skipped so far (present and mounted blobs count in full). */
  bytesDone: number;
  manifestsTotal: number;
  manifestsDone: number;
  /**
   * Upload sessions the copy abandoned (cancelled or failed) and the destination would not delete,
   * by URL without its query; present only when there are some. See `BlobClient.cancelUpload`.
   */
  uploadSessionsLeftOpen?: string[];
}

/** What a copy did. */
export interface CopyReport {
  /** The source reference as text. */
  source: string;
  destination: string;
  /** Digest of the source's top manifest. */
  sourceDigest: string;
  /** Digest of what the destination tag now points at (differs from the source for a platform subset). */
  destinationDigest: string;
  mediaType: string;
  /** Platforms copied (`linux/amd64`…); empty for artifacts without a platform. */
  platforms: string[];
  manifestsCopied: number;
  /** Manifests the destination already had (their blobs were not even listed). */
  manifestsSkipped: number;
  blobsCopied: number;
  blobsSkipped: number;
  blobsMounted: number;
  /** Blob bytes uploaded (mounted and skipped blobs excluded). */
  bytesCopied: number;
  durationMs: number;
  /** True when a platform subset produced a new index that the source does not have. */
  newIndex: boolean;
}

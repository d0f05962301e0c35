/**
 * One registry session: the HTTP client (sockets, tokens, retries) with the manifest and blob
 * clients on top. Create one per copy or per CLI run and `close()` it when done.
 */
import type { CredentialsForRegistry } from '../transport/credentials';
import { createRetryPolicy, type RetryPolicy } from '../transport/retryPolicy';
import { RegistryHttp } from '../transport/RegistryHttp';
import type { RequestPacing } from '../transport/requestPacing';
import type { Wire } from '../transport/wire';
import { BlobClient } from './BlobClient';
import { ManifestClient } from './ManifestClient';

export interface RegistryClientOptions {
  credentials: CredentialsForRegistry;
  insecureRegistries?: readonly string[];
  /** Replaces parts of the default retry policy (tests shorten waits; nothing else should). */
  retry?: Partial<RetryPolicy>;
  /** Blobs at least this big are uploaded in chunks (default `DEFAULT_CHUNKED_UPLOAD_THRESHOLD`). */
  chunkedUploadThreshold?: number;
  /** Bytes per chunk (default `MAX_UPLOAD_CHUNK`). */
  uploadChunkSize?: number;
  /** How long a silent registry is waited for, in ms (see `RegistryHttpOptions.timeoutMs`). */
  timeoutMs?: number;
  /** The HTTP client (default: chosen from the environment, see `RegistryHttpOptions.wire`). */
  wire?: Wire;
  /** Paces the requests to each registry (see `RegistryHttpOptions.pacing`). */
  pacing?: RequestPacing;
}

/**
 * Manifests and blobs over one shared HTTP client.
 *
 * @example
 * const client = new RegistryClient({ credentials: () => anonymousCredentials });
 * try { await client.manifests.head(repo, 'latest'); } finally { client.close(); }
 */
export class RegistryClient {
  readonly http: RegistryHttp;
  readonly manifests: ManifestClient;
  readonly blobs: BlobClient;

  constructor(options: RegistryClientOptions) {
    this.http = new RegistryHttp({
      credentials: options.credentials,
      ...(options.insecureRegistries ? { insecureRegistries: options.insecureRegistries } : {}),
      retryPolicy: createRetryPolicy(options.retry),
      ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
      ...(options.wire ? { wire: options.wire } : {}),
      ...(options.pacing ? { pacing: options.pacing } : {}),
    });
    this.manifests = new ManifestClient(this.http);
    this.blobs = new BlobClient(this.http, {
      ...(options.chunkedUploadThreshold === undefined ? {} : { chunkedUploadThreshold: options.chunkedUploadThreshold }),
      ...(options.uploadChunkSize === undefined ? {} : { uploadChunkSize: options.uploadChunkSize }),
    });
  }

  /** Frees every pooled socket. */
  close(): void {
    this.http.close();
  }
}

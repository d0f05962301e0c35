/**
 * Blob operations: existence checks, streamed downloads that resume after dropped connections,
 * cross-repository mounts, and uploads — monolithic (POST, then one PUT with the whole body) or
 * chunked (PATCH per slice) above a size threshold. Nothing is ever buffered whole or written to
 * disk; a failed upload is restarted from a fresh upload session, never resumed into a session
 * that may hold partial data.
 */
import { AutopilotError } from '../../errors';
import { computeDigest, parseDigest } from '../digest';
import type { BodySource } from '../transport/bodySource';
import type { Descriptor, RepositoryRef } from '../types';
import { DigestMismatchError, parseRegistryErrorBody, redactUrl } from '../transport/registryErrors';
import { abortedError, runWithRetry } from '../transport/retryPolicy';
import { graceAfter } from '../../shared/retry';
import type { RegistryHttp, RegistryResponse } from '../transport/RegistryHttp';
import { resumableDownload } from './resumableDownload';
import { SourceSlicer } from './sourceSlicer';

/**
 * Blobs at least this big are uploaded in PATCH chunks. Below it one PUT carries the whole blob,
 * which is the fastest path; chunks keep very large layers under the request-size limits of
 * proxies in front of registries.
 */
export const DEFAULT_CHUNKED_UPLOAD_THRESHOLD = 512 * 1024 * 1024;
/** One PATCH: above ECR's 5 MiB minimum part, below the 100 MB body limit common in front proxies. */
export const MAX_UPLOAD_CHUNK = 64 * 1024 * 1024;
/**
 * Blobs up to this size first try the single-request upload (`POST ?digest=` with the body).
 * Small because a registry that does not support it (distribution answers 202 and ignores the
 * body) costs us a wasted body, and Go servers only drain 256 KiB of an unread body.
 */
export const SINGLE_POST_MAX_BYTES = 64 * 1024;

/**
 * Registries (`host[:port]`) that answered `POST ?digest=` with 202, i.e. do not support
 * single-request uploads. Process-wide: a registry's capabilities do not change between copies,
 * and probing costs a wasted body and an extra download each time.
 */
const singlePostUnsupported = new Set<string>();

/** Cleaning up an abandoned upload session must never hold up reporting the real failure for long. */
const CANCEL_UPLOAD_TIMEOUT_MS = 5_000;
/** A registry's error body for a DELETE is a few hundred bytes; more is not read. */
const MAX_CANCEL_ANSWER_BYTES = 4096;
/**
 * When an upload is cancelled (a deadline, Ctrl-C), a request already on the wire gets this long to
 * finish: a session-opening POST then tells us the session's name, so it can be deleted, and a PUT
 * that was about to commit commits instead of leaving a session behind. Nothing new starts.
 */
export const UPLOAD_CANCEL_GRACE_MS = 3_000;

export interface BlobClientOptions {
  chunkedUploadThreshold?: number;
  uploadChunkSize?: number;
}

/** Per-call options. */
export interface BlobCallOptions {
  scopes?: readonly string[];
  signal?: AbortSignal;
  /** No request starts once it fired; one on the wire then finishes within `signal` (`RegistryRequest.stop`). */
  stop?: AbortSignal;
}

export interface UploadOptions extends BlobCallOptions {
  /** Try a cross-repository mount from this repository of the same registry first. */
  mountFrom?: string;
  /**
   * Told of an abandoned upload session the registry would not delete (its URL, without the query),
   * so the user can be told it is left: see `cancelUpload`.
   */
  onSessionLeftOpen?: (location: string) => void;
}

/** How a blob reached the destination. */
export type UploadOutcome = 'uploaded' | 'mounted';

/**
 * Opens the blob's content for one upload attempt (a retry opens it again), under the signals the
 * upload gives it: its download then stops, and lingers, exactly as the upload it feeds.
 */
export type BlobSource = (calls?: Pick<BlobCallOptions, 'signal' | 'stop'>) => Promise<BodySource>;

function blobPath(repository: string, digest: string): string {
  return `/v2/${repository}/blobs/${digest}`;
}

function uploadsPath(repository: string): string {
  return `/v2/${repository}/blobs/uploads/`;
}

function pullScope(repository: string): string[] {
  return [`repository:${repository}:pull`];
}

function pushScope(repository: string): string[] {
  return [`repository:${repository}:pull,push`];
}

function signalOption(signal: AbortSignal | undefined): { signal?: AbortSignal } {
  return signal ? { signal } : {};
}

/** The request options of a call: its signal, and its stop when it has one. */
function callSignals(options: Pick<BlobCallOptions, 'signal' | 'stop'>): { signal?: AbortSignal; stop?: AbortSignal } {
  return { ...signalOption(options.signal), ...(options.stop ? { stop: options.stop } : {}) };
}

/**
 * Blob operations on one registry HTTP client.
 *
 * @example
 * const blobs = new BlobClient(registryHttp);
 * if (!(await blobs.exists(destination, layer.digest))) await blobs.upload(destination, layer, () => blobs.open(source, layer));
 */
export class BlobClient {
  private readonly chunkedUploadThreshold: number;
  private readonly uploadChunkSize: number;

  constructor(
    private readonly registryHttp: RegistryHttp,
    options: BlobClientOptions = {},
  ) {
    this.chunkedUploadThreshold = options.chunkedUploadThreshold ?? DEFAULT_CHUNKED_UPLOAD_THRESHOLD;
    this.uploadChunkSize = options.uploadChunkSize ?? MAX_UPLOAD_CHUNK;
  }

  /**
   * The blob's size when the repository has it, else undefined.
   *
   * @example
   * const size = await blobs.exists(destination, 'sha256:…');
   */
  async exists(repo: RepositoryRef, digest: string, options: BlobCallOptions = {}): Promise<number | undefined> {
    const response = await this.registryHttp.send({
      registry: repo.registry,
      method: 'HEAD',
      path: blobPath(repo.repository, digest),
      scopes: options.scopes ?? pullScope(repo.repository),
      expect: [200, 404],
      ...signalOption(options.signal),
    });
    response.discard();
    if (response.status === 404) return undefined;
    return Number(response.header('content-length') ?? '0');
  }

  /**
   * The blob's content as a source that resumes after dropped connections. It is NOT verified:
   * wrap it in `verifyingSource(…, descriptor)`.
   *
   * @example
   * const body = await blobs.open(source, layer);
   */
  async open(repo: RepositoryRef, descriptor: Descriptor, options: BlobCallOptions = {}): Promise<BodySource> {
    const get = (offset: number): Promise<RegistryResponse> =>
      this.registryHttp.send({
        registry: repo.registry,
        method: 'GET',
        path: blobPath(repo.repository, descriptor.digest),
        headers: offset > 0 ? { range: `bytes=${offset}-` } : {},
        scopes: options.scopes ?? pullScope(repo.repository),
        expect: offset > 0 ? [200, 206] : [200],
        ...callSignals(options),
      });
    const first = await get(0);
    return resumableDownload({
      first,
      size: descriptor.size,
      resume: get,
      policy: this.registryHttp.retryPolicy,
      ...signalOption(options.signal),
      what: `${repo.registry}/${repo.repository}@${descriptor.digest}`,
    });
  }

  /**
   * Reads a small blob (an image config) whole and verifies it; the caller bounds it with `maxBytes`.
   *
   * @example
   * const config = JSON.parse((await blobs.read(source, manifest.config, 1 << 20)).toString());
   */
  async read(repo: RepositoryRef, descriptor: Descriptor, maxBytes: number, options: BlobCallOptions = {}): Promise<Buffer> {
    if (descriptor.size > maxBytes) {
      throw new AutopilotError('REGISTRY_ERROR', `Blob ${descriptor.digest} is ${descriptor.size} bytes, more than the ${maxBytes} bytes we read into memory`);
    }
    const response = await this.registryHttp.send({
      registry: repo.registry,
      method: 'GET',
      path: blobPath(repo.repository, descriptor.digest),
      scopes: options.scopes ?? pullScope(repo.repository),
      ...signalOption(options.signal),
    });
    const bytes = await response.bytes(maxBytes);
    const digest = computeDigest(bytes, parseDigest(descriptor.digest).algorithm);
    if (digest !== descriptor.digest) throw new DigestMismatchError(`Blob ${repo.registry}/${repo.repository}@${descriptor.digest}`, descriptor.digest, digest);
    return bytes;
  }

  /**
   * Puts a blob into `repo`: a mount when `mountFrom` is given and the registry agrees, else an
   * upload of `source()` (monolithic, or chunked above the threshold). Retryable failures restart
   * with a new session and a freshly opened source, within the retry policy's attempts.
   *
   * @example
   * await blobs.upload(destination, layer, async () => verifyingSource(await blobs.open(source, layer), layer));
   */
  async upload(repo: RepositoryRef, descriptor: Descriptor, source: BlobSource, options: UploadOptions = {}): Promise<UploadOutcome> {
    let tryMount = options.mountFrom !== undefined && options.mountFrom !== repo.repository;
    // Cancelling stops new requests at once; requests on the wire get a short grace (see UPLOAD_CANCEL_GRACE_MS).
    const stop = options.stop ?? options.signal;
    const grace = graceAfter(stop, UPLOAD_CANCEL_GRACE_MS, options.stop ? options.signal : undefined);
    const calls: UploadOptions = { ...options, ...(grace.signal ? { signal: grace.signal } : {}), ...(stop ? { stop } : {}) };
    const open = (): Promise<BodySource> => source(callSignals(calls));
    const stopped = (): boolean => stop?.aborted === true;
    try {
      return await runWithRetry(this.registryHttp.retryPolicy, stop, async () => {
        const session = { location: '' };
        let content: BodySource | undefined;
        if (tryMount && options.mountFrom !== undefined) {
          tryMount = false;
          const started = await this.startUpload(repo, calls, { mount: descriptor.digest, from: options.mountFrom }, [201, 202]);
          if (started.status === 201) return 'mounted';
          // 202: the registry declined the mount (blob not readable there, or mounting disabled)
          // and opened an ordinary upload session instead; use it.
          session.location = started.location;
        } else if (descriptor.size <= SINGLE_POST_MAX_BYTES && !singlePostUnsupported.has(repo.registry)) {
          const started = await this.startSinglePost(repo, descriptor, open, calls);
          if (started.status === 201) return 'uploaded';
          singlePostUnsupported.add(repo.registry);
          session.location = started.location;
        } else {
          // Open the session and the source at once: one round trip less per blob.
          [session.location, content] = await this.startUploadWithSource(repo, open, calls);
        }
        try {
          // Cancelled while the session opened: close it rather than send content into it.
          if (stopped()) throw abortedError(stop);
          content ??= await open();
          if (descriptor.size >= this.chunkedUploadThreshold) {
            await this.uploadChunked(repo, descriptor, session, content, calls);
          } else {
            await this.uploadMonolithic(repo, descriptor, session.location, content, calls);
          }
        } catch (error) {
          content?.destroy();
          await this.cancelUpload(repo, session.location, options.onSessionLeftOpen);
          throw error;
        }
        return 'uploaded';
      });
    } finally {
      grace.dispose();
    }
  }

  /**
   * Best effort: deletes an abandoned upload session, so registries that keep partial uploads
   * (and some that bill or lock them) are not left with one per failed attempt. A session that
   * stays is reported to `onLeftOpen`: docker distribution (2.8) answers every request about a
   * session whose PATCH or PUT body was cut mid-request, DELETE included, with 404
   * BLOB_UPLOAD_INVALID (its upload state no longer matches the offset in the session URL), also
   * when asked again later, so no client can remove it; the registry's own upload purging does
   * (`storage.maintenance.uploadpurging`, 7 days by default). A registry without DELETE (405), or
   * one that does not answer in time, leaves it too.
   */
  private async cancelUpload(repo: RepositoryRef, location: string, onLeftOpen?: (location: string) => void): Promise<void> {
    let closed = false;
    try {
      const response = await this.registryHttp.send({
        registry: repo.registry,
        method: 'DELETE',
        path: location,
        pathKind: 'upload location',
        scopes: pushScope(repo.repository),
        expect: [200, 202, 204, 404, 405],
        // One quick try: the copy is already failing (or cancelled) for another reason.
        retry: false,
        signal: AbortSignal.timeout(CANCEL_UPLOAD_TIMEOUT_MS),
      });
      if (response.status === 404) {
        // BLOB_UPLOAD_UNKNOWN (or no body): the session is gone. BLOB_UPLOAD_INVALID: it is stuck.
        const codes = parseRegistryErrorBody(await response.text(MAX_CANCEL_ANSWER_BYTES)).map((entry) => entry.code);
        closed = !codes.includes('BLOB_UPLOAD_INVALID');
      } else {
        response.discard();
        closed = response.status !== 405;
      }
    } catch {
      // Not known to be closed; the original failure is what the caller reports.
    }
    if (!closed) onLeftOpen?.(redactUrl(location));
  }

  private async startUploadWithSource(repo: RepositoryRef, source: () => Promise<BodySource>, options: UploadOptions): Promise<[string, BodySource]> {
    const [started, opened] = await Promise.allSettled([this.startUpload(repo, options, {}, [202]), source()]);
    if (started.status === 'rejected') {
      if (opened.status === 'fulfilled') opened.value.destroy();
      throw started.reason;
    }
    if (opened.status === 'rejected') {
      // The session is open but its content never came (a failed or cancelled download): close it.
      await this.cancelUpload(repo, started.value.location, options.onSessionLeftOpen);
      throw opened.reason;
    }
    return [started.value.location, opened.value];
  }

  private async startUpload(repo: RepositoryRef, options: UploadOptions, query: Record<string, string>, expect: number[]): Promise<{ status: number; location: string }> {
    const scopes = options.scopes ?? pushScope(repo.repository);
    const mountScopes = query.from === undefined ? scopes : [...scopes, `repository:${query.from}:pull`];
    const response = await this.registryHttp.send({
      registry: repo.registry,
      method: 'POST',
      path: uploadsPath(repo.repository),
      query,
      scopes: mountScopes,
      expect,
      ...callSignals(options),
    });
    response.discard();
    return { status: response.status, location: this.locationOf(response, repo) };
  }

  /** `POST ?digest=` with the whole body: one request where the registry supports it (201). */
  private async startSinglePost(repo: RepositoryRef, descriptor: Descriptor, source: () => Promise<BodySource>, options: UploadOptions): Promise<{ status: number; location: string }> {
    const content = await source();
    let response: RegistryResponse;
    try {
      response = await this.registryHttp.send({
        registry: repo.registry,
        method: 'POST',
        path: uploadsPath(repo.repository),
        query: { digest: descriptor.digest },
        body: { length: descriptor.size, open: () => content, replayable: false },
        scopes: options.scopes ?? pushScope(repo.repository),
        expect: [201, 202],
        ...callSignals(options),
      });
    } catch (error) {
      // The download may never have been read (a failed ping or token): free its socket.
      content.destroy();
      throw error;
    }
    response.discard();
    if (response.status === 202) content.destroy();
    return { status: response.status, location: response.status === 202 ? this.locationOf(response, repo) : '' };
  }

  private locationOf(response: RegistryResponse, repo: RepositoryRef): string {
    if (response.status === 201) return '';
    const location = response.header('location');
    if (!location) throw new AutopilotError('REGISTRY_ERROR', `${repo.registry} opened an upload session without a Location header`);
    return new URL(location, response.url).toString();
  }

  private async uploadMonolithic(repo: RepositoryRef, descriptor: Descriptor, location: string, content: BodySource, options: UploadOptions): Promise<void> {
    let response: RegistryResponse;
    try {
      response = await this.registryHttp.send({
        registry: repo.registry,
        method: 'PUT',
        path: location,
        pathKind: 'upload location',
        query: { digest: descriptor.digest },
        body: { length: descriptor.size, open: () => content, replayable: false },
        scopes: options.scopes ?? pushScope(repo.repository),
        expect: [201, 204],
        ...callSignals(options),
      });
    } finally {
      // Frees the source download when the PUT failed before (or while) reading it.
      content.destroy();
    }
    response.discard();
    this.checkCommitted(response, descriptor);
  }

  /** PATCH by PATCH; `session.location` follows the registry's newest Location, the one a cancel must name. */
  private async uploadChunked(repo: RepositoryRef, descriptor: Descriptor, session: { location: string }, content: BodySource, options: UploadOptions): Promise<void> {
    const slicer = new SourceSlicer(content);
    const scopes = options.scopes ?? pushScope(repo.repository);
    let location = session.location;
    try {
      for (let offset = 0; offset < descriptor.size; ) {
        const length = Math.min(this.uploadChunkSize, descriptor.size - offset);
        const slice = slicer.slice(length);
        const response = await this.registryHttp.send({
          registry: repo.registry,
          method: 'PATCH',
          path: location,
          pathKind: 'upload location',
          headers: { 'content-range': `${offset}-${offset + length - 1}` },
          body: { length, open: () => slice, replayable: false },
          scopes,
          // ECR answers 201 (not the spec's 202) to intermediate PATCHes, and its `Range` header
          // goes stale after the first chunk (aws/containers-roadmap#2831): we track the offset
          // ourselves and never read `Range`.
          expect: [201, 202, 204],
          ...callSignals(options),
        });
        response.discard();
        const next = response.header('location');
        if (next) location = new URL(next, response.url).toString();
        session.location = location;
        offset += length;
      }
      const response = await this.registryHttp.send({
        registry: repo.registry,
        method: 'PUT',
        path: location,
        pathKind: 'upload location',
        query: { digest: descriptor.digest },
        scopes,
        expect: [201, 204],
        ...callSignals(options),
      });
      response.discard();
      this.checkCommitted(response, descriptor);
    } finally {
      content.destroy();
    }
  }

  private checkCommitted(response: RegistryResponse, descriptor: Descriptor): void {
    const stored = response.header('docker-content-digest');
    if (stored !== undefined && stored !== descriptor.digest) {
      throw new AutopilotError('DIGEST_MISMATCH', `${redactUrl(response.url)} stored the blob as ${stored}, expected ${descriptor.digest}`);
    }
  }
}

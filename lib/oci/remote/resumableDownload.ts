/**
 * A blob download that survives dropped connections: when the body stops short (ECONNRESET,
 * premature end), the rest is requested again with `Range: bytes=<received>-` and appended, so a
 * 1 GiB layer does not start over because one socket died. A registry that ignores Range (200
 * instead of 206) is handled by skipping what we already have.
 *
 * It is a `BodySource`: chunks are the response socket's own buffer, passed on without a copy,
 * and a paused consumer pauses the socket.
 */
import { AutopilotError, isAutopilotError } from '../../errors';
import type { BodySource, ChunkSink } from '../transport/bodySource';
import { isRetryableNetworkError, retryDelay, type RetryPolicy } from '../transport/retryPolicy';
import type { RegistryResponse } from '../transport/RegistryHttp';

export interface ResumableDownloadOptions {
  /** The first response (status 200), already checked by the caller. */
  first: RegistryResponse;
  /** The blob's size from its descriptor: fewer bytes means the connection dropped. */
  size: number;
  /** Re-requests the blob from `offset` (sends `Range: bytes=<offset>-`). */
  resume: (offset: number) => Promise<RegistryResponse>;
  policy: RetryPolicy;
  signal?: AbortSignal;
  /** What is being downloaded, for messages. */
  what: string;
}

function isResumable(error: unknown): boolean {
  if (isAutopilotError(error)) return error.retryable;
  return isRetryableNetworkError(error);
}

/** Where a resumed response starts: 206 must start at `offset`; 200 starts at 0. */
function startOf(response: RegistryResponse, offset: number, what: string): number {
  if (response.status === 200) return 0;
  const range = /^bytes (\d+)-/.exec(response.header('content-range') ?? '');
  const start = range?.[1] === undefined ? Number.NaN : Number(range[1]);
  if (start !== offset) {
    response.discard();
    throw new AutopilotError('REGISTRY_ERROR', `${what}: resumed download returned range starting at ${Number.isNaN(start) ? 'unknown' : start}, expected ${offset}`);
  }
  return offset;
}

/**
 * The blob's bytes as one source that resumes after dropped connections. Destroying it stops the
 * download.
 *
 * @example
 * const body = resumableDownload({ first, size: layer.size, resume: (offset) => getRange(offset), policy, what: layer.digest });
 */
export function resumableDownload(options: ResumableDownloadOptions): BodySource {
  let received = 0;
  let failures = 0;
  let current: RegistryResponse | undefined;
  let sink: ChunkSink | undefined;
  let done = false;
  /** The consumer paused (it may hold the last chunk): a resumed response waits for `resume()`. */
  let paused = false;
  let startWhenResumed: (() => void) | undefined;

  const fail = (error: unknown): void => {
    if (done) return;
    done = true;
    // Named after the download, so a failure is not blamed on the upload reading it.
    const failure = isAutopilotError(error)
      ? error
      : new AutopilotError('REGISTRY_ERROR', `${options.what}: download failed (${error instanceof Error ? ((error as NodeJS.ErrnoException).code ?? error.message) : String(error)})`, {
          cause: error,
          retryable: isRetryableNetworkError(error),
        });
    sink?.error(failure);
  };

  const retry = async (error: unknown): Promise<void> => {
    if (done) return;
    if (options.signal?.aborted || !isResumable(error)) {
      fail(error);
      return;
    }
    failures += 1;
    if (failures >= options.policy.maxAttempts) {
      fail(
        new AutopilotError('REGISTRY_ERROR', `${options.what}: download kept failing (${error instanceof Error ? error.message : String(error)}; gave up after ${failures} attempts)`, {
          cause: error,
          retryable: true,
        }),
      );
      return;
    }
    try {
      await options.policy.sleep(retryDelay(options.policy, failures), options.signal);
      if (done) return;
      const response = await options.resume(received);
      if (done) {
        response.discard();
        return;
      }
      attach(response, received - startOf(response, received, options.what));
    } catch (retryError) {
      fail(retryError);
    }
  };

  function attach(response: RegistryResponse, skipBytes: number): void {
    current = response;
    let toSkip = skipBytes;
    let finished = false;
    const start = (): void => response.body.start(responseSink);
    const responseSink: ChunkSink = {
      chunk(bytes) {
        if (done || finished || !sink) return false;
        let data = bytes;
        if (toSkip > 0) {
          const skip = Math.min(toSkip, data.length);
          toSkip -= skip;
          data = data.subarray(skip);
          if (data.length === 0) return true;
        }
        received += data.length;
        const more = sink.chunk(data);
        paused = !more;
        return more;
      },
      end() {
        if (done || finished) return;
        finished = true;
        if (received >= options.size) {
          done = true;
          sink?.end();
          return;
        }
        void retry(Object.assign(new Error(`connection closed after ${received} of ${options.size} bytes`), { code: 'ECONNRESET' }));
      },
      error(error) {
        if (done || finished) return;
        finished = true;
        void retry(error);
      },
    };
    if (paused) startWhenResumed = start;
    else start();
  }

  return {
    start(target) {
      sink = target;
      attach(options.first, 0);
    },
    resume() {
      if (done) return;
      paused = false;
      const start = startWhenResumed;
      startWhenResumed = undefined;
      if (start) start();
      else current?.body.resume();
    },
    destroy() {
      done = true;
      current?.body.destroy();
    },
  };
}

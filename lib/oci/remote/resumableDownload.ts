/**
 * A blob download that survives dropped connections: when the body stops short (ECONNRESET,
 * premature end), the rest is requested again with `Range: bytes=<received>-` and appended, so a
 * 1 GiB layer does not start over because one socket died. A registry that ignores Range (200
 * instead of 206) is handled by skipping what we already have.
 *
 * Event-driven, one stream hop: chunks are pushed straight from the response's `data` events
 * (pausing it under backpressure). On multi-GB layers the per-chunk promises of `for await`, or an
 * extra PassThrough, cost measurable CPU and garbage collection.
 */
import type { IncomingMessage } from 'node:http';
import { Readable } from 'node:stream';
import { AutopilotError, isAutopilotError } from '../../errors';
import { isRetryableNetworkError, retryDelay, type RetryPolicy } from '../transport/retryPolicy';
import type { RegistryResponse } from '../transport/RegistryHttp';
import { STREAM_HIGH_WATER_MARK } from './verifyingStream';

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
  return isRetryableNetworkError(error) || (error instanceof Error && error.message === 'aborted');
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
 * The blob's bytes as one stream that resumes after dropped connections. Destroying the returned
 * stream stops the download.
 *
 * @example
 * const body = resumableDownload({ first, size: layer.size, resume: (offset) => getRange(offset), policy, what: layer.digest });
 */
export function resumableDownload(options: ResumableDownloadOptions): Readable {
  let received = 0;
  let failures = 0;
  let current: IncomingMessage | undefined;
  const output = new Readable({
    highWaterMark: STREAM_HIGH_WATER_MARK,
    read() {
      current?.resume();
    },
    destroy(error, callback) {
      current?.destroy();
      callback(error);
    },
  });

  const fail = (error: unknown): void => {
    output.destroy(error instanceof Error ? error : new Error(String(error)));
  };

  const retry = async (error: unknown): Promise<void> => {
    if (output.destroyed) return;
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
      const response = await options.resume(received);
      if (output.destroyed) {
        response.discard();
        return;
      }
      attach(response, received - startOf(response, received, options.what));
    } catch (retryError) {
      fail(retryError);
    }
  };

  function attach(response: RegistryResponse, skipBytes: number): void {
    const body = response.body;
    current = body;
    let toSkip = skipBytes;
    let finished = false;
    const finish = (error: unknown): void => {
      if (finished) return;
      finished = true;
      body.removeAllListeners('data');
      body.destroy();
      void retry(error);
    };
    body.on('data', (chunk: Buffer) => {
      let data = chunk;
      if (toSkip > 0) {
        const skip = Math.min(toSkip, data.length);
        toSkip -= skip;
        data = data.subarray(skip);
        if (data.length === 0) return;
      }
      received += data.length;
      if (!output.push(data)) body.pause();
    });
    body.on('end', () => {
      if (finished) return;
      if (received >= options.size) {
        finished = true;
        output.push(null);
        return;
      }
      finish(Object.assign(new Error(`connection closed after ${received} of ${options.size} bytes`), { code: 'ERR_STREAM_PREMATURE_CLOSE' }));
    });
    body.on('error', finish);
    body.on('close', () => {
      if (!body.complete) finish(Object.assign(new Error(`connection closed after ${received} of ${options.size} bytes`), { code: 'ECONNRESET' }));
    });
  }

  attach(options.first, 0);
  return output;
}

/**
 * A pass-through that checks a blob's size and digest while it streams.
 *
 * The last chunk is held back until the digest is verified, so on a mismatch the consumer (an
 * upload with an exact Content-Length) never receives the complete body and the registry never
 * commits it. Oversized content fails as soon as it exceeds the expected size.
 */
import type { Hash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { createDigester } from '../digest';
import { DigestMismatchError } from '../transport/registryErrors';

/** Big enough that per-chunk overhead is negligible at loopback speeds, small enough to keep memory flat. */
export const STREAM_HIGH_WATER_MARK = 1024 * 1024;

/** What the content must match. */
export interface ExpectedContent {
  digest: string;
  size: number;
}

export interface VerifyingStreamOptions {
  /** Called with the running byte count as content passes (for progress displays). */
  onBytes?: (bytesSoFar: number) => void;
}

class VerifyingTransform extends Transform {
  private readonly hash: Hash;
  private received = 0;
  private pending: Buffer | undefined;

  constructor(
    private readonly expected: ExpectedContent,
    private readonly onBytes: ((bytesSoFar: number) => void) | undefined,
  ) {
    super({ highWaterMark: STREAM_HIGH_WATER_MARK });
    this.hash = createDigester(expected.digest);
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.received += chunk.length;
    if (this.received > this.expected.size) {
      callback(new DigestMismatchError(`Blob ${this.expected.digest} size`, `${this.expected.size} bytes`, `more than ${this.expected.size} bytes`));
      return;
    }
    this.hash.update(chunk);
    this.onBytes?.(this.received);
    const previous = this.pending;
    this.pending = chunk;
    if (previous) this.push(previous);
    callback();
  }

  override _flush(callback: TransformCallback): void {
    if (this.received !== this.expected.size) {
      callback(new DigestMismatchError(`Blob ${this.expected.digest} size`, `${this.expected.size} bytes`, `${this.received} bytes`));
      return;
    }
    const actual = `${this.expected.digest.slice(0, this.expected.digest.indexOf(':'))}:${this.hash.digest('hex')}`;
    if (actual !== this.expected.digest) {
      callback(new DigestMismatchError('Blob content', this.expected.digest, actual));
      return;
    }
    if (this.pending) this.push(this.pending);
    callback();
  }
}

/**
 * A transform that passes content through unchanged and fails with `DIGEST_MISMATCH` unless it is
 * exactly `expected.size` bytes hashing to `expected.digest`.
 *
 * @example
 * await pipeline(download, verifyingStream({ digest: layer.digest, size: layer.size }), upload);
 */
export function verifyingStream(expected: ExpectedContent, options: VerifyingStreamOptions = {}): Transform {
  return new VerifyingTransform(expected, options.onBytes);
}

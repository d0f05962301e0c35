/**
 * Cuts one stream into consecutive fixed-size streams without buffering them, for chunked uploads
 * (one PATCH per slice). Memory stays at one source chunk whatever the slice size.
 */
import { Readable } from 'node:stream';
import { STREAM_HIGH_WATER_MARK } from './verifyingStream';

/**
 * Hands out consecutive slices of a source stream. Each slice must be fully consumed before the
 * next is requested.
 *
 * @example
 * const slicer = new StreamSlicer(source);
 * const first = slicer.slice(64 * 1024 * 1024); // streams bytes 0 … 64 MiB-1
 */
export class StreamSlicer {
  private readonly iterator: AsyncIterator<Buffer>;
  private leftover: Buffer | undefined;

  constructor(source: Readable) {
    this.iterator = source[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  }

  /** The next `length` bytes (fewer only if the source ends first). */
  slice(length: number): Readable {
    return Readable.from(this.take(length), { objectMode: false, highWaterMark: STREAM_HIGH_WATER_MARK });
  }

  private async *take(length: number): AsyncGenerator<Buffer> {
    let remaining = length;
    while (remaining > 0) {
      let chunk = this.leftover;
      this.leftover = undefined;
      if (!chunk) {
        const next = await this.iterator.next();
        if (next.done) return;
        chunk = next.value;
      }
      if (chunk.length > remaining) {
        this.leftover = chunk.subarray(remaining);
        chunk = chunk.subarray(0, remaining);
      }
      remaining -= chunk.length;
      yield chunk;
    }
  }
}

/**
 * Blob bytes move through the engine as a `BodySource`: a push source whose chunks are views into
 * a socket's reusable read buffer, valid only during the `chunk` call. A consumer that cannot use
 * a chunk at once (its socket did not take it all) returns false, and the source reads nothing
 * more until `resume()`: so a download's buffer is never overwritten while an upload still holds
 * a view of it. No chunk is ever copied or allocated on the way from one registry to another,
 * which is what makes the copy cheaper than Node's stream pipeline (allocation, then garbage
 * collection, of every 64 KiB read) and than skopeo.
 */
import type { Readable } from 'node:stream';

/** Where a source delivers its bytes. */
export interface ChunkSink {
  /** Bytes valid only during this call. Return false to pause the source until `resume()`. */
  chunk(bytes: Buffer): boolean;
  /** Every byte was delivered (this may come while the sink is paused: there is nothing left to hold back). */
  end(): void;
  /** The source failed; nothing more is delivered. */
  error(error: Error): void;
}

/** A one-shot push source of bytes. */
export interface BodySource {
  /** Starts delivering to `sink`. Called at most once. */
  start(sink: ChunkSink): void;
  /** Continues after `chunk` returned false. */
  resume(): void;
  /** Stops the source and frees what it holds (a socket); nothing more is delivered. */
  destroy(error?: Error): void;
}

/**
 * A source for a `Readable` (tests, generated content). Its chunks are owned buffers, so a sink
 * may keep them; the adapter still honours pause/resume.
 *
 * @example
 * const source = bodySourceFromReadable(createReadStream('layer.tar'));
 */
export function bodySourceFromReadable(readable: Readable): BodySource {
  let sink: ChunkSink | undefined;
  let finished = false;
  const finish = (): void => {
    finished = true;
    readable.removeAllListeners('data');
  };
  return {
    start(target) {
      sink = target;
      readable.on('data', (chunk: Buffer | string) => {
        if (finished) return;
        const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
        if (!target.chunk(bytes)) readable.pause();
      });
      readable.once('end', () => {
        if (finished) return;
        finish();
        target.end();
      });
      readable.once('error', (error) => {
        if (finished) return;
        finish();
        target.error(error);
      });
      readable.once('close', () => {
        if (finished) return;
        finish();
        target.error(Object.assign(new Error('the source stream closed before its end'), { code: 'ERR_STREAM_PREMATURE_CLOSE' }));
      });
    },
    resume() {
      if (sink && !finished) readable.resume();
    },
    destroy(error) {
      finish();
      readable.destroy(error);
    },
  };
}

/**
 * Collects a source whole, failing once it exceeds `maxBytes` (tests and small documents).
 *
 * @example
 * const bytes = await collectBodySource(source, 1 << 20);
 */
export function collectBodySource(source: BodySource, maxBytes: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let total = 0;
    source.start({
      chunk(bytes) {
        total += bytes.length;
        if (total > maxBytes) {
          const error = new Error(`the body is larger than ${maxBytes} bytes`);
          source.destroy(error);
          reject(error);
          return false;
        }
        chunks.push(Buffer.from(bytes));
        return true;
      },
      end: () => resolve(Buffer.concat(chunks)),
      error: reject,
    });
  });
}

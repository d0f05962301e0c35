/**
 * Blob bytes move through the engine as a `BodySource`: a push source whose chunks are views into
 * a socket's reusable read buffer, valid only during the `chunk` call. A consumer that cannot use
 * a chunk at once (its socket did not take it all) returns false, and the source reads nothing
 * more until `resume()`: so a download's buffer is never overwritten while an upload still holds
 * a view of it. No chunk is ever copied or allocated on the way from one registry to another,
 * which is what makes the copy cheaper than Node's stream pipeline (allocation, then garbage
 * collection, of every 64 KiB read) and than skopeo.
 */
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

/** A body that can be started once and destroyed: what `readWhole` needs. */
export interface StartableBody {
  start(sink: ChunkSink): void;
  destroy(error?: Error): void;
}

/**
 * Reads a body into memory, at most `maxBytes` of it (`truncated` when there was more: the rest
 * is dropped and the body destroyed). Chunks are copied: they may be views of a reused buffer.
 *
 * @example
 * const { bytes, truncated } = await readWhole(response.body, 64 * 1024);
 */
export function readWhole(body: StartableBody, maxBytes: number): Promise<{ bytes: Buffer; truncated: boolean }> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let total = 0;
    body.start({
      chunk: (bytes) => {
        const room = maxBytes - total;
        if (bytes.length > room) {
          chunks.push(Buffer.from(bytes.subarray(0, room)));
          body.destroy();
          resolve({ bytes: Buffer.concat(chunks), truncated: true });
          return false;
        }
        total += bytes.length;
        chunks.push(Buffer.from(bytes));
        return true;
      },
      end: () => resolve({ bytes: Buffer.concat(chunks), truncated: false }),
      error: reject,
    });
  });
}

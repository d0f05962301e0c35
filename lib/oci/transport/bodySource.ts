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

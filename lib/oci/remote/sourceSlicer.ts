/**
 * Cuts one source into consecutive fixed-size sources without buffering them, for chunked uploads
 * (one PATCH per slice). Memory stays at one source chunk whatever the slice size: the only copy
 * is the part of a chunk that crosses a slice boundary, kept until the next slice starts.
 */
import type { BodySource, ChunkSink } from '../transport/bodySource';

/** The slice being read: where its bytes go and how many it still wants. */
interface ActiveSlice {
  sink: ChunkSink;
  remaining: number;
}

/**
 * Hands out consecutive slices of a source. Each slice must have ended before the next is started.
 *
 * @example
 * const slicer = new SourceSlicer(source);
 * const first = slicer.slice(64 * 1024 * 1024); // bytes 0 … 64 MiB-1
 */
export class SourceSlicer {
  private active: ActiveSlice | undefined;
  private leftover: Buffer | undefined;
  private started = false;
  private sourceEnded = false;
  private failure: Error | undefined;

  constructor(private readonly source: BodySource) {}

  /** The next `length` bytes as a source. */
  slice(length: number): BodySource {
    let slice: ActiveSlice | undefined;
    return {
      start: (sink) => {
        slice = { sink, remaining: length };
        this.active = slice;
        if (this.failure) {
          sink.error(this.failure);
          return;
        }
        const leftover = this.leftover;
        this.leftover = undefined;
        if (leftover && !this.route(leftover)) return;
        if (this.active !== slice) return;
        if (slice.remaining === 0) {
          this.finishActive();
        } else if (this.sourceEnded) {
          sink.error(new Error(`the content ended ${slice.remaining} bytes before the end of an upload chunk`));
        } else if (this.started) {
          this.source.resume();
        } else {
          this.started = true;
          this.source.start(this.router());
        }
      },
      // Only the slice being read may wake the source: an ended slice's late resume must not.
      resume: () => {
        if (slice !== undefined && this.active === slice) this.source.resume();
      },
      destroy: (error) => this.source.destroy(error),
    };
  }

  private router(): ChunkSink {
    return {
      chunk: (bytes) => this.route(bytes),
      end: () => {
        this.sourceEnded = true;
        const active = this.active;
        if (active && active.remaining > 0) active.sink.error(new Error(`the content ended ${active.remaining} bytes before the end of an upload chunk`));
      },
      error: (error) => {
        this.failure = error;
        this.active?.sink.error(error);
      },
    };
  }

  /**
   * Gives `bytes` to the active slice; what goes past its end is copied and kept for the next one.
   * Returns whether the source may go on reading.
   */
  private route(bytes: Buffer): boolean {
    const active = this.active;
    if (!active) {
      this.keep(bytes);
      return false;
    }
    const take = Math.min(active.remaining, bytes.length);
    if (take < bytes.length) this.keep(bytes.subarray(take));
    active.remaining -= take;
    const more = take === 0 ? true : active.sink.chunk(take === bytes.length ? bytes : bytes.subarray(0, take));
    if (active.remaining > 0) return more;
    this.finishActive();
    // The source waits for the next slice (which resumes it).
    return false;
  }

  /** Copies bytes for the next slice, after any already kept. */
  private keep(bytes: Buffer): void {
    this.leftover = this.leftover ? Buffer.concat([this.leftover, bytes]) : Buffer.from(bytes);
  }

  private finishActive(): void {
    const active = this.active;
    this.active = undefined;
    active?.sink.end();
  }
}

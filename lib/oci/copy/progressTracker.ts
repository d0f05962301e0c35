/**
 * Turns the engine's many small events (every chunk of every blob) into few `CopyProgress`
 * callbacks: at most one per `PROGRESS_INTERVAL_MS` while bytes flow, plus one at each step.
 */
import type { Descriptor } from '../types';
import type { CopyProgress } from './types';

/** A terminal redraws smoothly at 10 Hz; more often only costs CPU. */
export const PROGRESS_INTERVAL_MS = 100;

/**
 * Accumulates copy progress and forwards throttled snapshots.
 *
 * @example
 * const tracker = new ProgressTracker((p) => io.progress(`${p.blobsDone}/${p.blobsTotal} blobs`));
 */
export class ProgressTracker {
  private readonly state: CopyProgress = {
    phase: 'planning',
    blobsTotal: 0,
    blobsDone: 0,
    bytesTotal: 0,
    bytesDone: 0,
    manifestsTotal: 0,
    manifestsDone: 0,
  };
  /** Bytes finished blobs contributed; in-flight blobs are added from `inFlight`. */
  private finishedBytes = 0;
  private readonly inFlight = new Map<string, number>();
  private lastEmitMs = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly onProgress: ((progress: CopyProgress) => void) | undefined,
    private readonly now: () => number = () => performance.now(),
  ) {}

  phase(phase: CopyProgress['phase']): void {
    this.state.phase = phase;
    this.emit(true);
  }

  addBlobs(blobs: readonly Descriptor[]): void {
    this.state.blobsTotal += blobs.length;
    this.state.bytesTotal += blobs.reduce((sum, blob) => sum + blob.size, 0);
    this.emit(true);
  }

  addManifests(count: number): void {
    this.state.manifestsTotal += count;
  }

  /** Bytes of one blob sent so far in the current attempt (a restarted upload starts again at 0). */
  blobBytes(digest: string, bytesSoFar: number): void {
    this.inFlight.set(digest, bytesSoFar);
    this.emit(false);
  }

  blobDone(blob: Descriptor): void {
    this.inFlight.delete(blob.digest);
    this.finishedBytes += blob.size;
    this.state.blobsDone += 1;
    this.emit(true);
  }

  /** An abandoned upload session the destination would not delete: the user is told where it is. */
  uploadSessionLeftOpen(location: string): void {
    (this.state.uploadSessionsLeftOpen ??= []).push(location);
    this.emit(true);
  }

  manifestDone(): void {
    this.state.manifestsDone += 1;
    this.emit(true);
  }

  snapshot(): CopyProgress {
    let inFlightBytes = 0;
    for (const bytes of this.inFlight.values()) inFlightBytes += bytes;
    const leftOpen = this.state.uploadSessionsLeftOpen;
    return { ...this.state, bytesDone: this.finishedBytes + inFlightBytes, ...(leftOpen ? { uploadSessionsLeftOpen: [...leftOpen] } : {}) };
  }

  private emit(force: boolean): void {
    if (!this.onProgress) return;
    const now = this.now();
    if (!force && now - this.lastEmitMs < PROGRESS_INTERVAL_MS) return;
    this.lastEmitMs = now;
    this.onProgress(this.snapshot());
  }
}

/**
 * Spaces calls evenly at a fixed rate, with no burst: the `n`-th call starts no earlier than
 * `(n - 1) / callsPerSecond` seconds after the first. Several pacers of `R / n` calls per second
 * each therefore never exceed `R` calls in any one-second window together, whatever the latency.
 */
export interface PacerClock {
  /** Milliseconds, monotonic. */
  now(): number;
  sleep(ms: number): Promise<void>;
}

export const realPacerClock: PacerClock = {
  now: () => performance.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

export class CallPacer {
  readonly callsPerSecond: number;
  private readonly intervalMs: number;
  private readonly clock: PacerClock;
  private nextSlot = Number.NEGATIVE_INFINITY;

  constructor(callsPerSecond: number, clock: PacerClock = realPacerClock) {
    if (!(callsPerSecond > 0)) throw new RangeError(`callsPerSecond must be > 0; got ${callsPerSecond}`);
    this.callsPerSecond = callsPerSecond;
    this.intervalMs = 1000 / callsPerSecond;
    this.clock = clock;
  }

  /**
   * Waits for this call's slot. Slots are handed out in call order, so concurrent callers queue.
   *
   * @example
   * await pacer.take(); await client.send(command);
   */
  async take(): Promise<void> {
    const now = this.clock.now();
    const slot = Math.max(now, this.nextSlot);
    this.nextSlot = slot + this.intervalMs;
    if (slot > now) await this.clock.sleep(slot - now);
  }
}

import { abortableSleep } from './retry';

/**
 * Spaces calls evenly at a fixed rate, with no burst: the `n`-th call starts no earlier than
 * `n / callsPerSecond` seconds after the first `take()`. The first call waits one interval too, so a
 * pacer that takes over from another (the next batch in the same slot of the fan-out) never crowds
 * its predecessor's last call. `n` pacers of `R / n` calls per second each therefore never exceed
 * `R` calls in any one-second window together, whatever the latency.
 */
export interface PacerClock {
  /** Milliseconds, monotonic. */
  now(): number;
  /** Waits; a fired signal ends the wait with `ABORTED`. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export const realPacerClock: PacerClock = { now: () => performance.now(), sleep: abortableSleep };

/** How far a throttled pacer slows down at most: an eighth of its rate. */
const MAX_SLOWDOWN = 8;
/** Successful calls it takes to come back from one halving. */
const CALLS_TO_RECOVER = 20;

export class CallPacer {
  readonly callsPerSecond: number;
  private readonly baseIntervalMs: number;
  private intervalMs: number;
  private readonly clock: PacerClock;
  private nextSlot: number | undefined;

  constructor(callsPerSecond: number, clock: PacerClock = realPacerClock) {
    if (!(callsPerSecond > 0)) throw new RangeError(`callsPerSecond must be > 0; got ${callsPerSecond}`);
    this.callsPerSecond = callsPerSecond;
    this.baseIntervalMs = 1000 / callsPerSecond;
    this.intervalMs = this.baseIntervalMs;
    this.clock = clock;
  }

  /**
   * Waits for this call's slot. Slots are handed out in call order, so concurrent callers queue; a
   * cancelled wait rejects with `ABORTED` and its call is never made.
   *
   * @example
   * await pacer.take(signal); await client.send(command, { abortSignal: signal });
   */
  async take(signal?: AbortSignal): Promise<void> {
    const now = this.clock.now();
    const slot = this.nextSlot === undefined ? now + this.intervalMs : Math.max(now, this.nextSlot);
    this.nextSlot = slot + this.intervalMs;
    if (slot > now) await this.clock.sleep(slot - now, signal);
  }

  /**
   * The account's real rate is lower than planned (ECR throttled a call): halve this pacer's rate,
   * down to an eighth, so that the fleet as a whole settles under what ECR allows instead of
   * retrying into the same limit. The throttled call itself is retried by the retry module.
   */
  throttled(): void {
    this.intervalMs = Math.min(this.baseIntervalMs * MAX_SLOWDOWN, this.intervalMs * 2);
  }

  /** A call went through: creep back toward the planned rate (additive increase). */
  succeeded(): void {
    if (this.intervalMs <= this.baseIntervalMs) return;
    const rate = Math.min(this.callsPerSecond, 1000 / this.intervalMs + this.callsPerSecond / (2 * CALLS_TO_RECOVER));
    this.intervalMs = Math.max(this.baseIntervalMs, 1000 / rate);
  }

  /** The rate this pacer currently allows, in calls per second. */
  currentCallsPerSecond(): number {
    return 1000 / this.intervalMs;
  }
}

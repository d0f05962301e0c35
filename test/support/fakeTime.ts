/**
 * Fake time for deadline tests: only timers and Date are faked (the event loop still turns, so
 * mocked calls and promises settle), starting at a fixed instant.
 */
import { afterEach, beforeEach, vi } from 'vitest';

/**
 * Fakes setTimeout, clearTimeout and Date for every test of the enclosing `describe`, from `now`.
 *
 * @example
 * describe('sweepLifecycle past its deadline', () => {
 *   useFakeTime(NOW);
 *   it('…', async () => { const report = await runFor(sweep(), 120_000); });
 * });
 */
export function useFakeTime(now: Date): void {
  beforeEach(() => {
    vi.useFakeTimers({ now, toFake: ['setTimeout', 'clearTimeout', 'Date'] });
  });
  afterEach(() => {
    vi.useRealTimers();
  });
}

/** Lets `running` go on for `ms` of fake time, then awaits it. */
export async function runFor<T>(running: Promise<T>, ms: number): Promise<T> {
  await vi.advanceTimersByTimeAsync(ms);
  return running;
}

/** An hour of fake time later: whatever a test counted when the run returned must not have changed. */
export async function anHourLater(): Promise<void> {
  await vi.advanceTimersByTimeAsync(3_600_000);
}

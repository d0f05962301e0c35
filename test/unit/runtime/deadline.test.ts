import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { AutopilotError } from '../../../lib/errors';
import { stopLine } from '../../../lib/runtime/deadline';

const START = Date.parse('2026-03-01T03:00:00Z');

beforeEach(() => {
  vi.useFakeTimers({ now: START });
});

afterEach(() => {
  vi.useRealTimers();
});

describe('stopLine', () => {
  it('fires its margin before the deadline, and says why', () => {
    // Prepare
    const stop = stopLine({ deadline: { at: START + 900_000 } }, 20_000);

    // Act & Assess
    vi.advanceTimersByTime(880_000 - 1);
    expect(stop.signal.aborted).toBe(false);
    expect(stop.reason).toBeUndefined();
    vi.advanceTimersByTime(1);
    expect(stop.signal.aborted).toBe(true);
    expect(stop.reason).toBe('the time budget ran out: the run stopped 20 s before its deadline to report what it did');
    expect(stop.signal.reason).toMatchObject({ code: 'ABORTED' });
  });

  it('halves a margin the run cannot afford, so it always gets some work done', () => {
    // Prepare
    const stop = stopLine({ deadline: { at: START + 10_000 } }, 20_000);

    // Act & Assess
    vi.advanceTimersByTime(4_999);
    expect(stop.signal.aborted).toBe(false);
    vi.advanceTimersByTime(1);
    expect(stop.signal.aborted).toBe(true);
  });

  it('is already stopped when the deadline has passed', () => {
    // Act
    const stop = stopLine({ deadline: { at: START - 1 } }, 20_000);

    // Assess
    expect(stop.signal.aborted).toBe(true);
  });

  it('fires at an interrupt (the first Ctrl-C) with its reason', () => {
    // Prepare
    const interrupt = new AbortController();
    const stop = stopLine({ deadline: { at: START + 900_000, interrupted: interrupt.signal } }, 20_000);

    // Act
    interrupt.abort(new AutopilotError('ABORTED', 'interrupted (Ctrl-C)'));

    // Assess
    expect(stop.reason).toBe('interrupted (Ctrl-C)');
  });

  it('fires when the outright cancel fires (the Lambda backstop)', () => {
    // Prepare
    const cancel = new AbortController();
    const stop = stopLine({ signal: cancel.signal }, 20_000);

    // Act
    cancel.abort();

    // Assess
    expect(stop.signal.aborted).toBe(true);
    expect(stop.reason).toBe('the run was cancelled');
  });

  it('never fires without a deadline or signals', () => {
    // Act
    const stop = stopLine({}, 20_000);
    vi.advanceTimersByTime(365 * 24 * 3_600_000);

    // Assess
    expect(stop.signal.aborted).toBe(false);
  });

  it('never fires once disposed, and leaves no timer behind', () => {
    // Prepare
    const interrupt = new AbortController();
    const stop = stopLine({ deadline: { at: START + 900_000, interrupted: interrupt.signal } }, 20_000);

    // Act
    stop.dispose();
    interrupt.abort();
    vi.advanceTimersByTime(900_000);

    // Assess
    expect(stop.signal.aborted).toBe(false);
    expect(vi.getTimerCount()).toBe(0);
  });
});

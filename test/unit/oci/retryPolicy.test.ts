import { describe, expect, it } from 'vitest';
import { AutopilotError } from '../../../lib/errors';
import { RegistryError } from '../../../lib/oci/transport/registryErrors';
import {
  createRetryPolicy,
  DEFAULT_MAX_ATTEMPTS,
  isRetryableNetworkError,
  isRetryableStatus,
  type RetryPolicy,
  retryDelay,
  runWithRetry,
} from '../../../lib/oci/transport/retryPolicy';

/** A policy whose sleeps are recorded instead of waited, with fixed jitter. */
function recordingPolicy(overrides: Partial<RetryPolicy> = {}): { policy: RetryPolicy; sleeps: number[] } {
  const sleeps: number[] = [];
  const policy = createRetryPolicy({
    random: () => 0.5,
    sleep: (ms, signal) => {
      sleeps.push(ms);
      return signal?.aborted ? Promise.reject(new AutopilotError('ABORTED', 'aborted')) : Promise.resolve();
    },
    now: () => Date.parse('2026-01-01T00:00:00Z'),
    ...overrides,
  });
  return { policy, sleeps };
}

function temporary(status: number, retryAfterMs?: number): RegistryError {
  return new RegistryError(status === 429 ? 'THROTTLED' : 'REGISTRY_ERROR', `HTTP ${status}`, {
    status,
    registryCodes: [],
    retryable: true,
    ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
  });
}

describe('retryDelay', () => {
  it('grows exponentially with full jitter up to the cap', () => {
    const { policy } = recordingPolicy({ baseDelayMs: 100, maxDelayMs: 1000, random: () => 0.999 });
    expect([1, 2, 3, 4, 5, 6].map((n) => retryDelay(policy, n))).toEqual([99, 199, 399, 799, 999, 999]);
  });

  it('uses the Retry-After value as is', () => {
    const { policy } = recordingPolicy();
    expect(retryDelay(policy, 1, 3000)).toBe(3000);
  });
});

describe('classification', () => {
  it.each([408, 429, 500, 502, 503, 504])('retries HTTP %i', (status) => expect(isRetryableStatus(status)).toBe(true));
  it.each([400, 401, 403, 404, 405, 413, 501, 505])('does not retry HTTP %i', (status) => expect(isRetryableStatus(status)).toBe(false));

  it('retries dropped connections but not refused ones', () => {
    const withCode = (code: string): Error => Object.assign(new Error(code), { code });
    expect(isRetryableNetworkError(withCode('ECONNRESET'))).toBe(true);
    expect(isRetryableNetworkError(withCode('EPIPE'))).toBe(true);
    expect(isRetryableNetworkError(withCode('ETIMEDOUT'))).toBe(true);
    expect(isRetryableNetworkError(withCode('ECONNREFUSED'))).toBe(false);
    expect(isRetryableNetworkError('ECONNRESET')).toBe(false);
  });
});

describe('runWithRetry', () => {
  it('retries temporary failures and returns the first success', async () => {
    // Prepare
    const { policy, sleeps } = recordingPolicy();
    let calls = 0;

    // Act
    const result = await runWithRetry(policy, undefined, () => {
      calls += 1;
      return calls < 3 ? Promise.reject(temporary(500)) : Promise.resolve('done');
    });

    // Assess
    expect(result).toBe('done');
    expect(calls).toBe(3);
    expect(sleeps).toEqual([125, 250]);
  });

  it('honours Retry-After instead of the computed backoff', async () => {
    const { policy, sleeps } = recordingPolicy();
    let calls = 0;
    await runWithRetry(policy, undefined, () => (++calls === 1 ? Promise.reject(temporary(429, 2000)) : Promise.resolve()));
    expect(sleeps).toEqual([2000]);
  });

  it('gives up after maxAttempts with the attempt count in the message and the original code', async () => {
    const { policy, sleeps } = recordingPolicy();
    let calls = 0;
    const failure = runWithRetry(policy, undefined, () => {
      calls += 1;
      return Promise.reject(temporary(429));
    });
    await expect(failure).rejects.toMatchObject({ code: 'THROTTLED', message: expect.stringContaining(`gave up after ${DEFAULT_MAX_ATTEMPTS} attempts`) });
    expect(calls).toBe(DEFAULT_MAX_ATTEMPTS);
    expect(sleeps).toHaveLength(DEFAULT_MAX_ATTEMPTS - 1);
  });

  it('does not retry permanent errors or foreign errors', async () => {
    const { policy } = recordingPolicy();
    let calls = 0;
    const permanent = new RegistryError('REGISTRY_UNAUTHORIZED', 'HTTP 401', { status: 401, registryCodes: [], retryable: false });
    await expect(runWithRetry(policy, undefined, () => (calls++, Promise.reject(permanent)))).rejects.toBe(permanent);
    await expect(runWithRetry(policy, undefined, () => (calls++, Promise.reject(new TypeError('bug'))))).rejects.toThrow(TypeError);
    expect(calls).toBe(2);
  });

  it('fails at once when the registry asks to wait longer than we are willing to', async () => {
    const { policy, sleeps } = recordingPolicy({ maxRetryAfterMs: 10_000 });
    await expect(runWithRetry(policy, undefined, () => Promise.reject(temporary(429, 3_600_000)))).rejects.toMatchObject({
      code: 'THROTTLED',
      message: expect.stringContaining('asked to wait 3600 s'),
    });
    expect(sleeps).toEqual([]);
  });

  it('stops with ABORTED when the signal fires', async () => {
    const { policy } = recordingPolicy();
    const controller = new AbortController();
    const failure = runWithRetry(policy, controller.signal, () => {
      controller.abort();
      return Promise.reject(temporary(503));
    });
    await expect(failure).rejects.toMatchObject({ code: 'ABORTED' });
  });
});

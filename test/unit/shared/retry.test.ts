import { ECRServiceException } from '@aws-sdk/client-ecr';
import { describe, expect, it, vi } from 'vitest';
import { AutopilotError } from '../../../lib/errors';
import {
  abortableSleep,
  abortedError,
  backoffDelay,
  classifyFailure,
  classifyStatus,
  graceAfter,
  parseRetryAfter,
  retry,
  type RetryPolicy,
} from '../../../lib/shared/retry';

const NOW = Date.parse('Wed, 21 Oct 2015 07:27:00 GMT');

/** A policy whose sleeps are recorded, never waited, with jitter fixed in the middle of the range. */
function recordingPolicy(overrides: Partial<RetryPolicy> = {}): { policy: RetryPolicy; sleeps: number[] } {
  const sleeps: number[] = [];
  const policy: RetryPolicy = {
    maxAttempts: 4,
    baseDelayMs: 100,
    maxDelayMs: 1_000,
    maxRetryAfterMs: 10_000,
    retryOn: ['throttled', 'transient'],
    random: () => 0.5,
    sleep: async (ms, signal) => {
      sleeps.push(ms);
      if (signal?.aborted) throw abortedError(signal);
    },
    now: () => NOW,
    ...overrides,
  };
  return { policy, sleeps };
}

function sdkError(name: string, status: number): ECRServiceException {
  return new ECRServiceException({ name, $fault: status >= 500 ? 'server' : 'client', $metadata: { httpStatusCode: status }, message: name });
}

function socketError(code: string): Error {
  return Object.assign(new Error(code), { code });
}

describe('parseRetryAfter', () => {
  it.each([
    { value: '0', expected: 0 },
    { value: '2', expected: 2_000 },
    { value: ' 120 ', expected: 120_000 },
    // IMF-fixdate, the obsolete RFC 850 form and asctime (RFC 9110 §5.6.7); asctime means GMT.
    { value: 'Wed, 21 Oct 2015 07:28:00 GMT', expected: 60_000 },
    { value: 'Wednesday, 21-Oct-15 07:28:00 GMT', expected: 60_000 },
    { value: 'Wed Oct 21 07:28:00 2015', expected: 60_000 },
    { value: 'Wed, 21 Oct 2015 07:00:00 GMT', expected: 0 },
  ])('reads $value as $expected ms', ({ value, expected }) => {
    // Act & Assess
    expect(parseRetryAfter(value, NOW)).toBe(expected);
  });

  it.each([
    // delay-seconds is 1*DIGIT (RFC 9110 §10.2.3): a fraction is neither form, so it is ignored.
    '2.5',
    '1.0',
    '-3',
    '+3',
    '1e3',
    '3s',
    '3 4',
    '',
    'soon',
    // Date.parse would take these, RFC 9110 does not.
    '2015-10-21T07:28:00Z',
    'Wed, 21 Oct 2015 07:28:00 +0000',
  ])('ignores the invalid value %j', (value) => {
    // Act & Assess
    expect(parseRetryAfter(value, NOW)).toBeUndefined();
  });

  it('has nothing to say without the header', () => {
    // Act & Assess
    expect(parseRetryAfter(undefined, NOW)).toBeUndefined();
    expect(parseRetryAfter(null, NOW)).toBeUndefined();
  });
});

describe('classifyStatus', () => {
  it.each([
    [429, 'throttled'],
    [408, 'transient'],
    [500, 'transient'],
    [502, 'transient'],
    [503, 'transient'],
    [504, 'transient'],
    [400, 'permanent'],
    [401, 'permanent'],
    [404, 'permanent'],
    [501, 'permanent'],
    [505, 'permanent'],
  ] as const)('HTTP %i is %s', (status, expected) => {
    // Act & Assess
    expect(classifyStatus(status)).toBe(expected);
  });
});

describe('classifyFailure', () => {
  it.each([
    ['AWS throttling by name', sdkError('ThrottlingException', 400), 'throttled'],
    ['DynamoDB throttling', sdkError('ProvisionedThroughputExceededException', 400), 'throttled'],
    ['an AWS 429 without a throttling name', sdkError('SomethingElse', 429), 'throttled'],
    ['an AWS 503', sdkError('ServiceUnavailableException', 503), 'transient'],
    ['an AWS 400', sdkError('InvalidParameterException', 400), 'permanent'],
    ['a reset connection', socketError('ECONNRESET'), 'transient'],
    ['a reset connection inside fetch', new TypeError('fetch failed', { cause: socketError('ECONNRESET') }), 'transient'],
    ['a refused connection', socketError('ECONNREFUSED'), 'permanent'],
    ['a per-request timeout', new DOMException('timed out', 'TimeoutError'), 'transient'],
    ['an abort', new DOMException('aborted', 'AbortError'), 'aborted'],
    ['our throttling', new AutopilotError('THROTTLED', 'slow down', { retryable: true }), 'throttled'],
    ['our retryable failure', new AutopilotError('REGISTRY_ERROR', 'HTTP 502', { retryable: true }), 'transient'],
    ['our final failure', new AutopilotError('REGISTRY_ERROR', 'HTTP 400'), 'permanent'],
    ['our cancellation', new AutopilotError('ABORTED', 'stopped'), 'aborted'],
    ['a bug', new TypeError('x is undefined'), 'permanent'],
    ['not an error', 'ECONNRESET', 'permanent'],
  ] as const)('%s is %s', (_what, error, expected) => {
    // Act & Assess
    expect(classifyFailure(error)).toBe(expected);
  });

  it('calls anything that failed after its signal fired aborted', () => {
    // Prepare
    const controller = new AbortController();
    controller.abort();

    // Act & Assess
    expect(classifyFailure(socketError('ECONNRESET'), controller.signal)).toBe('aborted');
  });
});

describe('backoffDelay', () => {
  it('grows exponentially with full jitter up to the cap', () => {
    // Prepare
    const settings = { baseDelayMs: 100, maxDelayMs: 1_000, random: () => 0.999 };

    // Act & Assess
    expect([1, 2, 3, 4, 5, 6].map((failures) => backoffDelay(settings, failures))).toEqual([99, 199, 399, 799, 999, 999]);
  });
});

describe('abortableSleep', () => {
  it('rejects at once when the signal already fired, with the signal reason when it is ours', async () => {
    // Prepare
    const controller = new AbortController();
    const reason = new AutopilotError('ABORTED', 'the time budget ran out');
    controller.abort(reason);

    // Act & Assess
    await expect(abortableSleep(60_000, controller.signal)).rejects.toBe(reason);
  });

  it('ends a long wait when the signal fires during it', async () => {
    // Prepare
    const controller = new AbortController();
    const sleeping = abortableSleep(3_600_000, controller.signal);

    // Act
    controller.abort();

    // Assess: a wait the signal did not end would time this test out.
    await expect(sleeping).rejects.toMatchObject({ code: 'ABORTED' });
  });

  it('resolves after zero ms', async () => {
    // Act & Assess
    await expect(abortableSleep(0)).resolves.toBeUndefined();
  });
});

describe('graceAfter', () => {
  it('fires its grace after the stop, with the stop reason; never without it; at once with the outright cancel', async () => {
    // Prepare
    vi.useFakeTimers();
    try {
      const stop = new AbortController();
      const outright = new AbortController();
      const grace = graceAfter(stop.signal, 3_000);
      const withOutright = graceAfter(new AbortController().signal, 3_000, outright.signal);
      const reason = new AutopilotError('ABORTED', 'interrupted');

      // Act & Assess
      vi.advanceTimersByTime(60_000);
      expect(grace.signal?.aborted).toBe(false);
      stop.abort(reason);
      vi.advanceTimersByTime(2_999);
      expect(grace.signal?.aborted).toBe(false);
      vi.advanceTimersByTime(1);
      expect(grace.signal?.reason).toBe(reason);
      outright.abort();
      expect(withOutright.signal?.aborted).toBe(true);
      grace.dispose();
      withOutright.dispose();
      expect(vi.getTimerCount()).toBe(0);
    } finally {
      vi.useRealTimers();
    }
  });
});

describe('retry', () => {
  it('retries the classes the policy names and returns the first success', async () => {
    // Prepare
    const { policy, sleeps } = recordingPolicy();
    let calls = 0;

    // Act
    const result = await retry(async () => {
      calls += 1;
      if (calls < 3) throw socketError('ECONNRESET');
      return 'done';
    }, policy, undefined);

    // Assess
    expect(result).toBe('done');
    expect(sleeps).toEqual([50, 100]);
  });

  it('rethrows a class the policy does not retry at once', async () => {
    // Prepare
    const { policy, sleeps } = recordingPolicy({ retryOn: ['throttled'] });
    const failure = sdkError('ServiceUnavailableException', 503);

    // Act & Assess
    await expect(retry(() => Promise.reject(failure), policy, undefined)).rejects.toBe(failure);
    expect(sleeps).toEqual([]);
  });

  it('waits what Retry-After asked instead of the computed backoff', async () => {
    // Prepare
    const { policy, sleeps } = recordingPolicy();
    let calls = 0;
    const throttled = Object.assign(new AutopilotError('THROTTLED', 'HTTP 429', { retryable: true }), { retryAfterMs: 2_000 });

    // Act
    await retry(async () => {
      calls += 1;
      if (calls === 1) throw throttled;
    }, policy, undefined);

    // Assess
    expect(sleeps).toEqual([2_000]);
  });

  it('gives up at once on a Retry-After longer than the policy accepts, through giveUp', async () => {
    // Prepare
    const { policy, sleeps } = recordingPolicy({ maxRetryAfterMs: 10_000 });
    const throttled = Object.assign(new AutopilotError('THROTTLED', 'HTTP 429', { retryable: true }), { retryAfterMs: 3_600_000 });

    // Act & Assess
    await expect(
      retry(() => Promise.reject(throttled), policy, undefined, { giveUp: (_error, why) => new Error(`${why.because} after ${why.attempts}: ${why.retryAfterMs}`) }),
    ).rejects.toThrow('retry-after after 1: 3600000');
    expect(sleeps).toEqual([]);
  });

  it('stops after maxAttempts and reports how many were made', async () => {
    // Prepare
    const { policy, sleeps } = recordingPolicy();
    let calls = 0;

    // Act & Assess
    await expect(
      retry(
        () => {
          calls += 1;
          return Promise.reject(sdkError('ThrottlingException', 400));
        },
        policy,
        undefined,
        { giveUp: (_error, why) => new Error(`${why.class}: gave up after ${why.attempts}`) },
      ),
    ).rejects.toThrow('throttled: gave up after 4');
    expect(calls).toBe(4);
    expect(sleeps).toHaveLength(3);
  });

  it('starts no attempt once the signal fired, and ends with the signal reason', async () => {
    // Prepare
    const { policy } = recordingPolicy();
    const controller = new AbortController();
    const reason = new AutopilotError('ABORTED', 'interrupted');
    let calls = 0;

    // Act
    const failure = retry(
      () => {
        calls += 1;
        controller.abort(reason);
        return Promise.reject(socketError('ECONNRESET'));
      },
      policy,
      controller.signal,
    );

    // Assess
    await expect(failure).rejects.toBe(reason);
    expect(calls).toBe(1);
  });
});

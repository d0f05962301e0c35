import * as z from 'zod/mini';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { BACKSTOP_MS, lambdaEntry } from '../../../functions/runtime/lambdaEntry';
import type { Deadline } from '../../../lib/runtime/deadline';
import { AutopilotError, EventValidationError } from '../../../lib/errors';
import type { FunctionDefinition, FunctionReport } from '../../../lib/runtime/types';
import { lambdaContext } from '../../support/events';
import { captureLogs } from '../../support/lambdaHarness';

const TestEvent = z.object({ id: z.string(), value: z.int() });

interface Deps {
  multiplier: number;
  signal?: AbortSignal;
}

function definition(run: (event: z.output<typeof TestEvent>, deps: Deps) => Promise<FunctionReport>): FunctionDefinition<typeof TestEvent, Deps> {
  return { name: 'testFunction', eventName: 'test event', eventSchema: TestEvent, run };
}

const report = (eventId: string): FunctionReport => ({ function: 'testFunction', eventId, outcome: 'done', decision: 'did it', changes: [] });

let logs: ReturnType<typeof captureLogs>;

beforeEach(() => {
  logs = captureLogs();
});

afterEach(() => logs.restore());

describe('lambdaEntry', () => {
  it('parses first: a malformed event never builds the dependencies', async () => {
    // Prepare
    const build = vi.fn(() => ({ deps: { multiplier: 2 } }));
    const handler = lambdaEntry(definition(async (event) => report(event.id)), build);

    // Act
    const failure = handler({ id: 'evt-1', value: 'x' }, lambdaContext());

    // Assess
    await expect(failure).rejects.toBeInstanceOf(EventValidationError);
    expect(build).not.toHaveBeenCalled();
  });

  it('builds the dependencies once per container and hands each invocation the context and an abort signal', async () => {
    // Prepare
    const build = vi.fn(() => ({ deps: { multiplier: 2 }, onInvoke }));
    const onInvoke = vi.fn();
    const seen: Array<{ value: number; signal: unknown }> = [];
    const handler = lambdaEntry(
      definition(async (event, deps) => {
        seen.push({ value: event.value * deps.multiplier, signal: deps.signal });
        return report(event.id);
      }),
      build,
    );
    const context = lambdaContext();

    // Act
    await handler({ id: 'evt-1', value: 1 }, context);
    await handler({ id: 'evt-2', value: 2 }, context);

    // Assess
    expect(build).toHaveBeenCalledTimes(1);
    expect(onInvoke).toHaveBeenCalledTimes(2);
    expect(onInvoke).toHaveBeenCalledWith(context);
    expect(seen.map((s) => s.value)).toEqual([2, 4]);
    expect(seen[0]?.signal).toBeInstanceOf(AbortSignal);
  });

  it('builds again on the next invocation after a failed build', async () => {
    // Prepare
    let attempts = 0;
    const handler = lambdaEntry(definition(async (event) => report(event.id)), () => {
      attempts += 1;
      if (attempts === 1) throw new AutopilotError('ENV_INVALID', 'Environment variable NOTIFICATION_TOPIC_ARN is not set');
      return { deps: { multiplier: 1 } };
    });

    // Act
    const first = handler({ id: 'evt-1', value: 1 }, lambdaContext());
    await expect(first).rejects.toMatchObject({ code: 'ENV_INVALID' });
    const second = await handler({ id: 'evt-2', value: 1 }, lambdaContext());

    // Assess
    expect(second.outcome).toBe('done');
    expect(attempts).toBe(2);
  });

  it('logs a malformed event with its id and every issue, then rethrows', async () => {
    // Prepare
    const handler = lambdaEntry(definition(async (event) => report(event.id)), () => ({ deps: { multiplier: 1 } }));

    // Act
    await expect(handler({ id: 'evt-bad', value: 1.5 }, lambdaContext())).rejects.toBeInstanceOf(EventValidationError);

    // Assess
    const line = logs.lines().find((entry) => entry.level === 'ERROR');
    expect(line).toMatchObject({
      message: 'Rejected a malformed event; nothing was changed. It goes to the dead-letter queue after retries.',
      function: 'testFunction',
      eventId: 'evt-bad',
      code: 'EVENT_INVALID',
      issues: [{ path: 'value', message: expect.any(String) }],
    });
  });

  it('logs an unexpected error with the event id and rethrows it unchanged', async () => {
    // Prepare
    const bug = new TypeError('cannot read properties of undefined');
    const handler = lambdaEntry(
      definition(async () => {
        throw bug;
      }),
      () => ({ deps: { multiplier: 1 } }),
    );

    // Act
    const failure = handler({ id: 'evt-bug', value: 1 }, lambdaContext());

    // Assess
    await expect(failure).rejects.toBe(bug);
    expect(logs.lines().find((entry) => entry.level === 'ERROR')).toMatchObject({ message: 'Unexpected failure', eventId: 'evt-bug', error: { name: 'TypeError' } });
  });

  it('logs the decision of every report with the event id', async () => {
    // Prepare
    const handler = lambdaEntry(definition(async (event) => report(event.id)), () => ({ deps: { multiplier: 1 } }));

    // Act
    await handler({ id: 'evt-ok', value: 1 }, lambdaContext());

    // Assess
    expect(logs.lines().find((entry) => entry.level === 'INFO')).toMatchObject({ message: 'did it', eventId: 'evt-ok', outcome: 'done', function: 'testFunction' });
  });
});

describe('lambdaEntry and the deadline', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: Date.parse('2026-11-20T09:00:00Z'), toFake: ['setTimeout', 'clearTimeout', 'Date'] });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("hands the use case the invocation's deadline, from the context's remaining time", async () => {
    // Prepare
    let seen: Deadline | undefined;
    const handler = lambdaEntry(
      definition(async (event, deps) => {
        seen = (deps as Deps & { deadline?: Deadline }).deadline;
        return report(event.id);
      }),
      () => ({ deps: { multiplier: 1 } }),
    );

    // Act
    await handler({ id: 'evt-1', value: 1 }, { ...lambdaContext(), getRemainingTimeInMillis: () => 900_000 });

    // Assess
    expect(seen).toEqual({ at: Date.now() + 900_000 });
  });
});

describe('lambdaEntry backstop', () => {
  it('keeps the early timeout only as a last-resort backstop: BACKSTOP_MS before the end it aborts the signal, fails the invocation and logs why', async () => {
    // Prepare: a use case that ignores its deadline and only stops on the signal; 100 ms before the backstop.
    let abortedBy: unknown;
    const handler = lambdaEntry(
      definition(
        (event, deps) =>
          new Promise((resolve) => {
            deps.signal?.addEventListener('abort', () => {
              abortedBy = deps.signal?.reason;
              resolve(report(event.id));
            });
          }),
      ),
      () => ({ deps: { multiplier: 1 } }),
    );

    // Act: middy's own timer (node:timers, which fake timers do not reach) fires for real.
    const failure = await handler({ id: 'evt-1', value: 1 }, { ...lambdaContext(), getRemainingTimeInMillis: () => BACKSTOP_MS + 100 }).catch((error: unknown) => error);

    // Assess
    expect(failure).toMatchObject({ name: 'TimeoutError' });
    expect(abortedBy).toBeDefined();
    expect(logs.lines().find((line) => line.level === 'ERROR')).toMatchObject({ message: expect.stringContaining('reached the backstop'), eventId: 'evt-1', code: 'ABORTED' });
  });
});

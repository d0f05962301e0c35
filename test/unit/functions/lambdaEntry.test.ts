import * as z from 'zod/mini';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { lambdaEntry } from '../../../functions/runtime/lambdaEntry';
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

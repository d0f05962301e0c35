import { describe, expect, it } from 'vitest';
import { AutopilotError } from '../../../lib/errors';
import { applyChanges } from '../../../lib/plan/applyChanges';
import { routeChanges } from '../../../lib/plan/routeChanges';
import type { ApplyOptions, Change, ChangeOutcome, ChangeWriter } from '../../../lib/plan/types';

function change(target: string): Change {
  return { action: 'ecr:PutLifecyclePolicy', target, reason: 'drift' };
}

/** Records each change with the signal it came with; `during` runs inside an apply. */
class RecordingWriter implements ChangeWriter {
  readonly calls: Array<{ target: string; signal: AbortSignal | undefined }> = [];
  constructor(private readonly during: (change: Change, options: ApplyOptions) => Promise<ChangeOutcome> = async () => ({ status: 'applied' })) {}
  async apply(change: Change, options: ApplyOptions): Promise<ChangeOutcome> {
    this.calls.push({ target: change.target, signal: options.signal });
    return this.during(change, options);
  }
}

describe('applyChanges', () => {
  it('hands the signal to every apply, per call', async () => {
    // Prepare
    const writer = new RecordingWriter();
    const controller = new AbortController();

    // Act
    await applyChanges(writer, [change('a'), change('b')], { signal: controller.signal });

    // Assess
    expect(writer.calls).toEqual([
      { target: 'a', signal: controller.signal },
      { target: 'b', signal: controller.signal },
    ]);
  });

  it('starts nothing once the stop fired; the rest is reported as stopped with the reason', async () => {
    // Prepare
    const stop = new AbortController();
    const writer = new RecordingWriter(async (applied) => {
      if (applied.target === 'a') stop.abort(new AutopilotError('ABORTED', 'the time budget ran out'));
      return { status: 'applied' };
    });

    // Act
    const results = await applyChanges(writer, [change('a'), change('b'), change('c')], { stop: stop.signal });

    // Assess
    expect(writer.calls.map((call) => call.target)).toEqual(['a']);
    expect(results.map(({ change: c, outcome }) => [c.target, outcome.status, outcome.message])).toEqual([
      ['a', 'applied', undefined],
      ['b', 'stopped', 'not started: the time budget ran out'],
      ['c', 'stopped', 'not started: the time budget ran out'],
    ]);
  });

  it('lets the change in flight at the stop finish: the stop is not the signal it runs under', async () => {
    // Prepare
    const stop = new AbortController();
    const writer = new RecordingWriter(async (applied, options) => {
      stop.abort();
      return { status: options.signal?.aborted ? 'failed' : 'applied', completed: [applied.target] };
    });

    // Act
    const results = await applyChanges(writer, [change('a'), change('b')], { stop: stop.signal });

    // Assess
    expect(results[0]?.outcome).toEqual({ status: 'applied', completed: ['a'] });
    expect(results[1]?.outcome.status).toBe('stopped');
  });

  it('reports a change cancelled in flight as stopped, maybe partly done, and starts no other', async () => {
    // Prepare
    const controller = new AbortController();
    const writer = new RecordingWriter(async () => {
      controller.abort(new AutopilotError('ABORTED', 'interrupted'));
      throw new AutopilotError('ABORTED', 'interrupted');
    });

    // Act
    const results = await applyChanges(writer, [change('a'), change('b')], { signal: controller.signal });

    // Assess
    expect(writer.calls).toHaveLength(1);
    expect(results.map(({ outcome }) => outcome)).toEqual([
      { status: 'stopped', message: 'cancelled while in progress (it may be partly done): interrupted' },
      { status: 'stopped', message: 'not started: interrupted' },
    ]);
  });

  it('rethrows an ABORTED that no signal of the run explains (a bug or a foreign cancellation)', async () => {
    // Prepare
    const writer = new RecordingWriter(async () => {
      throw new AutopilotError('ABORTED', 'something else cancelled this');
    });

    // Act & Assess
    await expect(applyChanges(writer, [change('a')], { stop: new AbortController().signal })).rejects.toMatchObject({ code: 'ABORTED' });
  });

  it('records a permanent failure and goes on; rethrows a retryable one', async () => {
    // Prepare
    const writer = new RecordingWriter(async (applied) => {
      if (applied.target === 'a') throw new AutopilotError('ACCESS_DENIED', 'denied');
      if (applied.target === 'c') throw new AutopilotError('THROTTLED', 'slow down', { retryable: true });
      return { status: 'applied' };
    });

    // Act & Assess
    await expect(applyChanges(writer, [change('a'), change('b'), change('c')])).rejects.toMatchObject({ code: 'THROTTLED' });
    expect(writer.calls.map((call) => call.target)).toEqual(['a', 'b', 'c']);
  });
});

describe('routeChanges', () => {
  it('passes the per-call options on to the writer it routes to', async () => {
    // Prepare
    const ecr = new RecordingWriter();
    const writer = routeChanges({ ecr });
    const controller = new AbortController();

    // Act
    await writer.apply(change('a'), { signal: controller.signal });

    // Assess
    expect(ecr.calls).toEqual([{ target: 'a', signal: controller.signal }]);
  });
});

import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { interruptedSummary } from '../../../cli/commands/copy';
import { runFunction } from '../../../cli/commands/invoke';
import { runVerify } from '../../../cli/commands/verify';
import { INTERRUPTED, runInterruptible, type SignalHost } from '../../../cli/interrupt';
import { memoryIo, terminalIo } from '../../../cli/terminal';
import { AutopilotError } from '../../../lib/errors';

/** A process double: SIGINT is an event a test emits; exit is recorded instead of leaving. */
class FakeProcess extends EventEmitter implements SignalHost {
  readonly exits: number[] = [];
  exit(code: number): never {
    this.exits.push(code);
    return undefined as never;
  }
}

function interrupted(): AbortSignal {
  const controller = new AbortController();
  controller.abort(new AutopilotError('ABORTED', 'interrupted (Ctrl-C)'));
  return controller.signal;
}

describe('runInterruptible', () => {
  it('fires the run signal on the first Ctrl-C and makes the run exit 130 once it has wrapped up', async () => {
    // Prepare
    const host = new FakeProcess();
    let seen: AbortSignal | undefined;

    // Act
    const code = await runInterruptible(async (signal) => {
      seen = signal;
      host.emit('SIGINT');
      return 0;
    }, host);

    // Assess
    expect(code).toBe(INTERRUPTED);
    expect(seen?.aborted).toBe(true);
    expect(seen?.reason).toMatchObject({ code: 'ABORTED', message: 'interrupted (Ctrl-C)' });
    expect(host.exits).toEqual([]);
  });

  it('exits 130 at once on the second Ctrl-C', async () => {
    // Prepare
    const host = new FakeProcess();

    // Act
    await runInterruptible(async () => {
      host.emit('SIGINT');
      host.emit('SIGINT');
      return 0;
    }, host);

    // Assess
    expect(host.exits).toEqual([130]);
  });

  it('keeps the run exit code when nobody pressed Ctrl-C, and lets go of SIGINT afterwards', async () => {
    // Prepare
    const host = new FakeProcess();

    // Act
    const code = await runInterruptible(async () => 3, host);

    // Assess
    expect(code).toBe(3);
    expect(host.listenerCount('SIGINT')).toBe(0);
  });
});

describe('terminalIo on Ctrl-C', () => {
  it('closes the progress line at once, says it is stopping, and draws no more progress', () => {
    // Prepare
    const written: string[] = [];
    const stderr = { isTTY: true, columns: 80, write: (text: string) => written.push(text) };
    const controller = new AbortController();
    const io = terminalIo({ json: false, stdout: { write: () => true }, stderr, interrupt: controller.signal });
    io.progress('Copying blobs 1/3');

    // Act
    controller.abort();
    io.progress('Copying blobs 2/3');

    // Assess
    expect(written).toEqual(['\r\x1b[2KCopying blobs 1/3', '\r\x1b[2K', 'Interrupted: finishing cleanly (press Ctrl-C again to quit at once)…\n']);
  });
});

describe('commands on Ctrl-C', () => {
  it.each([
    ['lifecycle sweep', 'sweepLifecycle', {}],
    ['mirror', 'mirrorImages', {}],
  ])('%s stops as at its deadline and still reports what it did', async (_command, functionName, event) => {
    // Prepare
    const io = memoryIo(true, interrupted());

    // Act
    await runFunction({ functionName, event, plan: true }, io);

    // Assess
    const { report } = io.values[0] as { report: { stoppedEarly?: string; decision: string } };
    expect(report.stoppedEarly).toBe('interrupted (Ctrl-C)');
    expect(report.decision).toContain('stopped early');
  });

  it('verify reports the checks it did not run as skipped', async () => {
    // Prepare
    const io = memoryIo(true, interrupted());

    // Act
    await runVerify({ plan: true, notify: false }, io);

    // Assess
    const { report } = io.values[0] as { report: { stoppedEarly?: string; checklist: { items: Array<{ status: string }> } } };
    expect(report.stoppedEarly).toBe('interrupted (Ctrl-C)');
    expect(report.checklist.items.every((item) => item.status === 'skipped')).toBe(true);
  });
});

describe('copy interrupted', () => {
  const progress = { phase: 'blobs' as const, blobsTotal: 4, blobsDone: 1, bytesTotal: 9_000_000, bytesDone: 1_000_000, manifestsTotal: 3, manifestsDone: 0 };

  it('says the sessions were closed when every DELETE was accepted', () => {
    // Act
    const lines = interruptedSummary({ source: 'a/app:v1', destination: 'b/app:v1' }, progress);

    // Assess
    expect(lines.at(-1)).toBe('  the destination tag was not changed; upload sessions in progress were closed');
  });

  it('names each upload session the registry would not delete, and who removes it', () => {
    // Act
    const lines = interruptedSummary({ source: 'a/app:v1', destination: 'b/app:v1' }, { ...progress, uploadSessionsLeftOpen: ['http://127.0.0.1:5000/v2/app/blobs/uploads/5f0c'] });

    // Assess
    expect(lines.slice(-3)).toEqual([
      '  the destination tag was not changed',
      '  1 upload session left open: the registry would not delete it (docker distribution refuses once an upload was cut mid-body); registries remove stale sessions themselves (docker distribution: after 7 days by default)',
      '    http://127.0.0.1:5000/v2/app/blobs/uploads/5f0c',
    ]);
  });
});

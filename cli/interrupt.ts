/**
 * Ctrl-C, the way long-running tools handle it: the first SIGINT interrupts the run (its signal
 * fires: long work starts nothing new, closes what it opened, such as a copy's upload sessions, and
 * the command prints what it did), a second SIGINT exits at once. An interrupted run exits 130
 * (128 + SIGINT, what shells report for a process Ctrl-C ended).
 */
import { AutopilotError } from '../lib/errors';

/** The exit code of a run the user interrupted. */
export const INTERRUPTED = 130;

/** What `runInterruptible` needs of the process: its SIGINT and its exit (tests pass a double). */
export interface SignalHost {
  on(event: 'SIGINT', listener: () => void): unknown;
  off(event: 'SIGINT', listener: () => void): unknown;
  exit(code: number): never;
}

/**
 * Runs `run` with a signal the first Ctrl-C fires; a second Ctrl-C exits the process at once.
 * Returns `run`'s exit code, or 130 when the run was interrupted. The handler is removed when the
 * run ends, so Ctrl-C after it behaves as usual.
 *
 * @example
 * process.exitCode = await runInterruptible((signal) => runProgram(argv, signal));
 */
export async function runInterruptible<T extends number>(run: (signal: AbortSignal) => Promise<T>, host: SignalHost = process): Promise<T | typeof INTERRUPTED> {
  const controller = new AbortController();
  const onInterrupt = (): void => {
    if (controller.signal.aborted) host.exit(INTERRUPTED);
    controller.abort(new AutopilotError('ABORTED', 'interrupted (Ctrl-C)'));
  };
  host.on('SIGINT', onInterrupt);
  try {
    const code = await run(controller.signal);
    return controller.signal.aborted ? INTERRUPTED : code;
  } finally {
    host.off('SIGINT', onInterrupt);
  }
}

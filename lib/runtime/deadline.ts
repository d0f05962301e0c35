/**
 * Long work owns its deadline: it stops starting work a margin before the runtime would end it,
 * lets what is in flight finish or abandons it safely, and returns its report with what it did,
 * what it did not do, and why. This module gives a use case the line it stops at.
 */
import { AutopilotError, isAutopilotError } from '../errors';
import { sharedSignal } from '../shared/retry';

/** When a run must wrap up: the runtime's time limit, or the person who started it asking it to stop. */
export interface Deadline {
  /** When the runtime ends the run, in ms since the epoch (Lambda: now + `getRemainingTimeInMillis()`). */
  at?: number;
  /** Fires when the person who started the run asks it to stop (the CLI's first Ctrl-C). */
  interrupted?: AbortSignal;
}

/** The point at which a use case stops starting work. */
export interface StopLine {
  /** Fires at the stop: start nothing new; abandon what can be abandoned safely. */
  readonly signal: AbortSignal;
  /** Why the run stopped, in words; undefined while it may go on. */
  readonly reason: string | undefined;
  /** Ends the line's timer and listeners once the work is done (it never fires afterwards). */
  dispose(): void;
}

/**
 * The stop line of a run: `marginMs` before `deadline.at`, or when the run is interrupted, or when
 * `signal` (the outright cancel) fires, whichever comes first. The margin is what the use case
 * needs after the stop: letting in-flight calls finish, recording where it stopped, publishing its
 * report. A run given less than twice its margin stops halfway, so it always gets some work done.
 *
 * @example
 * const stop = stopLine(deps, 20_000);
 * try {
 *   for (const repository of repositories) {
 *     if (stop.signal.aborted) break; // stop.reason says why
 *     await sweep(repository, { stop: stop.signal });
 *   }
 * } finally {
 *   stop.dispose();
 * }
 */
export function stopLine(limits: { deadline?: Deadline | undefined; signal?: AbortSignal | undefined }, marginMs: number, now: () => number = Date.now): StopLine {
  const controller = new AbortController();
  sharedSignal(controller.signal);
  const cleanups: Array<() => void> = [];
  const fire = (reason: AutopilotError): void => {
    if (controller.signal.aborted) return;
    controller.abort(reason);
    dispose();
  };
  const dispose = (): void => {
    for (const cleanup of cleanups.splice(0)) cleanup();
  };
  const follow = (signal: AbortSignal | undefined, describe: (reason: unknown) => AutopilotError): void => {
    if (!signal) return;
    if (signal.aborted) {
      fire(describe(signal.reason));
      return;
    }
    const onAbort = (): void => fire(describe(signal.reason));
    signal.addEventListener('abort', onAbort, { once: true });
    cleanups.push(() => signal.removeEventListener('abort', onAbort));
  };

  follow(limits.signal, (reason) => (isAutopilotError(reason) ? reason : new AutopilotError('ABORTED', 'the run was cancelled', { cause: reason })));
  follow(limits.deadline?.interrupted, (reason) => (isAutopilotError(reason) ? reason : new AutopilotError('ABORTED', 'interrupted', { cause: reason })));
  const at = limits.deadline?.at;
  if (at !== undefined && !controller.signal.aborted) {
    const remaining = at - now();
    const margin = Math.max(0, Math.min(marginMs, remaining / 2));
    const reason = new AutopilotError('ABORTED', `the time budget ran out: the run stopped ${formatSeconds(margin)} before its deadline to report what it did`);
    if (remaining - margin <= 0) {
      fire(reason);
    } else {
      const timer = setTimeout(() => fire(reason), remaining - margin);
      cleanups.push(() => clearTimeout(timer));
    }
  }

  return {
    signal: controller.signal,
    get reason() {
      return controller.signal.aborted ? (controller.signal.reason as AutopilotError).message : undefined;
    },
    dispose,
  };
}

function formatSeconds(ms: number): string {
  return `${Math.round(ms / 1000)} s`;
}

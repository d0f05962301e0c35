import { AutopilotError } from '../../lib/errors';
import { parseEvent } from '../../lib/events/parseEvent';
import type { FunctionReport } from '../../lib/runtime/types';
import { cliDeps, type DepsOptions } from '../deps';
import { FUNCTION_NAMES, loadFunction } from '../functionCatalog';
import type { CommandIo, ExitCode } from '../io';
import { printReport } from '../printReport';
import { readJsonFile } from '../readInput';

export interface InvokeOptions extends DepsOptions {
  functionName: string;
  /** The event file, or `-` for standard input. */
  event: string;
}

/**
 * `ecr-autopilot invoke <function> --event <file|-> [--plan] [--snapshot <file>] [--json]`: runs a
 * function's handler locally — against AWS (or `AWS_ENDPOINT_URL`), or in plan mode against a
 * registry snapshot, printing the plan instead of changing anything.
 */
export async function runInvoke(options: InvokeOptions, io: CommandIo): Promise<ExitCode> {
  const { event, ...rest } = options;
  return runFunction({ ...rest, event: readJsonFile(event) }, io);
}

/**
 * Runs one function with an event value (from a file, or built by a command such as
 * `lifecycle sweep`), live or in plan mode, and prints its report. Exit 1 when a change failed or
 * the function's verdict is FAIL (a scan over its thresholds, a failed checklist), in plan mode too.
 */
export async function runFunction(options: DepsOptions & { functionName: string; event: unknown }, io: CommandIo): Promise<ExitCode> {
  const definition = await loadFunction(options.functionName);
  if (!definition) {
    throw new AutopilotError('USAGE', `Unknown function "${options.functionName}"; choose one of ${FUNCTION_NAMES.join(', ')}`);
  }
  const event = parseEvent(definition.eventSchema, options.event, definition.eventName);
  // Checked (in cliDeps) before anything runs, so no command built on this (e.g. `lifecycle sweep
  // --snapshot f`) runs live, deleting images, when the user meant the snapshot.
  const deps = await cliDeps(options, io);
  // Long work wraps up at Ctrl-C (deps.deadline); a short function is cancelled outright, its calls
  // in flight included, so the first Ctrl-C never waits for a silent endpoint.
  const report: FunctionReport = await definition.run(event, definition.ownsDeadline ? deps : { ...deps, signal: io.interrupt });
  if (io.json) {
    io.data({ mode: deps.mode, report });
  } else {
    io.out(`${report.function} · event ${report.eventId ?? '(none)'} · ${deps.mode === 'plan' ? 'plan mode (nothing changed)' : 'live'}`);
    printReport(io, report, { mode: deps.mode });
  }
  return report.outcome === 'failed' || report.verdict === 'FAIL' ? 1 : 0;
}

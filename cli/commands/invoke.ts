import { readFileSync } from 'node:fs';
import { AutopilotError } from '../../lib/errors';
import { parseEvent } from '../../lib/events/parseEvent';
import type { FunctionReport } from '../../lib/runtime/types';
import { liveDeps, planDeps, type CliDeps } from '../deps';
import { FUNCTIONS, functionNames } from '../functionCatalog';
import type { CommandIo, ExitCode } from '../io';
import { printReport } from '../printReport';

export interface InvokeOptions {
  functionName: string;
  event: string;
  plan?: boolean;
  snapshot?: string;
  verbose?: boolean;
}

/**
 * `ecr-autopilot invoke <function> --event <file> [--plan] [--snapshot <file>] [--json]`: runs a
 * function's handler locally — against AWS (or `AWS_ENDPOINT_URL`), or in plan mode against a
 * registry snapshot, printing the plan instead of changing anything.
 */
export async function runInvoke(options: InvokeOptions, io: CommandIo): Promise<ExitCode> {
  if (options.snapshot && !options.plan) {
    throw new AutopilotError('USAGE', '--snapshot only applies with --plan; add --plan to run against the snapshot');
  }
  const { event, ...rest } = options;
  return runFunction({ ...rest, event: readJsonFile(event) }, io);
}

/**
 * Runs one function with an event value (from a file, or built by a command such as
 * `lifecycle sweep`), live or in plan mode, and prints its report.
 */
export async function runFunction(options: Omit<InvokeOptions, 'event'> & { event: unknown }, io: CommandIo): Promise<ExitCode> {
  // Also checked here so that no command built on this (e.g. `lifecycle sweep --snapshot f`) runs
  // live, deleting images, when the user meant the snapshot.
  if (options.snapshot && !options.plan) {
    throw new AutopilotError('USAGE', '--snapshot only applies with --plan; add --plan to run against the snapshot');
  }
  const definition = FUNCTIONS[options.functionName];
  if (!definition) {
    throw new AutopilotError('USAGE', `Unknown function "${options.functionName}"; choose one of ${functionNames().join(', ')}`);
  }
  const event = parseEvent(definition.eventSchema, options.event, definition.eventName);
  const deps: CliDeps = options.plan
    ? planDeps({ io, verbose: options.verbose ?? false, ...(options.snapshot ? { snapshot: options.snapshot } : {}) })
    : await liveDeps({ io, verbose: options.verbose ?? false });
  const report: FunctionReport = await definition.run(event, deps);
  if (io.json) {
    io.data({ mode: deps.mode, report });
  } else {
    io.out(`${report.function} · event ${report.eventId ?? '(none)'} · ${deps.mode === 'plan' ? 'plan mode (nothing changed)' : 'live'}`);
    printReport(io, report, { mode: deps.mode });
  }
  return report.outcome === 'failed' ? 1 : 0;
}

export function readJsonFile(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new AutopilotError('USAGE', `Cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}; check the path`, { cause: error });
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new AutopilotError('USAGE', `${file} is not valid JSON: ${(error as Error).message}`, { cause: error });
  }
}

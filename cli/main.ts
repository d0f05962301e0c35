import { readFileSync } from 'node:fs';
import { Argument, Command, CommanderError, Option } from 'commander';
import { AutopilotError, type ErrorCode, EventValidationError, ConfigError, formatIssue, hasErrorCode } from '../lib/errors';
import { COMMANDS, type CommandSpec, GROUPS } from './commandTable';
import { FLAGS, type FlagName } from './flags';
import { runInterruptible } from './interrupt';
import type { CommandIo, ExitCode } from './io';
import { terminalIo } from './terminal';

/**
 * `ecr-autopilot`: every part of ecr-autopilot from the command line, against AWS (or
 * `AWS_ENDPOINT_URL`) or in plan mode against a registry snapshot. The parser is built from the
 * command table (cli/commandTable.ts) and the flag table (cli/flags.ts); a command's module is
 * imported only when it runs. This file is the only place that turns errors into exit codes.
 */
export type RunCommand = (spec: CommandSpec, input: { args: string[]; options: Record<string, unknown> }) => Promise<void>;

/** The package version, read when `--version` is built (a few hundred bytes). */
function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

function option(name: FlagName): Option {
  const flag = FLAGS[name];
  const built = new Option(flag.syntax, flag.description);
  if ('parse' in flag && flag.parse) built.argParser(flag.parse as (value: string, previous: unknown) => unknown);
  if ('required' in flag && flag.required) built.makeOptionMandatory();
  return built;
}

export function buildProgram(run: RunCommand): Command {
  const program = new Command('ecr-autopilot')
    .description('Event-driven control plane for Amazon ECR: governance, lifecycle, pull-through cache, mirroring, scan verdicts, lab verification')
    .version(`ecr-autopilot ${version()}`, '-v, --version', 'print the version')
    .showHelpAfterError()
    .exitOverride();
  const groups = new Map(GROUPS.map((group) => [group.name, program.command(group.name).description(group.description)]));
  for (const spec of COMMANDS) {
    const [first, second] = spec.path;
    const parent = second === undefined ? program : groups.get(first);
    if (!parent) throw new AutopilotError('INTERNAL', `command group "${first}" is not in GROUPS (cli/commandTable.ts)`);
    const command = parent.command(second ?? first).description(spec.description);
    for (const argument of spec.args) {
      const built = new Argument(`<${argument.name}>`, argument.description);
      if (typeof argument.complete === 'object' && argument.complete.enforce) built.choices(argument.complete.values);
      command.addArgument(built);
    }
    for (const name of spec.flags) command.addOption(option(name));
    command.action(async (...received: unknown[]) => {
      const self = received.at(-1) as Command;
      await run(spec, { args: self.processedArgs as string[], options: self.opts() });
    });
  }
  return program;
}

/**
 * The exit code of each error code (cli/io.ts): 2 when the user can fix it (input, configuration,
 * credentials, permissions, something that does not exist), 3 when trying again later may work.
 * A `Record`, so a new error code cannot be added without deciding.
 */
const EXIT_CODES: Record<ErrorCode, 2 | 3> = {
  EVENT_INVALID: 2,
  USAGE: 2,
  CONFIG_INVALID: 2,
  ENV_INVALID: 2,
  SNAPSHOT_INVALID: 2,
  LIFECYCLE_POLICY_INVALID: 2,
  REPOSITORY_NOT_FOUND: 2,
  IMAGE_NOT_FOUND: 2,
  SCAN_NOT_FOUND: 2,
  THROTTLED: 3,
  LIMIT_EXCEEDED: 2,
  ACCESS_DENIED: 2,
  SECRET_INVALID: 2,
  NOTIFY_FAILED: 3,
  REGISTRY_ERROR: 3,
  REGISTRY_UNAUTHORIZED: 2,
  DIGEST_MISMATCH: 3,
  ABORTED: 3,
  STATE_CONFLICT: 3,
  AWS_NOT_CONFIGURED: 2,
  AWS_ERROR: 3,
  INTERNAL: 3,
};

/** Errors the AWS SDK raises before or instead of a service answer that the user fixes. */
const USER_FIXABLE_SDK_ERRORS = new Set(['CredentialsProviderError', 'TokenProviderError']);

/**
 * The exit code for an error: `AutopilotError`s by source (user errors are always 2), retryability
 * and code; untranslated AWS SDK errors by their fault (`$fault: 'client'` and not retryable is the
 * caller's to fix); anything else 3.
 */
export function exitCodeFor(error: unknown): 2 | 3 {
  if (error instanceof AutopilotError) {
    if (error.source === 'user') return 2;
    if (error.retryable) return 3;
    return EXIT_CODES[error.code];
  }
  if (!(error instanceof Error)) return 3;
  if (USER_FIXABLE_SDK_ERRORS.has(error.name) || /^Region is missing/.test(error.message)) return 2;
  const sdk = error as Error & { $fault?: 'client' | 'server'; $retryable?: unknown };
  if (sdk.$fault === 'client' && !sdk.$retryable && !/Throttl|TooManyRequests/.test(error.name)) return 2;
  return 3;
}

/** Prints an error once, with every issue for validation errors; the stack only for bugs. */
export function reportError(error: unknown, io: CommandIo): ExitCode {
  if (error instanceof EventValidationError || error instanceof ConfigError) {
    io.err(`error: ${error.headline}:`);
    for (const issue of error.issues) io.err(`  - ${formatIssue(issue)}`);
    return 2;
  }
  if (error instanceof AutopilotError) {
    io.err(`error [${error.code}]: ${error.message}`);
    if (error.code === 'INTERNAL' && error.stack) io.err(error.stack);
    return exitCodeFor(error);
  }
  const err = error instanceof Error ? error : new Error(String(error));
  io.err(`error: ${err.name}: ${err.message}`);
  if (process.env.DEBUG) io.err(err.stack ?? '');
  return exitCodeFor(error);
}

export async function main(argv: string[] = process.argv): Promise<ExitCode> {
  return runInterruptible((interrupt) => runProgram(argv, interrupt));
}

async function runProgram(argv: string[], interrupt: AbortSignal): Promise<ExitCode> {
  let exitCode: ExitCode = 0;
  const program = buildProgram(async (spec, { args, options }) => {
    // Every call of the command listens to the interrupt (loaded here, not for --help).
    (await import('../lib/shared/retry')).sharedSignal(interrupt);
    const io = terminalIo({ json: options.json === true, interrupt });
    try {
      exitCode = await spec.run({ args, options }, io);
    } catch (error) {
      if (interrupt.aborted && hasErrorCode(error, 'ABORTED')) {
        // The user asked for it: no error, just what became of the run (main exits 130).
        io.err('Stopped before it finished (Ctrl-C): nothing more was sent.');
      } else {
        exitCode = reportError(error, io);
      }
    }
  });
  try {
    await program.parseAsync(argv);
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2;
    throw error;
  }
  return exitCode;
}

/**
 * How a CLI command talks to the terminal. Commands never write to process.stdout directly,
 * so `--json` output stays machine-readable and tests can capture everything.
 */
export interface CommandIo {
  /** True when `--json` was given: `data()` is the only thing written to stdout. */
  readonly json: boolean;
  /** A line of human-readable output (stdout in text mode; suppressed in JSON mode). */
  out(line: string): void;
  /** A diagnostic line (always stderr). */
  err(line: string): void;
  /** Transient progress for long work; drawn in place on a TTY, dropped otherwise. */
  progress(line: string): void;
  /** The machine-readable result; written as JSON to stdout in JSON mode, ignored otherwise. */
  data(value: unknown): void;
}

/**
 * Exit codes, the same for every command:
 * 0 success; 1 the command ran and found a problem (invalid policy, failed check, failed verdict);
 * 2 bad usage, input, event or configuration (the user can fix it); 3 a system failure (AWS,
 * network, registry) that may succeed later.
 */
export type ExitCode = 0 | 1 | 2 | 3;

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
  /**
   * The machine-readable result, once per command: written as JSON to stdout in JSON mode (with
   * `schemaVersion` first), ignored otherwise. Its shape is documented in the README.
   */
  data(value: object): void;
  /** `text` in the tone's colour when stdout shows colour (a terminal, NO_COLOR/FORCE_COLOR), else as is. */
  paint(tone: Tone, text: string): string;
  /**
   * Fires on the first Ctrl-C (cli/interrupt.ts): long work wraps up, closes what it opened and
   * reports what it did; the run then exits 130.
   */
  readonly interrupt: AbortSignal;
}

/** What a coloured word means: `[PASS]` green, `[FAIL]` red, `[WARN]` yellow. */
export type Tone = 'pass' | 'fail' | 'warn';

/**
 * The version of every `--json` document's shape. Raised when a field is removed or changes
 * meaning; adding a field keeps it.
 */
export const JSON_SCHEMA_VERSION = 1;

/**
 * Exit codes, the same for every command:
 * 0 success; 1 the command ran and found a problem (invalid policy, failed check, failed verdict);
 * 2 bad usage, input, event or configuration, or anything else the user can fix (credentials,
 * permissions, a missing repository); 3 a failure that may succeed later (network, throttling,
 * a registry or AWS fault); 130 interrupted (Ctrl-C), after printing what was done.
 */
export type ExitCode = 0 | 1 | 2 | 3 | 130;

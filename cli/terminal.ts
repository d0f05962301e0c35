import { colourEnabled, paint } from './colour';
import { type CommandIo, JSON_SCHEMA_VERSION } from './io';

interface Output {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
  readonly writable?: boolean;
}

/** The width assumed when the terminal does not say. */
const DEFAULT_COLUMNS = 80;

/**
 * The real terminal: text to stdout, diagnostics to stderr, progress redrawn in place on a TTY,
 * and in JSON mode nothing but the result on stdout. Colour only where `colourEnabled` says so.
 * Once a reader closes stdout early (`| head`), further output is dropped: the command still
 * finishes and exits with its real status (cli/bin.ts ignores the EPIPE).
 */
export function terminalIo(options: { json: boolean; stdout?: Output; stderr?: Output; env?: NodeJS.ProcessEnv; interrupt?: AbortSignal }): CommandIo {
  const stdout = options.stdout ?? process.stdout;
  const stderr = options.stderr ?? process.stderr;
  const colour = !options.json && colourEnabled(stdout, options.env ?? process.env);
  const write = (stream: Output, text: string) => {
    if (stream.writable !== false) stream.write(text);
  };
  let progressShown = false;
  const clearProgress = () => {
    if (progressShown) {
      write(stderr, '\r\x1b[2K');
      progressShown = false;
    }
  };
  const interrupt = options.interrupt ?? new AbortController().signal;
  let interrupted = false;
  interrupt.addEventListener(
    'abort',
    () => {
      // Close the progress line at once: what follows (the partial report) starts on a clean line.
      clearProgress();
      interrupted = true;
      write(stderr, 'Interrupted: finishing cleanly (press Ctrl-C again to quit at once)…\n');
    },
    { once: true },
  );
  return {
    interrupt,
    json: options.json,
    out(line) {
      if (options.json) return;
      clearProgress();
      write(stdout, `${line}\n`);
    },
    err(line) {
      clearProgress();
      write(stderr, `${line}\n`);
    },
    progress(line) {
      if (!stderr.isTTY || interrupted) return;
      // Some terminals (serial consoles, emulators in editors) report 0 columns: assume the classic 80.
      const width = stderr.columns !== undefined && stderr.columns > 0 ? stderr.columns : DEFAULT_COLUMNS;
      write(stderr, `\r\x1b[2K${line.slice(0, width - 1)}`);
      progressShown = true;
    },
    data(value) {
      if (!options.json) return;
      clearProgress();
      write(stdout, `${JSON.stringify({ schemaVersion: JSON_SCHEMA_VERSION, ...value }, null, 2)}\n`);
    },
    paint: (tone, text) => (colour ? paint(tone, text) : text),
  };
}

/** An io that keeps everything in memory: for tests of commands. */
export function memoryIo(json = false, interrupt: AbortSignal = new AbortController().signal): CommandIo & { lines: string[]; errors: string[]; values: unknown[] } {
  const lines: string[] = [];
  const errors: string[] = [];
  const values: unknown[] = [];
  return {
    json,
    lines,
    errors,
    values,
    out: (line) => {
      if (!json) lines.push(line);
    },
    err: (line) => errors.push(line),
    progress: () => undefined,
    data: (value) => {
      if (json) values.push(value);
    },
    paint: (_tone, text) => text,
    interrupt,
  };
}

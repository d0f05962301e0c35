import type { CommandIo } from './io';

/**
 * The real terminal: text to stdout, diagnostics to stderr, progress redrawn in place on a TTY,
 * and in JSON mode nothing but the result on stdout.
 */
export function terminalIo(options: { json: boolean; stdout?: NodeJS.WriteStream; stderr?: NodeJS.WriteStream }): CommandIo {
  const stdout = options.stdout ?? process.stdout;
  const stderr = options.stderr ?? process.stderr;
  let progressShown = false;
  const clearProgress = () => {
    if (progressShown) {
      stderr.write('\r\x1b[2K');
      progressShown = false;
    }
  };
  return {
    json: options.json,
    out(line) {
      if (options.json) return;
      clearProgress();
      stdout.write(`${line}\n`);
    },
    err(line) {
      clearProgress();
      stderr.write(`${line}\n`);
    },
    progress(line) {
      if (!stderr.isTTY) return;
      const width = stderr.columns ?? 100;
      stderr.write(`\r\x1b[2K${line.slice(0, Math.max(10, width - 1))}`);
      progressShown = true;
    },
    data(value) {
      if (!options.json) return;
      clearProgress();
      stdout.write(`${JSON.stringify(value, null, 2)}\n`);
    },
  };
}

/** An io that keeps everything in memory: for tests of commands. */
export function memoryIo(json = false): CommandIo & { lines: string[]; errors: string[]; values: unknown[] } {
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
  };
}

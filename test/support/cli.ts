import { vi } from 'vitest';
import { main } from '../../cli/main';

/**
 * Running the CLI in-process in tests: `captureCliOutput()` (in a beforeEach) spies on
 * process.stdout/stderr writes, `runCli(...)` runs `ecr-autopilot …` and returns its exit code, and
 * `cliStdout()` / `cliStderr()` give what it wrote. Tests restore the spies with `vi.restoreAllMocks()`.
 */
let stdout: string[] = [];
let stderr: string[] = [];

function capture(target: string[]) {
  return (chunk: unknown) => {
    target.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8'));
    return true;
  };
}

export function captureCliOutput(): void {
  stdout = [];
  stderr = [];
  vi.spyOn(process.stdout, 'write').mockImplementation(capture(stdout));
  vi.spyOn(process.stderr, 'write').mockImplementation(capture(stderr));
}

export function runCli(...args: string[]): Promise<number> {
  return main(['node', 'ecr-autopilot', ...args]);
}

export function cliStdout(): string {
  return stdout.join('');
}

export function cliStderr(): string {
  return stderr.join('');
}

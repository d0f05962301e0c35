import { type ChildProcess, spawn, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { inject } from 'vitest';

/**
 * The CLI as users run it: the bundled executable (built for this test run by test/globalSetup.ts)
 * in a child process with a clean environment, so no AWS, colour or config variable of the
 * machine running the tests leaks in.
 */
export function cliBin(): string {
  return join(inject('cliDist'), 'ecr-autopilot.js');
}

/** The variables a child CLI sees besides `env`: only what running node needs. */
export function cleanEnv(env: Record<string, string> = {}): Record<string, string> {
  return { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/root', ...env };
}

export function runCliProcess(args: readonly string[], options: { input?: string; env?: Record<string, string>; cwd?: string } = {}): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, [cliBin(), ...args], {
    encoding: 'utf8',
    env: cleanEnv(options.env),
    ...(options.input !== undefined ? { input: options.input } : {}),
    ...(options.cwd ? { cwd: options.cwd } : {}),
  });
}

/** How a CLI started with `startCliProcess` ended, with everything it wrote. */
export interface FinishedCli {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/**
 * Starts the CLI without waiting for it, for tests that signal it while it runs (Ctrl-C is SIGINT).
 * `output()` is what it wrote so far; `finished` settles when it exits.
 *
 * @example
 * const cli = startCliProcess(['verify'], { env: { AWS_REGION: 'eu-west-1' } });
 * cli.child.kill('SIGINT');
 * expect((await cli.finished).code).toBe(130);
 */
export function startCliProcess(args: readonly string[], options: { env?: Record<string, string> } = {}): { child: ChildProcess; output: () => { stdout: string; stderr: string }; finished: Promise<FinishedCli> } {
  const child = spawn(process.execPath, [cliBin(), ...args], { env: cleanEnv(options.env), stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    stdout += chunk.toString('utf8');
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8');
  });
  const finished = new Promise<FinishedCli>((resolve) => child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })));
  return { child, output: () => ({ stdout, stderr }), finished };
}

/** What esbuild put into each output file of the CLI bundle (dist/metafile.json). */
export function bundleInputs(): Map<string, string[]> {
  const metafile = JSON.parse(readFileSync(join(inject('cliDist'), 'metafile.json'), 'utf8')) as { outputs: Record<string, { inputs: Record<string, unknown> }> };
  return new Map(Object.entries(metafile.outputs).map(([output, { inputs }]) => [basename(output), Object.keys(inputs)]));
}

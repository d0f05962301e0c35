import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { cleanEnv, cliBin, runCliProcess } from '../../support/cliProcess';
import { eventFile, SAMPLE_EVENTS } from '../../support/events';

const ROOT = resolve(fileURLToPath(new URL('../../..', import.meta.url)));
const RED_FAIL = '\x1b[31m[FAIL]\x1b[39m';
const GREEN_PASS = '\x1b[32m[PASS]\x1b[39m';

/** Quotes a word for sh. */
function sh(word: string): string {
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/**
 * Runs the CLI on a real pseudo-terminal, as a user at a terminal does, with `script`: util-linux's
 * on Linux, the BSD one (other arguments) on macOS.
 */
function runOnTerminal(args: readonly string[], env: Record<string, string> = {}): { status: number | null; output: string } {
  const argv = [process.execPath, cliBin(), ...args];
  const scriptArgs = process.platform === 'linux' ? ['--quiet', '--return', '--command', argv.map(sh).join(' '), '/dev/null'] : ['-q', '/dev/null', ...argv];
  const result = spawnSync('script', scriptArgs, { encoding: 'utf8', env: cleanEnv({ TERM: 'xterm-256color', ...env }) });
  return { status: result.status, output: result.stdout };
}

describe('the ecr-autopilot executable', () => {
  it('prints its version with --version and -v', () => {
    // Prepare
    const { version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };

    // Act
    const long = runCliProcess(['--version']);
    const short = runCliProcess(['-v']);

    // Assess
    expect(long.status).toBe(0);
    expect(long.stdout).toBe(`ecr-autopilot ${version}\n`);
    expect(short.stdout).toBe(long.stdout);
  });

  it('reads the event from standard input with --event -', () => {
    // Act
    const result = runCliProcess(['invoke', 'onImagePush', '--event', '-', '--plan', '--json'], { input: readFileSync(eventFile(SAMPLE_EVENTS.pushTagged), 'utf8') });

    // Assess
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    const output = JSON.parse(result.stdout) as { report: { function: string; eventId: string } };
    expect(output.report).toMatchObject({ function: 'onImagePush', eventId: '13cde686-328b-6117-af20-0e5566167482' });
  });

  it('exits 2 when standard input is not JSON, naming standard input', () => {
    // Act
    const result = runCliProcess(['invoke', 'onImagePush', '--event', '-', '--plan'], { input: '{ "id": ' });

    // Assess
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/^error \[USAGE\]: Standard input is not valid JSON: /);
  });
});

describe('a reader that closes the pipe early', () => {
  it('leaves the real exit status for `set -o pipefail` (verify --plan | head -1)', () => {
    // Prepare
    const whole = runCliProcess(['verify', '--plan']).stdout;

    // Act
    const result = spawnSync('bash', ['-c', `set -o pipefail; ${sh(process.execPath)} ${sh(cliBin())} verify --plan | head -1`], { encoding: 'utf8', env: cleanEnv() });

    // Assess
    expect(result.stdout).toBe(`${whole.split('\n')[0]}\n`);
    expect(result.stderr).toBe('');
    expect(result.status).toBe(1);
  });

  it.each([
    ['a failed checklist', ['verify', '--plan'], 1],
    ['a valid policy', ['lifecycle', 'check', join(ROOT, 'infra/lifecycle/services.json')], 0],
  ])('keeps the exit status of %s when stdout is closed before the first write (EPIPE)', async (_name, args, expected) => {
    // Prepare: the read end is closed as soon as the child exists, long before node has started.
    const child = spawn(process.execPath, [cliBin(), ...args], { env: cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.destroy();
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));

    // Act
    const status = await new Promise<number | null>((done) => child.on('close', (code) => done(code)));

    // Assess
    expect(stderr).toBe('');
    expect(status).toBe(expected);
  });
});

describe('colour', () => {
  it('marks [FAIL] red and [PASS] green on a terminal', () => {
    // Act
    const { status, output } = runOnTerminal(['verify', '--plan']);

    // Assess
    expect(status).toBe(1);
    expect(output).toContain(RED_FAIL);
    expect(output).toContain(GREEN_PASS);
  });

  it.each([
    ['NO_COLOR is set', { NO_COLOR: '1' }],
    ['FORCE_COLOR=0', { FORCE_COLOR: '0' }],
    ['TERM=dumb', { TERM: 'dumb' }],
  ])('uses none on a terminal when %s', (_name, env) => {
    // Act
    const { output } = runOnTerminal(['verify', '--plan'], env);

    // Assess
    expect(output).toContain('[FAIL]');
    expect(output).not.toContain('\x1b[3');
  });

  it('uses none when piped', () => {
    // Act
    const result = runCliProcess(['verify', '--plan'], { env: { TERM: 'xterm-256color' } });

    // Assess
    expect(result.stdout).toContain('[FAIL]');
    expect(result.stdout).not.toContain('\x1b[');
  });

  it('uses it when piped with FORCE_COLOR, even beside NO_COLOR', () => {
    // Act
    const result = runCliProcess(['verify', '--plan'], { env: { FORCE_COLOR: '1', NO_COLOR: '1' } });

    // Assess
    expect(result.stdout).toContain(RED_FAIL);
    expect(result.stdout).toContain(GREEN_PASS);
  });

  it('never colours JSON', () => {
    // Act
    const result = runCliProcess(['verify', '--plan', '--json'], { env: { FORCE_COLOR: '1' } });

    // Assess
    expect(() => JSON.parse(result.stdout) as unknown).not.toThrow();
    expect(result.stdout).not.toContain('\x1b[');
  });
});

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { FUNCTION_NAMES } from '../../../cli/functionCatalog';
import { runCliProcess } from '../../support/cliProcess';

/**
 * zsh and fish completing for real (Debian's zsh and fish, installed by .ci/run). fish answers
 * `complete -C '<line>'` itself; zsh completes only inside its line editor, so an interactive zsh
 * runs in a pseudo-terminal (zsh/zpty), `compadd` is wrapped to record every candidate the
 * completion functions offer, and the line is typed with a TAB. The driver waits for compsys's
 * `comppostfuncs` hook to say the completion finished before typing on: input typed ahead can cut
 * a completion short.
 */
let dir: string;
const script = (shell: string): string => join(dir, `completion.${shell}`);

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'ecr-autopilot-completion-shells-'));
  for (const shell of ['zsh', 'fish']) {
    const result = runCliProcess(['completion', shell]);
    expect(result.status).toBe(0);
    writeFileSync(script(shell), result.stdout);
  }
  writeFileSync(join(dir, 'policy.json'), '{}');
});

function completeInZsh(line: string): string[] {
  const hits = join(dir, 'zsh-hits.txt');
  // Markers are printed by commands typed as `RE''ADY`, so the terminal's echo of the typed line never matches them.
  const driver = `
zmodload zsh/zpty
zpty z zsh -f -i
zpty -w z 'PROMPT="> "; autoload -Uz compinit && compinit -u -D'
zpty -w z ${shellQuote(`source ${shellQuote(script('zsh'))}`)}
zpty -w z ${shellQuote(`compadd() { local -a hits; builtin compadd -O hits "$@"; print -rl -- $hits >> ${shellQuote(hits)}; builtin compadd "$@"; }`)}
zpty -w z ${shellQuote(`comppostfuncs=(_signal_done); _signal_done() { print -nu2 'COMPLETION''-DONE'; }`)}
zpty -w z "print RE''ADY"
zpty -r z out '*READY*'
: > ${shellQuote(hits)}
zpty -w -n z ${shellQuote(line)}$'\\t'
zpty -r z out '*COMPLETION-DONE*'
zpty -w -n z $'\\x15'
zpty -w z "print DO''NE"
zpty -r z out '*DONE*'
zpty -d z
`;
  const result = spawnSync('zsh', ['-f', '-c', driver], { encoding: 'utf8', cwd: dir, timeout: 30_000 });
  expect(result.status, result.stderr).toBe(0);
  return [...new Set(readFileSync(hits, 'utf8').split('\n').filter((word) => word !== ''))].sort();
}

function completeInFish(line: string): string[] {
  const result = spawnSync('fish', ['--no-config', '-c', `source ${shellQuote(script('fish'))}; complete -C ${shellQuote(line)}`], { encoding: 'utf8', cwd: dir });
  expect(result.status, result.stderr).toBe(0);
  return result.stdout.split('\n').filter((entry) => entry !== '').map((entry) => entry.split('\t')[0] as string).sort();
}

function shellQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

describe.each([
  ['zsh', completeInZsh],
  ['fish', completeInFish],
])('ecr-autopilot completion %s', (_shell, complete) => {
  it('completes the commands', () => {
    // Act / Assess
    expect(complete('ecr-autopilot ')).toEqual(['completion', 'config', 'copy', 'demo', 'invoke', 'lifecycle', 'mirror', 'ptc', 'teardown', 'verify']);
  });

  it('completes the subcommands of lifecycle', () => {
    // Act / Assess
    expect(complete('ecr-autopilot lifecycle ')).toEqual(['check', 'preview', 'sweep']);
  });

  it('completes the flags of ptc status', () => {
    // Act / Assess
    expect(complete('ecr-autopilot ptc status --')).toEqual(['--help', '--json', '--plan', '--profile', '--region', '--snapshot', '--timeout', '--verbose']);
  });

  it('completes the function names after invoke', () => {
    // Act / Assess
    expect(complete('ecr-autopilot invoke ')).toEqual([...FUNCTION_NAMES].sort());
  });

  it('completes file names for a policy', () => {
    // Act / Assess
    expect(complete('ecr-autopilot lifecycle check pol')).toEqual(['policy.json']);
  });
});

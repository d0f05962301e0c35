import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { COMMANDS } from '../../../cli/commandTable';
import { completionScript } from '../../../cli/commands/completion';
import { FLAGS } from '../../../cli/flags';
import { FUNCTION_NAMES } from '../../../cli/functionCatalog';
import { runCliProcess } from '../../support/cliProcess';

/**
 * bash's completion, for real: the script `ecr-autopilot completion bash` prints is sourced into a
 * bash, which then runs the completion function as it does on TAB (COMP_WORDS/COMP_CWORD set, the
 * function called, COMPREPLY read).
 */
function completeInBash(line: string, cwd?: string): string[] {
  const script = runCliProcess(['completion', 'bash']);
  expect(script.status).toBe(0);
  const dir = mkdtempSync(join(tmpdir(), 'ecr-autopilot-completion-'));
  writeFileSync(join(dir, 'completion.bash'), script.stdout);
  // The words as readline splits them; a trailing space means a new, empty word is being completed.
  const words = line.split(' ');
  const driver = [
    `source ${JSON.stringify(join(dir, 'completion.bash'))}`,
    `COMP_WORDS=(${words.map((word) => `'${word}'`).join(' ')})`,
    `COMP_CWORD=${words.length - 1}`,
    `COMP_LINE=${JSON.stringify(line)}`,
    `COMP_POINT=${line.length}`,
    // The function registered for the command, as bash's `complete -p` reports it.
    `$(complete -p ecr-autopilot | sed -E 's/.*-F ([^ ]+).*/\\1/')`,
    `printf '%s\\n' "\${COMPREPLY[@]}"`,
  ].join('\n');
  const result = spawnSync('bash', ['--norc', '--noprofile', '-c', driver], { encoding: 'utf8', ...(cwd ? { cwd } : {}) });
  expect(result.stderr).toBe('');
  expect(result.status).toBe(0);
  return result.stdout.split('\n').filter((word) => word !== '');
}

describe('ecr-autopilot completion bash', () => {
  it('completes the commands, and help', () => {
    // Act
    const words = completeInBash('ecr-autopilot ');

    // Assess
    expect(words.sort()).toEqual(['completion', 'config', 'copy', 'demo', 'help', 'invoke', 'lifecycle', 'mirror', 'ptc', 'teardown', 'verify']);
  });

  it('completes a command from its first letters', () => {
    // Act / Assess
    expect(completeInBash('ecr-autopilot co')).toEqual(['config', 'copy', 'completion']);
  });

  it('completes the subcommands of lifecycle and ptc', () => {
    // Act / Assess
    expect(completeInBash('ecr-autopilot lifecycle ')).toEqual(['check', 'preview', 'sweep']);
    expect(completeInBash('ecr-autopilot ptc s')).toEqual(['sync', 'status']);
  });

  it('completes the flags of the command being typed, from the flag table', () => {
    // Act
    const words = completeInBash('ecr-autopilot ptc status --');

    // Assess
    expect(words).toEqual(['--plan', '--snapshot', '--json', '--verbose', '--region', '--profile', '--timeout', '--help']);
  });

  it('completes the flags of every command exactly as the table declares them', () => {
    for (const command of COMMANDS) {
      // Act
      const words = completeInBash(`ecr-autopilot ${command.path.join(' ')} -`);

      // Assess
      expect(words, command.path.join(' ')).toEqual([...command.flags.map((name) => FLAGS[name].syntax.split(' ')[0]), '--help']);
    }
  });

  it('completes the function names after invoke, also after its flags', () => {
    // Act / Assess
    expect(completeInBash('ecr-autopilot invoke ')).toEqual([...FUNCTION_NAMES]);
    expect(completeInBash('ecr-autopilot invoke --plan --snapshot s.json onImageS')).toEqual(['onImageScan']);
  });

  it('completes file names for file flags and file arguments, and nothing for other values', () => {
    // Prepare
    const dir = mkdtempSync(join(tmpdir(), 'ecr-autopilot-files-'));
    mkdirSync(join(dir, 'events'));
    writeFileSync(join(dir, 'events', 'push.json'), '{}');
    writeFileSync(join(dir, 'policy.json'), '{}');

    // Act / Assess
    expect(completeInBash('ecr-autopilot invoke onImagePush --event events/p', dir)).toEqual(['events/push.json']);
    expect(completeInBash('ecr-autopilot lifecycle check po', dir)).toEqual(['policy.json']);
    expect(completeInBash('ecr-autopilot verify --snapshot ', dir).sort()).toEqual(['events', 'policy.json']);
    expect(completeInBash('ecr-autopilot verify --region ', dir)).toEqual([]);
  });

  it('completes the shells after completion', () => {
    // Act / Assess
    expect(completeInBash('ecr-autopilot completion ')).toEqual(['bash', 'zsh', 'fish']);
  });

  it('completes --version and --help before a command', () => {
    // Act / Assess
    expect(completeInBash('ecr-autopilot --v')).toEqual(['--version']);
  });
});

describe('ecr-autopilot completion', () => {
  it('exits 2 for a shell it has no script for, naming the ones it has', () => {
    // Act
    const result = runCliProcess(['completion', 'powershell']);

    // Assess
    expect(result.status).toBe(2);
    expect(result.stderr).toContain("error: command-argument value 'powershell' is invalid for argument 'shell'. Allowed choices are bash, zsh, fish.");
  });

  it('prints the script it generates', () => {
    // Act
    const result = runCliProcess(['completion', 'fish']);

    // Assess
    expect(result.status).toBe(0);
    expect(result.stdout).toBe(completionScript('fish'));
  });
});

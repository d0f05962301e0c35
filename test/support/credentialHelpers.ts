/**
 * Fake Docker credential helpers: `docker-credential-<name>` shell scripts in a temporary directory
 * to put first on PATH. Each speaks the helper protocol for the servers it is given, and records
 * what it was run with — its arguments, the server read from stdin, and its parent's command line
 * (the process that ran it, as `ps` shows it) — so tests can check that no secret passes through
 * a command line.
 */
import { chmodSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';

/** What a fake helper does when asked about a server. */
export type HelperAnswer = { username: string; secret: string } | { raw: string; exitCode?: number };

export interface FakeHelpers {
  /** The directory holding the scripts: put it first on PATH. */
  directory: string;
  /** PATH with the directory first. */
  path: string;
  /** One entry per run of `name`: its arguments, the server it was asked about, and its parent's command line. */
  runs(name: string): Array<{ argv: string; server: string; parentCommandLine: string }>;
}

function shellQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

/**
 * Writes one fake helper per entry of `helpers`; servers not listed get "credentials not found".
 *
 * @example
 * const fake = fakeCredentialHelpers({ store: { 'quay.io': { username: 'robot', secret: 's3cret' } } });
 */
export function fakeCredentialHelpers(helpers: Record<string, Record<string, HelperAnswer> | { hang: true }>): FakeHelpers {
  const directory = mkdtempSync(join(tmpdir(), 'ecr-autopilot-helpers-'));
  for (const [name, answers] of Object.entries(helpers)) {
    const log = join(directory, `${name}.log`);
    const cases =
      'hang' in answers
        ? ''
        : Object.entries(answers as Record<string, HelperAnswer>)
            .map(([server, answer]) => {
              const output = 'raw' in answer ? answer.raw : JSON.stringify({ ServerURL: server, Username: answer.username, Secret: answer.secret });
              return `  ${shellQuote(server)}) printf '%s' ${shellQuote(output)}; exit ${'raw' in answer ? (answer.exitCode ?? 0) : 0} ;;`;
            })
            .join('\n');
    const script = [
      '#!/bin/sh',
      `log=${shellQuote(log)}`,
      'server=""',
      'IFS= read -r server || true',
      `printf 'argv=%s\\tserver=%s\\tparent=' "$*" "$server" >> "$log"`,
      `tr '\\000' ' ' < /proc/$PPID/cmdline >> "$log"`,
      `printf '\\n' >> "$log"`,
      'hang' in answers ? 'exec tail -f /dev/null' : `case "$server" in\n${cases}\nesac\necho "credentials not found in native keychain"\nexit 1`,
      '',
    ].join('\n');
    const file = join(directory, `docker-credential-${name}`);
    writeFileSync(file, script);
    chmodSync(file, 0o755);
  }
  return {
    directory,
    path: `${directory}${delimiter}${process.env.PATH ?? ''}`,
    runs(name) {
      const log = join(directory, `${name}.log`);
      if (!existsSync(log)) return [];
      return readFileSync(log, 'utf8')
        .split('\n')
        .filter((line) => line !== '')
        .map((line) => {
          const [argv = '', server = '', parent = ''] = line.split('\t');
          return { argv: argv.replace(/^argv=/, ''), server: server.replace(/^server=/, ''), parentCommandLine: parent.replace(/^parent=/, '').trim() };
        });
    },
  };
}

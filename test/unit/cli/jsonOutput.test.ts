import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { COMMANDS } from '../../../cli/commandTable';
import { captureCliOutput, cliStdout, runCli } from '../../support/cli';
import { eventFile, SAMPLE_EVENTS } from '../../support/events';
import { documentedJsonFields } from '../../support/readme';

const ROOT = resolve(fileURLToPath(new URL('../../..', import.meta.url)));
const POLICY = join(ROOT, 'infra/lifecycle/services.json');

function describeImagesFile(): string {
  const file = join(mkdtempSync(join(tmpdir(), 'ecr-autopilot-json-')), 'describe-images.json');
  writeFileSync(file, JSON.stringify({ imageDetails: [{ imageDigest: `sha256:${'b'.repeat(64)}`, imageTags: ['v1'], imagePushedAt: '2026-01-02T03:04:05+00:00' }] }));
  return file;
}

/** How each command is run offline for its JSON (copy needs registries: test/integration/cli/copyJson.test.ts). */
const RUNS: Record<string, string[]> = {
  invoke: ['invoke', 'onImagePush', '--event', eventFile(SAMPLE_EVENTS.pushTagged), '--plan', '--json'],
  'lifecycle sweep': ['lifecycle', 'sweep', '--plan', '--json'],
  mirror: ['mirror', '--plan', '--json'],
  verify: ['verify', '--plan', '--json'],
  teardown: ['teardown', '--plan', '--json'],
  'ptc sync': ['ptc', 'sync', '--plan', '--json'],
  'ptc status': ['ptc', 'status', '--plan', '--json'],
  demo: ['demo', '--json'],
  config: ['config', '--json'],
  'lifecycle check': ['lifecycle', 'check', POLICY, '--json'],
  'lifecycle preview': ['lifecycle', 'preview', '--policy', POLICY, '--images', describeImagesFile(), '--now', '2026-11-20T09:00:00Z', '--json'],
};

beforeEach(() => {
  captureCliOutput();
  vi.stubEnv('AUTOPILOT_CONFIG', '');
});

afterEach(() => {
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
});

describe('--json output', () => {
  it('is documented in the README for every command that takes --json', () => {
    // Prepare
    const withJson = COMMANDS.filter((command) => (command.flags as readonly string[]).includes('json')).map((command) => command.path.join(' '));

    // Act
    const documented = [...documentedJsonFields().keys()];

    // Assess
    expect(documented.sort()).toEqual(withJson.sort());
    expect([...Object.keys(RUNS), 'copy'].sort()).toEqual(withJson.sort());
  });

  it.each(Object.entries(RUNS))('of %s has the fields the README documents, schemaVersion 1 first', async (command, args) => {
    // Act
    await runCli(...args);

    // Assess
    const output = JSON.parse(cliStdout()) as Record<string, unknown>;
    expect(Object.keys(output)).toEqual(documentedJsonFields().get(command));
    expect(output.schemaVersion).toBe(1);
  });

  it.each(['invoke', 'lifecycle sweep', 'mirror', 'verify', 'teardown', 'ptc sync'])('of %s holds the function report the README describes', async (command) => {
    // Act
    await runCli(...(RUNS[command] as string[]));

    // Assess
    const { mode, report } = JSON.parse(cliStdout()) as { mode: string; report: Record<string, unknown> };
    expect(mode).toBe('plan');
    expect(Object.keys(report)).toEqual(expect.arrayContaining(['function', 'outcome', 'decision', 'changes']));
    expect(['done', 'ignored', 'failed']).toContain(report.outcome);
  });
});

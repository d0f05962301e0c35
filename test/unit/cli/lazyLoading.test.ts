import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { bundleInputs, cleanEnv, cliBin } from '../../support/cliProcess';
import { spawnSync } from 'node:child_process';

const ROOT = resolve(fileURLToPath(new URL('../../..', import.meta.url)));
const RECORDER = join(ROOT, 'test/support/recordLoadedModules.mjs');
const POLICY = join(ROOT, 'infra/lifecycle/services.json');
const AWS_SDK = /node_modules\/(@aws-sdk|@smithy|@aws-crypto)\//;

/** What `aws ecr describe-images` prints, for `lifecycle preview --images`. */
function describeImagesFile(): string {
  const file = join(mkdtempSync(join(tmpdir(), 'ecr-autopilot-images-')), 'describe-images.json');
  writeFileSync(file, JSON.stringify({ imageDetails: [{ imageDigest: `sha256:${'a'.repeat(64)}`, imageTags: ['v1'], imagePushedAt: '2026-01-02T03:04:05+00:00' }] }));
  return file;
}

/**
 * Runs the bundled CLI with a module-load hook and returns every source file (as esbuild's
 * metafile names its inputs) in the bundle files the process loaded.
 */
function sourcesLoadedBy(args: readonly string[], env: Record<string, string> = {}): { status: number | null; sources: string[] } {
  const dir = mkdtempSync(join(tmpdir(), 'ecr-autopilot-loaded-'));
  const log = join(dir, 'loaded.txt');
  writeFileSync(log, '');
  // No AWS settings at all: a live command fails fast (no region), an offline one never asks.
  const result = spawnSync(process.execPath, ['--import', RECORDER, cliBin(), ...args], { encoding: 'utf8', env: cleanEnv({ ...env, LOADED_MODULES_LOG: log }), cwd: dir });
  const inputs = bundleInputs();
  const files = readFileSync(log, 'utf8').split('\n').filter((url) => url.startsWith('file:')).map((url) => basename(fileURLToPath(url)));
  expect(files).toContain('ecr-autopilot.js');
  return { status: result.status, sources: [...new Set(files.flatMap((file) => inputs.get(file) ?? []))] };
}

describe('lazy command loading', () => {
  it('loads the AWS SDK for a live command (the check can fail)', () => {
    // Act
    const { sources } = sourcesLoadedBy(['ptc', 'status']);

    // Assess
    expect(sources.filter((source) => AWS_SDK.test(source)).length).toBeGreaterThan(50);
  });

  it.each([
    ['--help', ['--help'], 0],
    ['--version', ['--version'], 0],
    ['lifecycle check', ['lifecycle', 'check', POLICY], 0],
    ['lifecycle preview --images', ['lifecycle', 'preview', '--policy', POLICY, '--images', describeImagesFile()], 0],
    ['config', ['config'], 0],
    // Nothing listens on the discard port: the copy runs until it connects, then fails (3).
    ['copy (registries outside ECR)', ['copy', '127.0.0.1:9/source/app:v1', '127.0.0.1:9/destination/app:v1'], 3],
    ['completion bash', ['completion', 'bash'], 0],
  ])('loads no AWS SDK for %s', (_name, args, exitCode) => {
    // Act
    const { status, sources } = sourcesLoadedBy(args);

    // Assess
    expect(status).toBe(exitCode);
    expect(sources.filter((source) => AWS_SDK.test(source))).toEqual([]);
  });

  it('loads no command module for --help', () => {
    // Act
    const { status, sources } = sourcesLoadedBy(['--help']);

    // Assess
    expect(status).toBe(0);
    expect(sources.filter((source) => source.startsWith('cli/commands/') || source.startsWith('lib/') && source !== 'lib/errors.ts')).toEqual([]);
  });

  it.each([
    ['without auth files', {}],
    ['with a ~/.docker/config.json', { auths: { 'quay.io': { auth: Buffer.from('robot:token').toString('base64') } }, credsStore: 'desktop' }],
  ])('copy %s parses no auth file and runs no credential helper until a registry asks for credentials', (_name, config) => {
    // Prepare
    const home = mkdtempSync(join(tmpdir(), 'ecr-autopilot-home-'));
    if (Object.keys(config).length > 0) {
      mkdirSync(join(home, '.docker'));
      writeFileSync(join(home, '.docker', 'config.json'), JSON.stringify(config));
    }

    // Act
    const { status, sources } = sourcesLoadedBy(['copy', '127.0.0.1:9/source/app:v1', '127.0.0.1:9/destination/app:v1'], { HOME: home });

    // Assess
    expect(status).toBe(3);
    expect(sources).toContain('lib/oci/transport/authFileSearch.ts');
    expect(sources.filter((source) => /zod|lib\/oci\/transport\/(authFile|credentialHelper)\.ts$/.test(source))).toEqual([]);
  });
});

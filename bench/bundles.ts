import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { build, type BuildOptions } from 'esbuild';
import type { BenchSection, Measurement } from './types';

const ROOT = resolve(import.meta.dirname, '..');
const require = createRequire(import.meta.url);
const { lambdaBuildOptions } = require('../infra/build/esbuild.config.cjs') as { lambdaBuildOptions: () => BuildOptions & { exclude?: unknown; packager?: unknown; outputFileExtension?: unknown } };

/** Targets from the foundation issue: per function, minified with the AWS SDK bundled. */
const SIZE_TARGET_KB = 300;
const IMPORT_TARGET_MS = 100;
const IMPORT_RUNS = 7;

/**
 * Bundles every Lambda entry point exactly as `osls package` does (same esbuild options) and
 * measures its size and its cold import time: a fresh `node` process importing the bundle, median
 * of several runs. The baseline is a fresh process importing an empty module, measured the same way.
 */
export const bundlesBench: BenchSection = {
  title: 'Lambda bundles (minified, AWS SDK bundled)',
  async run(): Promise<Measurement[]> {
    const out = mkdtempSync(join(tmpdir(), 'ecr-autopilot-bundles-'));
    try {
      const entryPoints = readdirSync(join(ROOT, 'functions'))
        .filter((name) => name.endsWith('.ts'))
        .map((name) => join(ROOT, 'functions', name));
      const { exclude: _exclude, packager: _packager, outputFileExtension: _ext, ...options } = lambdaBuildOptions();
      const result = await build({ ...options, entryPoints, outdir: out, outExtension: { '.js': '.mjs' }, logLevel: 'warning', metafile: true });
      const empty = join(out, 'empty.mjs');
      writeFileSync(empty, 'export {};\n');
      const baseline = medianImportMs(empty);
      const results: Measurement[] = [];
      for (const file of readdirSync(out).filter((name) => name.endsWith('.mjs') && name !== 'empty.mjs').sort()) {
        const path = join(out, file);
        const name = basename(file, '.mjs');
        results.push({ name: `${name} bundle size`, value: round(statSync(path).size / 1024), unit: 'KB', target: { max: SIZE_TARGET_KB } });
        // Shipped beside the bundle; read by Node only with --enable-source-maps.
        results.push({ name: `  ${name}: source map`, value: round(statSync(`${path}.map`).size / 1024), unit: 'KB' });
        const inputs = Object.entries(result.metafile.outputs).find(([output]) => output.endsWith(`/${file}`))?.[1].inputs ?? {};
        for (const [group, kb] of composition(inputs)) results.push({ name: `  ${name}: ${group}`, value: kb, unit: 'KB' });
        results.push({
          name: `${name} cold import`,
          value: round(medianImportMs(path)),
          unit: 'ms',
          baseline: { name: 'empty module', value: round(baseline) },
          target: { max: IMPORT_TARGET_MS },
        });
      }
      return results;
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  },
};

/**
 * Median time for a fresh node process to import the module (measured inside the process), with
 * NODE_OPTIONS=--enable-source-maps as the stack sets it (serverless.yml), so reading the source map
 * is part of the figure.
 */
function medianImportMs(path: string): number {
  const script = `const t = performance.now(); await import(${JSON.stringify(path)}); process.stdout.write(String(performance.now() - t));`;
  const samples: number[] = [];
  for (let i = 0; i < IMPORT_RUNS; i += 1) {
    const result = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
      encoding: 'utf8',
      env: { PATH: process.env.PATH, AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'bench', AWS_SECRET_ACCESS_KEY: 'bench', NODE_OPTIONS: '--enable-source-maps' },
    });
    if (result.status !== 0) throw new Error(`importing ${path} failed: ${result.stderr}`);
    samples.push(Number(result.stdout));
  }
  samples.sort((a, b) => a - b);
  return samples[Math.floor(samples.length / 2)] ?? Number.NaN;
}

/** What a bundle is made of, by origin, so a size miss says where the bytes are. */
const GROUPS: ReadonlyArray<[string, RegExp]> = [
  ['AWS SDK (clients, @smithy, @aws-sdk core)', /node_modules\/(@aws-sdk|@smithy|@aws\/)/],
  ['Powertools (logger, idempotency, parameters)', /node_modules\/(@aws-lambda-powertools|mnemonist|obliterator)/],
  ['zod', /node_modules\/zod\//],
  ['other dependencies', /node_modules\//],
  ['ecr-autopilot', /./],
];

function composition(inputs: Record<string, { bytesInOutput: number }>): Array<[string, number]> {
  const totals = new Map<string, number>();
  for (const [path, input] of Object.entries(inputs)) {
    const group = GROUPS.find(([, pattern]) => pattern.test(path))?.[0] ?? 'ecr-autopilot';
    totals.set(group, (totals.get(group) ?? 0) + input.bytesInOutput);
  }
  return GROUPS.map(([group]) => [group, round((totals.get(group) ?? 0) / 1024)] as [string, number]).filter(([, kb]) => kb > 0);
}

function round(value: number): number {
  return Math.round(value * 10) / 10;
}

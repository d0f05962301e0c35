import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build, type BuildOptions } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { LAMBDA_ENV } from '../support/lambdaHarness';

const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const require = createRequire(import.meta.url);
const { lambdaBuildOptions } = require('../../infra/build/esbuild.config.cjs') as {
  lambdaBuildOptions: () => BuildOptions & { exclude?: unknown; packager?: unknown; outputFileExtension?: unknown };
};

/** The stack's NODE_OPTIONS for every function (serverless.yml provider.environment). */
function stackNodeOptions(): string {
  const text = readFileSync(join(ROOT, 'serverless.yml'), 'utf8');
  // The CloudFormation short forms (!Sub, !Ref) are not YAML the `yaml` package knows; they do not matter here.
  const stack = parse(text.replace(/!(Sub|Ref|GetAtt)\b/g, ''), { logLevel: 'silent' }) as { provider: { environment: Record<string, string> } };
  return stack.provider.environment.NODE_OPTIONS ?? '';
}

/** The repository root as the map's `sources` name it: relative to the bundle's directory. */
function relativeRoot(): string {
  return relative(out, ROOT).split('\\').join('/');
}

let out: string;
let bundle: string;

beforeAll(async () => {
  // The bundle exactly as `osls package` builds it (the same options), into a temporary directory.
  out = mkdtempSync(join(tmpdir(), 'ecr-autopilot-sourcemaps-'));
  const { exclude: _exclude, packager: _packager, outputFileExtension: _extension, ...options } = lambdaBuildOptions();
  await build({ ...options, absWorkingDir: ROOT, entryPoints: [join(ROOT, 'functions/onImagePush.ts')], outdir: out, outExtension: { '.js': '.mjs' }, logLevel: 'warning' });
  bundle = join(out, 'onImagePush.mjs');
}, 120_000);

afterAll(() => {
  if (out) rmSync(out, { recursive: true, force: true });
});

/** Invokes the bundled handler with a malformed event in a fresh node, as Lambda would, and returns the error it throws. */
function invokeWithMalformedEvent(nodeOptions: string): { name: string; className: string; stack: string } {
  const script = `
const { handler } = await import(${JSON.stringify(pathToFileURL(bundle).href)});
const context = { functionName: 'onImagePush', functionVersion: '$LATEST', invokedFunctionArn: 'arn:aws:lambda:ap-northeast-2:123456789012:function:onImagePush', memoryLimitInMB: '256', awsRequestId: 'req-1', logGroupName: 'g', logStreamName: 's', getRemainingTimeInMillis: () => 60000 };
try {
  await handler({ id: 'not-an-ecr-event', 'detail-type': 'ECR Image Action', source: 'aws.ecr', detail: {} }, context);
} catch (error) {
  process.stderr.write('RESULT ' + JSON.stringify({ name: error.name, className: error.constructor.name, stack: error.stack }) + '\\n');
}`;
  const result = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', env: { PATH: process.env.PATH ?? '', ...LAMBDA_ENV, NODE_OPTIONS: nodeOptions } });
  const line = result.stderr.split('\n').find((entry) => entry.startsWith('RESULT '));
  if (!line) throw new Error(`the handler did not throw: ${result.stderr}`);
  return JSON.parse(line.slice('RESULT '.length)) as { name: string; className: string; stack: string };
}

describe('Lambda bundles', () => {
  it('ship a source map beside the bundle, without the sources', () => {
    // Act / Assess
    expect(existsSync(`${bundle}.map`)).toBe(true);
    const map = JSON.parse(readFileSync(`${bundle}.map`, 'utf8')) as { sources: string[] };
    expect(map.sources).toContain(`${relativeRoot()}/lib/events/parseEvent.ts`);
    expect(map).not.toHaveProperty('sourcesContent');
  });

  it('run with --enable-source-maps in the stack', () => {
    // Act / Assess
    expect(stackNodeOptions().split(/\s+/)).toContain('--enable-source-maps');
  });

  it('throw errors with their class names and stacks into the TypeScript sources', () => {
    // Act
    const error = invokeWithMalformedEvent(stackNodeOptions());

    // Assess
    expect(error.name).toBe('EventValidationError');
    expect(error.className).toBe('EventValidationError');
    expect(error.stack).toMatch(/^EventValidationError: Invalid ECR Image Action event/);
    expect(error.stack).toMatch(/at parseEvent \(\S*lib\/events\/parseEvent\.ts:\d+:\d+\)/);
    expect(error.stack).toMatch(/functions\/runtime\/lambdaEntry\.ts:\d+:\d+/);
    expect(error.stack).not.toContain('onImagePush.mjs');
  });

  it('point into the minified bundle without the source maps (what the flag changes)', () => {
    // Act
    const error = invokeWithMalformedEvent('');

    // Assess
    expect(error.className).toBe('EventValidationError');
    expect(error.stack).toContain('onImagePush.mjs:');
    expect(error.stack).not.toContain('parseEvent.ts');
  });
});

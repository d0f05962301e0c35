// Bundles the `ecr-autopilot` CLI into dist/ (run by `npm ci` through the `prepare` script): one
// small entry, plus a chunk per lazily imported command, so a command loads only what it runs.
// `node infra/build/buildCli.mjs [outdir]`; the test suite builds it the same way (test/globalSetup.ts).
import { chmodSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const CLI_ENTRY_NAME = 'ecr-autopilot';

/**
 * The project's modules find files next to them with `new URL('../events/…', import.meta.url)`.
 * In the bundle every module lives in dist/, so each use in our own sources is rewritten to the URL
 * the source file had (relative to dist/, hence still correct wherever the package is installed).
 */
function sourceUrlPlugin(outdir) {
  return {
    name: 'ecr-autopilot-source-url',
    setup(pluginBuild) {
      pluginBuild.onLoad({ filter: /\.ts$/ }, (args) => {
        if (args.path.includes(`${join('node_modules', '')}`)) return undefined;
        const contents = readFileSync(args.path, 'utf8');
        if (!contents.includes('import.meta.url')) return { contents, loader: 'ts' };
        const fromOutdir = relative(outdir, args.path).split('\\').join('/');
        return { contents: contents.replaceAll('import.meta.url', `new URL(${JSON.stringify(fromOutdir)}, import.meta.url).href`), loader: 'ts' };
      });
    },
  };
}

/** The esbuild options for the CLI bundle in `outdir`. */
export function cliBuildOptions(outdir = join(ROOT, 'dist')) {
  return {
    absWorkingDir: ROOT,
    entryPoints: { [CLI_ENTRY_NAME]: join(ROOT, 'cli/bin.ts') },
    outdir,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20.19',
    entryNames: '[name]',
    chunkNames: '[name]-[hash]',
    mainFields: ['module', 'main'],
    minify: true,
    // Error names and stack frames stay readable; `DEBUG=1 ecr-autopilot …` maps frames to the sources.
    keepNames: true,
    sourcemap: 'linked',
    sourcesContent: false,
    legalComments: 'none',
    // Bundled CommonJS dependencies (commander, yaml) call require() for Node built-ins.
    banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
    metafile: true,
    logLevel: 'warning',
    plugins: [sourceUrlPlugin(outdir)],
  };
}

/**
 * Builds the CLI into `outdir` (emptied first) and writes its metafile beside it, which the
 * lazy-loading test and the benchmark read.
 *
 * @example
 * await buildCli(); // dist/ecr-autopilot.js
 */
export async function buildCli(outdir = join(ROOT, 'dist')) {
  rmSync(outdir, { recursive: true, force: true });
  const result = await build(cliBuildOptions(outdir));
  writeFileSync(join(outdir, 'metafile.json'), JSON.stringify(result.metafile));
  chmodSync(join(outdir, `${CLI_ENTRY_NAME}.js`), 0o755);
  return result;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  await buildCli(process.argv[2] ? resolve(process.argv[2]) : undefined);
}

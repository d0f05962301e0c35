// esbuild options for every Lambda bundle: used by serverless-esbuild (`osls package`) and by the
// bundle benchmark (bench/bundles.ts), so what is measured is what is deployed.
const { buildSync } = require('esbuild');
const { mkdirSync, mkdtempSync, rmSync } = require('node:fs');
const { join, resolve } = require('node:path');
const { pathToFileURL } = require('node:url');

const ROOT = resolve(__dirname, '../..');

/**
 * Embeds the configuration into functions/runtime/bundledConfig.ts at build time: loaded and
 * validated with the same code as the CLI (lib/config/loadConfig.ts), so an invalid configuration
 * fails the build instead of the first invocation, and the bundle carries no YAML parser.
 */
function embedConfigPlugin() {
  return {
    name: 'ecr-autopilot-embed-config',
    setup(build) {
      let embedded;
      build.onLoad({ filter: /functions[\\/]runtime[\\/]bundledConfig\.ts$/ }, async () => {
        embedded ??= await loadConfigForBundle();
        return {
          loader: 'ts',
          contents: `// Embedded at build time from ${embedded.source.replace(/[\r\n]/g, '')}\nconst config = ${JSON.stringify(embedded)};\nexport function bundledConfig() { return config; }\n`,
        };
      });
    },
  };
}

async function loadConfigForBundle() {
  // Inside the project, so the bundle's bare imports (yaml, zod) resolve from its node_modules.
  const cache = join(ROOT, 'node_modules/.cache');
  mkdirSync(cache, { recursive: true });
  const dir = mkdtempSync(join(cache, 'ecr-autopilot-config-'));
  try {
    const out = join(dir, 'loadConfig.mjs');
    buildSync({
      entryPoints: [join(ROOT, 'lib/config/loadConfig.ts')],
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      outfile: out,
      packages: 'external',
      logLevel: 'silent',
      banner: { js: `const __importMetaUrl = ${JSON.stringify(pathToFileURL(join(ROOT, 'lib/config/loadConfig.ts')).href)};` },
      define: { 'import.meta.url': '__importMetaUrl' },
    });
    const { loadConfig, configPath } = await import(pathToFileURL(out).href);
    const { config, warnings } = loadConfig(configPath());
    for (const warning of warnings) console.warn(`ecr-autopilot config warning: ${warning}`);
    return config;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Lambda bundles resolve credentials from the environment only (functions/runtime/lambdaCredentials.ts). */
function lambdaCredentialsPlugin() {
  return {
    name: 'ecr-autopilot-lambda-credentials',
    setup(build) {
      build.onResolve({ filter: /^@aws-sdk\/credential-provider-node$/ }, () => ({ path: join(ROOT, 'functions/runtime/lambdaCredentials.ts') }));
    },
  };
}

/**
 * The options; serverless-esbuild adds entry points and output paths. Bundles are ESM with the `.mjs`
 * extension Lambda needs; for the `local` stage they are `.js`, because `osls invoke local` only
 * loads extensionless, `.js` or `.cjs` handlers (ESM `.js` loads there through this package's
 * `"type": "module"`).
 */
function lambdaBuildOptions(stage) {
  return {
    bundle: true,
    minify: true,
    sourcemap: false,
    format: 'esm',
    platform: 'node',
    target: 'node22',
    outputFileExtension: stage === 'local' ? '.js' : '.mjs',
    mainFields: ['module', 'main'],
    // Some dependencies still call require() for Node built-ins; give the ESM bundle one.
    banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
    exclude: [],
    packager: 'npm',
    plugins: [embedConfigPlugin(), lambdaCredentialsPlugin()],
  };
}

module.exports = (serverless) => lambdaBuildOptions(serverless?.processedInput?.options?.stage ?? serverless?.service?.provider?.stage);
module.exports.lambdaBuildOptions = lambdaBuildOptions;

// esbuild options for every Lambda bundle: used by serverless-esbuild (`osls package`) and by the
// bundle benchmark (bench/bundles.ts), so what is measured is what is deployed.
const { join, resolve } = require('node:path');
const { loadBuildConfig } = require('./buildConfig.cjs');

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
        embedded ??= (await loadBuildConfig()).config;
        return {
          loader: 'ts',
          contents: `// Embedded at build time from ${embedded.source.replace(/[\r\n]/g, '')}\nconst config = ${JSON.stringify(embedded)};\nexport function bundledConfig() { return config; }\n`,
        };
      });
    },
  };
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
    // Errors name their class and point into the sources (`ConfigError … lib/config/loadConfig.ts:88`),
    // not `t` at `onImagePush.mjs:348:25141`: names survive minification, and the stack maps back
    // through the external map, which Node reads with NODE_OPTIONS=--enable-source-maps
    // (serverless.yml). Without `sourcesContent` the map carries positions only.
    keepNames: true,
    sourcemap: true,
    sourcesContent: false,
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

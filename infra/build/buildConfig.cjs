// Loads infra/autopilot.yml (or AUTOPILOT_CONFIG) at build time with the core's own loader, so the
// bundles embed exactly what the CLI validates and IAM statements name exactly what it declares.
const { buildSync } = require('esbuild');
const { mkdirSync, mkdtempSync, rmSync } = require('node:fs');
const { join, resolve } = require('node:path');
const { pathToFileURL } = require('node:url');

const ROOT = resolve(__dirname, '../..');
let loaded;

let failureReported = false;

/**
 * `{ config, fleetDefinitions, mirrorRepositories, ptcPrefixes, templateRoles, expireOnPushRepositoryPatterns }`,
 * loaded once per build. Rejects on an invalid configuration: osls reports every variable that could
 * not be resolved, so the first rejection carries the configuration's problems (without a stack:
 * they are the user's to fix, not ours) and the others only point at it.
 */
function loadBuildConfig() {
  loaded ??= load();
  return loaded.catch((error) => {
    if (failureReported) throw withoutStack(new Error('the configuration is invalid: its problems are listed once, under the ConfigError in this list'));
    failureReported = true;
    throw error.name === 'ConfigError' ? withoutStack(error) : error;
  });
}

function withoutStack(error) {
  error.stack = `${error.name}: ${error.message}`;
  return error;
}

async function load() {
  // Inside the project, so the bundle's bare imports (yaml, zod) resolve from its node_modules.
  const cache = join(ROOT, 'node_modules/.cache');
  mkdirSync(cache, { recursive: true });
  const dir = mkdtempSync(join(cache, 'ecr-autopilot-config-'));
  try {
    const entry = join(ROOT, 'infra/build/buildEntry.ts');
    const out = join(dir, 'buildEntry.mjs');
    buildSync({
      entryPoints: [entry],
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      outfile: out,
      packages: 'external',
      logLevel: 'silent',
      // loadConfig finds infra/autopilot.yml relative to its own source file.
      banner: { js: `const __importMetaUrl = ${JSON.stringify(pathToFileURL(join(ROOT, 'lib/config/loadConfig.ts')).href)};` },
      define: { 'import.meta.url': '__importMetaUrl' },
    });
    const core = await import(pathToFileURL(out).href);
    const { config, warnings } = core.loadConfig(core.configPath());
    for (const warning of warnings) console.warn(`ecr-autopilot config warning: ${warning}`);
    const ptcRules = core.desiredPtcState(config).rules;
    return {
      config,
      // The fleet state machines, derived from `fleet` by the same code the batch functions and the bench use.
      fleetDefinitions: { sweep: core.fleetStateMachineDefinition(core.planFleet(config.fleet, 'sweep')), mirror: core.fleetStateMachineDefinition(core.planFleet(config.fleet, 'mirror')) },
      mirrorRepositories: [...new Set(core.mirrorTargets(config.mirror).map((target) => target.repository))],
      ptcPrefixes: ptcRules.map((rule) => rule.prefix.replace(/\/$/, '')),
      templateRoles: [...new Set(ptcRules.flatMap((rule) => (rule.template.customRoleArn ? [rule.template.customRoleArn] : [])))],
      // IAM resource patterns (after `repository/`) covering the repositories of expireOnPush classes.
      expireOnPushRepositoryPatterns: [
        ...new Set(config.repositoryClasses.filter((repositoryClass) => repositoryClass.expireOnPush).flatMap((repositoryClass) => repositoryClass.repositories.flatMap(core.repositoryGlobToArnPatterns))),
      ],
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

module.exports = { loadBuildConfig };

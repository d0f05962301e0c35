import { loadConfig } from '../../lib/config/loadConfig';
import type { AutopilotConfig } from '../../lib/config/types';

/**
 * The configuration a Lambda function runs with.
 *
 * In a deployed bundle this module is replaced at build time (infra/build/esbuild.config.cjs) by
 * the configuration loaded and validated from `AUTOPILOT_CONFIG` or `infra/autopilot.yml`: a bad
 * configuration fails `osls package`, and the bundle carries no YAML parser. In tests and local
 * runs it loads the file on first use.
 */
let loaded: AutopilotConfig | undefined;

export function bundledConfig(): AutopilotConfig {
  loaded ??= loadConfig().config;
  return loaded;
}

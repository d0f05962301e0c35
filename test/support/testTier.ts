import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

/**
 * Which tests `npm test` runs. The unit tier needs only Node (and openssl, bash and unzip, which
 * every Unix has); the integration tier (test/integration) starts Debian's `docker-registry`,
 * checks copies with `skopeo` and completes in real zsh and fish. Where those are missing (macOS,
 * say), `npm test` runs the unit tier and says how to get the rest; CI (`CI` set) runs everything
 * and fails on what is missing, so nothing is skipped there silently.
 */
export const INTEGRATION_GLOB = 'test/integration/**';

/** The Debian package's registry command, found on PATH like the other tools (so a PATH without it runs the unit tier alone). */
export const REGISTRY_BINARY = 'docker-registry';

/** What the integration tier runs, by the name a user installs it under. */
const INTEGRATION_TOOLS: ReadonlyArray<{ name: string; found: (path: string) => boolean }> = [
  { name: 'docker-registry', found: (path) => onPath(REGISTRY_BINARY, path) },
  { name: 'skopeo', found: (path) => onPath('skopeo', path) },
  { name: 'zsh', found: (path) => onPath('zsh', path) },
  { name: 'fish', found: (path) => onPath('fish', path) },
];

export interface TestTier {
  /** Whether test/integration runs. */
  integration: boolean;
  /** Tools the integration tier needs that are not installed. */
  missing: string[];
  /** What to tell the user when the tier is skipped. */
  message?: string;
}

function executable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function onPath(name: string, path: string): boolean {
  return path.split(delimiter).some((directory) => directory !== '' && executable(join(directory, name)));
}

/**
 * Decides the tiers for this machine.
 *
 * @example
 * testTier({ PATH: '/usr/bin' }, () => false); // { integration: false, missing: ['docker-registry', …], message: 'Skipping …' }
 */
export function testTier(env: NodeJS.ProcessEnv = process.env, found: (tool: string, path: string) => boolean = (tool, path) => INTEGRATION_TOOLS.find((t) => t.name === tool)?.found(path) ?? false): TestTier {
  const missing = INTEGRATION_TOOLS.map((tool) => tool.name).filter((tool) => !found(tool, env.PATH ?? ''));
  const ci = env.CI !== undefined && env.CI !== '' && env.CI !== 'false' && env.CI !== '0';
  if (ci || missing.length === 0) return { integration: true, missing };
  return {
    integration: false,
    missing,
    message:
      `Skipped the integration tier (${INTEGRATION_GLOB}): ${missing.join(', ')} not installed. ` +
      'It starts real OCI registries (Debian\u2019s docker-registry), checks copies with skopeo and completes in zsh and fish: ' +
      'on Debian or Ubuntu run `sudo apt-get install docker-registry skopeo openssl zsh fish`, or run `.ci/run` in a Debian container (as CI does). ' +
      '`npm run test:unit` runs only the unit tier, without this message.',
  };
}

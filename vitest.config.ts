import { configDefaults, defineConfig } from 'vitest/config';
import { INTEGRATION_GLOB, testTier } from './test/support/testTier.ts';

/**
 * `npm test` runs every tier this machine can run: the integration tier (test/integration) needs
 * Debian's docker-registry, skopeo, zsh and fish, and is skipped with a message saying how to get
 * them where they are missing, except in CI. `npm run test:unit` (`--mode unit`) runs the unit tier only.
 */
export default defineConfig(({ mode }) => {
  const tier = testTier();
  const integration = mode !== 'unit' && tier.integration;
  if (mode !== 'unit' && tier.message) console.warn(`\n${tier.message}\n`);
  return {
    test: {
      include: ['test/**/*.test.ts'],
      exclude: integration ? configDefaults.exclude : [...configDefaults.exclude, INTEGRATION_GLOB],
      setupFiles: ['test/setup.ts'],
      // On Node 20 the AWS SDK warns in every worker that its 2027 releases need Node 22; the README
      // says what is supported, and the CLI never prints it (tests of the executable run it with a
      // clean environment, so they still see any warning it would print).
      env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
      globalSetup: ['test/globalSetup.ts'],
      provide: { skippedTierMessage: mode !== 'unit' && tier.message ? tier.message : '' },
      // Integration tests start real registries and HTTP servers; give them room, but never rely on sleeps.
      testTimeout: 60_000,
      hookTimeout: 120_000,
      pool: 'forks',
    },
  };
});

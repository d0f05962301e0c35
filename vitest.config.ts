import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    setupFiles: ['test/setup.ts'],
    globalSetup: ['test/globalSetup.ts'],
    // Integration tests start real registries and HTTP servers; give them room, but never rely on sleeps.
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
  },
});

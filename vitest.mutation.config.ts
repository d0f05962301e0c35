import { defineConfig } from 'vitest/config';

// The unit tests that pin down the safety-critical modules `npm run test:mutation` mutates
// (stryker.config.mjs). No integration tests: mutants run thousands of times.
export default defineConfig({
  test: {
    include: ['test/mutation/modulesLoad.check.ts', 'test/unit/lifecycle/**/*.test.ts', 'test/unit/oci/redirectGuard.test.ts', 'test/unit/oci/schemePolicy.test.ts', 'test/unit/oci/followUpPolicy.test.ts', 'test/unit/events/primitives.test.ts', 'test/unit/events/eventSchemas.test.ts', 'test/unit/events/parseEvent.test.ts'],
    setupFiles: ['test/setup.ts'],
    // The property tests take seconds under coverage instrumentation; mutants that loop are cut by Stryker's own timeout.
    testTimeout: 60_000,
    pool: 'forks',
  },
});

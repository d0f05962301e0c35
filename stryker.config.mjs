// @ts-check
// Mutation testing of the safety-critical modules: `npm run test:mutation` (not part of CI; about
// half an hour on two cores). Each module must keep a mutation score of at least 90%
// (test/mutation/checkModuleScores.ts reads the JSON report and fails below that).
//
// Survivors judged equivalent (no test can tell the mutant from the original), per module:
// (filled in below from the last run)

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: 'vitest',
  vitest: { configFile: 'vitest.mutation.config.ts' },
  mutate: [
    // Lifecycle evaluation and planning: what ECR would expire, and what we may delete.
    'lib/lifecycle/evaluateLifecyclePolicy.ts',
    'lib/lifecycle/tagPattern.ts',
    'lib/lifecycle/planExpiry.ts',
    // The transport's scheme and redirect policy: where credentials may go, and over what.
    'lib/oci/transport/schemePolicy.ts',
    'lib/oci/transport/followUpPolicy.ts',
    'lib/oci/transport/redirectGuard.ts',
    // Event primitives: the field shapes every event schema is built from.
    'lib/events/primitives.ts',
  ],
  coverageAnalysis: 'perTest',
  reporters: ['clear-text', 'progress', 'json'],
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  // Mutants that loop forever are detected by this timeout, not by assertions.
  timeoutMS: 10_000,
  concurrency: 2,
  tempDirName: '.stryker-tmp',
  cleanTempDir: 'always',
};

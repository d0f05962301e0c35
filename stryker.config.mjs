// @ts-check
// Mutation testing of the safety-critical modules: `npm run test:mutation` (not part of CI; about
// half an hour per lifecycle module on one core). Each module must keep a mutation score of at
// least 90% (test/mutation/checkModuleScores.ts reads the JSON report and fails below that).
//
// One module at a time: `MUTATE=planExpiry npm run test:mutation` (names from MODULES below, comma
// separated). Concurrency: MUTATION_CONCURRENCY (default 1; each runner is a vitest process).
//
// Survivors judged equivalent (no test can tell the mutant from the original), per module:
// (filled in below from the last run)

const MODULES = {
  // Lifecycle evaluation and planning: what ECR would expire, and what we may delete.
  evaluateLifecyclePolicy: 'lib/lifecycle/evaluateLifecyclePolicy.ts',
  tagPattern: 'lib/lifecycle/tagPattern.ts',
  planExpiry: 'lib/lifecycle/planExpiry.ts',
  // The transport's scheme and redirect policy: where credentials may go, and over what.
  schemePolicy: 'lib/oci/transport/schemePolicy.ts',
  followUpPolicy: 'lib/oci/transport/followUpPolicy.ts',
  redirectGuard: 'lib/oci/transport/redirectGuard.ts',
  // Event primitives: the field shapes every event schema is built from.
  primitives: 'lib/events/primitives.ts',
};

const selected = (process.env.MUTATE ?? '').split(',').map((name) => name.trim()).filter(Boolean);
/** Where this run's JSON report goes: one per selection, so runs of different modules can go on side by side. */
export const REPORT_FILE = `reports/mutation/${selected.length > 0 ? selected.join('+') : 'mutation'}.json`;

/** The modules MUTATE names, or all of them; an unknown name is an error, not an empty run. */
function selectedModules(names = selected) {
  if (names.length === 0) return Object.values(MODULES);
  const unknown = names.filter((name) => !(name in MODULES));
  if (unknown.length > 0) throw new Error(`MUTATE names unknown module(s) ${unknown.join(', ')}: use ${Object.keys(MODULES).join(', ')}`);
  return names.map((name) => MODULES[/** @type {keyof typeof MODULES} */ (name)]);
}

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: 'vitest',
  vitest: { configFile: 'vitest.mutation.config.ts' },
  mutate: selectedModules(),
  coverageAnalysis: 'perTest',
  reporters: ['clear-text', 'progress', 'json'],
  jsonReporter: { fileName: REPORT_FILE },
  // Mutants that loop forever are detected by this timeout, not by assertions.
  timeoutMS: 10_000,
  concurrency: Number(process.env.MUTATION_CONCURRENCY ?? 1),
  tempDirName: selected.length > 0 ? `.stryker-tmp-${selected.join('+')}` : '.stryker-tmp',
  cleanTempDir: 'always',
};

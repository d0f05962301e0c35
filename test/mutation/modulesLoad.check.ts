/**
 * Mutation runs only (vitest.mutation.config.ts): each mutated module is imported inside a test.
 * A mutant in module-level code (a constant table, a compiled pattern) can make the module throw as
 * it loads; the test files that import it statically then fail to load, and Stryker's vitest runner
 * counts a test file that never ran as no failure, so such a mutant would pass as a survivor.
 * Here the load failure is a failing test.
 */
import { describe, expect, it } from 'vitest';

const MODULES = {
  evaluateLifecyclePolicy: () => import('../../lib/lifecycle/evaluateLifecyclePolicy'),
  tagPattern: () => import('../../lib/lifecycle/tagPattern'),
  planExpiry: () => import('../../lib/lifecycle/planExpiry'),
  schemePolicy: () => import('../../lib/oci/transport/schemePolicy'),
  followUpPolicy: () => import('../../lib/oci/transport/followUpPolicy'),
  redirectGuard: () => import('../../lib/oci/transport/redirectGuard'),
  primitives: () => import('../../lib/events/primitives'),
};

describe('the mutated modules', () => {
  it.each(Object.entries(MODULES))('%s loads', async (_name, load) => {
    expect(Object.keys(await load()).length).toBeGreaterThan(0);
  });
});

// @ts-check
// Mutation testing of the safety-critical modules: `npm run test:mutation` (not part of CI; on one
// runner of a busy two-core machine planExpiry took 16 minutes, evaluateLifecyclePolicy 6, the other
// five together 3). Each module must keep a mutation score of at least 90%
// (test/mutation/checkModuleScores.ts reads the JSON report and fails below that).
//
// One module at a time: `MUTATE=planExpiry npm run test:mutation` (names from MODULES below, comma
// separated). Concurrency: MUTATION_CONCURRENCY (default 1; each runner is a vitest process).
//
// Survivors judged equivalent (no test can tell the mutant from the original), per module, with
// the line and column Stryker reports and the mutator:
//
// lib/lifecycle/evaluateLifecyclePolicy.ts
// - 28:10 EqualityOperator (<=), 28:23 ConditionalExpression (true, false), 28:23 EqualityOperator
//   (>=, <=) in compareDigests: digests are unique (a duplicate is rejected first), and V8's
//   Array.prototype.sort only asks whether the comparator is < 0, so 0 instead of 1 orders the same.
// - 113:19, 138:48, 146:21, 162:25, 209:19 EqualityOperator (k <= …, j <= …): the one extra step
//   writes past the end of a typed array (ignored), reads `undefined` (never equal to a tag or a
//   storage class) or fills an empty range.
// - 136:9, 143:9, 153:9 ConditionalExpression (false): a shortcut (one mask needs no AND) and two
//   caches; without them the same masks are computed again.
// - 160:12, 165:12, 170:12 StringLiteral (""), 170:7 ConditionalExpression, 170:22 BlockStatement:
//   the exact, prefix and suffix loops are fast paths of the general loop; `matchesTag` gives the
//   same answer for those kinds.
//
// lib/lifecycle/tagPattern.ts
// - 49:28, 50:43 StringLiteral (not covered): `?? ''` after String.prototype.split, which always
//   returns at least one part, so the fallback is never taken.
//
// lib/lifecycle/planExpiry.ts
// - 101:10 EqualityOperator (<=), 101:37 ConditionalExpression (true, false), 101:37
//   EqualityOperator (>=, <=) in byPushThenDigest's tie-break: digests are unique, so two images
//   never compare equal; and V8's Array.prototype.sort only asks whether the comparator is < 0, so
//   answering 0 instead of 1 for "after" orders the same.
// - 126:9 ConditionalExpression (true): parent.set(ra, ra) when both roots are one is a no-op.
// - 202:11 ConditionalExpression (false): an image without a subject is then filed under the subject
//   `undefined`; no digest is undefined, and the only lookup by a referrer's subject checks for it.
// - 225:9 ConditionalExpression (false): the protection cache; protectedBy is pure without it.
// - 249:9 ConditionalExpression (false) and 249:42 BooleanLiteral (true, not covered): KeptImages.keep
//   is never called for an image already kept (every caller checks `survives`/`kept` first, and the
//   cap's units hold only expiring images), so its guard is never taken.
// - 277:29 ArrayDeclaration, 284:24 EqualityOperator (<=): a bogus or undefined queue entry has no
//   referrers, so the cascade adds nothing for it.
// - 289:40 StringLiteral (""): an ExpiryCause's kind is only ever compared with 'rule'.
// - 330:51 ArrayDeclaration: a string "edge" destructures into two one-letter non-digests, which join
//   no unit and precede no image.
// - 332:9 ConditionalExpression (false): a child of an index that is not expiring is kept by the
//   settle loop (the index survives), so it is never expiring and no edge is added for it anyway.
// - 338:9 ConditionalExpression (true, for `subject !== undefined`): subject !== digest and
//   expiring.has(undefined) then decide alike, as no digest is undefined.
// - 367:7 ConditionalExpression (false): the general ordering gives a one-image unit the same order;
//   the shortcut spares the Map and Set for the many single-image units of a large repository.
// - 376:28 UnaryOperator (+1), 376:58 ArrayDeclaration: they shift every depth by the same amount,
//   so the order is the same for every valid graph. Only inside a reference cycle (impossible under
//   content addressing) do they order the cycle's members differently, equally arbitrarily.
//
// lib/events/primitives.ts
// - 16:10 ConditionalExpression (true): RegExp.test(undefined) tests the string "undefined", which
//   is no digest.
// - 62:23 Regex (no `$`): V8's Date.parse returns NaN for every string that begins like an ISO
//   timestamp and goes on (probed on Node 20 and 22: spaces, zones, "(UTC)", a second offset), so
//   the `&& !Number.isNaN(Date.parse(value))` beside it rejects what the anchor would.
//
// lib/oci/transport/followUpPolicy.ts
// - 34:78 ArrayDeclaration ([]): without ::1 and :: listed as loopback, both fall through to the
//   IPv4-compatible prefix (::/96), whose IPv4 addresses 0.0.0.1 and 0.0.0.0 are loopback too.
// - 70:17 StringLiteral (not covered): String.prototype.split always returns a first part.
// - 72:5 ConditionalExpression (false), 72:14 StringLiteral, 73:9 ArrayDeclaration: an empty side
//   of `::` then parses as one word (NaN or a string) instead of none; it only ever lands in word 0
//   (never read) or word 7 of an address ending in `::`, and NaN >> 8 and NaN & 255 are 0, as 0's are.
// - 107:7 ConditionalExpression (false): BlockList.check answers false (it does not throw) for a
//   host name, so a name reaches the same 'public'.
// - 113:20 ConditionalExpression (true): the only addresses both in a zone list and under an
//   embedding prefix are ::1 and :: (::/96), whose embedded 0.0.0.1 and 0.0.0.0 are loopback as well.
// - 181:44 ConditionalExpression (true, for `origin.zone === 'loopback'`): a target in the loopback
//   zone that is not named passed zoneAllowed only if the registry itself is on loopback.
//
// lib/oci/transport/schemePolicy.ts
// - 26:10 EqualityOperator (colon >= 0): a host that starts with ':' names no host; as '' or as
//   itself it is neither loopback nor in the insecure list (which drops empty entries).
// - 48:76 ArrayDeclaration: the default list then holds "Stryker was here", which, with its spaces,
//   is no host a URL can carry.

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

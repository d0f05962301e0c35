/**
 * Invalid inputs for the scheduled and manually invoked functions, and a guard on the fuzz
 * premise: every event that reaches a handler fails the handler's own schema.
 *
 * - `envelopeMutations`: an EventBridge event (a `Scheduled Event`, a pull-through cache event…)
 *   with one envelope field broken. For the unions `ScheduledEvent | strict manual object`, such an
 *   event is invalid for the manual branch too: it still carries envelope keys (`version`, `id`…),
 *   which a strict object rejects. Adding an unknown key to a valid scheduled event is NOT a
 *   mutation (the envelope is a plain `z.object`, which drops unknown keys), so none is generated.
 * - `manualMutations`: a manual invoke (`{"prune": true}`, `{"maxDeletions": 5}`…) with a wrong
 *   value for a known key, an unknown key, or replaced by a non-object. `{}` is valid for every
 *   manual schema, so an object without a broken or unknown key is never produced.
 * - `premiseGuard`: filters every generated event through the schema. A by-construction mutation
 *   that parses is recorded (the test then fails and names it) and never reaches the handler;
 *   random junk that happens to parse is only counted.
 */
import { readdirSync } from 'node:fs';
import fc from 'fast-check';
import type * as z from 'zod/mini';
import { EVENTS_DIR, loadEvent, type EventJson } from '../support/events';
import { notMatching, otherThan, removeRequired, safeJson, setAt, wrongType, type Kind, type Mutated, type Path } from './mutations';

export const ACCOUNT_PATTERN = /^\d{12}$/;
export const REGION_PATTERN = /^[a-z]{2}(?:-[a-z]+)+-\d+$/;
export const TIME_PATTERN = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2})$/;
export { REPOSITORY_NAME_PATTERN } from '../../lib/ecr/repositoryName';

export const ENVELOPE_KEYS = ['version', 'id', 'detail-type', 'source', 'account', 'time', 'region', 'resources', 'detail'] as const;

const ENVELOPE_TYPED: Array<{ path: Path; kind: Kind }> = [
  ...['version', 'id', 'detail-type', 'source', 'account', 'time', 'region'].map((key) => ({ path: [key], kind: 'string' as const })),
  { path: ['resources'], kind: 'array' },
  { path: ['detail'], kind: 'object' },
];

/** Timestamps of the right shape that are no date (the schema also checks `Date.parse`). */
const IMPOSSIBLE_TIMES = ['2026-13-01T00:00:00Z', '2026-00-10T09:00:00Z', '2026-11-32T09:00:00Z', '2026-11-20T25:00:00Z', '2026-11-20T09:60:00Z', '2026-11-20T09:00:61Z'];

/** The by-construction mutations of an EventBridge envelope (the detail is left alone). */
export function envelopeMutations(base: EventJson, allowed: { detailTypes: readonly string[]; sources: readonly string[] }): fc.Arbitrary<Mutated> {
  return fc.oneof(
    removeRequired(base, ENVELOPE_KEYS.map((key) => [key])),
    wrongType(base, ENVELOPE_TYPED),
    otherThan(base, ['detail-type'], allowed.detailTypes),
    otherThan(base, ['source'], allowed.sources),
    notMatching(base, ['account'], ACCOUNT_PATTERN),
    notMatching(base, ['region'], REGION_PATTERN),
    notMatching(base, ['time'], TIME_PATTERN),
    fc.constantFrom(...IMPOSSIBLE_TIMES).map((time) => ({ mutation: `time = ${time}`, event: setAt(base, ['time'], time) })),
    fc.constant({ mutation: 'empty id', event: setAt(base, ['id'], '') }),
    fc
      .array(fc.anything().filter((value) => typeof value !== 'string'), { minLength: 1, maxLength: 3 })
      .map((values) => ({ mutation: `resources = ${safeJson(values)}`, event: setAt(base, ['resources'], [...(base.resources as unknown[]), ...values]) })),
  );
}

/** A known key of a manual invoke: values the schema accepts, and values it rejects. */
export interface ManualField {
  key: string;
  valid: fc.Arbitrary<unknown>;
  invalid: fc.Arbitrary<unknown>;
}

/** Keys every manual schema could plausibly be sent by mistake (other functions' keys, typos, envelope keys). */
const PLAUSIBLE_KEYS = [
  'prune',
  'repositories',
  'maxDeletions',
  'sources',
  'notify',
  'apply',
  'dryRun',
  'plan',
  'force',
  'repository',
  'source',
  'id',
  'detail-type',
  'detail',
  'version',
  '__proto__',
  'constructor',
  'toString',
  '',
];

/**
 * The by-construction mutations of a strict manual-invoke object: a known key with a rejected
 * value, an unknown key next to valid ones, a non-object, or a valid input wrapped (in an array) or
 * serialised (a JSON string, as a console user might paste it).
 */
export function manualMutations(fields: readonly ManualField[]): fc.Arbitrary<Mutated> {
  const known = fields.map(({ key }) => key);
  const validInput = fc.record(Object.fromEntries(fields.map(({ key, valid }) => [key, valid])), { requiredKeys: [] }) as fc.Arbitrary<Record<string, unknown>>;
  const nearMisses = known.flatMap((key) => [key.toUpperCase(), `${key[0]?.toUpperCase() ?? ''}${key.slice(1)}`, ` ${key}`, `${key} `, `${key}s`, key.slice(0, -1)]);
  const unknownKey = fc.oneof(fc.constantFrom(...PLAUSIBLE_KEYS, ...nearMisses), fc.string()).filter((key) => !known.includes(key));
  return fc.oneof(
    fc.constantFrom(...fields).chain(({ key, invalid }) =>
      fc.tuple(validInput, invalid).map(([input, value]) => ({ mutation: `${key} = ${safeJson(value)}`, event: { ...input, [key]: value } })),
    ),
    fc
      .tuple(validInput, fc.uniqueArray(unknownKey, { minLength: 1, maxLength: 3 }), fc.anything())
      .map(([input, keys, value]) => ({ mutation: `unknown ${keys.map((key) => JSON.stringify(key)).join(', ')} = ${safeJson(value)}`, event: withOwnKeys(input, keys, value) })),
    fc
      .oneof(fc.integer(), fc.double(), fc.string(), fc.boolean(), fc.constant(null), fc.array(fc.anything(), { maxLength: 3 }))
      .map((value) => ({ mutation: `not an object: ${safeJson(value)}`, event: value })),
    validInput.map((input) => ({ mutation: `wrapped in an array: ${safeJson([input])}`, event: [input] })),
    validInput.map((input) => ({ mutation: `serialised: ${JSON.stringify(JSON.stringify(input))}`, event: JSON.stringify(input) })),
  );
}

/** Adds own enumerable properties, even `__proto__` (as JSON.parse makes it), which assignment would not. */
function withOwnKeys(input: Record<string, unknown>, keys: readonly string[], value: unknown): Record<string, unknown> {
  const event = { ...input };
  for (const key of keys) Object.defineProperty(event, key, { value, enumerable: true, writable: true, configurable: true });
  return event;
}

/**
 * The intact sample events in `events/` (and the registry snapshot) except those under the given
 * folders: another function's event, sent to this one by a miswired rule or a wrong `--event`.
 */
export function foreignSamples(...except: readonly string[]): fc.Arbitrary<Mutated> {
  const names = readdirSync(EVENTS_DIR, { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.json') && !except.some((folder) => file.startsWith(`${folder}/`)))
    .map((file) => file.replace(/\.json$/, ''))
    .sort();
  if (names.length === 0) throw new Error(`no sample events outside ${except.join(', ')}`);
  return fc.constantFrom(...names).map((name) => ({ mutation: `the sample ${name}`, event: loadEvent(name) }));
}

/**
 * Anything at all (JSON-like junk, and some values JSON cannot carry); the guard skips what happens
 * to parse.
 *
 * Never `undefined`, here or in any generator of this file: middy 6 (`middyRequest(event = {}, …)`)
 * replaces an undefined event with `{}` before lambdaEntry parses it, and `{}` is a valid manual
 * invoke for every function fuzzed with these helpers, so the handler runs instead of rejecting it.
 * That is a real defect, pinned by undefinedEvent.test.ts rather than hidden in this property.
 */
export const anyJunk: fc.Arbitrary<Mutated> = fc
  .oneof(fc.anything(), fc.jsonValue(), fc.anything({ withBigInt: true, withNullPrototype: true, withSparseArray: true, withBoxedValues: true }))
  .filter((value) => value !== undefined)
  .map((value) => ({ mutation: `junk ${describe(value)}`, event: value }));

/** safeJson, for values it cannot print either (a BigInt inside a null-prototype object). */
function describe(value: unknown): string {
  try {
    return safeJson(value);
  } catch {
    return Object.prototype.toString.call(value);
  }
}

// ---- values of the manual invokes' fields ----

const notUndefined = (value: unknown) => value !== undefined;

export const BOOLEAN = {
  valid: fc.boolean(),
  invalid: fc.oneof(
    fc.constantFrom<unknown>('true', 'false', 1, 0, null, 'yes', [], {}, [true], { value: true }),
    fc.anything().filter((value) => typeof value !== 'boolean' && notUndefined(value)),
  ),
};

const nonEmptyStrings = fc.array(fc.string({ minLength: 1 }), { maxLength: 3 });

/** An optional array of non-empty strings with at least one element (`repositories`, `sources`). */
export const NON_EMPTY_STRING_LIST = {
  valid: fc.array(fc.string({ minLength: 1 }), { minLength: 1, maxLength: 3 }),
  invalid: fc.oneof(
    fc.constant<unknown>([]),
    fc.constantFrom<unknown>('team-a/*', '', null, true, 0, { 0: 'team-a/*' }, [''], [null], [['team-a/*']]),
    fc.anything().filter((value) => !Array.isArray(value) && notUndefined(value)),
    nonEmptyStrings.chain((strings) => fc.nat(strings.length).map((at) => [...strings.slice(0, at), '', ...strings.slice(at)])),
    fc
      .tuple(nonEmptyStrings, fc.anything().filter((value) => typeof value !== 'string'))
      .chain(([strings, value]) => fc.nat(strings.length).map((at) => [...strings.slice(0, at), value, ...strings.slice(at)])),
  ),
};

/** An optional integer ≥ 0 (`maxDeletions`). -0 is an integer ≥ 0 and therefore valid. */
export const NON_NEGATIVE_INT = {
  valid: fc.nat(),
  invalid: fc.oneof(
    fc.integer({ max: -1 }),
    fc.double().filter((n) => !(Number.isSafeInteger(n) && n >= 0)),
    fc.constantFrom<unknown>(Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 2 ** 53, 1e21, Number.MAX_VALUE, 0.5, -1, '5', '0', '', null, true, [5], { value: 5 }),
    fc.anything().filter((value) => typeof value !== 'number' && notUndefined(value)),
  ),
};

/** Keeps only events the schema rejects, recording by-construction mutations that did parse. */
export function premiseGuard(schema: z.ZodMiniType): {
  byConstruction(mutations: fc.Arbitrary<Mutated>): fc.Arbitrary<Mutated>;
  junk(mutations: fc.Arbitrary<Mutated>): fc.Arbitrary<Mutated>;
  /** By-construction mutations that parsed (must stay empty). */
  readonly accidentallyValid: readonly string[];
  /** Junk values that parsed and were skipped. */
  readonly junkSkipped: number;
} {
  const accidentallyValid: string[] = [];
  let junkSkipped = 0;
  const parses = (event: unknown) => schema.safeParse(event).success;
  return {
    byConstruction: (mutations) =>
      mutations.filter(({ mutation, event }) => {
        if (!parses(event)) return true;
        accidentallyValid.push(mutation);
        return false;
      }),
    junk: (mutations) =>
      mutations.filter(({ event }) => {
        if (!parses(event)) return true;
        junkSkipped += 1;
        return false;
      }),
    get accidentallyValid() {
      return accidentallyValid;
    },
    get junkSkipped() {
      return junkSkipped;
    },
  };
}

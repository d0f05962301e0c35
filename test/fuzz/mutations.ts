/**
 * Mutations of sample events that are invalid by construction: each one breaks a field the schema
 * requires (removes it, gives it the wrong type or an impossible value) or replaces the event with
 * junk that lacks the fields every event needs. A mutation that accidentally produced a valid event
 * would make the fuzz test fail, never pass silently.
 */
import fc from 'fast-check';
import type { EventJson } from '../support/events';

export type Path = ReadonlyArray<string | number>;
export type Kind = 'string' | 'array' | 'object' | 'record' | 'int';

export interface Mutated {
  /** What was done, for the counterexample report. */
  mutation: string;
  event: unknown;
}

/**
 * What events may carry as `image-digest`: `sha256:` and the digest, which in AWS's own documented
 * samples is a placeholder (`sha256:7f5b…1234`, 60 hex; `sha256:36c7…EXAMPLE`). Those are accepted
 * and ignored by the handlers; only what matches no such shape is malformed.
 */
export const EVENT_DIGEST_PATTERN = /^sha256:[0-9A-Za-z]+$/;

export function clone(value: EventJson): EventJson {
  return structuredClone(value);
}

function parentOf(root: EventJson, path: Path): Record<string | number, unknown> | undefined {
  let current: unknown = root;
  for (const segment of path.slice(0, -1)) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string | number, unknown>)[segment];
  }
  return current !== null && typeof current === 'object' ? (current as Record<string | number, unknown>) : undefined;
}

export function removeAt(root: EventJson, path: Path): EventJson {
  const copy = clone(root);
  const parent = parentOf(copy, path);
  if (parent) delete parent[path[path.length - 1] as string | number];
  return copy;
}

export function setAt(root: EventJson, path: Path, value: unknown): EventJson {
  const copy = clone(root);
  const parent = parentOf(copy, path);
  if (!parent) throw new Error(`no parent for ${path.join('.')}`);
  parent[path[path.length - 1] as string | number] = value;
  return copy;
}

const scalarJunk = fc.oneof(fc.integer(), fc.double({ noNaN: true }), fc.boolean(), fc.constant(null));

/** A value that is not of the given kind (and not undefined, which optional fields would accept). */
export function wrongTypeFor(kind: Kind): fc.Arbitrary<unknown> {
  switch (kind) {
    case 'string':
      return fc.oneof(scalarJunk, fc.array(fc.string(), { maxLength: 3 }), fc.dictionary(fc.string(), fc.string(), { maxKeys: 2 }));
    case 'int':
      return fc.oneof(fc.string(), fc.boolean(), fc.constant(null), fc.double({ noNaN: true }).filter((n) => !Number.isInteger(n)), fc.integer({ max: -1 }));
    case 'array':
      return fc.oneof(scalarJunk, fc.string(), fc.dictionary(fc.string(), fc.string(), { maxKeys: 2 }), fc.array(fc.oneof(fc.integer(), fc.constant(null), fc.boolean()), { minLength: 1, maxLength: 3 }));
    case 'object':
    case 'record':
      return fc.oneof(scalarJunk, fc.string(), fc.array(fc.anything(), { maxLength: 3 }));
  }
}

/** Removes one of the required fields. */
export function removeRequired(base: EventJson, required: readonly Path[]): fc.Arbitrary<Mutated> {
  return fc.constantFrom(...required).map((path) => ({ mutation: `remove ${path.join('.')}`, event: removeAt(base, path) }));
}

/** Gives one of the typed fields a value of another type. */
export function wrongType(base: EventJson, typed: ReadonlyArray<{ path: Path; kind: Kind }>): fc.Arbitrary<Mutated> {
  return fc.constantFrom(...typed).chain(({ path, kind }) =>
    wrongTypeFor(kind).map((value) => ({ mutation: `${path.join('.')} = ${safeJson(value)}`, event: setAt(base, path, value) })),
  );
}

/** A digest no AWS event carries: no `sha256:` algorithm, nothing after it, or characters no digest has. */
export const badDigest: fc.Arbitrary<string> = fc.oneof(
  fc.string().filter((value) => !EVENT_DIGEST_PATTERN.test(value)),
  fc.constant('sha256:'),
  fc.stringMatching(/^[a-f0-9]{64}$/).map((hex) => `sha512:${hex}`),
  fc.stringMatching(/^[a-f0-9]{64}$/),
  fc
    .tuple(fc.stringMatching(/^[a-f0-9]{8,64}$/), fc.constantFrom(' ', '/', ':', '@', '.', '-', '+', '\n', '%'))
    .map(([hex, character]) => `sha256:${hex.slice(0, 4)}${character}${hex.slice(4)}`),
);

export function badDigestAt(base: EventJson, path: Path): fc.Arbitrary<Mutated> {
  return badDigest.map((digest) => ({ mutation: `${path.join('.')} = ${JSON.stringify(digest)}`, event: setAt(base, path, digest) }));
}

/** A string that is none of the allowed values (an unknown detail-type, source, event source…). */
export function otherThan(base: EventJson, path: Path, allowed: readonly string[]): fc.Arbitrary<Mutated> {
  return fc
    .oneof(fc.string(), fc.constantFrom(...allowed.map((value) => value.toLowerCase()), ...allowed.map((value) => ` ${value}`)))
    .filter((value) => !allowed.includes(value))
    .map((value) => ({ mutation: `${path.join('.')} = ${JSON.stringify(value)}`, event: setAt(base, path, value) }));
}

/** A string that fails a pattern the field must match. */
export function notMatching(base: EventJson, path: Path, pattern: RegExp): fc.Arbitrary<Mutated> {
  return fc
    .string()
    .filter((value) => !pattern.test(value))
    .map((value) => ({ mutation: `${path.join('.')} = ${JSON.stringify(value)}`, event: setAt(base, path, value) }));
}

/** Arbitrary junk instead of the event, lacking the keys every event of the kind has. */
export function junk(lacking: readonly string[]): fc.Arbitrary<Mutated> {
  return fc
    .anything()
    .filter((value) => value === null || typeof value !== 'object' || Array.isArray(value) || !lacking.every((key) => key in (value as object)))
    .map((value) => ({ mutation: `junk ${safeJson(value)}`, event: value }));
}

/** Junk in place of one field (an object field gets anything that lacks its required keys). */
export function junkAt(base: EventJson, path: Path, lacking: readonly string[]): fc.Arbitrary<Mutated> {
  return junk(lacking).map(({ event }) => ({ mutation: `${path.join('.')} = junk ${safeJson(event)}`, event: setAt(base, path, event) }));
}

export function safeJson(value: unknown): string {
  try {
    return (JSON.stringify(value) ?? String(value)).slice(0, 120);
  } catch {
    return String(value).slice(0, 120);
  }
}

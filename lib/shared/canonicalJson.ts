/**
 * Canonical JSON: object keys sorted recursively, two-space indentation. Two documents that mean
 * the same thing give the same text, so comparing policies never reports drift for whitespace or
 * key order (ECR returns the policy text it stored, not ours).
 *
 * @example
 * canonicalJson('{"b":1,"a":{"d":2,"c":3}}') === canonicalJson({ a: { c: 3, d: 2 }, b: 1 }) // true
 */
export function canonicalJson(value: unknown): string {
  const parsed: unknown = typeof value === 'string' ? JSON.parse(value) : value;
  return JSON.stringify(sortKeys(parsed), null, 2);
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === 'object') {
    const sorted: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) sorted[key] = sortKeys((value as Record<string, unknown>)[key]);
    return sorted;
  }
  return value;
}

/** True when both JSON texts (or values) are equal once canonicalised; unparsable text never equals. */
export function sameJson(a: unknown, b: unknown): boolean {
  try {
    return canonicalJson(a) === canonicalJson(b);
  } catch {
    return false;
  }
}

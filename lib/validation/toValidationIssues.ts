import type * as z from 'zod/mini';
import type { ValidationIssue } from '../errors';

/**
 * Turns zod issues into `ValidationIssue`s that read well on their own.
 *
 * We use `zod/mini` (tree-shakeable, ~15 KB in a Lambda bundle instead of ~450 KB) which ships no
 * message locale, so the wording is ours: it names the field, what was expected, what was found,
 * and how to fix it when we can say.
 *
 * @example
 * const result = schema.safeParse(input);
 * if (!result.success) throw new ConfigError(file, toValidationIssues(result.error.issues, input));
 */
export function toValidationIssues(issues: readonly z.core.$ZodIssue[], input: unknown): ValidationIssue[] {
  return issues.flatMap((issue) => describeIssue(issue, input, []));
}

/** `['detail', 'image-tags', 0]` → `detail.image-tags[0]`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else out += out === '' ? String(segment) : `.${String(segment)}`;
  }
  return out;
}

function describeIssue(issue: z.core.$ZodIssue, input: unknown, prefix: readonly PropertyKey[]): ValidationIssue[] {
  const fullPath = [...prefix, ...issue.path];
  const path = formatPath(fullPath);
  const found = valueAt(input, fullPath);
  const customMessage = issue.message && issue.message !== 'Invalid input' ? issue.message : undefined;

  switch (issue.code) {
    case 'invalid_type': {
      if (found === undefined) {
        return [{ path, message: `is required (${issue.expected})`, fix: `add ${lastKey(fullPath)}` }];
      }
      return [{ path, message: customMessage ?? `must be ${article(issue.expected)}, found ${describeValue(found)}` }];
    }
    case 'invalid_value':
      if (found === undefined && !customMessage) {
        return [{ path, message: `is required (one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')})`, fix: `add ${lastKey(fullPath)}` }];
      }
      return [
        {
          path,
          message: customMessage ?? `must be one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}, found ${describeValue(found)}`,
        },
      ];
    case 'unrecognized_keys':
      return issue.keys.map((key) => ({
        path: formatPath([...fullPath, key]),
        message: 'is not a known field',
        fix: 'remove it or check its spelling',
      }));
    case 'too_small':
      return [{ path, message: customMessage ?? tooSmall(issue, found) }];
    case 'too_big':
      return [{ path, message: customMessage ?? tooBig(issue, found) }];
    case 'invalid_format':
      return [{ path, message: customMessage ?? `has an invalid format (${issue.format}), found ${describeValue(found)}` }];
    case 'invalid_union': {
      // A discriminated union names its discriminator: say which values are allowed.
      const note = (issue as { note?: string }).note;
      const options = (issue as { options?: unknown[] }).options;
      if (note === 'No matching discriminator' && options) {
        if (found === undefined) {
          return [{ path, message: `is required (one of ${options.map((o) => JSON.stringify(o)).join(', ')})`, fix: `add ${lastKey(fullPath)}` }];
        }
        return [
          {
            path,
            message: `must be one of ${options.map((o) => JSON.stringify(o)).join(', ')}, found ${describeValue(found)}`,
          },
        ];
      }
      // Otherwise report the branch that got furthest (fewest issues), which is usually the intended one.
      const branches = issue.errors.filter((branch) => branch.length > 0);
      const best = branches.sort((a, b) => a.length - b.length)[0];
      if (best) return best.flatMap((inner) => describeIssue(inner, input, fullPath));
      return [{ path, message: customMessage ?? `does not match any allowed shape, found ${describeValue(found)}` }];
    }
    case 'not_multiple_of':
      return [{ path, message: customMessage ?? `must be a multiple of ${String(issue.divisor)}` }];
    case 'invalid_key':
      return [{ path, message: customMessage ?? 'has an invalid key' }];
    case 'invalid_element':
      return [{ path, message: customMessage ?? 'has an invalid element' }];
    case 'custom':
      return [{ path, message: customMessage ?? 'is invalid', ...fixFrom(issue) }];
    default:
      return [{ path, message: customMessage ?? 'is invalid' }];
  }
}

function fixFrom(issue: z.core.$ZodIssue): { fix?: string } {
  const params = (issue as { params?: { fix?: unknown } }).params;
  return typeof params?.fix === 'string' ? { fix: params.fix } : {};
}

function tooSmall(issue: z.core.$ZodIssueTooSmall, found: unknown): string {
  const min = String(issue.minimum);
  if (issue.origin === 'string') return `must be at least ${min} characters long, found ${describeValue(found)}`;
  if (issue.origin === 'array' || issue.origin === 'set') return `must have at least ${min} item(s)`;
  return `must be ${issue.inclusive ? '≥' : '>'} ${min}, found ${describeValue(found)}`;
}

function tooBig(issue: z.core.$ZodIssueTooBig, found: unknown): string {
  const max = String(issue.maximum);
  if (issue.origin === 'string') return `must be at most ${max} characters long`;
  if (issue.origin === 'array' || issue.origin === 'set') return `must have at most ${max} item(s)`;
  return `must be ${issue.inclusive ? '≤' : '<'} ${max}, found ${describeValue(found)}`;
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let current: unknown = input;
  for (const segment of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<PropertyKey, unknown>)[segment];
  }
  return current;
}

function lastKey(path: readonly PropertyKey[]): string {
  const key = path[path.length - 1];
  return key === undefined ? 'the value' : `"${String(key)}"`;
}

function article(expected: string): string {
  return /^[aeiou]/.test(expected) ? `an ${expected}` : `a ${expected}`;
}

/** A short, safe rendering of a found value (never the whole object: it may be large). */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'string') {
    const shown = value.length > 60 ? `${value.slice(0, 57)}...` : value;
    return JSON.stringify(shown);
  }
  return `${typeof value} ${String(value)}`;
}

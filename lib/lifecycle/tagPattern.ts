/**
 * ECR's tag patterns: `*` matches any run of characters (including none) and the pattern must
 * match the whole tag (§2.2: `prod*` matches `prod`, `prod1` and `production-team1`; `*prod*`
 * matches `repo-production`). No other character is special.
 *
 * A pattern is compiled once into plain data and matched by one function that uses only
 * `startsWith`, `endsWith` and `indexOf`. Evaluation runs matchers millions of times (100,000
 * images × 50 rules); a single monomorphic function lets V8 optimise that loop, where one closure
 * per pattern would not, and a regular expression would also need every other character escaped.
 */

export const TAG_WILDCARD = '*';

/** A compiled pattern or prefix. `key` identifies equal matchers, so their results can be shared. */
export type TagMatcher =
  | { readonly kind: 'exact'; readonly key: string; readonly text: string }
  | { readonly kind: 'prefix'; readonly key: string; readonly head: string }
  | { readonly kind: 'suffix'; readonly key: string; readonly tail: string }
  | { readonly kind: 'everything'; readonly key: string }
  | {
      readonly kind: 'glob';
      readonly key: string;
      readonly head: string;
      readonly tail: string;
      /** The literal parts between the first and last `*`, in order, none empty. */
      readonly middles: readonly string[];
      readonly minLength: number;
    };

/** How many `*` a pattern contains (ECR allows at most 4, §2.1). */
export function countWildcards(pattern: string): number {
  let count = 0;
  for (let i = pattern.indexOf(TAG_WILDCARD); i !== -1; i = pattern.indexOf(TAG_WILDCARD, i + 1)) count += 1;
  return count;
}

/**
 * Compiles an ECR tag pattern (`tagPatternList` entry) into a whole-tag matcher.
 *
 * @example
 * const prod = compileTagPattern('prod*');
 * matchesTag(prod, 'production-team1'); // true
 * matchesTag(prod, 'preprod'); // false: the pattern must match from the first character
 */
export function compileTagPattern(pattern: string): TagMatcher {
  const key = `pattern:${pattern}`;
  const parts = pattern.split(TAG_WILDCARD);
  if (parts.length === 1) return { kind: 'exact', key, text: pattern };
  const head = parts[0] ?? '';
  const tail = parts[parts.length - 1] ?? '';
  // `**` yields empty middle parts, which match anything: drop them.
  const middles = parts.slice(1, -1).filter((part) => part !== '');
  if (middles.length === 0) {
    if (head === '' && tail === '') return { kind: 'everything', key };
    if (tail === '') return { kind: 'prefix', key, head };
    if (head === '') return { kind: 'suffix', key, tail };
  }
  const minLength = head.length + tail.length + middles.reduce((sum, part) => sum + part.length, 0);
  return { kind: 'glob', key, head, tail, middles, minLength };
}

/**
 * Compiles a `tagPrefixList` entry: the prefix `prod` selects exactly what the pattern `prod*`
 * does. The prefix is literal: a `*` in it is not a wildcard.
 *
 * @example
 * matchesTag(compileTagPrefix('prod'), 'prod-1'); // true
 */
export function compileTagPrefix(prefix: string): TagMatcher {
  return { kind: 'prefix', key: `prefix:${prefix}`, head: prefix };
}

/**
 * True when `tag` matches the compiled pattern or prefix as a whole.
 *
 * @example
 * matchesTag(compileTagPattern('*prod*'), 'repo-production'); // true
 */
export function matchesTag(matcher: TagMatcher, tag: string): boolean {
  switch (matcher.kind) {
    case 'exact':
      return tag === matcher.text;
    case 'prefix':
      return tag.startsWith(matcher.head);
    case 'suffix':
      return tag.endsWith(matcher.tail);
    case 'everything':
      return true;
    case 'glob': {
      const { head, tail, middles } = matcher;
      if (tag.length < matcher.minLength || !tag.startsWith(head) || !tag.endsWith(tail)) return false;
      // Leftmost placement of each middle part is optimal for `*`-only globs: it leaves the most
      // room for the parts after it, so no backtracking is needed.
      let from = head.length;
      const end = tag.length - tail.length;
      for (const part of middles) {
        const at = tag.indexOf(part, from);
        if (at === -1 || at + part.length > end) return false;
        from = at + part.length;
      }
      return true;
    }
  }
}

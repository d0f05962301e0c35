import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compileTagPattern, compileTagPrefix, countWildcards, matchesTag } from '../../../lib/lifecycle/tagPattern';

/** An independent oracle: the pattern as an anchored regular expression. */
function patternAsRegExp(pattern: string): RegExp {
  const escaped = pattern.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\/-]/g, '\\$&'));
  return new RegExp(`^${escaped.join('.*')}$`, 's');
}

describe('compileTagPattern', () => {
  it.each([
    { pattern: 'prod*', tag: 'prod', matches: true },
    { pattern: 'prod*', tag: 'prod1', matches: true },
    { pattern: 'prod*', tag: 'production-team1', matches: true },
    { pattern: '*prod*', tag: 'repo-production', matches: true },
    { pattern: 'prod', tag: 'prod', matches: true },
    { pattern: 'prod', tag: 'prod1', matches: false },
    { pattern: '*-rc', tag: 'v1-rc', matches: true },
    { pattern: '*-rc', tag: 'v1-rc1', matches: false },
    { pattern: 'a*a', tag: 'a', matches: false },
    { pattern: 'a*b*c', tag: 'abc', matches: true },
    { pattern: 'a*b*c', tag: 'acb', matches: false },
    { pattern: '*test*1*2*3', tag: 'my-test-1-2-3', matches: true },
    { pattern: 'a**b', tag: 'ab', matches: true },
    // Head and tail may not overlap, and neither may a middle part and the tail, nor two middles.
    { pattern: 'ab*ba', tag: 'aba', matches: false },
    { pattern: 'ab*ba', tag: 'abba', matches: true },
    { pattern: 'a*b*b', tag: 'aab', matches: false },
    { pattern: 'a*b*b', tag: 'abb', matches: true },
    { pattern: 'a*xy*y*b', tag: 'axyb', matches: false },
    { pattern: 'a*xy*y*b', tag: 'axyzb', matches: false },
    { pattern: 'a*xy*y*b', tag: 'axyyb', matches: true },
    { pattern: 'a*x*b', tag: 'ayyb', matches: false },
  ])('matches "$tag" against "$pattern": $matches', ({ pattern, tag, matches }) => {
    // Act
    const result = matchesTag(compileTagPattern(pattern), tag);

    // Assess
    expect(result).toBe(matches);
  });

  it.each([
    { pattern: 'latest', compiled: { kind: 'exact', key: 'pattern:latest', text: 'latest' } },
    { pattern: '*', compiled: { kind: 'everything', key: 'pattern:*' } },
    { pattern: '**', compiled: { kind: 'everything', key: 'pattern:**' } },
    { pattern: 'prod*', compiled: { kind: 'prefix', key: 'pattern:prod*', head: 'prod' } },
    { pattern: 'prod**', compiled: { kind: 'prefix', key: 'pattern:prod**', head: 'prod' } },
    { pattern: '*-rc', compiled: { kind: 'suffix', key: 'pattern:*-rc', tail: '-rc' } },
    { pattern: 'v*-rc', compiled: { kind: 'glob', key: 'pattern:v*-rc', head: 'v', tail: '-rc', middles: [], minLength: 4 } },
    { pattern: '*a**b*', compiled: { kind: 'glob', key: 'pattern:*a**b*', head: '', tail: '', middles: ['a', 'b'], minLength: 2 } },
  ])('compiles "$pattern" to the fastest matcher that means it', ({ pattern, compiled }) => {
    expect(compileTagPattern(pattern)).toEqual(compiled);
  });

  it('agrees with an anchored regular expression on random patterns and tags', () => {
    // Prepare: a tiny alphabet makes overlapping parts (the hard case for greedy matching) common.
    const text = fc.string({ unit: fc.constantFrom('a', 'b', '-', '.'), maxLength: 8 });
    const pattern = fc.string({ unit: fc.constantFrom('a', 'b', '-', '.', '*'), maxLength: 8 });

    // Act + Assess
    fc.assert(
      fc.property(pattern, text, (p, t) => matchesTag(compileTagPattern(p), t) === patternAsRegExp(p).test(t)),
      { numRuns: 2000 },
    );
  });

  it('treats a prefix literally: a "*" in a tagPrefixList entry is not a wildcard', () => {
    // Act + Assess
    expect([matchesTag(compileTagPrefix('a*'), 'abc'), matchesTag(compileTagPrefix('a*'), 'a*c')]).toEqual([false, true]);
  });

  it('counts wildcards', () => {
    // Act + Assess
    expect([countWildcards('prod'), countWildcards('*'), countWildcards('test*1*2*3*4*5*6')]).toEqual([0, 1, 6]);
  });
});

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compileRepositoryGlob, repositoryGlobToArnPatterns } from '../../../lib/config/repositoryGlob';

/** IAM's ARN matching: `*` any run of characters (slashes included), `?` any one character, the rest literal. */
function iamMatches(pattern: string, name: string): boolean {
  const source = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${source}$`).test(name);
}

describe('repositoryGlobToArnPatterns', () => {
  it.each([
    { glob: 'team-a/api', patterns: ['team-a/api'] },
    { glob: 'team-a/**', patterns: ['team-a/*'] },
    { glob: '**', patterns: ['*'] },
    { glob: 'mirror/**/web', patterns: ['mirror/web', 'mirror/*/web'] },
    { glob: '**/web', patterns: ['web', '*/web'] },
    { glob: 'a/**/b/**/c', patterns: ['a/b/c', 'a/b/*/c', 'a/*/b/c', 'a/*/b/*/c'] },
    { glob: 'team-*/api', patterns: ['team-*/api'] },
    { glob: 'svc-?', patterns: ['svc-?'] },
    { glob: 'a/***', patterns: ['a/*'] },
  ])('maps $glob to $patterns', ({ glob, patterns }) => {
    expect(repositoryGlobToArnPatterns(glob)).toEqual(patterns);
  });

  it('broadens a glob with more than three optional segment runs to a bare * instead of 16 patterns', () => {
    expect(repositoryGlobToArnPatterns('a/**/b/**/c/**/d/**/e')).toEqual(['a/*b/*c/*d/*e']);
  });

  it('covers every repository name the glob matches (property, 2,000 runs)', () => {
    const segment = fc.stringMatching(/^[a-z0-9*?]{1,4}$/);
    const glob = fc.array(fc.oneof(segment, fc.constant('**')), { minLength: 1, maxLength: 5 }).map((parts) => parts.join('/'));
    const name = fc.array(fc.stringMatching(/^[a-z0-9]{1,4}$/), { minLength: 1, maxLength: 6 }).map((parts) => parts.join('/'));
    fc.assert(
      fc.property(glob, name, (g, n) => {
        if (!compileRepositoryGlob(g)(n)) return;
        const patterns = repositoryGlobToArnPatterns(g);
        expect(patterns.some((pattern) => iamMatches(pattern, n)), `${n} matches ${g} but none of ${patterns.join(', ')}`).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });

  it('covers exactly what the glob matches when it has no single * or ? (property, 2,000 runs)', () => {
    const segment = fc.stringMatching(/^[a-z0-9]{1,3}$/);
    const glob = fc.array(fc.oneof(segment, fc.constant('**')), { minLength: 1, maxLength: 4 }).map((parts) => parts.join('/'));
    const name = fc.array(fc.stringMatching(/^[a-z0-9]{1,3}$/), { minLength: 1, maxLength: 5 }).map((parts) => parts.join('/'));
    fc.assert(
      fc.property(glob, name, (g, n) => {
        const patterns = repositoryGlobToArnPatterns(g);
        expect(patterns.some((pattern) => iamMatches(pattern, n))).toBe(compileRepositoryGlob(g)(n));
      }),
      { numRuns: 2000 },
    );
  });
});

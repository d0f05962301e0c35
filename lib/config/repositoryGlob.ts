import * as z from 'zod/mini';
import { isRepositoryName, REPOSITORY_NAME_CHARACTERS, REPOSITORY_NAME_RULE } from '../ecr/repositoryName';

/**
 * Repository-name globs, as used by repository classes: `*` matches within one path segment,
 * `**` matches across segments (including none), `?` matches one character other than `/`.
 * Everything else is literal. Written by hand because the semantics are this small and a glob
 * library would add ~25 KB to every Lambda bundle.
 *
 * @example
 * compileRepositoryGlob('mirror/**')('mirror/eks/aws-load-balancer-controller') // true
 * compileRepositoryGlob('team-*')('team-a/api') // false: `*` stops at `/`
 */
export function compileRepositoryGlob(glob: string): (repositoryName: string) => boolean {
  let source = '';
  for (let i = 0; i < glob.length; i += 1) {
    const char = glob[i] as string;
    if (char === '*') {
      if (glob[i + 1] === '*') {
        i += 1;
        // `a/**/b` also matches `a/b`: swallow the following slash into the optional group.
        if (glob[i + 1] === '/') {
          i += 1;
          source += '(?:.*/)?';
        } else {
          source += '.*';
        }
      } else {
        source += '[^/]*';
      }
    } else if (char === '?') {
      source += '[^/]';
    } else {
      source += char.replace(/[.+^${}()|[\]\\]/g, '\\$&');
    }
  }
  const pattern = new RegExp(`^${source}$`);
  return (repositoryName) => pattern.test(repositoryName);
}

/** Names no glob but a catch-all matches all of: one segment, and deep names sharing no segment. */
const CATCH_ALL_PROBES = ['x', 'any/deeply/nested/name', 'z9/q-1'];

/**
 * True for a glob that matches every repository (`**`, `**\/*`): a class holding one governs
 * whatever no earlier class names.
 *
 * @example
 * isCatchAllGlob('**') // true
 * isCatchAllGlob('team-*\/**') // false
 */
export function isCatchAllGlob(glob: string): boolean {
  const matches = compileRepositoryGlob(glob);
  return CATCH_ALL_PROBES.every((name) => matches(name));
}

/** True when any of the globs matches the repository name. */
export function compileRepositoryGlobs(globs: readonly string[]): (repositoryName: string) => boolean {
  const matchers = globs.map(compileRepositoryGlob);
  return (repositoryName) => matchers.some((matches) => matches(repositoryName));
}

/** Why a glob can never match a repository name, and what to write instead. */
export interface RepositoryGlobProblem {
  message: string;
  fix: string;
}

/** A glob split into literal text and wildcards (`**\/` is one token: it may match nothing). */
type GlobToken = { literal: string } | { wildcard: '*' | '**' | '**/' | '?' };

function tokenize(glob: string): GlobToken[] {
  const tokens: GlobToken[] = [];
  for (let i = 0; i < glob.length; ) {
    if (glob.startsWith('**/', i)) {
      tokens.push({ wildcard: '**/' });
      i += 3;
    } else if (glob.startsWith('**', i)) {
      tokens.push({ wildcard: '**' });
      i += 2;
    } else if (glob[i] === '*' || glob[i] === '?') {
      tokens.push({ wildcard: glob[i] as '*' | '?' });
      i += 1;
    } else {
      let end = i;
      while (end < glob.length && glob[end] !== '*' && glob[end] !== '?') end += 1;
      tokens.push({ literal: glob.slice(i, end) });
      i = end;
    }
  }
  return tokens;
}

/**
 * What each wildcard is tried as. A name component joins alphanumerics with separators, so if any
 * text a wildcard matches makes a name, letters do too (`aa` also reaches the 2-character minimum);
 * `**` and `**\/` also try whole components, with and without the slash.
 */
const PROBES: Readonly<Record<'*' | '**' | '**/' | '?', readonly string[]>> = {
  '*': ['', 'aa'],
  '**': ['', 'aa', 'a/a'],
  '**/': ['', 'aa/'],
  '?': ['a'],
};

/** Beyond this many wildcards the probe is skipped (3^8 names): such a glob is accepted as written. */
const MAX_PROBED_WILDCARDS = 8;

/** True when some way of filling the wildcards yields a valid ECR repository name. */
function canMatchSomeName(tokens: readonly GlobToken[]): boolean {
  const wildcards = tokens.filter((token) => 'wildcard' in token).length;
  if (wildcards > MAX_PROBED_WILDCARDS) return true;
  const fill = (index: number, prefix: string): boolean => {
    const token = tokens[index];
    if (token === undefined) return isRepositoryName(prefix);
    if ('literal' in token) return fill(index + 1, prefix + token.literal);
    return PROBES[token.wildcard].some((probe) => fill(index + 1, prefix + probe));
  };
  return fill(0, '');
}

/**
 * Why a repository-class glob can never match an ECR repository name, or undefined when it can.
 * The names are those of the API Reference (CreateRepository `repositoryName`, the current model's
 * pattern, lib/ecr/repositoryName.ts): lowercase, `a-z 0-9 . _ - /` only. `*`, `**` and `?` are the
 * only wildcards; `[` is no character class here and no name contains it.
 *
 * @example
 * repositoryGlobProblem('Team-A/**')?.fix // 'write "team-a/**": repository names are lowercase'
 * repositoryGlobProblem('team-*')         // undefined
 */
export function repositoryGlobProblem(glob: string): RepositoryGlobProblem | undefined {
  if (/[A-Z]/.test(glob)) {
    return { message: `"${glob}" can never match: ECR repository names are lowercase`, fix: `write "${glob.toLowerCase()}"` };
  }
  const outside = [...new Set(glob.replace(/[*?]/g, '').split('').filter((char) => !REPOSITORY_NAME_CHARACTERS.test(char)))];
  if (outside.length > 0) {
    const shown = outside.map((char) => JSON.stringify(char)).join(', ');
    const bracket = outside.some((char) => '[]{}'.includes(char));
    return {
      message: `"${glob}" can never match: ${shown} ${outside.length === 1 ? 'is' : 'are'} in no ECR repository name (names use a-z, 0-9, ".", "_", "-" and "/"; the only wildcards are *, ** and ?)`,
      fix: bracket ? 'list each alternative as its own glob, e.g. ["team-a/*", "team-b/*"] instead of "team-[ab]/*"' : `remove ${shown}`,
    };
  }
  if (!canMatchSomeName(tokenize(glob))) {
    return { message: `"${glob}" can never match an ECR repository name: ${REPOSITORY_NAME_RULE}, 2 to 256 characters`, fix: 'write it as name components and wildcards, e.g. "team-a/**" or "*/api"' };
  }
  return undefined;
}

/** `**` followed by `/` is expanded exactly up to this many times per glob (2^n patterns), then broadened. */
const MAX_EXACT_OPTIONAL_SEGMENTS = 3;

/**
 * The IAM resource patterns (the part after `repository/` of an ECR repository ARN) that cover
 * every repository name the glob matches, for granting a permission to exactly a class's
 * repositories. IAM ARN matching has `*` (any characters, `/` included) and `?` (any one
 * character): https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_resource.html
 *
 * - `**` at the end (or not followed by a slash) becomes `*`: exact.
 * - `**` followed by a slash matches zero or more whole segments, which one IAM pattern cannot
 *   say: it becomes two patterns, one without it and one with `*` and the slash (`apps/` `**` `/web`
 *   gives `apps/web` and `apps/` `*` `/web`): exact. Past three of them in one glob, it becomes a
 *   bare `*` (`apps/` `*` `web`), which also covers `apps/xweb`.
 * - `*` (within a segment) and `?` (one character but a slash) stay `*` and `?`, which in IAM
 *   also cross slashes: `team-` `*` `/api` also covers `team-a/x/api`.
 *
 * Broadening is safe: every name a pattern covers still carries the glob's literal text in order,
 * the code deletes only in repositories whose first matching class allows it (the grant is the
 * outer bound, not the decision), and a narrower pattern would silently break that class.
 *
 * @example
 * repositoryGlobToArnPatterns('team-a/**'); // ['team-a/*']
 */
export function repositoryGlobToArnPatterns(glob: string): string[] {
  const tokens = tokenize(glob);
  const exact = tokens.filter((token) => 'wildcard' in token && token.wildcard === '**/').length <= MAX_EXACT_OPTIONAL_SEGMENTS;
  let patterns = [''];
  for (const token of tokens) {
    if ('literal' in token) patterns = patterns.map((pattern) => pattern + token.literal);
    else if (token.wildcard === '**/' && exact) patterns = patterns.flatMap((pattern) => [pattern, `${pattern}*/`]);
    else patterns = patterns.map((pattern) => pattern + (token.wildcard === '?' ? '?' : '*'));
  }
  return [...new Set(patterns.map((pattern) => pattern.replace(/\*{2,}/g, '*')))];
}

/**
 * The schema of a repository-name glob wherever one is written (repository classes, accepted
 * findings, a manual sweep's `repositories`): 1–256 characters that can match some ECR name.
 */
export const RepositoryGlob = z.string().check(
  z.minLength(1),
  z.maxLength(256),
  z.superRefine((glob, ctx) => {
    const problem = repositoryGlobProblem(glob);
    if (problem) ctx.issues.push({ code: 'custom', input: glob, message: problem.message, params: { fix: problem.fix } });
  }),
);

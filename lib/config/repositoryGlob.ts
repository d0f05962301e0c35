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

/** True when any of the globs matches the repository name. */
export function compileRepositoryGlobs(globs: readonly string[]): (repositoryName: string) => boolean {
  const matchers = globs.map(compileRepositoryGlob);
  return (repositoryName) => matchers.some((matches) => matches(repositoryName));
}

import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG_PATH, loadConfig } from '../../../lib/config';
import { placeGeneratedRepositories } from '../../../lib/config/placeGeneratedRepositories';
import { compileRepositoryGlob, repositoryGlobProblem } from '../../../lib/config/repositoryGlob';
import { ConfigError, type ValidationIssue } from '../../../lib/errors';

const SAMPLES = resolve(DEFAULT_CONFIG_PATH, '../../test/samples/config');

describe('repositoryGlobProblem', () => {
  it.each([
    ['**', 'team-a/api'],
    ['*', 'api'],
    ['mirror/**', 'mirror/eks/aws-load-balancer-controller'],
    ['**/api', 'api'],
    ['team__a/*', 'team__a/api'],
    ['a--b/**', 'a--b/c'],
    ['??', 'ab'],
    ['*.*', 'a.b'],
  ])('accepts %s, which matches for example %s', (glob, name) => {
    // Act / Assess: the glob is accepted, and the example really is a name it matches.
    expect(repositoryGlobProblem(glob)).toBeUndefined();
    expect(compileRepositoryGlob(glob)(name)).toBe(true);
  });

  it.each([
    ['Team-A/**', /are lowercase/, 'write "team-a/**"'],
    ['team-[ab]/*', /"\[", "\]" are in no ECR repository name/, 'list each alternative as its own glob, e.g. ["team-a/*", "team-b/*"] instead of "team-[ab]/*"'],
    ['team{a,b}', /"\{", ",", "\}" are in no ECR repository name/, expect.stringContaining('list each alternative')],
    ['team a/*', /" " is in no ECR repository name/, 'remove " "'],
    ['team-/api', /can never match an ECR repository name: lowercase letters and digits/, expect.stringContaining('team-a/**')],
    ['a//b', /can never match an ECR repository name/, expect.any(String)],
    ['a._b/*', /can never match an ECR repository name/, expect.any(String)],
    ['?', /2 to 256 characters/, expect.any(String)],
  ])('rejects %s, which no repository name matches', (glob, message, fix) => {
    // Act
    const problem = repositoryGlobProblem(glob);

    // Assess
    expect(problem?.message).toMatch(message);
    expect(problem?.fix).toEqual(fix);
  });
});

describe('repository globs in the configuration (test/samples/config/unmatchable-globs.yml)', () => {
  it('rejects each glob that can never match, with its path and fix', () => {
    // Act
    let issues: readonly ValidationIssue[] = [];
    try {
      loadConfig(resolve(SAMPLES, 'unmatchable-globs.yml'));
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      issues = error.issues;
    }

    // Assess
    expect(issues.map((issue) => [issue.path, issue.fix])).toEqual([
      ['repositoryClasses[0].repositories[0]', 'write "team-a/**"'],
      ['repositoryClasses[1].repositories[0]', 'list each alternative as its own glob, e.g. ["team-a/*", "team-b/*"] instead of "team-[ab]/*"'],
      ['repositoryClasses[2].repositories[0]', 'write it as name components and wildcards, e.g. "team-a/**" or "*/api"'],
    ]);
  });
});

describe('placeGeneratedRepositories', () => {
  it('says when no class governs the mirrored repositories at all', () => {
    // Prepare: no catch-all class.
    const config = {
      repositoryClasses: [{ name: 'team-a', repositories: ['team-a/**'], protectedTags: [], expireOnPush: false }],
      mirror: { repositoryPrefix: 'mirror', platforms: 'all' as const, includeReferrers: false, images: [{ source: 'registry.k8s.io/pause', tags: ['3.10'] }] },
    };

    // Act
    const [placement] = placeGeneratedRepositories(config);

    // Assess
    expect(placement).toEqual({
      path: 'mirror.repositoryPrefix',
      value: 'mirror',
      what: 'the mirrored repositories (mirror/pause)',
      repositories: ['mirror/pause'],
      named: false,
      suggestedGlob: 'mirror/**',
    });
  });
});

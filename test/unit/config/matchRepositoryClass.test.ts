import { describe, expect, it } from 'vitest';
import { compileRepositoryGlob, compileRepositoryGlobs, DEFAULT_CONFIG_PATH, loadConfig, matchRepositoryClass } from '../../../lib/config';
import type { RepositoryClass } from '../../../lib/config';

function repositoryClass(name: string, repositories: string[]): RepositoryClass {
  return { name, repositories, protectedTags: [], expireOnPush: false };
}

describe('compileRepositoryGlob', () => {
  it.each([
    ['team-*', 'team-a', true],
    ['team-*', 'team-a/api', false],
    ['team-*/*', 'team-a/api', true],
    ['team-*/*', 'team-a/api/v2', false],
    ['team-a/**', 'team-a/api', true],
    ['team-a/**', 'team-a/api/worker/v2', true],
    ['team-a/**', 'team-a', false],
    ['team-a/**', 'team-ab/api', false],
    ['**', 'x', true],
    ['**', 'a/b/c/d', true],
    ['mirror/**/controller', 'mirror/controller', true],
    ['mirror/**/controller', 'mirror/eks/aws/controller', true],
    ['mirror/**/controller', 'mirror/eks/controller-x', false],
    ['**/nginx', 'nginx', true],
    ['**/nginx', 'ecr-public/nginx/nginx', true],
    ['app-?', 'app-1', true],
    ['app-?', 'app-12', false],
    ['app-?', 'app-/', false],
    ['a.b', 'a.b', true],
    ['a.b', 'axb', false],
    ['a+b', 'a+b', true],
    ['a+b', 'aab', false],
    ['team-a/api', 'team-a/api', true],
    ['team-a/api', 'team-a/api2', false],
  ])('%s matching %s is %s', (glob, name, expected) => {
    // Act
    const matches = compileRepositoryGlob(glob)(name);

    // Assess
    expect(matches).toBe(expected);
  });

  it('matches when any of several globs matches', () => {
    // Prepare
    const matches = compileRepositoryGlobs(['quay/**', 'k8s/**']);

    // Act & Assess
    expect([matches('k8s/pause'), matches('quay/x/y'), matches('docker-hub/library/nginx')]).toEqual([true, true, false]);
  });
});

describe('matchRepositoryClass', () => {
  it('takes the first class whose globs match', () => {
    // Prepare
    const config = { repositoryClasses: [repositoryClass('first', ['team-a/*']), repositoryClass('second', ['team-a/**']), repositoryClass('rest', ['**'])] };

    // Act
    const names = ['team-a/api', 'team-a/api/worker', 'team-b/api'].map((name) => matchRepositoryClass(config, name)?.name);

    // Assess
    expect(names).toEqual(['first', 'second', 'rest']);
  });

  it('returns undefined when no class matches', () => {
    // Prepare
    const config = { repositoryClasses: [repositoryClass('mirrors', ['mirror/**'])] };

    // Act & Assess
    expect(matchRepositoryClass(config, 'team-a/api')).toBeUndefined();
  });

  it.each([
    ['mirror/eks/aws-load-balancer-controller', 'mirrors'],
    ['ecr-public/nginx/nginx', 'pull-through-cache'],
    ['docker-hub/library/redis', 'pull-through-cache'],
    ['k8s/pause', 'pull-through-cache'],
    ['team-a/api', 'services'],
    ['mirror', 'services'],
    ['quay-tools/x', 'services'],
  ])('governs %s with class %s in infra/autopilot.yml', (name, expected) => {
    // Prepare
    const { config } = loadConfig(DEFAULT_CONFIG_PATH);

    // Act & Assess
    expect(matchRepositoryClass(config, name)?.name).toBe(expected);
  });
});

import { describe, expect, it } from 'vitest';
import { readConfig } from '../../../lib/config';
import { isRepositoryName, repositoryNameProblem } from '../../../lib/ecr/repositoryName';
import { EcrImageActionEvent, parseEvent } from '../../../lib/events';
import { PTC_PREFIX_PATTERN } from '../../../lib/pull-through-cache/limits';
import { imageActionEvent } from '../../support/events';

/** Names the current ECR API model accepts, including what older patterns rejected (`__`, runs of `-`). */
const VALID = ['ab', 'nginx', 'team-a/api', 'team__a/api', 'a--b/c---d', 'team.a/api_v2', 'a/b/c/d', 'x'.repeat(256), '0a/1b'];

/** Names ECR rejects: case, length, separators at the ends or doubled, characters outside the alphabet. */
const INVALID = ['a', 'x'.repeat(257), 'Team/api', 'team/', '/team', 'team//api', 'team___a', 'team_-a', 'team.-a', '-team', 'team-', 'team..a', 'team a', 'team:a', 'team*'];

function configWith(extra: string): string {
  return `version: 1\nrepositoryClasses:\n  - name: services\n    repositories: ["**"]\n${extra}`;
}

function readText(text: string) {
  return readConfig(text, '/cfg/autopilot.yml', { today: new Date('2026-11-20T09:00:00Z'), readFile: () => '{}' });
}

describe('repository names (one pattern everywhere)', () => {
  it.each(VALID)('accepts %s', (name) => {
    expect(repositoryNameProblem(name)).toBeUndefined();
    expect(isRepositoryName(name)).toBe(true);
  });

  it.each(INVALID)('rejects %s with the rule in the message', (name) => {
    expect(isRepositoryName(name)).toBe(false);
    expect(repositoryNameProblem(name)).toMatch(/ECR repositoryName|valid ECR repository name/);
  });

  it('accepts team__a/api in an ECR Image Action event', () => {
    // Prepare
    const raw = imageActionEvent({ 'repository-name': 'team__a/api' });

    // Act
    const event = parseEvent(EcrImageActionEvent, raw, 'ECR Image Action event');

    // Assess
    expect(event.detail['repository-name']).toBe('team__a/api');
  });

  it('accepts team__a and runs of - as a pull-through cache prefix, as ECR does', () => {
    expect(PTC_PREFIX_PATTERN.test('team__a')).toBe(true);
    expect(PTC_PREFIX_PATTERN.test('docker--hub/')).toBe(true);
    expect(PTC_PREFIX_PATTERN.test('ROOT')).toBe(true);
    expect(PTC_PREFIX_PATTERN.test('Team')).toBe(false);
    expect(PTC_PREFIX_PATTERN.test('team___a')).toBe(false);
  });

  it('accepts team__a as the mirror prefix and as a mirror repository in the configuration', () => {
    // Prepare
    const text = configWith(
      'mirror:\n  repositoryPrefix: team__a\n  images:\n    - source: public.ecr.aws/eks/aws-load-balancer-controller\n      tags: ["v2.13.0"]\n      repository: team__a/lbc--mirror\n',
    );

    // Act
    const result = readText(text);

    // Assess
    expect(result.ok ? [] : result.issues).toEqual([]);
  });

  it('rejects a mirror repository ECR would not accept, naming the field and the rule', () => {
    // Prepare
    const text = configWith('mirror:\n  images:\n    - source: public.ecr.aws/eks/aws-load-balancer-controller\n      tags: ["v2.13.0"]\n      repository: Team/LBC\n');

    // Act
    const result = readText(text);

    // Assess
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.issues).toContainEqual(expect.objectContaining({ path: 'mirror.images[0].repository', message: expect.stringContaining('valid ECR repository name') }));
  });
});

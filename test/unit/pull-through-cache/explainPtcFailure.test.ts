import { describe, expect, it } from 'vitest';
import { createSecretCommand, explainPtcFailure, type FailureCategory } from '../../../lib/pull-through-cache/explainPtcFailure';

describe('explainPtcFailure', () => {
  it.each<[string | undefined, string | undefined, FailureCategory]>([
    ['UpstreamAccessDenied', undefined, 'credentials'],
    ['401', undefined, 'credentials'],
    [undefined, 'Unable to authenticate with the upstream registry using the provided credentials', 'credentials'],
    ['UpstreamTooManyRequests', undefined, 'rate-limit'],
    ['429', 'toomanyrequests: You have reached your pull rate limit', 'rate-limit'],
    ['ImageNotFound', undefined, 'image-not-found'],
    ['UpstreamImageNotFound', undefined, 'image-not-found'],
    ['UpstreamUnavailable', undefined, 'upstream-unavailable'],
    ['503', undefined, 'upstream-unavailable'],
    ['AccessDenied', undefined, 'access-denied'],
    ['ImageInaccessible', undefined, 'access-denied'],
    ['KmsError', undefined, 'kms'],
    ['SecretNotFound', undefined, 'secret'],
    ['UnableToDecryptSecretValue', undefined, 'secret'],
    ['SECRET_MISSING', undefined, 'secret'],
    ['OVER_QUOTA', undefined, 'quota'],
    ['LimitExceeded', undefined, 'quota'],
    ['SomethingNew', undefined, 'unknown'],
    [undefined, undefined, 'unknown'],
  ])('classifies code %s (reason %s) as %s', (code, reason, category) => {
    // Act
    const guidance = explainPtcFailure(code, { prefix: 'docker-hub', ...(reason ? { reason } : {}) });

    // Assess
    expect(guidance.category).toBe(category);
    expect(guidance.code).toBe(code ?? 'unknown');
    expect(guidance.title).not.toBe('');
    expect(guidance.likelyCause).not.toBe('');
    expect(guidance.fix).not.toBe('');
  });

  it('gives the commands that fix bad credentials for a known secret, with placeholders only', () => {
    // Act
    const guidance = explainPtcFailure('UpstreamAccessDenied', { prefix: 'docker-hub', secretName: 'ecr-pullthroughcache/docker-hub', upstream: 'docker-hub', region: 'ap-northeast-2' });

    // Assess
    expect(guidance).toMatchObject({ title: 'Docker Hub rejected the credentials', severity: 'critical' });
    expect(guidance.commands).toEqual([
      `aws secretsmanager put-secret-value --secret-id ecr-pullthroughcache/docker-hub --region ap-northeast-2 --secret-string '{"username":"<Docker Hub user name>","accessToken":"<Docker Hub personal access token>"}'`,
      'aws ecr validate-pull-through-cache-rule --ecr-repository-prefix docker-hub --region ap-northeast-2',
    ]);
  });

  it('says that cached images keep being served when the upstream rate-limits', () => {
    // Act
    const guidance = explainPtcFailure('UpstreamTooManyRequests', { upstream: 'docker-hub' });

    // Assess
    expect(guidance).toMatchObject({ title: 'Docker Hub rate-limited the pull', severity: 'warning' });
    expect(guidance.likelyCause).toContain('last cached copy');
  });

  it('points at /library/ when an image is not found', () => {
    // Act / Assess
    expect(explainPtcFailure('ImageNotFound', { prefix: 'docker-hub', repositoryName: 'docker-hub/alpine' }).fix).toContain('docker-hub/library/alpine');
  });

  it('names the permissions a puller needs when the pull is denied', () => {
    // Act / Assess
    expect(explainPtcFailure('AccessDenied', { prefix: 'quay' }).fix).toContain('ecr:BatchImportUpstreamImage and ecr:CreateRepository');
  });

  it('builds the create-secret command with generic placeholders for an unknown upstream', () => {
    // Act / Assess
    expect(createSecretCommand('ecr-pullthroughcache/x')).toBe(`aws secretsmanager create-secret --name ecr-pullthroughcache/x --secret-string '{"username":"<user name>","accessToken":"<access token>"}'`);
  });
});

import {
  DeletePullThroughCacheRuleCommand,
  DeleteRepositoryCommand,
  DeleteRepositoryCreationTemplateCommand,
  DescribePullThroughCacheRulesCommand,
  DescribeRepositoriesCommand,
  DescribeRepositoryCreationTemplatesCommand,
  ECRClient,
  ECRServiceException,
  ValidatePullThroughCacheRuleCommand,
} from '@aws-sdk/client-ecr';
import { DescribeSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { captureCliOutput, cliStderr, cliStdout, runCli } from '../../support/cli';

/**
 * `teardown` and `ptc status` against a live account (mocked clients) where AWS calls fail: each
 * goes on item by item and reports every failure with its fix, never a raw SDK error.
 */
const ecr = mockClient(ECRClient);
const secrets = mockClient(SecretsManagerClient);
const REGION = 'ap-northeast-2';

const expired = () => new ECRServiceException({ name: 'ExpiredTokenException', $fault: 'client', $metadata: { httpStatusCode: 400 }, message: 'The security token included in the request is expired' });

beforeEach(() => {
  ecr.reset();
  secrets.reset();
  vi.stubEnv('AWS_REGION', REGION);
  vi.stubEnv('AWS_ACCESS_KEY_ID', 'AKIDEXAMPLE');
  vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'example');
  vi.stubEnv('AUTOPILOT_CONFIG', '');
  captureCliOutput();
});

afterEach(() => {
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
});

describe('ecr-autopilot teardown --yes', () => {
  it('deletes what it can, reports each failure with its fix, and exits 1', async () => {
    // Prepare: the lab's ecr-public rule and template, a cached repository and a mirrored one; the rule's delete hits an expired token.
    ecr.on(DescribePullThroughCacheRulesCommand).resolves({ pullThroughCacheRules: [{ ecrRepositoryPrefix: 'ecr-public', upstreamRegistryUrl: 'public.ecr.aws' }] });
    ecr.on(DescribeRepositoryCreationTemplatesCommand).resolves({ repositoryCreationTemplates: [{ prefix: 'ecr-public', appliedFor: ['PULL_THROUGH_CACHE'] }] });
    ecr.on(DescribeRepositoriesCommand).resolves({ repositories: [{ repositoryName: 'ecr-public/nginx/nginx' }, { repositoryName: 'mirror/eks/aws-load-balancer-controller' }] });
    ecr.on(DeletePullThroughCacheRuleCommand).rejects(expired());
    ecr.on(DeleteRepositoryCreationTemplateCommand).resolves({});
    ecr.on(DeleteRepositoryCommand).resolves({});

    // Act
    const code = await runCli('teardown', '--yes');

    // Assess
    expect(code).toBe(1);
    expect(ecr).toHaveReceivedCommandWith(DeleteRepositoryCommand, { repositoryName: 'mirror/eks/aws-load-balancer-controller' });
    expect(ecr).toHaveReceivedCommandWith(DeleteRepositoryCreationTemplateCommand, { prefix: 'ecr-public' });
    expect(cliStdout()).toContain('[failed] ecr:DeletePullThroughCacheRule ecr-public');
    expect(cliStdout()).toContain('the AWS credentials have expired (The security token included in the request is expired); refresh them (aws sso login, or new session credentials) and run it again');
    expect(cliStdout()).toContain('[applied] ecr:DeleteRepository mirror/eks/aws-load-balancer-controller');
    expect(cliStderr()).not.toMatch(/ExpiredTokenException/);
  });

  it('says which listing failed and what to do, and still removes what the others found', async () => {
    // Prepare
    ecr.on(DescribePullThroughCacheRulesCommand).rejects(expired());
    ecr.on(DescribeRepositoryCreationTemplatesCommand).resolves({ repositoryCreationTemplates: [] });
    ecr.on(DescribeRepositoriesCommand).resolves({ repositories: [{ repositoryName: 'mirror/eks/aws-load-balancer-controller' }] });
    ecr.on(DeleteRepositoryCommand).resolves({});

    // Act
    const code = await runCli('teardown', '--yes');

    // Assess
    expect(code).toBe(1);
    expect(ecr).toHaveReceivedCommandWith(DeleteRepositoryCommand, { repositoryName: 'mirror/eks/aws-load-balancer-controller' });
    expect(cliStdout()).toContain('  failed: list the pull-through cache rules (ecr:DescribePullThroughCacheRules): ');
    expect(cliStdout()).toContain('refresh them (aws sso login, or new session credentials) and run it again');
  });
});

describe('ecr-autopilot ptc status (live)', () => {
  it('goes on when a secret cannot be described: the rule says unknown with the fix, the others are checked', async () => {
    // Prepare: the rules exist; the role may not describe the docker-hub secret (a raw SDK error).
    ecr.on(DescribePullThroughCacheRulesCommand).resolves({
      pullThroughCacheRules: [
        { ecrRepositoryPrefix: 'ecr-public', upstreamRegistryUrl: 'public.ecr.aws', upstreamRegistry: 'ecr-public' },
        { ecrRepositoryPrefix: 'github', upstreamRegistryUrl: 'ghcr.io', upstreamRegistry: 'github-container-registry', credentialArn: 'arn:aws:secretsmanager:ap-northeast-2:123456789012:secret:ecr-pullthroughcache/github-AbC123' },
      ],
    });
    ecr.on(DescribeRepositoryCreationTemplatesCommand).resolves({ repositoryCreationTemplates: [] });
    ecr.on(ValidatePullThroughCacheRuleCommand).resolves({ isValid: true });
    secrets.on(DescribeSecretCommand, { SecretId: 'ecr-pullthroughcache/docker-hub' }).rejects(Object.assign(new Error('Request has expired.'), { name: 'RequestExpired', $fault: 'client', $metadata: { httpStatusCode: 400 } }));
    secrets.on(DescribeSecretCommand, { SecretId: 'ecr-pullthroughcache/github' }).resolves({ Name: 'ecr-pullthroughcache/github', ARN: 'arn:aws:secretsmanager:ap-northeast-2:123456789012:secret:ecr-pullthroughcache/github-AbC123' });

    // Act
    const code = await runCli('ptc', 'status');

    // Assess: docker-hub unknown with its fix; github still described and validated.
    expect(code).toBe(1);
    expect(cliStdout()).toMatch(/docker-hub\s+missing\s+registry-1\.docker\.io\s+unknown ecr-pullthroughcache\/docker-hub/);
    expect(cliStdout()).toContain(
      '- docker-hub: its credential secret ecr-pullthroughcache/docker-hub could not be described: secretsmanager:DescribeSecret ecr-pullthroughcache/docker-hub: the AWS credentials have expired (Request has expired.); refresh them (aws sso login, or new session credentials) and run it again',
    );
    expect(cliStdout()).toMatch(/github\s+exists\s+ghcr\.io\s+ok ecr-pullthroughcache\/github\s+valid/);
    expect(ecr).toHaveReceivedCommandWith(ValidatePullThroughCacheRuleCommand, { ecrRepositoryPrefix: 'github' });
    expect(cliStderr()).not.toMatch(/error|exception/i);
  });

  it('stops at once, naming what to do, when AWS is out of reach (every other read would wait the same)', async () => {
    // Prepare
    ecr.on(DescribePullThroughCacheRulesCommand).resolves({ pullThroughCacheRules: [] });
    ecr.on(DescribeRepositoryCreationTemplatesCommand).resolves({ repositoryCreationTemplates: [] });
    secrets.on(DescribeSecretCommand).rejects(Object.assign(new Error('getaddrinfo ENOTFOUND secretsmanager.ap-northeast-2.amazonaws.com'), { code: 'ENOTFOUND' }));

    // Act
    const code = await runCli('ptc', 'status');

    // Assess: a transient failure (exit 3), explained, after one attempt per secret at most.
    expect(code).toBe(3);
    expect(cliStderr()).toContain('secretsmanager:DescribeSecret ecr-pullthroughcache/docker-hub: the AWS endpoint could not be reached (ENOTFOUND); check the network, AWS_REGION and AWS_ENDPOINT_URL, then run it again');
    expect(secrets.commandCalls(DescribeSecretCommand)).toHaveLength(1);
  });

  it('says the rules could not be read and why, marks every declared rule unknown, and still checks the secrets', async () => {
    // Prepare
    ecr.on(DescribePullThroughCacheRulesCommand).rejects(expired());
    ecr.on(DescribeRepositoryCreationTemplatesCommand).rejects(expired());
    secrets.on(DescribeSecretCommand).callsFake((input: { SecretId: string }) => ({ Name: input.SecretId, ARN: `arn:aws:secretsmanager:${REGION}:123456789012:secret:${input.SecretId}-AbC123` }));

    // Act
    const code = await runCli('ptc', 'status', '--json');

    // Assess
    expect(code).toBe(1);
    const status = JSON.parse(cliStdout()) as { ok: boolean; rules: Array<{ prefix: string; status: string; credential: string }>; readFailures: Array<{ what: string; message: string }> };
    expect(status.ok).toBe(false);
    expect(status.readFailures.map((failure) => failure.what)).toEqual(['the pull-through cache rules', 'the repository creation templates']);
    expect(status.readFailures[0]?.message).toContain('the AWS credentials have expired');
    expect(status.rules.map((rule) => [rule.prefix, rule.status, rule.credential])).toEqual([
      ['ecr-public', 'unknown', 'none'],
      ['k8s', 'unknown', 'none'],
      ['quay', 'unknown', 'none'],
      ['docker-hub', 'unknown', 'ok'],
      ['github', 'unknown', 'ok'],
    ]);
    expect(secrets.commandCalls(DescribeSecretCommand)).toHaveLength(2);
  });

  it('reports a validation that cannot run on its rule and goes on to the next', async () => {
    // Prepare: both authenticated rules exist; validating docker-hub meets an error no adapter translates.
    const arn = (name: string) => `arn:aws:secretsmanager:${REGION}:123456789012:secret:ecr-pullthroughcache/${name}-AbC123`;
    ecr.on(DescribePullThroughCacheRulesCommand).resolves({
      pullThroughCacheRules: [
        { ecrRepositoryPrefix: 'docker-hub', upstreamRegistryUrl: 'registry-1.docker.io', upstreamRegistry: 'docker-hub', credentialArn: arn('docker-hub') },
        { ecrRepositoryPrefix: 'github', upstreamRegistryUrl: 'ghcr.io', upstreamRegistry: 'github-container-registry', credentialArn: arn('github') },
      ],
    });
    ecr.on(DescribeRepositoryCreationTemplatesCommand).resolves({ repositoryCreationTemplates: [] });
    secrets.on(DescribeSecretCommand).callsFake((input: { SecretId: string }) => ({ Name: input.SecretId, ARN: arn(input.SecretId.replace('ecr-pullthroughcache/', '')) }));
    ecr.on(ValidatePullThroughCacheRuleCommand, { ecrRepositoryPrefix: 'docker-hub' }).rejects(expired());
    ecr.on(ValidatePullThroughCacheRuleCommand, { ecrRepositoryPrefix: 'github' }).resolves({ isValid: true });

    // Act
    const code = await runCli('ptc', 'status');

    // Assess
    expect(code).toBe(1);
    expect(cliStdout()).toMatch(/docker-hub\s+exists\s+registry-1\.docker\.io\s+ok ecr-pullthroughcache\/docker-hub\s+failed/);
    expect(cliStdout()).toContain(
      '- docker-hub: ValidatePullThroughCacheRule failed for docker-hub: ecr:ValidatePullThroughCacheRule docker-hub: the AWS credentials have expired (The security token included in the request is expired); refresh them (aws sso login, or new session credentials) and run it again',
    );
    expect(cliStdout()).toMatch(/github\s+exists\s+ghcr\.io\s+ok ecr-pullthroughcache\/github\s+valid/);
    expect(cliStderr()).not.toMatch(/error|exception/i);
  });
});

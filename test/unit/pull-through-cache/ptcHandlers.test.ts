import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  CreatePullThroughCacheRuleCommand,
  CreateRepositoryCreationTemplateCommand,
  DescribePullThroughCacheRulesCommand,
  DescribeRepositoryCreationTemplatesCommand,
  ECRClient,
  UpdatePullThroughCacheRuleCommand,
  ValidatePullThroughCacheRuleCommand,
} from '@aws-sdk/client-ecr';
import { DescribeSecretCommand, GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { PublishCommand, SNSClient, SNSServiceException } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { EventValidationError } from '../../../lib/errors';
import type { FunctionReport } from '../../../lib/runtime/types';
import { lambdaContext, loadEvent } from '../../support/events';
import { fakeIdempotencyTable } from '../../support/idempotencyTable';
import { fakeStateTable, type FakeStateTable } from '../../support/stateTable';
import { captureLogs, LAMBDA_ENV, setEnv } from '../../support/lambdaHarness';
import { PTC_POLICY_TEXT, secretArn } from './ptcFixtures';

const ecr = mockClient(ECRClient);
const secrets = mockClient(SecretsManagerClient);
const sns = mockClient(SNSClient);
const dynamo = mockClient(DynamoDBClient);

type Handler = (event: unknown, context: ReturnType<typeof lambdaContext>) => Promise<FunctionReport>;
let onPullThroughCache: Handler;
let syncPullThroughCache: Handler;
let restoreEnv: () => void;
let logs: ReturnType<typeof captureLogs>;

const DOCKER_ARN = secretArn('ecr-pullthroughcache/docker-hub');
const STATE_TABLE = 'ecr-autopilot-test-state';

/** The keys of the repeat windows kept in the state table (`pk|sk`). */
function stateKeys(table: FakeStateTable): string[] {
  return [...table.items.keys()].sort();
}

function templateFor(prefix: string, url: string) {
  return {
    prefix,
    description: `Managed by ecr-autopilot: repositories of pull-through cache rule ${prefix} (${url})`,
    appliedFor: ['PULL_THROUGH_CACHE' as const],
    imageTagMutability: 'MUTABLE' as const,
    encryptionConfiguration: { encryptionType: 'AES256' as const },
    lifecyclePolicy: PTC_POLICY_TEXT,
  };
}

beforeAll(async () => {
  restoreEnv = setEnv({ ...LAMBDA_ENV, STATE_TABLE_NAME: STATE_TABLE });
  onPullThroughCache = (await import('../../../functions/onPullThroughCache')).handler as unknown as Handler;
  syncPullThroughCache = (await import('../../../functions/syncPullThroughCache')).handler as unknown as Handler;
});

afterAll(() => restoreEnv());

beforeEach(() => {
  ecr.reset();
  secrets.reset();
  sns.reset();
  dynamo.reset();
  fakeIdempotencyTable(dynamo);
  ecr.on(DescribePullThroughCacheRulesCommand).resolves({ pullThroughCacheRules: [] });
  ecr.on(DescribeRepositoryCreationTemplatesCommand).resolves({ repositoryCreationTemplates: [] });
  ecr.on(CreatePullThroughCacheRuleCommand).resolves({});
  ecr.on(CreateRepositoryCreationTemplateCommand).resolves({});
  secrets.on(DescribeSecretCommand, { SecretId: 'ecr-pullthroughcache/docker-hub' }).resolves({ Name: 'ecr-pullthroughcache/docker-hub', ARN: DOCKER_ARN });
  secrets.on(DescribeSecretCommand, { SecretId: 'ecr-pullthroughcache/github' }).resolves({ Name: 'ecr-pullthroughcache/github', ARN: secretArn('ecr-pullthroughcache/github') });
  sns.on(PublishCommand).resolves({ MessageId: 'message-1' });
  logs = captureLogs();
});

afterEach(() => logs.restore());

describe('functions/onPullThroughCache handler', () => {
  it('reports a pull under an undeclared upstream alias once per prefix across invocations (state table), creating nothing', async () => {
    // Prepare
    const table = fakeStateTable(dynamo, STATE_TABLE);
    const ghcr = loadEvent('cloudtrail/batch-get-image-undeclared-alias');
    const ghcrAgain = loadEvent('cloudtrail/batch-get-image-undeclared-alias');
    ghcrAgain.id = 'b4e9d3c2-6f8a-4b07-9d1e-3c5f7a9b2d46';
    ghcrAgain.detail.requestParameters.repositoryName = 'ghcr/stefanprodan/podinfo';
    const dockerhub = loadEvent('cloudtrail/batch-get-image-undeclared-alias');
    dockerhub.id = 'c5fae4d3-7a9b-4c18-8e2f-4d6a8b0c3e57';
    dockerhub.detail.requestParameters.repositoryName = 'dockerhub/library/nginx';

    // Act
    const first = await onPullThroughCache(ghcr, lambdaContext('ecr-autopilot-test-onPullThroughCache'));
    const second = await onPullThroughCache(ghcrAgain, lambdaContext('ecr-autopilot-test-onPullThroughCache'));
    const other = await onPullThroughCache(dockerhub, lambdaContext('ecr-autopilot-test-onPullThroughCache'));

    // Assess
    expect(ecr).not.toHaveReceivedCommand(CreatePullThroughCacheRuleCommand);
    expect(ecr).not.toHaveReceivedCommand(CreateRepositoryCreationTemplateCommand);
    expect(sns).toHaveReceivedCommandTimes(PublishCommand, 2);
    expect(first.decision).toContain('Reported it with the entry to add under pullThroughCache.rules: { prefix: ghcr, upstream: github-container-registry, credentialSecret: ecr-pullthroughcache/ghcr }');
    expect(second.decision).toContain('Already reported for this prefix (once per prefix, for 90 days); this pull is counted for the next report.');
    expect(other.decision).toContain('{ prefix: dockerhub, upstream: docker-hub, credentialSecret: ecr-pullthroughcache/dockerhub }');
    expect([first.outcome, second.outcome, other.outcome]).toEqual(['done', 'ignored', 'done']);
    expect(stateKeys(table)).toEqual(['notice#repeats|ptc.failure#dockerhub#NOT_DECLARED', 'notice#repeats|ptc.failure#ghcr#NOT_DECLARED']);
  });

  it('closes the window when the report cannot be published, so the retry reports it', async () => {
    // Prepare
    const table = fakeStateTable(dynamo, STATE_TABLE);
    const denied = new SNSServiceException({ name: 'AuthorizationErrorException', $fault: 'client', $metadata: { httpStatusCode: 403 }, message: 'not authorized to publish' });
    sns.on(PublishCommand).rejectsOnce(denied).resolves({ MessageId: 'message-2' });

    // Act
    const failed = await onPullThroughCache(loadEvent('cloudtrail/batch-get-image-undeclared-alias'), lambdaContext('ecr-autopilot-test-onPullThroughCache')).catch((error: unknown) => error);
    const retried = await onPullThroughCache(loadEvent('cloudtrail/batch-get-image-undeclared-alias'), lambdaContext('ecr-autopilot-test-onPullThroughCache'));

    // Assess
    expect(failed).toMatchObject({ code: 'NOTIFY_FAILED', retryable: true });
    expect(retried.outcome).toBe('done');
    expect(sns).toHaveReceivedCommandTimes(PublishCommand, 2);
    expect(stateKeys(table)).toEqual(['notice#repeats|ptc.failure#ghcr#NOT_DECLARED']);
  });

  it('creates the template, then the rule with the secret ARN, and publishes once for a redelivered event', async () => {
    // Act
    const first = await onPullThroughCache(loadEvent('cloudtrail/batch-get-image-repository-not-found'), lambdaContext('ecr-autopilot-test-onPullThroughCache'));
    ecr.on(DescribePullThroughCacheRulesCommand).resolves({ pullThroughCacheRules: [{ ecrRepositoryPrefix: 'docker-hub', upstreamRegistryUrl: 'registry-1.docker.io' }] });
    const second = await onPullThroughCache(loadEvent('cloudtrail/batch-get-image-repository-not-found'), lambdaContext('ecr-autopilot-test-onPullThroughCache'));

    // Assess
    expect(first.outcome).toBe('done');
    expect(second.outcome).toBe('ignored');
    expect(ecr).toHaveReceivedCommandExactlyOnceWith(CreatePullThroughCacheRuleCommand, {
      ecrRepositoryPrefix: 'docker-hub',
      upstreamRegistry: 'docker-hub',
      upstreamRegistryUrl: 'registry-1.docker.io',
      credentialArn: DOCKER_ARN,
    });
    const order = ecr.calls().map((call) => call.args[0].constructor.name);
    expect(order.indexOf('CreateRepositoryCreationTemplateCommand')).toBeLessThan(order.indexOf('CreatePullThroughCacheRuleCommand'));
    expect(sns).toHaveReceivedCommandTimes(PublishCommand, 1);
    expect(sns).toHaveReceivedCommandWith(PublishCommand, { MessageAttributes: expect.objectContaining({ kind: { DataType: 'String', StringValue: 'ptc.created' } }) });
    expect(secrets).not.toHaveReceivedCommand(GetSecretValueCommand);
  });

  it('rejects an event of another kind before touching AWS', async () => {
    // Act
    const error = await onPullThroughCache(loadEvent('ecr-image-action/push-tagged'), lambdaContext()).catch((caught: unknown) => caught);

    // Assess
    expect(error).toBeInstanceOf(EventValidationError);
    expect(ecr.calls()).toEqual([]);
  });
});

describe('functions/syncPullThroughCache handler', () => {
  it('accepts a manual invoke, updates a changed credential, validates, and never reads a secret value', async () => {
    // Prepare
    ecr.on(DescribePullThroughCacheRulesCommand).resolves({
      pullThroughCacheRules: [
        { ecrRepositoryPrefix: 'ecr-public', upstreamRegistryUrl: 'public.ecr.aws' },
        { ecrRepositoryPrefix: 'k8s', upstreamRegistryUrl: 'registry.k8s.io' },
        { ecrRepositoryPrefix: 'quay', upstreamRegistryUrl: 'quay.io' },
        { ecrRepositoryPrefix: 'docker-hub', upstreamRegistryUrl: 'registry-1.docker.io', credentialArn: secretArn('ecr-pullthroughcache/docker-hub', 'OlD000') },
      ],
    });
    ecr.on(DescribeRepositoryCreationTemplatesCommand).resolves({
      repositoryCreationTemplates: [templateFor('ecr-public', 'public.ecr.aws'), templateFor('k8s', 'registry.k8s.io'), templateFor('quay', 'quay.io'), templateFor('docker-hub', 'registry-1.docker.io')],
    });
    ecr.on(UpdatePullThroughCacheRuleCommand).resolves({});
    ecr.on(ValidatePullThroughCacheRuleCommand).resolves({ isValid: true });

    // Act
    const report = await syncPullThroughCache({}, lambdaContext('ecr-autopilot-test-syncPullThroughCache'));

    // Assess
    expect(report.outcome).toBe('done');
    expect(ecr).toHaveReceivedCommandExactlyOnceWith(UpdatePullThroughCacheRuleCommand, { ecrRepositoryPrefix: 'docker-hub', credentialArn: DOCKER_ARN });
    expect(ecr).toHaveReceivedCommandExactlyOnceWith(ValidatePullThroughCacheRuleCommand, { ecrRepositoryPrefix: 'docker-hub' });
    expect(ecr).not.toHaveReceivedCommand(CreatePullThroughCacheRuleCommand);
    expect(sns).toHaveReceivedCommandTimes(PublishCommand, 1);
    expect(secrets).not.toHaveReceivedCommand(GetSecretValueCommand);
  });

  it('stays quiet on a scheduled run that finds everything in order', async () => {
    // Prepare
    ecr.on(DescribePullThroughCacheRulesCommand).resolves({
      pullThroughCacheRules: [
        { ecrRepositoryPrefix: 'ecr-public', upstreamRegistryUrl: 'public.ecr.aws' },
        { ecrRepositoryPrefix: 'k8s', upstreamRegistryUrl: 'registry.k8s.io' },
        { ecrRepositoryPrefix: 'quay', upstreamRegistryUrl: 'quay.io' },
      ],
    });
    ecr.on(DescribeRepositoryCreationTemplatesCommand).resolves({
      repositoryCreationTemplates: [templateFor('ecr-public', 'public.ecr.aws'), templateFor('k8s', 'registry.k8s.io'), templateFor('quay', 'quay.io')],
    });

    // Act
    const report = await syncPullThroughCache(loadEvent('scheduled/sync-pull-through-cache'), lambdaContext('ecr-autopilot-test-syncPullThroughCache'));

    // Assess
    expect(report).toMatchObject({ outcome: 'done', changes: [] });
    expect(sns).not.toHaveReceivedCommand(PublishCommand);
  });
});

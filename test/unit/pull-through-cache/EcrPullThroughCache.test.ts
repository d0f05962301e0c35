import {
  CreatePullThroughCacheRuleCommand,
  CreateRepositoryCreationTemplateCommand,
  DeletePullThroughCacheRuleCommand,
  DescribePullThroughCacheRulesCommand,
  DescribeRepositoryCreationTemplatesCommand,
  ECRClient,
  ECRServiceException,
  LimitExceededException,
  PullThroughCacheRuleAlreadyExistsException,
  PullThroughCacheRuleNotFoundException,
  SecretNotFoundException,
  TemplateAlreadyExistsException,
  UpdatePullThroughCacheRuleCommand,
  UpdateRepositoryCreationTemplateCommand,
  ValidatePullThroughCacheRuleCommand,
} from '@aws-sdk/client-ecr';
import { DescribeSecretCommand, ResourceNotFoundException, SecretsManagerClient, SecretsManagerServiceException } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { AutopilotError } from '../../../lib/errors';
import { applyChanges } from '../../../lib/plan/applyChanges';
import { PlanningWriter } from '../../../lib/plan/PlanningWriter';
import { routeChanges } from '../../../lib/plan/routeChanges';
import { alreadyExisted, ptcWriters, type PtcChange } from '../../../lib/pull-through-cache/changes';
import { EcrPullThroughCache } from '../../../lib/pull-through-cache/EcrPullThroughCache';
import { reconcilePullThroughCache } from '../../../lib/pull-through-cache/syncPullThroughCache';
import { PTC_POLICY_TEXT, ptcConfig, REGION, secretArn, template } from './ptcFixtures';

const ecr = mockClient(ECRClient);
const secrets = mockClient(SecretsManagerClient);
let waits: number[];

function ptc(): EcrPullThroughCache {
  return new EcrPullThroughCache({
    ecr: new ECRClient({ region: REGION }),
    secrets: new SecretsManagerClient({ region: REGION }),
    region: REGION,
    retry: {
      sleep: async (ms) => {
        waits.push(ms);
      },
    },
  });
}

function ecrError(name: string, message = name): ECRServiceException {
  return new ECRServiceException({ name, $fault: 'client', $metadata: { httpStatusCode: 400 }, message });
}

async function caught(promise: Promise<unknown>): Promise<AutopilotError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof AutopilotError) return error;
    throw error;
  }
  throw new Error('nothing was thrown');
}

const createRule: PtcChange = { action: 'ecr:CreatePullThroughCacheRule', target: 'docker-hub', reason: 'declared', upstreamRegistry: 'docker-hub', upstreamRegistryUrl: 'registry-1.docker.io', credentialArn: secretArn('ecr-pullthroughcache/docker-hub') };
const createTemplate: PtcChange = { action: 'ecr:CreateRepositoryCreationTemplate', target: 'docker-hub', reason: 'declared', template: template('docker-hub', { resourceTags: { team: 'platform' } }) };

beforeEach(() => {
  ecr.reset();
  secrets.reset();
  waits = [];
});

describe('EcrPullThroughCache reads', () => {
  it('reads every page of rules and drops the implied trailing slash', async () => {
    // Prepare
    ecr
      .on(DescribePullThroughCacheRulesCommand)
      .resolvesOnce({ pullThroughCacheRules: [{ ecrRepositoryPrefix: 'ecr-public/', upstreamRegistryUrl: 'public.ecr.aws', upstreamRegistry: 'ecr-public' }], nextToken: 'page-2' })
      .resolvesOnce({ pullThroughCacheRules: [{ ecrRepositoryPrefix: 'k8s', upstreamRegistryUrl: 'registry.k8s.io' }] });

    // Act
    const rules = await ptc().listRules();

    // Assess
    expect(rules).toEqual([
      { prefix: 'ecr-public', upstreamRegistryUrl: 'public.ecr.aws', upstreamRegistry: 'ecr-public' },
      { prefix: 'k8s', upstreamRegistryUrl: 'registry.k8s.io' },
    ]);
    expect(ecr).toHaveReceivedCommandTimes(DescribePullThroughCacheRulesCommand, 2);
    expect(ecr).toHaveReceivedNthCommandWith(DescribePullThroughCacheRulesCommand, 2, { maxResults: 1000, nextToken: 'page-2' });
  });

  it('reads templates with their filters, encryption and tags', async () => {
    // Prepare
    ecr.on(DescribeRepositoryCreationTemplatesCommand).resolves({
      repositoryCreationTemplates: [
        {
          prefix: 'quay',
          appliedFor: ['PULL_THROUGH_CACHE'],
          imageTagMutability: 'IMMUTABLE_WITH_EXCLUSION',
          imageTagMutabilityExclusionFilters: [{ filterType: 'WILDCARD', filter: 'latest' }],
          encryptionConfiguration: { encryptionType: 'KMS', kmsKey: 'arn:aws:kms:ap-northeast-2:123456789012:key/1' },
          resourceTags: [{ Key: 'team', Value: 'platform' }],
          lifecyclePolicy: PTC_POLICY_TEXT,
        },
      ],
    });

    // Act
    const [quay] = await ptc().listTemplates();

    // Assess
    expect(quay).toEqual({
      prefix: 'quay',
      appliedFor: ['PULL_THROUGH_CACHE'],
      imageTagMutability: 'IMMUTABLE_WITH_EXCLUSION',
      imageTagMutabilityExclusions: ['latest'],
      encryptionType: 'KMS',
      kmsKey: 'arn:aws:kms:ap-northeast-2:123456789012:key/1',
      resourceTags: { team: 'platform' },
      lifecyclePolicy: PTC_POLICY_TEXT,
    });
  });

  it('describes a secret: metadata only', async () => {
    // Prepare
    secrets.on(DescribeSecretCommand, { SecretId: 'ecr-pullthroughcache/docker-hub' }).resolves({ Name: 'ecr-pullthroughcache/docker-hub', ARN: secretArn('ecr-pullthroughcache/docker-hub'), Description: 'not copied' });

    // Act
    const secret = await ptc().describeSecret('ecr-pullthroughcache/docker-hub');

    // Assess
    expect(secret).toEqual({ name: 'ecr-pullthroughcache/docker-hub', arn: secretArn('ecr-pullthroughcache/docker-hub') });
  });

  it('reports a missing secret (ResourceNotFoundException) as undefined', async () => {
    // Prepare
    secrets.on(DescribeSecretCommand).rejects(new ResourceNotFoundException({ $metadata: {}, message: "Secrets Manager can't find the specified secret." }));

    // Act / Assess
    await expect(ptc().describeSecret('ecr-pullthroughcache/github')).resolves.toBeUndefined();
  });

  it('refuses a misnamed secret without asking AWS, naming the secret to create', async () => {
    // Act
    const error = await caught(ptc().describeSecret('docker-hub-credentials'));

    // Assess
    expect(error.code).toBe('SECRET_INVALID');
    expect(error.message).toContain('must be named ecr-pullthroughcache/');
    expect(error.message).toContain('aws secretsmanager create-secret --name ecr-pullthroughcache/docker-hub-credentials');
    expect(secrets).not.toHaveReceivedCommand(DescribeSecretCommand);
  });

  it('turns a denied DescribeSecret into ACCESS_DENIED with the ARN to grant', async () => {
    // Prepare
    secrets.on(DescribeSecretCommand).rejects(new SecretsManagerServiceException({ name: 'AccessDeniedException', $fault: 'client', $metadata: { httpStatusCode: 400 }, message: 'denied' }));

    // Act
    const error = await caught(ptc().describeSecret('ecr-pullthroughcache/github'));

    // Assess
    expect(error.code).toBe('ACCESS_DENIED');
    expect(error.message).toContain('secret:ecr-pullthroughcache/*');
  });

  it('returns the validation failure of a rule', async () => {
    // Prepare
    ecr.on(ValidatePullThroughCacheRuleCommand, { ecrRepositoryPrefix: 'github' }).resolves({ ecrRepositoryPrefix: 'github', isValid: false, failure: 'Invalid credentials for upstream registry' });

    // Act / Assess
    await expect(ptc().validateRule('github')).resolves.toEqual({ isValid: false, failure: 'Invalid credentials for upstream registry' });
  });

  it('retries throttling with backoff, then succeeds', async () => {
    // Prepare
    ecr.on(DescribePullThroughCacheRulesCommand).rejectsOnce(ecrError('ThrottlingException', 'Rate exceeded')).resolves({ pullThroughCacheRules: [] });

    // Act
    await ptc().listRules();

    // Assess
    expect(ecr).toHaveReceivedCommandTimes(DescribePullThroughCacheRulesCommand, 2);
    expect(waits).toHaveLength(1);
  });
});

describe('EcrPullThroughCache writes', () => {
  it('creates a rule with the upstream, the enum and the secret ARN', async () => {
    // Prepare
    ecr.on(CreatePullThroughCacheRuleCommand).resolves({});

    // Act
    const outcome = await ptc().apply(createRule, {});

    // Assess
    expect(outcome).toEqual({ status: 'applied' });
    expect(ecr).toHaveReceivedCommandExactlyOnceWith(CreatePullThroughCacheRuleCommand, {
      ecrRepositoryPrefix: 'docker-hub',
      upstreamRegistry: 'docker-hub',
      upstreamRegistryUrl: 'registry-1.docker.io',
      credentialArn: secretArn('ecr-pullthroughcache/docker-hub'),
    });
  });

  it('treats PullThroughCacheRuleAlreadyExistsException as success: concurrent events create one rule', async () => {
    // Prepare
    ecr.on(CreatePullThroughCacheRuleCommand).rejects(new PullThroughCacheRuleAlreadyExistsException({ $metadata: {}, message: 'exists' }));

    // Act
    const outcome = await ptc().apply(createRule, {});

    // Assess
    expect(outcome.status).toBe('applied');
    expect(alreadyExisted(outcome)).toBe(true);
    expect(ecr).toHaveReceivedCommandTimes(CreatePullThroughCacheRuleCommand, 1);
  });

  it('treats TemplateAlreadyExistsException as success', async () => {
    // Prepare
    ecr.on(CreateRepositoryCreationTemplateCommand).rejects(new TemplateAlreadyExistsException({ $metadata: {}, message: 'exists' }));

    // Act
    const outcome = await ptc().apply(createTemplate, {});

    // Assess
    expect(alreadyExisted(outcome)).toBe(true);
  });

  it('creates a template for pull-through cache with the lifecycle policy, mutability, encryption and tags', async () => {
    // Prepare
    ecr.on(CreateRepositoryCreationTemplateCommand).resolves({});

    // Act
    await ptc().apply(createTemplate, {});

    // Assess
    expect(ecr).toHaveReceivedCommandExactlyOnceWith(CreateRepositoryCreationTemplateCommand, {
      prefix: 'docker-hub',
      appliedFor: ['PULL_THROUGH_CACHE'],
      imageTagMutability: 'MUTABLE',
      encryptionConfiguration: { encryptionType: 'AES256' },
      lifecyclePolicy: PTC_POLICY_TEXT,
      resourceTags: [{ Key: 'team', Value: 'platform' }],
    });
  });

  it('updates a template with every managed setting', async () => {
    // Prepare
    ecr.on(UpdateRepositoryCreationTemplateCommand).resolves({});

    // Act
    await ptc().apply({ action: 'ecr:UpdateRepositoryCreationTemplate', target: 'quay', reason: 'differs', template: template('quay', { imageTagMutability: 'IMMUTABLE_WITH_EXCLUSION', imageTagMutabilityExclusions: ['latest'] }) }, {});

    // Assess
    expect(ecr).toHaveReceivedCommandWith(UpdateRepositoryCreationTemplateCommand, {
      prefix: 'quay',
      appliedFor: ['PULL_THROUGH_CACHE'],
      imageTagMutability: 'IMMUTABLE_WITH_EXCLUSION',
      imageTagMutabilityExclusionFilters: [{ filterType: 'WILDCARD', filter: 'latest' }],
    });
  });

  it('creates and updates a KMS template with its key ARN and the role ECR assumes, and reads the role back', async () => {
    // Prepare
    const kmsKey = 'arn:aws:kms:ap-northeast-2:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';
    const customRoleArn = 'arn:aws:iam::123456789012:role/ecr-repository-creation';
    const settings = template('quay', { encryptionType: 'KMS', kmsKey, customRoleArn });
    ecr.on(CreateRepositoryCreationTemplateCommand).resolves({});
    ecr.on(UpdateRepositoryCreationTemplateCommand).resolves({});
    ecr.on(DescribeRepositoryCreationTemplatesCommand).resolves({ repositoryCreationTemplates: [{ prefix: 'quay', appliedFor: ['PULL_THROUGH_CACHE'], customRoleArn }] });

    // Act
    await ptc().apply({ action: 'ecr:CreateRepositoryCreationTemplate', target: 'quay', reason: 'missing', template: settings }, {});
    await ptc().apply({ action: 'ecr:UpdateRepositoryCreationTemplate', target: 'quay', reason: 'differs', template: settings }, {});
    const [read] = await ptc().listTemplates();

    // Assess
    const sent = { prefix: 'quay', encryptionConfiguration: { encryptionType: 'KMS' as const, kmsKey }, customRoleArn };
    expect(ecr).toHaveReceivedCommandWith(CreateRepositoryCreationTemplateCommand, sent);
    expect(ecr).toHaveReceivedCommandWith(UpdateRepositoryCreationTemplateCommand, sent);
    expect(read?.customRoleArn).toBe(customRoleArn);
  });

  it('surfaces LimitExceededException at once as LIMIT_EXCEEDED with the 50-rule fix, after exactly one call', async () => {
    // Prepare
    ecr.on(CreatePullThroughCacheRuleCommand).rejects(new LimitExceededException({ $metadata: { httpStatusCode: 400 }, message: 'The maximum number of pull through cache rules has been reached' }));

    // Act
    const error = await caught(ptc().apply(createRule, {}));

    // Assess
    expect(error).toMatchObject({ code: 'LIMIT_EXCEEDED', retryable: false });
    expect(error.message).toContain('50 pull-through cache rules');
    expect(error.message).toContain('delete-pull-through-cache-rule');
    expect(ecr).toHaveReceivedCommandTimes(CreatePullThroughCacheRuleCommand, 1);
    expect(waits).toEqual([]);
  });

  it('reports LIMIT_EXCEEDED per change and applies the rest', async () => {
    // Prepare
    ecr.on(CreatePullThroughCacheRuleCommand).rejects(new LimitExceededException({ $metadata: {}, message: 'limit' }));
    ecr.on(CreateRepositoryCreationTemplateCommand).resolves({});

    // Act
    const applied = await applyChanges(ptc(), [createRule, { ...createTemplate, target: 'quay' }]);

    // Assess
    expect(applied.map(({ outcome }) => outcome.status)).toEqual(['failed', 'applied']);
    expect(applied[0]?.outcome.message).toContain('quota');
  });

  it.each([
    { name: 'SecretNotFoundException', error: new SecretNotFoundException({ $metadata: {}, message: 'not found' }), code: 'SECRET_INVALID' },
    { name: 'UnableToAccessSecretException', error: ecrError('UnableToAccessSecretException'), code: 'SECRET_INVALID' },
    { name: 'UnsupportedUpstreamRegistryException', error: ecrError('UnsupportedUpstreamRegistryException'), code: 'AWS_ERROR' },
    { name: 'ValidationException', error: ecrError('ValidationException', 'bad prefix'), code: 'AWS_ERROR' },
    { name: 'AccessDeniedException', error: ecrError('AccessDeniedException', 'denied'), code: 'ACCESS_DENIED' },
  ])('translates $name into a final $code', async ({ error, code }) => {
    // Prepare
    ecr.on(CreatePullThroughCacheRuleCommand).rejects(error);

    // Act
    const translated = await caught(ptc().apply(createRule, {}));

    // Assess
    expect(translated).toMatchObject({ code, retryable: false });
  });

  it('updates the credential of a rule and keeps its role', async () => {
    // Prepare
    ecr.on(UpdatePullThroughCacheRuleCommand).resolves({});

    // Act
    await ptc().apply({ action: 'ecr:UpdatePullThroughCacheRule', target: 'docker-hub', reason: 'changed', credentialArn: secretArn('ecr-pullthroughcache/docker-hub', 'NeW999') }, {});

    // Assess
    expect(ecr).toHaveReceivedCommandExactlyOnceWith(UpdatePullThroughCacheRuleCommand, { ecrRepositoryPrefix: 'docker-hub', credentialArn: secretArn('ecr-pullthroughcache/docker-hub', 'NeW999') });
  });

  it('deletes a rule, and a rule already gone is fine', async () => {
    // Prepare
    ecr.on(DeletePullThroughCacheRuleCommand).rejects(new PullThroughCacheRuleNotFoundException({ $metadata: {}, message: 'gone' }));

    // Act
    const outcome = await ptc().apply({ action: 'ecr:DeletePullThroughCacheRule', target: 'old-cache', reason: 'undeclared' }, {});

    // Assess
    expect(outcome).toEqual({ status: 'applied', message: 'the rule was already gone' });
  });
});

describe('reconcilePullThroughCache against the SDK', () => {
  const config = ptcConfig(`pullThroughCache:
  template: { lifecyclePolicy: lifecycle/pull-through-cache.json, tagMutability: MUTABLE }
  rules:
    - { prefix: docker-hub, upstream: docker-hub, credentialSecret: ecr-pullthroughcache/docker-hub }
    - { prefix: github, upstream: github-container-registry, credentialSecret: ecr-pullthroughcache/github }
`);

  function live() {
    const reader = ptc();
    return { config, ptc: reader, writer: routeChanges<PtcChange>({ ...ptcWriters(reader) }) };
  }

  beforeEach(() => {
    ecr.on(DescribeRepositoryCreationTemplatesCommand).resolves({
      repositoryCreationTemplates: ['docker-hub', 'github'].map((prefix) => ({
        prefix,
        description: `Managed by ecr-autopilot: repositories of pull-through cache rule ${prefix} (${prefix === 'github' ? 'ghcr.io' : 'registry-1.docker.io'})`,
        appliedFor: ['PULL_THROUGH_CACHE'],
        imageTagMutability: 'MUTABLE',
        encryptionConfiguration: { encryptionType: 'AES256' },
        lifecyclePolicy: PTC_POLICY_TEXT,
      })),
    });
  });

  it('updates the rule when its credential ARN changed, then validates it', async () => {
    // Prepare
    ecr.on(DescribePullThroughCacheRulesCommand).resolves({
      pullThroughCacheRules: [
        { ecrRepositoryPrefix: 'docker-hub', upstreamRegistryUrl: 'registry-1.docker.io', credentialArn: secretArn('ecr-pullthroughcache/docker-hub', 'OlD000') },
        { ecrRepositoryPrefix: 'github', upstreamRegistryUrl: 'ghcr.io', credentialArn: secretArn('ecr-pullthroughcache/github') },
      ],
    });
    secrets.on(DescribeSecretCommand, { SecretId: 'ecr-pullthroughcache/docker-hub' }).resolves({ Name: 'ecr-pullthroughcache/docker-hub', ARN: secretArn('ecr-pullthroughcache/docker-hub', 'NeW999') });
    secrets.on(DescribeSecretCommand, { SecretId: 'ecr-pullthroughcache/github' }).resolves({ Name: 'ecr-pullthroughcache/github', ARN: secretArn('ecr-pullthroughcache/github') });
    ecr.on(UpdatePullThroughCacheRuleCommand).resolves({});
    ecr.on(ValidatePullThroughCacheRuleCommand).resolves({ isValid: true });

    // Act
    const result = await reconcilePullThroughCache(live());

    // Assess
    expect(ecr).toHaveReceivedCommandExactlyOnceWith(UpdatePullThroughCacheRuleCommand, { ecrRepositoryPrefix: 'docker-hub', credentialArn: secretArn('ecr-pullthroughcache/docker-hub', 'NeW999') });
    expect(ecr).toHaveReceivedCommandTimes(ValidatePullThroughCacheRuleCommand, 2);
    expect(result.rules.map((rule) => [rule.prefix, rule.status, rule.validation])).toEqual([
      ['docker-hub', 'update', { isValid: true }],
      ['github', 'in-sync', { isValid: true }],
    ]);
  });

  it('reports a failed validation with the likely cause and fix', async () => {
    // Prepare
    ecr.on(DescribePullThroughCacheRulesCommand).resolves({
      pullThroughCacheRules: [
        { ecrRepositoryPrefix: 'docker-hub', upstreamRegistryUrl: 'registry-1.docker.io', credentialArn: secretArn('ecr-pullthroughcache/docker-hub') },
        { ecrRepositoryPrefix: 'github', upstreamRegistryUrl: 'ghcr.io', credentialArn: secretArn('ecr-pullthroughcache/github') },
      ],
    });
    secrets.on(DescribeSecretCommand, { SecretId: 'ecr-pullthroughcache/docker-hub' }).resolves({ Name: 'ecr-pullthroughcache/docker-hub', ARN: secretArn('ecr-pullthroughcache/docker-hub') });
    secrets.on(DescribeSecretCommand, { SecretId: 'ecr-pullthroughcache/github' }).resolves({ Name: 'ecr-pullthroughcache/github', ARN: secretArn('ecr-pullthroughcache/github') });
    ecr.on(ValidatePullThroughCacheRuleCommand, { ecrRepositoryPrefix: 'docker-hub' }).resolves({ isValid: false, failure: 'Unable to authenticate with the upstream registry: 401 Unauthorized' });
    ecr.on(ValidatePullThroughCacheRuleCommand, { ecrRepositoryPrefix: 'github' }).resolves({ isValid: true });

    // Act
    const { rules } = await reconcilePullThroughCache(live());

    // Assess
    expect(rules[0]?.problems).toEqual([
      {
        code: 'VALIDATION_FAILED',
        message: 'ValidatePullThroughCacheRule failed for docker-hub: Unable to authenticate with the upstream registry: 401 Unauthorized (Docker Hub rejected the credentials)',
        fix: expect.stringContaining('valid user name and access token'),
        command: expect.stringMatching(/^aws secretsmanager put-secret-value --secret-id ecr-pullthroughcache\/docker-hub /),
      },
    ]);
    expect(ecr).not.toHaveReceivedCommand(UpdatePullThroughCacheRuleCommand);
  });

  it('does not create a rule whose secret is missing, and reads no secret value', async () => {
    // Prepare
    ecr.on(DescribePullThroughCacheRulesCommand).resolves({ pullThroughCacheRules: [] });
    secrets.on(DescribeSecretCommand).rejects(new ResourceNotFoundException({ $metadata: {}, message: 'not found' }));

    // Act
    const { rules } = await reconcilePullThroughCache({ ...live(), writer: new PlanningWriter() });

    // Assess
    expect(rules.map((rule) => [rule.prefix, rule.status, rule.problems[0]?.code])).toEqual([
      ['docker-hub', 'blocked', 'SECRET_MISSING'],
      ['github', 'blocked', 'SECRET_MISSING'],
    ]);
    expect(ecr).not.toHaveReceivedCommand(CreatePullThroughCacheRuleCommand);
    expect(secrets.commandCalls(DescribeSecretCommand).map((call) => call.args[0].input.SecretId)).toEqual(['ecr-pullthroughcache/docker-hub', 'ecr-pullthroughcache/github']);
  });
});

import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG_PATH, loadConfig, readConfig } from '../../../lib/config';
import { ConfigError, type ValidationIssue } from '../../../lib/errors';
import { desiredPtcState } from '../../../lib/pull-through-cache/desiredPtcState';
import { configText, NOW, PTC_POLICY_TEXT } from './ptcFixtures';

function issuesOf(section: string): ValidationIssue[] {
  const result = readConfig(configText(section), DEFAULT_CONFIG_PATH, { today: NOW });
  if (result.ok) throw new Error('the configuration was accepted');
  return result.issues;
}

function warningsOf(section: string): string[] {
  const result = readConfig(configText(section), DEFAULT_CONFIG_PATH, { today: NOW });
  if (!result.ok) throw new Error(`the configuration was rejected: ${JSON.stringify(result.issues)}`);
  return result.warnings;
}

const KMS_KEY = 'arn:aws:kms:ap-northeast-2:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';
const ROLE = 'arn:aws:iam::123456789012:role/ecr-repository-creation';
const SAMPLES = resolve(DEFAULT_CONFIG_PATH, '../../test/samples/config');

/** The issues loading a sample configuration of test/samples/config fails with. */
function sampleIssues(name: string): readonly ValidationIssue[] {
  try {
    loadConfig(resolve(SAMPLES, name));
  } catch (error) {
    if (error instanceof ConfigError) return error.issues;
    throw error;
  }
  throw new Error(`${name} was accepted`);
}

const rules = (...lines: string[]) => `pullThroughCache:\n  rules:\n${lines.map((line) => `    - ${line}`).join('\n')}`;

describe('pullThroughCache configuration', () => {
  it('declares the lab: ecr-public, k8s, quay, and Docker Hub and GitHub on demand with their secrets', () => {
    // Act
    const { config, warnings } = loadConfig(DEFAULT_CONFIG_PATH);
    const desired = desiredPtcState(config);

    // Assess
    expect(warnings).toEqual([]);
    expect(desired.prune).toBe(false);
    expect(desired.rules.map((rule) => [rule.prefix, rule.upstreamRegistry, rule.upstreamRegistryUrl, rule.credentialSecret ?? null, rule.onDemand])).toEqual([
      ['ecr-public', 'ecr-public', 'public.ecr.aws', null, false],
      ['k8s', 'k8s', 'registry.k8s.io', null, false],
      ['quay', 'quay', 'quay.io', null, false],
      ['docker-hub', 'docker-hub', 'registry-1.docker.io', 'ecr-pullthroughcache/docker-hub', true],
      ['github', 'github-container-registry', 'ghcr.io', 'ecr-pullthroughcache/github', true],
    ]);
    expect(JSON.parse(desired.rules[0]?.template.lifecyclePolicy ?? '{}')).toEqual(JSON.parse(PTC_POLICY_TEXT));
    expect(desired.rules[0]?.template).toMatchObject({ appliedFor: ['PULL_THROUGH_CACHE'], imageTagMutability: 'MUTABLE', encryptionType: 'AES256' });
  });

  it('merges a rule template over the shared one', () => {
    // Prepare
    const result = readConfig(
      configText(`pullThroughCache:
  template: { lifecyclePolicy: lifecycle/pull-through-cache.json, tagMutability: MUTABLE, encryption: AES256 }
  rules:
    - prefix: quay
      upstream: quay
      template: { encryption: KMS, kmsKey: "${KMS_KEY}", resourceTags: { team: platform }, customRoleArn: "${ROLE}" }`),
      DEFAULT_CONFIG_PATH,
      { today: NOW },
    );
    if (!result.ok) throw new Error(JSON.stringify(result.issues));

    // Act
    const [quay] = desiredPtcState(result.config).rules;

    // Assess
    expect(quay?.template).toMatchObject({ encryptionType: 'KMS', kmsKey: KMS_KEY, imageTagMutability: 'MUTABLE', resourceTags: { team: 'platform' }, customRoleArn: ROLE });
    expect(quay?.template.lifecyclePolicy).toBeDefined();
  });

  it.each<[string, string, Partial<ValidationIssue>]>([
    ['a one-character prefix', rules('{ prefix: a, upstream: quay }'), { path: 'pullThroughCache.rules[0].prefix', message: expect.stringContaining('at least 2 characters') }],
    ['a prefix longer than 30 characters', rules('{ prefix: a-very-long-prefix-for-a-cache-rule, upstream: quay }'), { path: 'pullThroughCache.rules[0].prefix', message: expect.stringContaining('at most 30') }],
    ['an uppercase prefix', rules('{ prefix: DockerHub, upstream: docker-hub, credentialSecret: ecr-pullthroughcache/x }'), { path: 'pullThroughCache.rules[0].prefix', message: expect.stringContaining('lowercase') }],
    ['a prefix with a double slash', rules('{ prefix: cache//hub, upstream: quay }'), { path: 'pullThroughCache.rules[0].prefix' }],
    [
      'a secret not named ecr-pullthroughcache/',
      rules('{ prefix: docker-hub, upstream: docker-hub, credentialSecret: dockerhub-token }'),
      { path: 'pullThroughCache.rules[0].credentialSecret', message: expect.stringContaining('ecr-pullthroughcache/'), fix: expect.stringContaining('create a new one') },
    ],
    ['an unknown upstream', rules('{ prefix: hub, upstream: dockerhub }'), { path: 'pullThroughCache.rules[0].upstream', message: expect.stringContaining('"docker-hub"') }],
    ['a misspelt key', rules('{ prefix: quay, upstream: quay, credentialsecret: ecr-pullthroughcache/q }'), { path: 'pullThroughCache.rules[0].credentialsecret', fix: 'remove it or check its spelling' }],
    [
      'an authenticated upstream without a secret',
      rules('{ prefix: docker-hub, upstream: docker-hub }'),
      { path: 'pullThroughCache.rules[0].credentialSecret', message: expect.stringContaining('Docker Hub needs credentials'), fix: expect.stringContaining('ecr-pullthroughcache/docker-hub') },
    ],
    ['two rules for one prefix', rules('{ prefix: quay, upstream: quay }', '{ prefix: quay/, upstream: k8s }'), { path: 'pullThroughCache.rules[1].prefix', fix: 'give every rule a unique prefix' }],
    ['Azure without its URL', rules('{ prefix: azure, upstream: azure-container-registry, credentialSecret: ecr-pullthroughcache/azure }'), { path: 'pullThroughCache.rules[0].upstreamUrl', fix: expect.stringContaining('azurecr.io') }],
    ['ECR-to-ECR with a malformed URL', rules('{ prefix: other, upstream: ecr, upstreamUrl: ecr.example.com }'), { path: 'pullThroughCache.rules[0].upstreamUrl' }],
    ['a URL for a fixed upstream', rules('{ prefix: quay, upstream: quay, upstreamUrl: quay.example.com }'), { path: 'pullThroughCache.rules[0].upstreamUrl', fix: 'remove upstreamUrl' }],
    ['a role on a public upstream', rules('{ prefix: quay, upstream: quay, customRoleArn: "arn:aws:iam::123456789012:role/x" }'), { path: 'pullThroughCache.rules[0].customRoleArn' }],
    ['an upstream repository prefix with ROOT', rules('{ prefix: ROOT, upstream: ecr, upstreamUrl: 111122223333.dkr.ecr.us-east-1.amazonaws.com, upstreamRepositoryPrefix: team }'), { path: 'pullThroughCache.rules[0].upstreamRepositoryPrefix' }],
    ['an autoCreate alias without a rule', `${rules('{ prefix: quay, upstream: quay }')}\n  autoCreate: [gitlab]`, { path: 'pullThroughCache.autoCreate[0]', fix: expect.stringContaining('declare a rule with prefix gitlab') }],
    ['a KMS key with AES256', `${rules('{ prefix: quay, upstream: quay }')}\n  template: { encryption: AES256, kmsKey: "${KMS_KEY}" }`, { path: 'pullThroughCache.rules[0].template.kmsKey' }],
    // EncryptionConfigurationForRepositoryCreationTemplate: "The full ARN of the AWS KMS key must be specified".
    ...['alias/ecr', '1234abcd-12ab-34cd-56ef-1234567890ab', 'arn:aws:kms:ap-northeast-2:123456789012:alias/ecr'].map((key): [string, string, Partial<ValidationIssue>] => [
      `the KMS key ${key} (not a key ARN)`,
      `${rules('{ prefix: quay, upstream: quay }')}\n  template: { encryption: KMS, kmsKey: "${key}", customRoleArn: "${ROLE}" }`,
      { path: 'pullThroughCache.template.kmsKey', message: expect.stringContaining('full ARN of a KMS key'), fix: expect.stringContaining('aws kms describe-key') },
    ]),
    // EncryptionConfigurationForRepositoryCreationTemplate: "The key must exist in the same Region as the repository"; templates apply in one region.
    [
      'template KMS keys of two regions',
      `${rules('{ prefix: quay, upstream: quay }', `{ prefix: k8s, upstream: k8s, template: { kmsKey: "${KMS_KEY.replace('ap-northeast-2', 'us-east-1')}" } }`)}\n  template: { encryption: KMS, kmsKey: "${KMS_KEY}", customRoleArn: "${ROLE}" }`,
      { path: 'pullThroughCache.rules[1].template.kmsKey', message: expect.stringContaining('is a key of us-east-1, but rule 0\'s template key is of ap-northeast-2') },
    ],
    // ImageTagMutabilityExclusionFilter: ^[0-9a-zA-Z._*-]{1,128}$.
    ['a template exclusion filter with "/"', `${rules('{ prefix: quay, upstream: quay }')}\n  template: { tagMutability: MUTABLE_WITH_EXCLUSION, tagMutabilityExclusions: ["feature/*"] }`, { path: 'pullThroughCache.template.tagMutabilityExclusions[0]', fix: expect.stringContaining('"feature-*"') }],
    // CreateRepositoryCreationTemplate customRoleArn: ^arn:aws[-a-z0-9]*:iam::[0-9]{12}:role/[A-Za-z0-9+=,-.@_]*$.
    ['a template role with a path', `${rules('{ prefix: quay, upstream: quay }')}\n  template: { customRoleArn: "arn:aws:iam::123456789012:role/service-role/ecr" }`, { path: 'pullThroughCache.template.customRoleArn', message: expect.stringContaining('without a path') }],
    ['a template role that is a user', `${rules('{ prefix: quay, upstream: quay }')}\n  template: { customRoleArn: "arn:aws:iam::123456789012:user/ecr" }`, { path: 'pullThroughCache.template.customRoleArn' }],
    [
      'KMS encryption without a role ECR can assume',
      `${rules('{ prefix: quay, upstream: quay }')}\n  template: { encryption: KMS, kmsKey: "${KMS_KEY}" }`,
      { path: 'pullThroughCache.rules[0].template.customRoleArn', message: expect.stringContaining('KMS encryption'), fix: expect.stringContaining(`aws iam create-role --role-name ecr-repository-creation`) },
    ],
    [
      'resource tags on one rule without a role',
      rules('{ prefix: quay, upstream: quay }', '{ prefix: k8s, upstream: k8s, template: { resourceTags: { team: platform } } }'),
      { path: 'pullThroughCache.rules[1].template.customRoleArn', message: expect.stringContaining('resource tags') },
    ],
    ['exclusions without an exclusion mutability', `${rules('{ prefix: quay, upstream: quay }')}\n  template: { tagMutability: MUTABLE, tagMutabilityExclusions: [latest] }`, { path: 'pullThroughCache.rules[0].template.tagMutabilityExclusions' }],
    ['a template lifecycle file that does not exist', `${rules('{ prefix: quay, upstream: quay }')}\n  template: { lifecyclePolicy: lifecycle/missing.json }`, { path: 'pullThroughCache.template.lifecyclePolicy', fix: expect.stringContaining('missing.json') }],
  ])('rejects %s with its path and a fix', (_name, section, expected) => {
    // Act
    const issues = issuesOf(section);

    // Assess
    expect(issues).toContainEqual(expect.objectContaining(expected));
  });

  it('rejects every value of test/samples/config/rejected-api-values.yml that ECR would answer with a 400', () => {
    // Act
    const issues = sampleIssues('rejected-api-values.yml');

    // Assess
    expect(issues.map((issue) => issue.path)).toEqual(['repositoryClasses[0].tagMutabilityExclusions[1]', 'pullThroughCache.template.kmsKey', 'pullThroughCache.template.customRoleArn']);
  });

  it('asks once, at the shared template, for the role every rule needs (test/samples/config/template-kms-without-role.yml)', () => {
    // Act
    const issues = sampleIssues('template-kms-without-role.yml');

    // Assess: the trust policy names ecr.amazonaws.com, the role policy the key.
    expect(issues).toEqual([
      {
        path: 'pullThroughCache.template.customRoleArn',
        message: 'is required: the repositories of every rule (ecr-public, k8s) are created with KMS encryption and resource tags, which ECR does only through a role it can assume (its service-linked role cannot)',
        fix: expect.stringContaining('"Principal":{"Service":"ecr.amazonaws.com"}'),
      },
    ]);
    expect(issues[0]?.fix).toContain(`"Resource":["${KMS_KEY}"]`);
  });

  it('accepts KMS encryption with a key ARN and a role (test/samples/config/template-kms-with-role.yml)', () => {
    // Act
    const { config } = loadConfig(resolve(SAMPLES, 'template-kms-with-role.yml'));

    // Assess
    expect(desiredPtcState(config).rules[0]?.template).toMatchObject({ encryptionType: 'KMS', kmsKey: KMS_KEY, customRoleArn: ROLE, resourceTags: { team: 'platform' } });
  });

  it('rejects more than 50 rules, naming the quota', () => {
    // Prepare
    const many = Array.from({ length: 51 }, (_, index) => `{ prefix: cache-${index}, upstream: quay }`);

    // Act
    const issues = issuesOf(rules(...many));

    // Assess
    expect(issues).toContainEqual({ path: 'pullThroughCache.rules', message: expect.stringContaining('at most 50 rules: ECR allows 50 pull-through cache rules per registry (not adjustable)') });
  });

  it('warns when a template differs from the repository class of its prefix', () => {
    // Act
    const warnings = warningsOf(`pullThroughCache:\n  template: { tagMutability: IMMUTABLE }\n  rules:\n    - { prefix: quay, upstream: quay }`);

    // Assess
    expect(warnings).toEqual([expect.stringMatching(/rules\[0\] \(quay\): its template differs from repository class pull-through-cache.*lifecycle policy.*tag mutability \(template: IMMUTABLE, class: MUTABLE\)/)]);
  });

  it('warns that the Chainguard URL is unconfirmed', () => {
    // Act / Assess
    expect(warningsOf(`${rules('{ prefix: chainguard, upstream: chainguard, credentialSecret: ecr-pullthroughcache/chainguard }')}`).join('\n')).toContain('UNCONFIRMED');
  });

  it('defaults to no rules when the section is absent', () => {
    // Prepare
    const text = configText('');

    // Act
    const result = readConfig(text, DEFAULT_CONFIG_PATH, { today: NOW });

    // Assess
    expect(result.ok && result.config.pullThroughCache).toEqual({ rules: [], autoCreate: [], prune: false });
  });
});

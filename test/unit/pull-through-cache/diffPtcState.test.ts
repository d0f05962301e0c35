import { describe, expect, it } from 'vitest';
import { applyChanges } from '../../../lib/plan/applyChanges';
import { diffPtcState, templateDifferences } from '../../../lib/pull-through-cache/diffPtcState';
import { readPtcState } from '../../../lib/pull-through-cache/readPtcState';
import type { ActualPtcRule, ActualTemplate, DesiredPtcRule, DesiredPtcState, PtcRuleReport, PtcState, SecretMetadata } from '../../../lib/pull-through-cache/types';
import { actualRuleOf, actualTemplateOf, desiredRule, InMemoryPtcRegistry, REGION, secretArn, template } from './ptcFixtures';

const DOCKER_SECRET = 'ecr-pullthroughcache/docker-hub';
const dockerHub = desiredRule('docker-hub', { upstreamRegistry: 'docker-hub', upstreamRegistryUrl: 'registry-1.docker.io', credentialSecret: DOCKER_SECRET });
const ecrPublic = desiredRule('ecr-public');
const k8s = desiredRule('k8s', { upstreamRegistry: 'k8s', upstreamRegistryUrl: 'registry.k8s.io' });
const dockerSecret: SecretMetadata = { name: DOCKER_SECRET, arn: secretArn(DOCKER_SECRET) };

function state(parts: { rules?: ActualPtcRule[]; templates?: ActualTemplate[]; secrets?: SecretMetadata[] } = {}): PtcState {
  return { rules: parts.rules ?? [], templates: parts.templates ?? [], secrets: new Map((parts.secrets ?? []).map((secret) => [secret.name, secret])) };
}

function desired(rules: DesiredPtcRule[], prune = false): DesiredPtcState {
  return { rules, prune };
}

function summary(rules: PtcRuleReport[]): Record<string, string> {
  return Object.fromEntries(rules.map((rule) => [rule.prefix, rule.status]));
}

/** `action target`, in plan order. */
function actions(desiredState: DesiredPtcState, actual: PtcState): string[] {
  return diffPtcState(desiredState, actual, { region: REGION }).changes.map((change) => `${change.action.slice(4)} ${change.target}`);
}

describe('diffPtcState', () => {
  it.each<[string, DesiredPtcState, PtcState, string[], Record<string, string>]>([
    ['nothing declared, nothing there', desired([]), state(), [], {}],
    ['a missing anonymous rule: template first, then the rule', desired([k8s]), state(), ['CreateRepositoryCreationTemplate k8s', 'CreatePullThroughCacheRule k8s'], { k8s: 'create' }],
    ['a missing autoCreate rule waits for the first failed pull', desired([{ ...dockerHub, onDemand: true }]), state({ secrets: [dockerSecret] }), [], { 'docker-hub': 'on-demand' }],
    ['a missing rule whose secret is missing is not created', desired([dockerHub]), state(), [], { 'docker-hub': 'blocked' }],
    ['a missing rule whose secret is scheduled for deletion is not created', desired([dockerHub]), state({ secrets: [{ ...dockerSecret, deletedDate: new Date('2026-11-19T00:00:00Z') }] }), [], { 'docker-hub': 'blocked' }],
    ['a missing authenticated rule with its secret', desired([dockerHub]), state({ secrets: [dockerSecret] }), ['CreateRepositoryCreationTemplate docker-hub', 'CreatePullThroughCacheRule docker-hub'], { 'docker-hub': 'create' }],
    ['a rule and template as declared', desired([ecrPublic]), state({ rules: [actualRuleOf(ecrPublic)], templates: [actualTemplateOf(ecrPublic)] }), [], { 'ecr-public': 'in-sync' }],
    ['a rule without its template', desired([ecrPublic]), state({ rules: [actualRuleOf(ecrPublic)] }), ['CreateRepositoryCreationTemplate ecr-public'], { 'ecr-public': 'update' }],
    [
      'a template whose lifecycle policy differs',
      desired([ecrPublic]),
      state({ rules: [actualRuleOf(ecrPublic)], templates: [{ ...actualTemplateOf(ecrPublic), lifecyclePolicy: '{"rules":[]}' }] }),
      ['UpdateRepositoryCreationTemplate ecr-public'],
      { 'ecr-public': 'update' },
    ],
    [
      'a credential that points at another secret',
      desired([dockerHub]),
      state({ rules: [actualRuleOf(dockerHub, secretArn('ecr-pullthroughcache/old-docker'))], templates: [actualTemplateOf(dockerHub)], secrets: [dockerSecret] }),
      ['UpdatePullThroughCacheRule docker-hub'],
      { 'docker-hub': 'update' },
    ],
    [
      'a credential given as a partial ARN (no suffix) is the same secret',
      desired([dockerHub]),
      state({ rules: [actualRuleOf(dockerHub, `arn:aws:secretsmanager:${REGION}:123456789012:secret:${DOCKER_SECRET}`)], templates: [actualTemplateOf(dockerHub)], secrets: [dockerSecret] }),
      [],
      { 'docker-hub': 'in-sync' },
    ],
    [
      'an existing rule whose secret is gone keeps its credential and its template is still managed',
      desired([dockerHub]),
      state({ rules: [actualRuleOf(dockerHub, secretArn(DOCKER_SECRET))] }),
      ['CreateRepositoryCreationTemplate docker-hub'],
      { 'docker-hub': 'blocked' },
    ],
    [
      'an upstream that differs, prune off: reported, not replaced',
      desired([ecrPublic]),
      state({ rules: [{ prefix: 'ecr-public', upstreamRegistryUrl: 'quay.io' }], templates: [actualTemplateOf(ecrPublic)] }),
      [],
      { 'ecr-public': 'drifted' },
    ],
    [
      'an upstream that differs, prune on: deleted and created again',
      desired([ecrPublic], true),
      state({ rules: [{ prefix: 'ecr-public', upstreamRegistryUrl: 'quay.io' }], templates: [actualTemplateOf(ecrPublic)] }),
      ['DeletePullThroughCacheRule ecr-public', 'CreatePullThroughCacheRule ecr-public'],
      { 'ecr-public': 'replace' },
    ],
    ['an undeclared rule, prune off: reported only', desired([]), state({ rules: [{ prefix: 'old-cache', upstreamRegistryUrl: 'public.ecr.aws' }] }), [], { 'old-cache': 'unmanaged' }],
    [
      'an undeclared rule, prune on: deleted first, template left alone',
      desired([k8s], true),
      state({ rules: [{ prefix: 'old-cache', upstreamRegistryUrl: 'public.ecr.aws' }], templates: [actualTemplateOf(desiredRule('old-cache'))] }),
      ['DeletePullThroughCacheRule old-cache', 'CreateRepositoryCreationTemplate k8s', 'CreatePullThroughCacheRule k8s'],
      { k8s: 'create', 'old-cache': 'delete' },
    ],
    [
      'a trailing slash in the existing prefix is the same prefix',
      desired([ecrPublic]),
      state({ rules: [{ ...actualRuleOf(ecrPublic), prefix: 'ecr-public/' }], templates: [{ ...actualTemplateOf(ecrPublic), prefix: 'ecr-public/' }] }),
      [],
      { 'ecr-public': 'in-sync' },
    ],
    [
      'a cross-account ECR rule whose role changed',
      desired([desiredRule('upstream-ecr', { upstreamRegistry: 'ecr', upstreamRegistryUrl: '111122223333.dkr.ecr.us-east-1.amazonaws.com', customRoleArn: 'arn:aws:iam::123456789012:role/new' })]),
      state({
        rules: [{ prefix: 'upstream-ecr', upstreamRegistryUrl: '111122223333.dkr.ecr.us-east-1.amazonaws.com', customRoleArn: 'arn:aws:iam::123456789012:role/old' }],
        templates: [actualTemplateOf(desiredRule('upstream-ecr'))],
      }),
      ['UpdatePullThroughCacheRule upstream-ecr'],
      { 'upstream-ecr': 'update' },
    ],
  ])('%s', (_name, desiredState, actual, expectedActions, expectedStatuses) => {
    // Act
    const plan = diffPtcState(desiredState, actual, { region: REGION });

    // Assess
    expect(plan.changes.map((change) => `${change.action.slice(4)} ${change.target}`)).toEqual(expectedActions);
    expect(summary(plan.rules)).toEqual(expectedStatuses);
    for (const change of plan.changes) expect(change.reason).not.toBe('');
  });

  it('reports a missing secret with the exact command that creates it, and never a secret value', () => {
    // Act
    const plan = diffPtcState(desired([dockerHub]), state(), { region: REGION });

    // Assess
    expect(plan.rules[0]?.problems).toEqual([
      {
        code: 'SECRET_MISSING',
        message: `its credential secret ${DOCKER_SECRET} does not exist in ${REGION}`,
        fix: expect.stringContaining('create the secret'),
        command: `aws secretsmanager create-secret --name ${DOCKER_SECRET} --region ${REGION} --secret-string '{"username":"<Docker Hub user name>","accessToken":"<Docker Hub personal access token>"}'`,
      },
    ]);
  });

  it('reports a secret scheduled for deletion with the command that restores it', () => {
    // Act
    const plan = diffPtcState(desired([dockerHub]), state({ secrets: [{ ...dockerSecret, deletedDate: new Date() }] }), { region: REGION });

    // Assess
    expect(plan.rules[0]?.problems[0]).toMatchObject({ code: 'SECRET_SCHEDULED_FOR_DELETION', command: `aws secretsmanager restore-secret --secret-id ${DOCKER_SECRET} --region ${REGION}` });
  });

  it('sends the full secret ARN from DescribeSecret when it creates or updates a rule', () => {
    // Act
    const plan = diffPtcState(desired([dockerHub]), state({ rules: [actualRuleOf(dockerHub, secretArn('ecr-pullthroughcache/old'))], templates: [actualTemplateOf(dockerHub)], secrets: [dockerSecret] }));

    // Assess
    expect(plan.changes).toEqual([expect.objectContaining({ action: 'ecr:UpdatePullThroughCacheRule', target: 'docker-hub', credentialArn: dockerSecret.arn })]);
    expect(plan.rules[0]?.credential).toBe('changed');
  });

  it('does not plan past the 50-rule quota and says how to make room', () => {
    // Prepare: 49 undeclared rules exist; two declared rules are missing.
    const existing = Array.from({ length: 49 }, (_, index) => ({ prefix: `old-${index}`, upstreamRegistryUrl: 'public.ecr.aws' }));

    // Act
    const plan = diffPtcState(desired([k8s, ecrPublic]), state({ rules: existing }));

    // Assess
    expect(plan.changes.filter((change) => change.action === 'ecr:CreatePullThroughCacheRule').map((change) => change.target)).toEqual(['k8s']);
    expect(plan.rules.find((rule) => rule.prefix === 'ecr-public')).toMatchObject({ status: 'blocked', problems: [expect.objectContaining({ code: 'OVER_QUOTA', fix: expect.stringContaining('prune') })] });
  });

  it('makes room for declared rules when prune deletes undeclared ones', () => {
    // Prepare
    const existing = Array.from({ length: 50 }, (_, index) => ({ prefix: `old-${index}`, upstreamRegistryUrl: 'public.ecr.aws' }));

    // Act
    const plan = diffPtcState(desired([k8s], true), state({ rules: existing }));

    // Assess
    expect(plan.changes.filter((change) => change.action === 'ecr:DeletePullThroughCacheRule')).toHaveLength(50);
    expect(plan.changes.at(-1)).toMatchObject({ action: 'ecr:CreatePullThroughCacheRule', target: 'k8s' });
  });

  it('explains an upstream mismatch with what to do when prune is off', () => {
    // Act
    const plan = diffPtcState(desired([ecrPublic]), state({ rules: [{ prefix: 'ecr-public', upstreamRegistryUrl: 'quay.io' }], templates: [actualTemplateOf(ecrPublic)] }), { region: REGION });

    // Assess
    expect(plan.rules[0]).toMatchObject({
      upstreamMatches: false,
      problems: [{ code: 'UPSTREAM_MISMATCH', message: expect.stringContaining('upstream quay.io → public.ecr.aws'), fix: expect.stringContaining('prune'), command: `aws ecr delete-pull-through-cache-rule --ecr-repository-prefix ecr-public --region ${REGION}` }],
    });
  });
});

describe('templateDifferences', () => {
  const settings = template('quay');

  it.each<[string, Partial<ActualTemplate>, string[]]>([
    ['identical', {}, []],
    ['ECR defaults for what it leaves out', { imageTagMutability: undefined, encryptionType: undefined }, []],
    ['the same lifecycle policy, formatted differently', { lifecyclePolicy: JSON.stringify(JSON.parse(settings.lifecyclePolicy ?? '{}')) }, []],
    ['another tag mutability', { imageTagMutability: 'IMMUTABLE' }, ['imageTagMutability']],
    ['another encryption', { encryptionType: 'KMS' }, ['encryption']],
    ['applied to replication too', { appliedFor: ['PULL_THROUGH_CACHE', 'REPLICATION'] }, ['appliedFor']],
    ['other tags', { resourceTags: { team: 'platform' } }, ['resourceTags']],
    ['another description', { description: 'by hand' }, ['description']],
    ['no lifecycle policy', { lifecyclePolicy: undefined }, ['lifecyclePolicy']],
  ])('%s', (_name, overrides, expected) => {
    // Prepare
    const actual: ActualTemplate = { ...actualTemplateOf(desiredRule('quay', { template: settings })), ...overrides };

    // Act / Assess
    expect(templateDifferences(settings, actual)).toEqual(expected);
  });

  it('compares the KMS key and the role ECR reports with the configured ones', () => {
    // Prepare
    const key = `arn:aws:kms:${REGION}:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab`;
    const role = 'arn:aws:iam::123456789012:role/ecr-repository-creation';
    const kms = template('quay', { encryptionType: 'KMS', kmsKey: key, customRoleArn: role });
    const same: ActualTemplate = actualTemplateOf(desiredRule('quay', { template: kms }));

    // Act / Assess
    expect(templateDifferences(kms, same)).toEqual([]);
    expect(templateDifferences(kms, { ...same, kmsKey: `${key.slice(0, -1)}c`, customRoleArn: undefined })).toEqual(['kmsKey', 'customRoleArn']);
  });

  describe('a template KMS key in another region than the template applies in', () => {
    const role = 'arn:aws:iam::123456789012:role/ecr-repository-creation';
    const withKey = (kmsKey: string) => desiredRule('quay', { upstreamRegistry: 'quay', upstreamRegistryUrl: 'quay.io', template: template('quay', { encryptionType: 'KMS', kmsKey, customRoleArn: role }) });
    const abroad = withKey('arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab');

    it('creates neither the template nor the rule, and says where the key must be', () => {
      // Act
      const plan = diffPtcState(desired([abroad]), state(), { region: REGION });

      // Assess
      expect(plan.changes).toEqual([]);
      expect(plan.rules[0]).toMatchObject({ status: 'blocked' });
      expect(plan.rules[0]?.problems).toEqual([
        {
          code: 'KMS_KEY_REGION',
          message: `its template's KMS key arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab is in us-east-1, but the template applies in ${REGION}; ECR requires the key in the repository's region`,
          fix: `set kmsKey (pullThroughCache.template or the rule's template) to the ARN of a key in ${REGION}, then run the sync again`,
          command: `aws kms list-aliases --region ${REGION} --query "Aliases[?TargetKeyId].[AliasName,TargetKeyId]" --output text`,
        },
      ]);
    });

    it('leaves an existing rule\'s template as it is, and names the replica of a multi-Region key', () => {
      // Prepare
      const multiRegion = withKey('arn:aws:kms:us-east-1:123456789012:key/mrk-1234abcd12ab34cd56ef1234567890ab');

      // Act
      const plan = diffPtcState(desired([multiRegion]), state({ rules: [actualRuleOf(multiRegion)], templates: [{ ...actualTemplateOf(multiRegion), kmsKey: undefined, encryptionType: 'AES256' }] }), { region: REGION });

      // Assess
      expect(plan.changes).toEqual([]);
      expect(plan.rules[0]?.status).toBe('blocked');
      expect(plan.rules[0]?.problems[0]?.fix).toContain(`its replica in ${REGION} (arn:aws:kms:${REGION}:123456789012:key/mrk-1234abcd12ab34cd56ef1234567890ab)`);
    });

    it('tells an autoCreate rule\'s problem before its first pull, and does not replace a rule with prune', () => {
      // Act
      const onDemand = diffPtcState(desired([{ ...abroad, onDemand: true }]), state(), { region: REGION });
      const replaced = diffPtcState(desired([abroad], true), state({ rules: [{ ...actualRuleOf(abroad), upstreamRegistryUrl: 'ghcr.io' }] }), { region: REGION });

      // Assess
      expect(onDemand.rules[0]).toMatchObject({ status: 'on-demand', problems: [{ code: 'KMS_KEY_REGION' }] });
      expect(replaced.changes).toEqual([]);
      expect(replaced.rules[0]?.problems.map((problem) => problem.code)).toEqual(['UPSTREAM_MISMATCH', 'KMS_KEY_REGION']);
    });

    it('plans a key in the template\'s own region as before', () => {
      // Act / Assess
      expect(actions(desired([withKey(`arn:aws:kms:${REGION}:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab`)]), state())).toEqual(['CreateRepositoryCreationTemplate quay', 'CreatePullThroughCacheRule quay']);
    });
  });

  it('does not manage a lifecycle policy the configuration leaves out', () => {
    // Prepare
    const { lifecyclePolicy: _omitted, ...withoutPolicy } = template('quay');

    // Act / Assess
    expect(templateDifferences(withoutPolicy, { ...actualTemplateOf(desiredRule('quay')), lifecyclePolicy: '{"rules":[]}' })).toEqual([]);
  });
});

describe('diffPtcState idempotence', () => {
  const scenarios: Array<[string, DesiredPtcState, ConstructorParameters<typeof InMemoryPtcRegistry>[0]]> = [
    ['an empty registry', desired([ecrPublic, k8s, dockerHub]), { secrets: [dockerSecret] }],
    [
      'drifted templates, a changed credential and an undeclared rule (prune off)',
      desired([ecrPublic, dockerHub]),
      {
        rules: [actualRuleOf(ecrPublic), actualRuleOf(dockerHub, secretArn('ecr-pullthroughcache/old')), { prefix: 'old-cache', upstreamRegistryUrl: 'quay.io' }],
        templates: [{ ...actualTemplateOf(ecrPublic), imageTagMutability: 'IMMUTABLE' }],
        secrets: [dockerSecret],
      },
    ],
    [
      'an undeclared rule and a wrong upstream (prune on)',
      desired([ecrPublic, k8s], true),
      { rules: [{ prefix: 'old-cache', upstreamRegistryUrl: 'quay.io' }, { prefix: 'k8s', upstreamRegistryUrl: 'quay.io' }], templates: [actualTemplateOf(ecrPublic)] },
    ],
    ['an autoCreate rule and a rule without its secret', desired([{ ...dockerHub, onDemand: true }, { ...dockerHub, prefix: 'docker-mirror', onDemand: false, credentialSecret: 'ecr-pullthroughcache/missing' }]), {}],
  ];

  it.each(scenarios)('plans nothing the second time: %s', async (_name, desiredState, initial) => {
    // Prepare
    const registry = new InMemoryPtcRegistry(initial);
    const first = diffPtcState(desiredState, await readPtcState(registry, desiredState), { region: REGION });

    // Act
    const applied = await applyChanges(registry, first.changes);
    const second = diffPtcState(desiredState, await readPtcState(registry, desiredState), { region: REGION });

    // Assess
    expect(applied.every(({ outcome }) => outcome.status === 'applied')).toBe(true);
    expect(second.changes).toEqual([]);
    expect(actions(desiredState, await readPtcState(registry, desiredState))).toEqual([]);
  });
});

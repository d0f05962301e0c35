/**
 * Builders for the pull-through cache tests: configurations (through the real loader), desired
 * rules, and an in-memory registry that is both the state reader and the writer, so a plan can be
 * applied and the state read again.
 */
import { readFileSync } from 'node:fs';
import { DEFAULT_CONFIG_PATH, readConfig } from '../../../lib/config';
import type { AutopilotConfig } from '../../../lib/config/types';
import { AutopilotError } from '../../../lib/errors';
import type { ChangeWriter } from '../../../lib/plan/types';
import type { PtcChange, PtcChangeOutcome } from '../../../lib/pull-through-cache/changes';
import type { PtcStateReader } from '../../../lib/pull-through-cache/PtcStateReader';
import type { ActualPtcRule, ActualTemplate, DesiredPtcRule, RuleValidation, SecretMetadata, TemplateSettings } from '../../../lib/pull-through-cache/types';

export const REGION = 'ap-northeast-2';
export const ACCOUNT = '123456789012';
export const TOPIC_ARN = `arn:aws:sns:${REGION}:${ACCOUNT}:ecr-autopilot-notifications`;
export const NOW = new Date('2026-11-20T09:00:00Z');

export const PTC_POLICY_TEXT = readFileSync(new URL('../../../infra/lifecycle/pull-through-cache.json', import.meta.url), 'utf8');

/** A secret ARN as Secrets Manager returns it: the name plus `-` and six random characters. */
export function secretArn(name: string, suffix = 'AbC123'): string {
  return `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:${name}-${suffix}`;
}

/** The project's configuration (infra/autopilot.yml), or with its `pullThroughCache:` section replaced. */
export function ptcConfig(pullThroughCacheYaml?: string): AutopilotConfig {
  const text = configText(pullThroughCacheYaml);
  const result = readConfig(text, DEFAULT_CONFIG_PATH, { today: NOW });
  if (!result.ok) throw new Error(`test configuration is invalid: ${JSON.stringify(result.issues)}`);
  return result.config;
}

/** The configuration text with `pullThroughCache:` replaced (it is the file's last section). */
export function configText(pullThroughCacheYaml?: string): string {
  const text = readFileSync(DEFAULT_CONFIG_PATH, 'utf8');
  if (pullThroughCacheYaml === undefined) return text;
  const start = text.indexOf('\npullThroughCache:');
  if (start === -1) throw new Error('infra/autopilot.yml has no pullThroughCache section');
  return `${text.slice(0, start)}\n${pullThroughCacheYaml}\n`;
}

export function template(prefix: string, overrides: Partial<TemplateSettings> = {}): TemplateSettings {
  return {
    description: `Managed by ecr-autopilot: repositories of pull-through cache rule ${prefix}`,
    appliedFor: ['PULL_THROUGH_CACHE'],
    imageTagMutability: 'MUTABLE',
    imageTagMutabilityExclusions: [],
    encryptionType: 'AES256',
    lifecyclePolicy: PTC_POLICY_TEXT,
    resourceTags: {},
    ...overrides,
  };
}

/** A desired rule; anonymous ECR Public unless overridden. */
export function desiredRule(prefix: string, overrides: Partial<DesiredPtcRule> = {}): DesiredPtcRule {
  return {
    prefix,
    upstreamRegistry: 'ecr-public',
    upstreamRegistryUrl: 'public.ecr.aws',
    onDemand: false,
    template: template(prefix),
    ...overrides,
  };
}

/** The actual template that matches a desired rule exactly. */
export function actualTemplateOf(rule: DesiredPtcRule): ActualTemplate {
  const settings = rule.template;
  const actual: ActualTemplate = {
    prefix: rule.prefix,
    description: settings.description,
    appliedFor: [...settings.appliedFor],
    imageTagMutability: settings.imageTagMutability,
    imageTagMutabilityExclusions: [...settings.imageTagMutabilityExclusions],
    encryptionType: settings.encryptionType,
    resourceTags: { ...settings.resourceTags },
  };
  if (settings.kmsKey) actual.kmsKey = settings.kmsKey;
  if (settings.lifecyclePolicy) actual.lifecyclePolicy = settings.lifecyclePolicy;
  if (settings.customRoleArn) actual.customRoleArn = settings.customRoleArn;
  return actual;
}

/** The actual rule that matches a desired rule (with the given secret ARN). */
export function actualRuleOf(rule: DesiredPtcRule, credentialArn?: string): ActualPtcRule {
  const actual: ActualPtcRule = { prefix: rule.prefix, upstreamRegistryUrl: rule.upstreamRegistryUrl, upstreamRegistry: rule.upstreamRegistry };
  if (credentialArn) actual.credentialArn = credentialArn;
  if (rule.customRoleArn) actual.customRoleArn = rule.customRoleArn;
  if (rule.upstreamRepositoryPrefix) actual.upstreamRepositoryPrefix = rule.upstreamRepositoryPrefix;
  return actual;
}

/**
 * A registry in memory that behaves like ECR for the calls we make: creates fail with
 * `…AlreadyExists` semantics (reported as `alreadyExisted`), the 51st rule fails with
 * LIMIT_EXCEEDED, and every call is counted.
 */
export class InMemoryPtcRegistry implements PtcStateReader, ChangeWriter<PtcChange> {
  readonly region = REGION;
  rules: ActualPtcRule[];
  templates: ActualTemplate[];
  secrets: SecretMetadata[];
  validations: Map<string, RuleValidation>;
  readonly calls: string[] = [];

  constructor(state: { rules?: ActualPtcRule[]; templates?: ActualTemplate[]; secrets?: SecretMetadata[]; validations?: Record<string, RuleValidation> } = {}) {
    this.rules = structuredClone(state.rules ?? []);
    this.templates = structuredClone(state.templates ?? []);
    this.secrets = structuredClone(state.secrets ?? []);
    this.validations = new Map(Object.entries(state.validations ?? {}));
  }

  async listRules(): Promise<ActualPtcRule[]> {
    this.calls.push('DescribePullThroughCacheRules');
    return structuredClone(this.rules);
  }

  async listTemplates(): Promise<ActualTemplate[]> {
    this.calls.push('DescribeRepositoryCreationTemplates');
    return structuredClone(this.templates);
  }

  async describeSecret(name: string): Promise<SecretMetadata | undefined> {
    this.calls.push(`DescribeSecret ${name}`);
    return structuredClone(this.secrets.find((secret) => secret.name === name));
  }

  async validateRule(prefix: string): Promise<RuleValidation> {
    this.calls.push(`ValidatePullThroughCacheRule ${prefix}`);
    if (!this.rules.some((rule) => rule.prefix === prefix)) throw new AutopilotError('AWS_ERROR', `ValidatePullThroughCacheRule ${prefix}: the rule does not exist`);
    return this.validations.get(prefix) ?? { isValid: true };
  }

  async apply(change: PtcChange): Promise<PtcChangeOutcome> {
    this.calls.push(`${change.action.slice(4)} ${change.target}`);
    switch (change.action) {
      case 'ecr:CreatePullThroughCacheRule': {
        if (this.rules.some((rule) => rule.prefix === change.target)) return { status: 'applied', alreadyExisted: true };
        if (this.rules.length >= 50) throw new AutopilotError('LIMIT_EXCEEDED', 'the registry already has 50 pull-through cache rules (quota)', { retryable: false });
        const rule: ActualPtcRule = { prefix: change.target, upstreamRegistryUrl: change.upstreamRegistryUrl, upstreamRegistry: change.upstreamRegistry };
        if (change.credentialArn) rule.credentialArn = change.credentialArn;
        if (change.customRoleArn) rule.customRoleArn = change.customRoleArn;
        if (change.upstreamRepositoryPrefix) rule.upstreamRepositoryPrefix = change.upstreamRepositoryPrefix;
        this.rules.push(rule);
        return { status: 'applied' };
      }
      case 'ecr:UpdatePullThroughCacheRule': {
        const rule = this.rules.find((candidate) => candidate.prefix === change.target);
        if (!rule) throw new AutopilotError('AWS_ERROR', `UpdatePullThroughCacheRule ${change.target}: the rule does not exist`, { retryable: false });
        if (change.credentialArn) rule.credentialArn = change.credentialArn;
        if (change.customRoleArn) rule.customRoleArn = change.customRoleArn;
        return { status: 'applied' };
      }
      case 'ecr:DeletePullThroughCacheRule':
        this.rules = this.rules.filter((rule) => rule.prefix !== change.target);
        return { status: 'applied' };
      case 'ecr:CreateRepositoryCreationTemplate':
        if (this.templates.some((existing) => existing.prefix === change.target)) return { status: 'applied', alreadyExisted: true };
        this.templates.push(actualTemplateOf({ ...desiredRule(change.target), template: change.template }));
        return { status: 'applied' };
      case 'ecr:UpdateRepositoryCreationTemplate':
        this.templates = this.templates.map((existing) => (existing.prefix === change.target ? actualTemplateOf({ ...desiredRule(change.target), template: change.template }) : existing));
        return { status: 'applied' };
      case 'ecr:DeleteRepositoryCreationTemplate':
        this.templates = this.templates.filter((existing) => existing.prefix !== change.target);
        return { status: 'applied' };
    }
  }
}

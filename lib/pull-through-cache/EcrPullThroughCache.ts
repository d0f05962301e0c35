import {
  CreatePullThroughCacheRuleCommand,
  CreateRepositoryCreationTemplateCommand,
  DeletePullThroughCacheRuleCommand,
  DeleteRepositoryCreationTemplateCommand,
  DescribePullThroughCacheRulesCommand,
  DescribeRepositoryCreationTemplatesCommand,
  UpdatePullThroughCacheRuleCommand,
  UpdateRepositoryCreationTemplateCommand,
  ValidatePullThroughCacheRuleCommand,
  type ECRClient,
  type PullThroughCacheRule,
  type RepositoryCreationTemplate,
} from '@aws-sdk/client-ecr';
import { DescribeSecretCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { AutopilotError } from '../errors';
import type { ApplyOptions, ChangeWriter } from '../plan/types';
import { callAws, type RetryOptions, type SdkCallOptions } from '../shared/awsCall';
import type { CallOptions } from '../shared/retry';
import type { PtcChange, PtcChangeOutcome } from './changes';
import { createSecretCommand } from './explainPtcFailure';
import { MAX_PTC_PAGE_SIZE, MAX_PTC_RULES, normalizePrefix, PTC_SECRET_PREFIX } from './limits';
import type { PtcStateReader } from './PtcStateReader';
import type { ActualPtcRule, ActualTemplate, RuleValidation, SecretMetadata, TemplateSettings } from './types';

/**
 * The live pull-through cache state: reads and changes rules and repository creation templates
 * through ECR, and reads credential secret METADATA through Secrets Manager (DescribeSecret only;
 * this class never reads a secret value).
 *
 * Build the ECR client with `maxAttempts: PTC_SDK_MAX_ATTEMPTS` (1): the SDK retries
 * `LimitExceededException` as throttling (aws-ecr-facts §6), and the 51st rule must fail at once
 * with `LIMIT_EXCEEDED`, not after backoff. Throttling is retried here (`callAws`), and every call
 * carries the caller's signal.
 * Already-exists errors of creates are success (`alreadyExisted`): concurrent events create one rule.
 */
export class EcrPullThroughCache implements PtcStateReader, ChangeWriter<PtcChange> {
  readonly region: string;
  private readonly ecr: ECRClient;
  private readonly secrets: SecretsManagerClient;
  private readonly registryId: string | undefined;
  private readonly retry: RetryOptions;

  constructor(options: { ecr: ECRClient; secrets: SecretsManagerClient; region: string; registryId?: string; retry?: RetryOptions }) {
    this.ecr = options.ecr;
    this.secrets = options.secrets;
    this.region = options.region;
    this.registryId = options.registryId;
    this.retry = options.retry ?? {};
  }

  async listRules(options: CallOptions = {}): Promise<ActualPtcRule[]> {
    const rules: ActualPtcRule[] = [];
    let nextToken: string | undefined;
    do {
      const token = nextToken;
      const output = await this.call('DescribePullThroughCacheRules', undefined, options, (sdk) =>
        this.ecr.send(new DescribePullThroughCacheRulesCommand({ registryId: this.registryId, maxResults: MAX_PTC_PAGE_SIZE, nextToken: token }), sdk),
      );
      rules.push(...(output.pullThroughCacheRules ?? []).map(toActualRule));
      nextToken = output.nextToken;
    } while (nextToken);
    return rules;
  }

  async listTemplates(options: CallOptions = {}): Promise<ActualTemplate[]> {
    const templates: ActualTemplate[] = [];
    let nextToken: string | undefined;
    do {
      const token = nextToken;
      const output = await this.call('DescribeRepositoryCreationTemplates', undefined, options, (sdk) =>
        // Templates always belong to the caller's registry (the API takes no registryId).
        this.ecr.send(new DescribeRepositoryCreationTemplatesCommand({ maxResults: MAX_PTC_PAGE_SIZE, nextToken: token }), sdk),
      );
      templates.push(...(output.repositoryCreationTemplates ?? []).map(toActualTemplate));
      nextToken = output.nextToken;
    } while (nextToken);
    return templates;
  }

  async describeSecret(name: string, options: CallOptions = {}): Promise<SecretMetadata | undefined> {
    if (!name.startsWith(PTC_SECRET_PREFIX)) {
      // ECR only accepts these names (§3.2), and the function's role may describe nothing else.
      throw new AutopilotError(
        'SECRET_INVALID',
        `Secret ${name} is misnamed: pull-through cache secrets must be named ${PTC_SECRET_PREFIX}…; create one with that name (a secret cannot be renamed): ${createSecretCommand(`${PTC_SECRET_PREFIX}${name.replace(/^.*\//, '')}`, this.region)}`,
      );
    }
    try {
      const output = await callAws('secretsmanager:DescribeSecret', (sdk) => this.secrets.send(new DescribeSecretCommand({ SecretId: name }), sdk), { signal: options.signal, retry: this.retry });
      const metadata: SecretMetadata = { name: output.Name ?? name, arn: output.ARN ?? '' };
      if (output.DeletedDate) metadata.deletedDate = output.DeletedDate;
      return metadata;
    } catch (error) {
      if (error instanceof Error && error.name === 'ResourceNotFoundException') return undefined;
      if (error instanceof Error && error.name === 'AccessDeniedException') {
        throw new AutopilotError('ACCESS_DENIED', `secretsmanager:DescribeSecret on ${name} was denied; grant it on arn:aws:secretsmanager:${this.region}:<account>:secret:${PTC_SECRET_PREFIX}*`, {
          cause: error,
        });
      }
      throw error;
    }
  }

  async validateRule(prefix: string, options: CallOptions = {}): Promise<RuleValidation> {
    const output = await this.call('ValidatePullThroughCacheRule', prefix, options, (sdk) =>
      this.ecr.send(new ValidatePullThroughCacheRuleCommand({ registryId: this.registryId, ecrRepositoryPrefix: prefix }), sdk),
    );
    return output.failure ? { isValid: output.isValid ?? false, failure: output.failure } : { isValid: output.isValid ?? false };
  }

  async apply(change: PtcChange, options: ApplyOptions): Promise<PtcChangeOutcome> {
    const prefix = change.target;
    const registryId = this.registryId;
    switch (change.action) {
      case 'ecr:CreatePullThroughCacheRule':
        return this.create('CreatePullThroughCacheRule', prefix, 'PullThroughCacheRuleAlreadyExistsException', options, (sdk) =>
          this.ecr.send(
            new CreatePullThroughCacheRuleCommand({
              registryId,
              ecrRepositoryPrefix: prefix,
              upstreamRegistry: change.upstreamRegistry,
              upstreamRegistryUrl: change.upstreamRegistryUrl,
              credentialArn: change.credentialArn,
              customRoleArn: change.customRoleArn,
              upstreamRepositoryPrefix: change.upstreamRepositoryPrefix,
            }),
            sdk,
          ),
        );
      case 'ecr:UpdatePullThroughCacheRule':
        await this.call('UpdatePullThroughCacheRule', prefix, options, (sdk) =>
          this.ecr.send(new UpdatePullThroughCacheRuleCommand({ registryId, ecrRepositoryPrefix: prefix, credentialArn: change.credentialArn, customRoleArn: change.customRoleArn }), sdk),
        );
        return { status: 'applied' };
      case 'ecr:DeletePullThroughCacheRule':
        try {
          await this.call('DeletePullThroughCacheRule', prefix, options, (sdk) => this.ecr.send(new DeletePullThroughCacheRuleCommand({ registryId, ecrRepositoryPrefix: prefix }), sdk));
          return { status: 'applied' };
        } catch (error) {
          if (error instanceof AutopilotError && error.cause instanceof Error && error.cause.name === 'PullThroughCacheRuleNotFoundException') {
            return { status: 'applied', message: 'the rule was already gone' };
          }
          throw error;
        }
      case 'ecr:CreateRepositoryCreationTemplate':
        return this.create('CreateRepositoryCreationTemplate', prefix, 'TemplateAlreadyExistsException', options, (sdk) =>
          this.ecr.send(new CreateRepositoryCreationTemplateCommand(templateInput(prefix, change.template)), sdk),
        );
      case 'ecr:UpdateRepositoryCreationTemplate':
        await this.call('UpdateRepositoryCreationTemplate', prefix, options, (sdk) =>
          this.ecr.send(new UpdateRepositoryCreationTemplateCommand(templateInput(prefix, change.template)), sdk),
        );
        return { status: 'applied' };
      case 'ecr:DeleteRepositoryCreationTemplate':
        try {
          await this.call('DeleteRepositoryCreationTemplate', prefix, options, (sdk) => this.ecr.send(new DeleteRepositoryCreationTemplateCommand({ prefix }), sdk));
          return { status: 'applied' };
        } catch (error) {
          if (error instanceof AutopilotError && error.cause instanceof Error && error.cause.name === 'TemplateNotFoundException') {
            return { status: 'applied', message: 'the template was already gone' };
          }
          throw error;
        }
    }
  }

  /** A create whose already-exists error means the wanted state is there (§7 design caution 4). */
  private async create(operation: string, prefix: string, alreadyExistsName: string, options: CallOptions, send: (sdk: SdkCallOptions) => Promise<unknown>): Promise<PtcChangeOutcome> {
    try {
      await callAws(`ecr:${operation}`, send, { signal: options.signal, retry: this.retry });
      return { status: 'applied' };
    } catch (error) {
      if (error instanceof Error && error.name === alreadyExistsName) {
        return { status: 'applied', alreadyExisted: true, message: `${prefix} already existed (created concurrently or by hand); nothing to do` };
      }
      throw translatePtcError(error, operation, prefix, this.region);
    }
  }

  private async call<T>(operation: string, prefix: string | undefined, options: CallOptions, send: (sdk: SdkCallOptions) => Promise<T>): Promise<T> {
    try {
      return await callAws(`ecr:${operation}`, send, { signal: options.signal, retry: this.retry });
    } catch (error) {
      throw translatePtcError(error, operation, prefix, this.region);
    }
  }
}

/**
 * ECR's pull-through cache exceptions → `AutopilotError`s whose message says what to do. All but
 * throttling are final (`retryable: false`), so `applyChanges` reports them per change and the run
 * goes on; anything unrecognised is returned unchanged and rethrown.
 *
 * @example
 * throw translatePtcError(error, 'CreatePullThroughCacheRule', 'docker-hub', 'ap-northeast-2');
 */
export function translatePtcError(error: unknown, operation: string, prefix: string | undefined, region: string): unknown {
  if (!(error instanceof Error) || error instanceof AutopilotError) return error;
  const what = prefix ? `${operation} ${prefix}` : operation;
  const final = { cause: error, retryable: false };
  switch (error.name) {
    case 'LimitExceededException':
      return operation.includes('Template')
        ? new AutopilotError('LIMIT_EXCEEDED', `${what}: the registry's repository creation template quota is reached (${error.message}); delete templates you no longer use`, final)
        : new AutopilotError(
            'LIMIT_EXCEEDED',
            `${what}: the registry already has ${MAX_PTC_RULES} pull-through cache rules, ECR's quota (not adjustable); delete rules you no longer use (aws ecr delete-pull-through-cache-rule --ecr-repository-prefix <prefix>) or set pullThroughCache.prune: true to delete undeclared ones`,
            final,
          );
    case 'SecretNotFoundException':
      return new AutopilotError('SECRET_INVALID', `${what}: ECR cannot find the credential secret; create it in ${region} (same account and region as the rule) and run the sync again`, final);
    case 'UnableToAccessSecretException':
      return new AutopilotError('SECRET_INVALID', `${what}: ECR cannot read the credential secret; check that it is in ${region} and that its KMS key lets ECR's service-linked role decrypt it`, final);
    case 'UnableToDecryptSecretValueException':
      return new AutopilotError('SECRET_INVALID', `${what}: ECR cannot decrypt the credential secret; use the AWS managed key or allow the ECR service-linked role in the KMS key policy`, final);
    case 'UnsupportedUpstreamRegistryException':
      return new AutopilotError('AWS_ERROR', `${what}: ECR does not support this upstream here (pull-through cache is not available in cn-north-1, cn-northwest-1, us-gov-east-1 and us-gov-west-1)`, final);
    case 'PullThroughCacheRuleNotFoundException':
      return new AutopilotError('AWS_ERROR', `${what}: the rule does not exist (deleted since it was read?); run the sync again`, final);
    case 'TemplateNotFoundException':
      return new AutopilotError('AWS_ERROR', `${what}: the template does not exist (deleted since it was read?); run the sync again`, final);
    case 'ValidationException':
    case 'InvalidParameterException':
      return new AutopilotError('AWS_ERROR', `${what}: ECR rejected the request: ${error.message}; check pullThroughCache in the configuration`, final);
    case 'AccessDeniedException':
      return new AutopilotError('ACCESS_DENIED', `${what} was denied: ${error.message}; grant the function's role ecr:${operation}`, final);
    default:
      return error;
  }
}

function toActualRule(rule: PullThroughCacheRule): ActualPtcRule {
  const actual: ActualPtcRule = { prefix: normalizePrefix(rule.ecrRepositoryPrefix ?? ''), upstreamRegistryUrl: rule.upstreamRegistryUrl ?? '' };
  if (rule.upstreamRegistry) actual.upstreamRegistry = rule.upstreamRegistry;
  if (rule.credentialArn) actual.credentialArn = rule.credentialArn;
  if (rule.customRoleArn) actual.customRoleArn = rule.customRoleArn;
  if (rule.upstreamRepositoryPrefix) actual.upstreamRepositoryPrefix = rule.upstreamRepositoryPrefix;
  if (rule.createdAt) actual.createdAt = rule.createdAt;
  if (rule.updatedAt) actual.updatedAt = rule.updatedAt;
  return actual;
}

function toActualTemplate(template: RepositoryCreationTemplate): ActualTemplate {
  const actual: ActualTemplate = {
    prefix: normalizePrefix(template.prefix ?? ''),
    appliedFor: template.appliedFor ?? [],
    imageTagMutabilityExclusions: (template.imageTagMutabilityExclusionFilters ?? []).flatMap((filter) => (filter.filter ? [filter.filter] : [])),
    resourceTags: Object.fromEntries((template.resourceTags ?? []).map((tag) => [tag.Key ?? '', tag.Value ?? ''])),
  };
  if (template.description) actual.description = template.description;
  if (template.imageTagMutability) actual.imageTagMutability = template.imageTagMutability;
  if (template.encryptionConfiguration?.encryptionType) actual.encryptionType = template.encryptionConfiguration.encryptionType;
  if (template.encryptionConfiguration?.kmsKey) actual.kmsKey = template.encryptionConfiguration.kmsKey;
  if (template.lifecyclePolicy) actual.lifecyclePolicy = template.lifecyclePolicy;
  if (template.customRoleArn) actual.customRoleArn = template.customRoleArn;
  return actual;
}

function templateInput(prefix: string, template: TemplateSettings) {
  return {
    prefix,
    description: template.description,
    appliedFor: template.appliedFor,
    imageTagMutability: template.imageTagMutability,
    imageTagMutabilityExclusionFilters:
      template.imageTagMutabilityExclusions.length > 0 ? template.imageTagMutabilityExclusions.map((filter) => ({ filterType: 'WILDCARD' as const, filter })) : undefined,
    encryptionConfiguration: { encryptionType: template.encryptionType, ...(template.kmsKey ? { kmsKey: template.kmsKey } : {}) },
    lifecyclePolicy: template.lifecyclePolicy,
    resourceTags: Object.keys(template.resourceTags).length > 0 ? Object.entries(template.resourceTags).map(([Key, Value]) => ({ Key, Value })) : undefined,
    customRoleArn: template.customRoleArn,
  };
}

import type { RegistrySnapshot } from '../ecr/registrySnapshot';
import { AutopilotError } from '../errors';
import { normalizePrefix, PTC_SECRET_PREFIX } from './limits';
import type { PtcStateReader } from './PtcStateReader';
import type { ActualPtcRule, ActualTemplate, RuleValidation, SecretMetadata } from './types';

/**
 * Pull-through cache state read from a registry snapshot (its `pullThroughCacheRules`,
 * `repositoryCreationTemplates` and `secrets` sections), so `ptc sync --plan`, `invoke --plan` and
 * the demo run the reconcile without AWS. Validation results come from each rule's `validation`.
 *
 * @example
 * const reader = new SnapshotPtcReader(SnapshotRegistry.fromFile('events/registry-snapshot.json').snapshot);
 */
export class SnapshotPtcReader implements PtcStateReader {
  readonly region: string;
  private readonly snapshot: RegistrySnapshot;

  constructor(snapshot: RegistrySnapshot) {
    this.snapshot = snapshot;
    this.region = snapshot.region;
  }

  async listRules(): Promise<ActualPtcRule[]> {
    return this.snapshot.pullThroughCacheRules.map((rule) => {
      const actual: ActualPtcRule = { prefix: normalizePrefix(rule.ecrRepositoryPrefix), upstreamRegistryUrl: rule.upstreamRegistryUrl };
      if (rule.upstreamRegistry) actual.upstreamRegistry = rule.upstreamRegistry;
      if (rule.credentialArn) actual.credentialArn = rule.credentialArn;
      if (rule.customRoleArn) actual.customRoleArn = rule.customRoleArn;
      if (rule.upstreamRepositoryPrefix) actual.upstreamRepositoryPrefix = rule.upstreamRepositoryPrefix;
      if (rule.createdAt) actual.createdAt = new Date(rule.createdAt);
      if (rule.updatedAt) actual.updatedAt = new Date(rule.updatedAt);
      return actual;
    });
  }

  async listTemplates(): Promise<ActualTemplate[]> {
    return this.snapshot.repositoryCreationTemplates.map((template) => {
      const actual: ActualTemplate = {
        prefix: normalizePrefix(template.prefix),
        appliedFor: template.appliedFor,
        imageTagMutability: template.imageTagMutability,
        imageTagMutabilityExclusions: template.imageTagMutabilityExclusionFilters.map((filter) => filter.filter),
        resourceTags: Object.fromEntries(template.resourceTags.map((tag) => [tag.Key, tag.Value])),
      };
      if (template.description) actual.description = template.description;
      if (template.encryptionConfiguration) {
        actual.encryptionType = template.encryptionConfiguration.encryptionType;
        if (template.encryptionConfiguration.kmsKey) actual.kmsKey = template.encryptionConfiguration.kmsKey;
      }
      if (template.lifecyclePolicy) actual.lifecyclePolicy = template.lifecyclePolicy;
      if (template.customRoleArn) actual.customRoleArn = template.customRoleArn;
      return actual;
    });
  }

  async describeSecret(name: string): Promise<SecretMetadata | undefined> {
    if (!name.startsWith(PTC_SECRET_PREFIX)) {
      throw new AutopilotError('SECRET_INVALID', `Secret ${name} is misnamed: pull-through cache secrets must be named ${PTC_SECRET_PREFIX}…`);
    }
    const secret = this.snapshot.secrets.find((candidate) => candidate.name === name);
    if (!secret) return undefined;
    return secret.deletedDate ? { name: secret.name, arn: secret.arn, deletedDate: new Date(secret.deletedDate) } : { name: secret.name, arn: secret.arn };
  }

  async validateRule(prefix: string): Promise<RuleValidation> {
    const rule = this.snapshot.pullThroughCacheRules.find((candidate) => normalizePrefix(candidate.ecrRepositoryPrefix) === prefix);
    if (!rule) {
      throw new AutopilotError('AWS_ERROR', `ValidatePullThroughCacheRule ${prefix}: the rule does not exist in the snapshot`);
    }
    return rule.validation;
  }
}

import type { CallOptions } from '../shared/retry';
import type { ActualPtcRule, ActualTemplate, RuleValidation, SecretMetadata } from './types';

/**
 * Read-only access to a registry's pull-through cache state: rules, repository creation templates,
 * credential secret metadata and rule validation. Implemented by `EcrPullThroughCache` (AWS SDK)
 * and `SnapshotPtcReader` (the registry snapshot file, for plan mode and the demo). Every method
 * takes the caller's signal.
 */
export interface PtcStateReader {
  readonly region: string;

  /** Every pull-through cache rule of the registry (all pages). */
  listRules(options?: CallOptions): Promise<ActualPtcRule[]>;
  /** Every repository creation template of the registry (all pages). */
  listTemplates(options?: CallOptions): Promise<ActualTemplate[]>;
  /**
   * The metadata of a credential secret (DescribeSecret: never its value), or undefined when no
   * secret has that name. Refuses names outside `ecr-pullthroughcache/` without asking AWS.
   */
  describeSecret(name: string, options?: CallOptions): Promise<SecretMetadata | undefined>;
  /** ValidatePullThroughCacheRule: ECR reads the secret and authenticates upstream. */
  validateRule(prefix: string, options?: CallOptions): Promise<RuleValidation>;
}

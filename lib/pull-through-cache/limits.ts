import { REPOSITORY_NAME_SOURCE } from '../ecr/repositoryName';

/**
 * ECR's constraints on pull-through cache rules, written down once (aws-ecr-facts §3.2, §3.3, §6).
 * The configuration schema rejects what ECR would reject with these, and the planner respects them.
 */

/** Pull-through cache rules per registry (QUOTAS, not adjustable). */
export const MAX_PTC_RULES = 50;

/**
 * `ecrRepositoryPrefix` and `upstreamRepositoryPrefix` (API Reference, CreatePullThroughCacheRule,
 * https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_CreatePullThroughCacheRule.html):
 * repository-name components with an optional trailing `/`, or `ROOT`, 2–30 characters; a trailing
 * `/` is always implied. The components are the repository-name pattern's, from its one definition.
 */
/** The registry-root prefix, documented for ECR-to-ECR rules. */
export const ROOT_PREFIX = 'ROOT';

export const PTC_PREFIX_PATTERN = new RegExp(`^(?:${REPOSITORY_NAME_SOURCE}\\/?|${ROOT_PREFIX})$`);

/**
 * A repository creation template's `encryptionConfiguration.kmsKey` must be the FULL ARN of a KMS
 * key (not an alias or key id), 1–2048 characters, in the registry's region. API Reference,
 * EncryptionConfigurationForRepositoryCreationTemplate:
 * https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_EncryptionConfigurationForRepositoryCreationTemplate.html
 */
export const TEMPLATE_KMS_KEY_PATTERN = /^arn:aws[a-z0-9-]*:kms:[a-z0-9-]+:[0-9]{12}:key\/[a-z0-9-]+$/;

/**
 * A repository creation template's `customRoleArn`: an IAM role ARN without a path, at most 2048
 * characters. API Reference, CreateRepositoryCreationTemplate
 * (https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_CreateRepositoryCreationTemplate.html),
 * pattern `^arn:aws[-a-z0-9]*:iam::[0-9]{12}:role/[A-Za-z0-9+=,-.@_]*$` (`,-.` is the range `,` `-` `.`).
 */
export const TEMPLATE_ROLE_ARN_PATTERN = /^arn:aws[-a-z0-9]*:iam::[0-9]{12}:role\/[A-Za-z0-9+=,.@_-]*$/;
export const MAX_TEMPLATE_ROLE_ARN_LENGTH = 2048;

/** Secrets for pull-through cache must be named with this prefix (§3.2; [MODEL] `credentialArn` pattern). */
export const PTC_SECRET_PREFIX = 'ecr-pullthroughcache/';

/** DescribePullThroughCacheRules / DescribeRepositoryCreationTemplates page size maximum (§6). */
export const MAX_PTC_PAGE_SIZE = 1000;

/**
 * The SDK's own attempts for pull-through cache calls: exactly one. Both SDK retry classifiers treat
 * `LimitExceededException` (the 51st rule) as throttling (§6), so with the default three attempts
 * a quota error would be retried with backoff before surfacing. Real throttling is still retried,
 * by `callAws`, which does not treat LimitExceededException as throttling.
 */
export const PTC_SDK_MAX_ATTEMPTS = 1;

/**
 * `ecr-public/` and `ecr-public` are the same prefix to ECR: compare prefixes without the slash.
 *
 * @example
 * normalizePrefix('ecr-public/') // 'ecr-public'
 */
export function normalizePrefix(prefix: string): string {
  return prefix.length > 1 && prefix.endsWith('/') ? prefix.slice(0, -1) : prefix;
}

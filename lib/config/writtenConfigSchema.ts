import * as z from 'zod/mini';
import { REPOSITORY_NAME_RULE, RepositoryName, RepositoryNamePrefix } from '../ecr/repositoryName';
import { RepositoryGlob } from './repositoryGlob';
import { MAX_TAG_MUTABILITY_FILTERS, TAG_MUTABILITY_FILTER_PATTERN } from '../ecr/limits';
import { MAX_PTC_RULES, MAX_TEMPLATE_ROLE_ARN_LENGTH, PTC_PREFIX_PATTERN, PTC_SECRET_PREFIX, TEMPLATE_KMS_KEY_PATTERN, TEMPLATE_ROLE_ARN_PATTERN } from '../pull-through-cache/limits';
import { UPSTREAM_REGISTRIES } from '../pull-through-cache/upstreams';

/**
 * The schema of `infra/autopilot.yml` as people write it. Unknown keys are rejected everywhere
 * (a typo such as `scanOnpush` must not silently do nothing). Defaults are filled in here; file
 * references and cross-field rules are resolved by `loadConfig`.
 */

export const TAG_MUTABILITY_VALUES = ['MUTABLE', 'IMMUTABLE', 'IMMUTABLE_WITH_EXCLUSION', 'MUTABLE_WITH_EXCLUSION'] as const;
export type TagMutability = (typeof TAG_MUTABILITY_VALUES)[number];

/** A string check that ECR's own pattern for the field passes, with the message and the fix to show. */
function matching(pattern: RegExp, message: string, fix: string) {
  return z.refine<string>((value) => pattern.test(value), { message, params: { fix } });
}

/** Wildcard filters of the `*_WITH_EXCLUSION` mutabilities, as ECR accepts them (lib/ecr/limits.ts). */
const TagMutabilityExclusions = z
  .array(
    z.string().check(
      matching(TAG_MUTABILITY_FILTER_PATTERN, 'must be 1 to 128 letters, digits, ".", "_", "-" or "*" (ECR ImageTagMutabilityExclusionFilter: no "/" or other characters)', 'write the filter without other characters, e.g. "feature-*" instead of "feature/*"'),
    ),
  )
  .check(z.minLength(1), z.maxLength(MAX_TAG_MUTABILITY_FILTERS));

/** A repository class: which repositories it governs and the settings they must have. */
export const WrittenRepositoryClass = z.strictObject({
  name: z.string().check(z.regex(/^[a-z0-9][a-z0-9-]*$/, 'must be lowercase letters, digits and dashes')),
  description: z.optional(z.string()),
  /** Repository-name globs: `*` matches within one path segment, `**` across segments. */
  repositories: z.array(RepositoryGlob).check(z.minLength(1)),
  /**
   * The lifecycle policy: a path to a JSON file (relative to this configuration file) or the
   * policy document inline. Absent means the lifecycle policy is not managed.
   */
  lifecyclePolicy: z.optional(z.union([z.string().check(z.minLength(1)), z.looseObject({ rules: z.array(z.unknown()) })])),
  /** Scan on push for the repository. Absent means not managed. */
  scanOnPush: z.optional(z.boolean()),
  /** Tag mutability. Absent means not managed. */
  tagMutability: z.optional(z.enum(TAG_MUTABILITY_VALUES)),
  /** Wildcard filters for the `*_WITH_EXCLUSION` mutabilities (1–5, ECR's limit). */
  tagMutabilityExclusions: z.optional(TagMutabilityExclusions),
  /** Tags (with `*` wildcards) whose images are never expired by ecr-autopilot. */
  protectedTags: z._default(z.array(z.string().check(z.minLength(1))), []),
  /** Expire what the lifecycle policy selects right after each push, instead of waiting for ECR (up to 24 h). */
  expireOnPush: z._default(z.boolean(), false),
});

const SeverityThresholds = z.strictObject({
  CRITICAL: z.optional(z.int().check(z.gte(0))),
  HIGH: z.optional(z.int().check(z.gte(0))),
  MEDIUM: z.optional(z.int().check(z.gte(0))),
  LOW: z.optional(z.int().check(z.gte(0))),
  INFORMATIONAL: z.optional(z.int().check(z.gte(0))),
  UNDEFINED: z.optional(z.int().check(z.gte(0))),
});

/** A finding accepted on purpose: not counted against thresholds until it expires. */
const AcceptedFinding = z.strictObject({
  id: z.string().check(z.minLength(1)),
  reason: z.string().check(z.minLength(1)),
  /** Repository-name globs it applies to; all repositories when absent. */
  repositories: z.optional(z.array(RepositoryGlob)),
  /** ISO date after which the finding counts again. */
  expires: z.optional(z.iso.date()),
});

export const WrittenScanSettings = z.strictObject({
  /** The verdict is FAIL when a severity's count is above its value (0 = fail on any). */
  failAbove: z._default(SeverityThresholds, { CRITICAL: 0 }),
  /** The verdict is WARN (when not FAIL) when a severity's count is above its value. */
  warnAbove: z._default(SeverityThresholds, { HIGH: 0 }),
  /** How many findings a summary lists, most severe first. */
  topFindings: z._default(z.int().check(z.gte(0), z.lte(50)), 10),
  acceptedFindings: z._default(z.array(AcceptedFinding), []),
});

export const WrittenNotificationSettings = z.strictObject({
  /** Push summaries: for every tagged push, or none. Untagged pushes never notify. */
  pushSummaries: z._default(z.enum(['tagged', 'none']), 'tagged'),
  /** Scan summaries: always, only when there are findings, or only for WARN/FAIL verdicts. */
  scanSummaries: z._default(z.enum(['always', 'findings', 'warnOrFail']), 'always'),
  /**
   * What `https` subscribers receive: Amazon Q Developer custom notifications (so a chat channel can
   * subscribe to the topic directly) or the same notice JSON as `lambda` and `sqs`.
   */
  httpsFormat: z._default(z.enum(['amazon-q', 'notice']), 'amazon-q'),
});

/**
 * Repository creation template settings for the repositories a pull-through cache rule creates
 * (CreateRepositoryCreationTemplate, aws-ecr-facts §3.7). Templates apply only when ECR creates a
 * repository; they never change existing ones. The API has no scan setting: scan on push of cached
 * repositories comes from their repository class (governance) or the registry scanning configuration.
 */
const WrittenPtcTemplate = z.strictObject({
  /** Up to 256 characters; default: says that ecr-autopilot manages the template and for which rule. */
  description: z.optional(z.string().check(z.minLength(1), z.maxLength(256))),
  /** A path to a JSON file (relative to this configuration file) or the policy inline, as for repository classes. */
  lifecyclePolicy: z.optional(z.union([z.string().check(z.minLength(1)), z.looseObject({ rules: z.array(z.unknown()) })])),
  tagMutability: z.optional(z.enum(TAG_MUTABILITY_VALUES)),
  tagMutabilityExclusions: z.optional(TagMutabilityExclusions),
  encryption: z.optional(z.enum(['AES256', 'KMS', 'KMS_DSSE'])),
  /** The KMS key for KMS and KMS_DSSE, as its full ARN (the API takes no alias or key id); the AWS managed key when absent. */
  kmsKey: z.optional(
    z.string().check(
      z.maxLength(2048),
      matching(TEMPLATE_KMS_KEY_PATTERN, 'must be the full ARN of a KMS key, arn:aws:kms:<region>:<account>:key/<key id> (ECR rejects aliases and key ids in templates)', 'look the ARN up with: aws kms describe-key --key-id <alias/name or key id> --query KeyMetadata.Arn --output text'),
    ),
  ),
  resourceTags: z.optional(z.record(z.string().check(z.minLength(1), z.maxLength(128)), z.string().check(z.maxLength(256)))),
  /**
   * The IAM role ECR assumes to create the template's repositories (trust principal
   * ecr.amazonaws.com). Needed with KMS encryption or resource tags; otherwise ECR uses its
   * service-linked role. The stack may pass exactly the roles named here (iam:PassRole).
   */
  customRoleArn: z.optional(
    z.string().check(
      z.maxLength(MAX_TEMPLATE_ROLE_ARN_LENGTH),
      matching(TEMPLATE_ROLE_ARN_PATTERN, 'must be an IAM role ARN without a path, arn:aws:iam::<account>:role/<name> (ECR CreateRepositoryCreationTemplate customRoleArn)', 'use the role ARN that `aws iam get-role --role-name <name> --query Role.Arn` prints; ECR accepts no role path'),
    ),
  ),
});

/** One declared pull-through cache rule (CreatePullThroughCacheRule, aws-ecr-facts §3.3). */
const WrittenPtcRule = z.strictObject({
  /** `ecrRepositoryPrefix`: 2–30 characters, lowercase path segments or ROOT; a trailing `/` is implied. */
  prefix: z.string().check(
    z.minLength(2, 'must be at least 2 characters long (ECR ecrRepositoryPrefix)'),
    z.maxLength(30, 'must be at most 30 characters long (ECR ecrRepositoryPrefix)'),
    z.regex(PTC_PREFIX_PATTERN, `must be ROOT or a repository-name prefix (${REPOSITORY_NAME_RULE}), as ECR requires`),
  ),
  /** The `upstreamRegistry` enum value, e.g. `docker-hub`; see lib/pull-through-cache/upstreams.ts. */
  upstream: z.enum(UPSTREAM_REGISTRIES),
  /** Only for upstreams without a fixed URL (Azure: `<name>.azurecr.io`; ECR: `<account>.dkr.ecr.<region>.amazonaws.com`) and Chainguard. */
  upstreamUrl: z.optional(z.string().check(z.minLength(1), z.maxLength(255))),
  /** The Secrets Manager secret NAME (never its value) holding `username` and `accessToken`. */
  credentialSecret: z.optional(
    z.string().check(
      z.maxLength(512),
      z.refine((name) => name.startsWith(PTC_SECRET_PREFIX) && name.length > PTC_SECRET_PREFIX.length, {
        message: `must start with "${PTC_SECRET_PREFIX}": ECR only reads pull-through cache secrets named so`,
        params: { fix: `use a secret named ${PTC_SECRET_PREFIX}<name>; a secret cannot be renamed, so create a new one with that name` },
      }),
    ),
  ),
  /** Maps `<prefix>/x` to `<upstreamRepositoryPrefix>/x` upstream (default ROOT). */
  upstreamRepositoryPrefix: z.optional(z.string().check(z.minLength(2), z.maxLength(30), z.regex(PTC_PREFIX_PATTERN, 'must be ROOT or lowercase path segments, like prefix'))),
  /** ECR-to-ECR across accounts: the role ECR assumes (trust principal pullthroughcache.ecr.amazonaws.com). */
  customRoleArn: z.optional(z.string().check(z.regex(/^arn:aws(?:-[a-z]+)*:iam::\d{12}:role\/.+$/, 'must be an IAM role ARN'), z.maxLength(2048))),
  /** Overrides of `pullThroughCache.template` for this rule's repositories. */
  template: z.optional(WrittenPtcTemplate),
});

export const WrittenPullThroughCache = z.strictObject({
  /** Template settings every rule gets, unless the rule overrides them. */
  template: z._default(WrittenPtcTemplate, {}),
  rules: z._default(
    z.array(WrittenPtcRule).check(z.maxLength(MAX_PTC_RULES, `must have at most ${MAX_PTC_RULES} rules: ECR allows ${MAX_PTC_RULES} pull-through cache rules per registry (not adjustable)`)),
    [],
  ),
  /**
   * Prefixes of declared rules created on demand, when a pull through them first fails (CloudTrail
   * RepositoryNotFoundException), rather than by syncPullThroughCache.
   */
  autoCreate: z._default(z.array(z.string().check(z.minLength(1))), []),
  /** Delete rules that are not declared (and replace rules whose upstream differs). */
  prune: z._default(z.boolean(), false),
});

/** Lifecycle enforcement by ecr-autopilot itself (on push for `expireOnPush` classes, and the daily sweep). */
export const WrittenLifecycleSettings = z.strictObject({
  /** At most this many images are deleted per run (sweep or push), whatever the policies select. */
  maxDeletionsPerRun: z._default(z.int().check(z.gte(0), z.lte(100_000)), 200),
  /** Publish the sweep ledger even when nothing was expired or fixed. */
  notifyWhenUnchanged: z._default(z.boolean(), false),
});

/** `os/architecture[/variant]`, as in an image index (`linux/amd64`, `linux/arm64/v8`). */
const PlatformName = z.string().check(z.regex(/^[a-z0-9]+\/[a-z0-9_]+(?:\/[a-z0-9]+)?$/, 'must be os/architecture[/variant], e.g. linux/arm64'));

/** One public image to keep in private ECR. */
export const WrittenMirrorImage = z.strictObject({
  /** The upstream repository, without tag or digest: `public.ecr.aws/eks/aws-load-balancer-controller`. */
  source: z.string().check(z.regex(/^[a-z0-9.-]+(?::\d+)?\/[a-z0-9._\/-]+$/, 'must be registry/repository without a tag, e.g. registry.k8s.io/autoscaling/cluster-autoscaler')),
  tags: z.array(z.string().check(z.regex(/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/, 'must be an image tag such as v1.32.0'))).check(z.minLength(1)),
  /** The private repository; default `<repositoryPrefix>/<source path>`. */
  repository: z.optional(RepositoryName),
  /** Overrides `mirror.platforms` for this image. */
  platforms: z.optional(z.union([z.literal('all'), z.array(PlatformName).check(z.minLength(1))])),
});

/** mirrorImages: public images copied (every platform, digests unchanged) into private repositories it creates and governs. */
export const WrittenMirror = z.strictObject({
  /** Destination repositories are `<repositoryPrefix>/<source path>` unless an image names its own. */
  repositoryPrefix: z._default(RepositoryNamePrefix, 'mirror'),
  /** `all` keeps the upstream index (same digest); a list builds a new index with only those platforms. */
  platforms: z._default(z.union([z.literal('all'), z.array(PlatformName).check(z.minLength(1))]), 'all'),
  /** Also copy signatures, SBOMs and attestations that refer to the image (OCI referrers). */
  includeReferrers: z._default(z.boolean(), false),
  images: z._default(z.array(WrittenMirrorImage), []),
});

/** Lab verification (verifyLab, `ecr-autopilot verify`). */
export const WrittenVerify = z.strictObject({
  /** The EKS node role whose pull permissions are checked by IAM policy simulation; skipped when absent. */
  nodeRoleArn: z.optional(z.string().check(z.regex(/^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@\/-]+$/, 'must be an IAM role ARN such as arn:aws:iam::123456789012:role/eks-node-role'))),
});

/**
 * Fleet scale: the scheduled sweep and mirror fan out on Step Functions Distributed Map
 * (lib/fleet). The state machines' batching and concurrency are derived from these values
 * (`planFleet`), at package time and in `npm run bench -- fleet`.
 */
export const WrittenFleet = z.strictObject({
  /**
   * ECR API calls per second the whole fan-out stays under (per account and region). ECR does not
   * publish rate quotas for the sweep's calls (DescribeImages, GetLifecyclePolicy, BatchDeleteImage,
   * DescribeRepositories; "Amazon ECR service quotas",
   * https://docs.aws.amazon.com/AmazonECR/latest/userguide/service-quotas.html lists only the image
   * push/pull actions, and aws-ecr-facts §6), so the default is low and the bench's 10,000-repository
   * sweep is budget-bound at it; raise it when your account's rates are known to be higher.
   */
  ecrCallsPerSecond: z._default(z.number().check(z.gt(0), z.lte(1000)), 20),
  /** Repositories one child execution of the sweep covers. */
  repositoriesPerBatch: z._default(z.int().check(z.gte(1), z.lte(1000)), 50),
  /** Mirror images (sources with their tags) one child execution of the mirror copies. */
  imagesPerBatch: z._default(z.int().check(z.gte(1), z.lte(100)), 2),
  /** Failed batches (percent of all) a run tolerates and still completes; above it the Map Run fails and can be redriven. */
  toleratedFailurePercentage: z._default(z.number().check(z.gte(0), z.lte(100)), 5),
  /** Days the fleet bucket keeps a run's work items and results (S3 lifecycle expiration). */
  retentionDays: z._default(z.int().check(z.gte(1), z.lte(90)), 7),
});

export const WrittenConfig = z.strictObject({
  version: z.literal(1),
  repositoryClasses: z.array(WrittenRepositoryClass).check(z.minLength(1)),
  scan: z._default(WrittenScanSettings, { failAbove: { CRITICAL: 0 }, warnAbove: { HIGH: 0 }, topFindings: 10, acceptedFindings: [] }),
  notifications: z._default(WrittenNotificationSettings, { pushSummaries: 'tagged', scanSummaries: 'always', httpsFormat: 'amazon-q' }),
  lifecycle: z._default(WrittenLifecycleSettings, { maxDeletionsPerRun: 200, notifyWhenUnchanged: false }),
  pullThroughCache: z._default(WrittenPullThroughCache, { template: {}, rules: [], autoCreate: [], prune: false }),
  mirror: z._default(WrittenMirror, { repositoryPrefix: 'mirror', platforms: 'all', includeReferrers: false, images: [] }),
  verify: z._default(WrittenVerify, {}),
  fleet: z._default(WrittenFleet, () => WrittenFleet.parse({})),
});

export type WrittenConfig = z.output<typeof WrittenConfig>;
export type WrittenRepositoryClass = z.output<typeof WrittenRepositoryClass>;
export type ScanSettings = z.output<typeof WrittenScanSettings>;
export type NotificationSettings = z.output<typeof WrittenNotificationSettings>;
export type LifecycleSettings = z.output<typeof WrittenLifecycleSettings>;
export type MirrorSettings = z.output<typeof WrittenMirror>;
export type VerifySettings = z.output<typeof WrittenVerify>;
export type FleetSettings = z.output<typeof WrittenFleet>;
export type MirrorImageSettings = z.output<typeof WrittenMirrorImage>;
export type SeverityThresholds = z.output<typeof SeverityThresholds>;
export type WrittenPullThroughCache = z.output<typeof WrittenPullThroughCache>;
export type WrittenPtcRule = z.output<typeof WrittenPtcRule>;
export type WrittenPtcTemplate = z.output<typeof WrittenPtcTemplate>;

import * as z from 'zod/mini';
import { TAG_MUTABILITY_VALUES } from '../config/writtenConfigSchema';
import { AccountId, AwsRegion, ImageDigest, ImageTag, IsoTimestamp, RepositoryName } from '../events/primitives';
import { FindingSchema } from './finding';
import { IMAGE_STATUSES } from './types';
import { UPSTREAM_REGISTRIES } from '../pull-through-cache/upstreams';

/**
 * A registry snapshot: the state of one ECR registry saved as a file, so every function can run in
 * plan mode without an AWS account (`--plan --snapshot <file>`, `npm run demo`). Shapes follow the
 * ECR API (DescribeRepositories, DescribeImages, BatchGetImage, DescribeImageScanFindings) with
 * ISO-8601 times.
 */
const SnapshotScan = z.strictObject({
  scanType: z._default(z.enum(['BASIC', 'ENHANCED']), 'BASIC'),
  status: z._default(z.string(), 'COMPLETE'),
  completedAt: z.optional(IsoTimestamp),
  findings: z.array(FindingSchema),
});

export const SnapshotImage = z.strictObject({
  imageDigest: ImageDigest,
  imageTags: z._default(z.array(ImageTag), []),
  imagePushedAt: IsoTimestamp,
  imageSizeInBytes: z.optional(z.int().check(z.gte(0))),
  imageManifestMediaType: z.optional(z.string()),
  artifactMediaType: z.optional(z.string()),
  lastRecordedPullTime: z.optional(IsoTimestamp),
  imageStatus: z._default(z.enum(IMAGE_STATUSES), 'ACTIVE'),
  lastArchivedAt: z.optional(IsoTimestamp),
  lastActivatedAt: z.optional(IsoTimestamp),
  subjectManifestDigest: z.optional(ImageDigest),
  /** The manifest document (object or exact text); needed for indexes (platforms, children). */
  manifest: z.optional(z.union([z.string(), z.record(z.string(), z.unknown())])),
  /** The image's latest scan; absent when it was never scanned. */
  scan: z.optional(SnapshotScan),
});

export const SnapshotRepository = z.strictObject({
  repositoryName: RepositoryName,
  createdAt: z.optional(IsoTimestamp),
  imageTagMutability: z._default(z.enum(TAG_MUTABILITY_VALUES), 'MUTABLE'),
  imageTagMutabilityExclusions: z._default(z.array(z.string()), []),
  scanOnPush: z._default(z.boolean(), false),
  lifecyclePolicyText: z.optional(z.nullable(z.string())),
  images: z._default(z.array(SnapshotImage), []),
});

/** A pull-through cache rule as DescribePullThroughCacheRules returns it, plus what ValidatePullThroughCacheRule would say. */
export const SnapshotPtcRule = z.strictObject({
  ecrRepositoryPrefix: z.string().check(z.minLength(1)),
  upstreamRegistryUrl: z.string().check(z.minLength(1)),
  upstreamRegistry: z.optional(z.enum(UPSTREAM_REGISTRIES)),
  credentialArn: z.optional(z.string()),
  customRoleArn: z.optional(z.string()),
  upstreamRepositoryPrefix: z.optional(z.string()),
  createdAt: z.optional(IsoTimestamp),
  updatedAt: z.optional(IsoTimestamp),
  /** The ValidatePullThroughCacheRule result; valid when absent. */
  validation: z._default(z.strictObject({ isValid: z.boolean(), failure: z.optional(z.string()) }), { isValid: true }),
});

/** A repository creation template as DescribeRepositoryCreationTemplates returns it. */
export const SnapshotCreationTemplate = z.strictObject({
  prefix: z.string().check(z.minLength(1)),
  description: z.optional(z.string()),
  appliedFor: z._default(z.array(z.enum(['PULL_THROUGH_CACHE', 'REPLICATION', 'CREATE_ON_PUSH'])), ['PULL_THROUGH_CACHE']),
  imageTagMutability: z._default(z.enum(TAG_MUTABILITY_VALUES), 'MUTABLE'),
  imageTagMutabilityExclusionFilters: z._default(z.array(z.strictObject({ filterType: z.literal('WILDCARD'), filter: z.string() })), []),
  encryptionConfiguration: z.optional(z.strictObject({ encryptionType: z.enum(['AES256', 'KMS', 'KMS_DSSE']), kmsKey: z.optional(z.string()) })),
  lifecyclePolicy: z.optional(z.string()),
  repositoryPolicy: z.optional(z.string()),
  resourceTags: z._default(z.array(z.strictObject({ Key: z.string(), Value: z.string() })), []),
  customRoleArn: z.optional(z.string()),
  createdAt: z.optional(IsoTimestamp),
  updatedAt: z.optional(IsoTimestamp),
});

/** Secrets Manager metadata (DescribeSecret) of pull-through cache credentials: never a secret value. */
export const SnapshotSecret = z.strictObject({
  name: z.string().check(z.minLength(1)),
  arn: z.string().check(z.regex(/^arn:aws(?:-[a-z]+)*:secretsmanager:/, 'must be a Secrets Manager secret ARN')),
  createdDate: z.optional(IsoTimestamp),
  /** Set when the secret is scheduled for deletion. */
  deletedDate: z.optional(IsoTimestamp),
});

/**
 * What an upstream (public) reference pointed at when the snapshot was taken, so mirroring and lab
 * verification can plan offline. `subsetDigests` maps a sorted, comma-joined platform list to the
 * digest of the index a platform subset produces.
 */
export const SnapshotUpstreamImage = z.strictObject({
  reference: z.string().check(z.minLength(1)),
  digest: ImageDigest,
  mediaType: z.string(),
  platforms: z._default(z.array(z.string()), []),
  subsetDigests: z._default(z.record(z.string(), ImageDigest), {}),
});

/** The stack and account state lab verification reads (`ecr-autopilot verify --plan`). */
export const SnapshotStack = z.strictObject({
  name: z.string().check(z.minLength(1)),
  registryScanning: z._default(
    z.strictObject({
      scanType: z.enum(['BASIC', 'ENHANCED']),
      rules: z._default(z.array(z.strictObject({ scanFrequency: z.string(), filters: z.array(z.string()) })), []),
    }),
    { scanType: 'BASIC', rules: [] },
  ),
  eventRules: z._default(z.array(z.strictObject({ name: z.string(), state: z.string(), targets: z.array(z.string()) })), []),
  topic: z.optional(
    z.strictObject({
      arn: z.string(),
      subscriptions: z._default(z.array(z.strictObject({ protocol: z.string(), endpoint: z.string(), confirmed: z.boolean() })), []),
    }),
  ),
  /** IAM simulation results per role ARN: action → decision. */
  permissions: z._default(z.record(z.string(), z.record(z.string(), z.enum(['allowed', 'explicitDeny', 'implicitDeny']))), {}),
  /** The fleet's state machines (by name) and their last execution. */
  stateMachines: z._default(
    z.array(z.strictObject({ name: z.string(), lastExecution: z.optional(z.strictObject({ executionArn: z.string(), status: z.string(), startDate: z.string() })) })),
    [],
  ),
});

export const RegistrySnapshot = z.strictObject({
  description: z.optional(z.string()),
  registryId: AccountId,
  region: AwsRegion,
  capturedAt: z.optional(IsoTimestamp),
  repositories: z.array(SnapshotRepository),
  pullThroughCacheRules: z._default(z.array(SnapshotPtcRule), []),
  repositoryCreationTemplates: z._default(z.array(SnapshotCreationTemplate), []),
  secrets: z._default(z.array(SnapshotSecret), []),
  upstreamImages: z._default(z.array(SnapshotUpstreamImage), []),
  stack: z.optional(SnapshotStack),
});

export type RegistrySnapshot = z.output<typeof RegistrySnapshot>;
export type SnapshotRepository = z.output<typeof SnapshotRepository>;
export type SnapshotImage = z.output<typeof SnapshotImage>;
export type SnapshotPtcRule = z.output<typeof SnapshotPtcRule>;
export type SnapshotCreationTemplate = z.output<typeof SnapshotCreationTemplate>;
export type SnapshotSecret = z.output<typeof SnapshotSecret>;
export type SnapshotUpstreamImage = z.output<typeof SnapshotUpstreamImage>;
export type SnapshotStack = z.output<typeof SnapshotStack>;

/**
 * Lifecycle policy and image shapes, as ECR writes and returns them (aws-ecr-facts.md §2.1, §2.7).
 *
 * The value lists are declared once as `as const` arrays: the types derive from them and the
 * validator checks against the same arrays, so the two cannot drift apart.
 */

/** §2.1 `selection.tagStatus`. */
export const TAG_STATUSES = ['tagged', 'untagged', 'any'] as const;
export type TagStatus = (typeof TAG_STATUSES)[number];

/** §2.1 `selection.storageClass` (lower case in the policy; the preview uses upper case). */
export const RULE_STORAGE_CLASSES = ['standard', 'archive'] as const;
export type RuleStorageClass = (typeof RULE_STORAGE_CLASSES)[number];

/** §2.1 `selection.countType`. */
export const COUNT_TYPES = [
  'imageCountMoreThan',
  'sinceImagePushed',
  'sinceImagePulled',
  'sinceImageTransitioned',
] as const;
export type CountType = (typeof COUNT_TYPES)[number];

/** §2.1 `selection.countUnit`: the only unit ECR accepts. */
export const COUNT_UNITS = ['days'] as const;
export type CountUnit = (typeof COUNT_UNITS)[number];

/** §2.1 `action.type`. */
export const RULE_ACTION_TYPES = ['expire', 'transition'] as const;
export type RuleActionType = (typeof RULE_ACTION_TYPES)[number];

/** §2.1 `action.targetStorageClass`: only archive exists as a target. */
export const TARGET_STORAGE_CLASSES = ['archive'] as const;
export type TargetStorageClass = (typeof TARGET_STORAGE_CLASSES)[number];

/** Where an image is stored, as DescribeImages and the preview report it. */
export type ImageStorageClass = 'STANDARD' | 'ARCHIVE';

/** One rule's `selection` object, exactly as written in the policy JSON. */
export interface LifecycleRuleSelection {
  tagStatus: TagStatus;
  tagPatternList?: string[];
  tagPrefixList?: string[];
  storageClass?: RuleStorageClass;
  countType: CountType;
  countUnit?: CountUnit;
  countNumber: number;
}

/** One rule exactly as written in the policy JSON. */
export interface LifecycleRule {
  rulePriority: number;
  description?: string;
  selection: LifecycleRuleSelection;
  action: { type: RuleActionType; targetStorageClass?: TargetStorageClass };
}

/** The lifecycle policy document (`lifecyclePolicyText`, parsed). */
export interface LifecyclePolicyDocument {
  rules: LifecycleRule[];
}

/**
 * A rule after validation, with ECR's defaults filled in: `storageClass` is always present and the
 * tag lists are empty rather than absent.
 */
export interface LifecyclePolicyRule {
  readonly rulePriority: number;
  readonly description: string | undefined;
  readonly tagStatus: TagStatus;
  readonly tagPatternList: readonly string[];
  readonly tagPrefixList: readonly string[];
  readonly storageClass: RuleStorageClass;
  readonly countType: CountType;
  readonly countNumber: number;
  readonly action: RuleActionType;
}

/** A policy that passed every check ECR makes. Only `parseLifecyclePolicy` builds one. */
export interface LifecyclePolicy {
  /** Rules in the order ECR applies them: lowest `rulePriority` first. */
  readonly rules: readonly LifecyclePolicyRule[];
  /** The document as written, e.g. to send to PutLifecyclePolicy. */
  readonly document: LifecyclePolicyDocument;
}

/** What the evaluator needs to know about one image (a subset of DescribeImages' `imageDetails`). */
export interface LifecycleImage {
  imageDigest: string;
  imageTags: string[];
  imagePushedAt: Date;
  imageSizeInBytes?: number;
  lastRecordedPullTime?: Date;
  lastArchivedAt?: Date;
  lastActivatedAt?: Date;
  storageClass: ImageStorageClass;
  imageManifestMediaType?: string;
  artifactMediaType?: string;
  subjectManifestDigest?: string;
}

/** §2.7 `previewResults[].action`. */
export interface LifecyclePreviewAction {
  type: 'EXPIRE' | 'TRANSITION';
  targetStorageClass?: 'ARCHIVE';
}

/** §2.7 one entry of `previewResults`. */
export interface LifecyclePreviewResult {
  imageDigest: string;
  imageTags: string[];
  imagePushedAt: Date;
  action: LifecyclePreviewAction;
  appliedRulePriority: number;
  storageClass: ImageStorageClass;
}

/** The GetLifecyclePolicyPreview response body (§2.7), without the paging and status fields. */
export interface LifecyclePreview {
  previewResults: LifecyclePreviewResult[];
  summary: {
    expiringImageTotalCount: number;
    transitioningImageTotalCounts: Array<{ targetStorageClass: 'ARCHIVE'; imageTotalCount: number }>;
  };
}

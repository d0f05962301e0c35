/** ECR lifecycle policies offline: validation, evaluation (preview) and safe expiry planning. */
export type {
  CountType,
  CountUnit,
  ImageStorageClass,
  LifecycleImage,
  LifecyclePolicy,
  LifecyclePolicyDocument,
  LifecyclePolicyRule,
  LifecyclePreview,
  LifecyclePreviewAction,
  LifecyclePreviewResult,
  LifecycleRule,
  LifecycleRuleSelection,
  RuleActionType,
  RuleStorageClass,
  TagStatus,
  TargetStorageClass,
} from './types';
export { COUNT_TYPES, RULE_ACTION_TYPES, RULE_STORAGE_CLASSES, TAG_STATUSES } from './types';
export {
  DEFAULT_RULE_STORAGE_CLASS,
  formatLifecyclePolicyIssue,
  LifecyclePolicyError,
  MAX_POLICY_TEXT_LENGTH,
  MAX_RULES,
  MAX_WILDCARDS_PER_PATTERN,
  MIN_POLICY_TEXT_LENGTH,
  parseLifecyclePolicy,
  validateLifecyclePolicy,
  type LifecyclePolicyIssue,
} from './validateLifecyclePolicy';
export {
  ARCHIVE_MINIMUM_DAYS,
  evaluateLifecyclePolicy,
  MS_PER_DAY,
  type EvaluateLifecyclePolicyOptions,
} from './evaluateLifecyclePolicy';
export { describeLifecycleRule } from './describeLifecycleRule';
export {
  planExpiry,
  type ExpiryGraph,
  type ExpiryPlan,
  type KeptImage,
  type KeptReason,
  type PlanExpiryInput,
  type PlannedExpiry,
} from './planExpiry';
export { parseDescribeImagesOutput } from './describeImagesInput';
export { compileTagPattern, compileTagPrefix, countWildcards, matchesTag, type TagMatcher } from './tagPattern';

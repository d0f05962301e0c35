import type { TagMutability } from '../config/types';
import type { AutopilotDeps } from '../runtime/types';
import type { PtcStateReader } from './PtcStateReader';
import type { UpstreamRegistry } from './upstreams';

/**
 * The pull-through cache domain's data: what the configuration wants (`Desired…`), what the
 * registry has (`Actual…`, read through a `PtcStateReader`), and what the reconcile found.
 */

export type EncryptionType = 'AES256' | 'KMS' | 'KMS_DSSE';
export type TemplateAppliedFor = 'PULL_THROUGH_CACHE' | 'REPLICATION' | 'CREATE_ON_PUSH';

/** Repository creation template settings, in the shape of CreateRepositoryCreationTemplate (aws-ecr-facts §3.7). */
export interface TemplateSettings {
  description: string;
  appliedFor: TemplateAppliedFor[];
  imageTagMutability: TagMutability;
  /** Wildcard filters of the `*_WITH_EXCLUSION` mutabilities; empty otherwise. */
  imageTagMutabilityExclusions: string[];
  encryptionType: EncryptionType;
  kmsKey?: string;
  /** Canonical JSON text; absent means the created repositories get no lifecycle policy. */
  lifecyclePolicy?: string;
  resourceTags: Record<string, string>;
  /** The role ECR assumes to create the repositories (needed for KMS encryption and resource tags); its service-linked role when absent. */
  customRoleArn?: string;
}

/** A rule the configuration declares, resolved against the upstream catalogue. */
export interface DesiredPtcRule {
  /** `ecrRepositoryPrefix`, without a trailing `/`. */
  prefix: string;
  upstreamRegistry: UpstreamRegistry;
  upstreamRegistryUrl: string;
  /** Secret NAME (`ecr-pullthroughcache/…`); its ARN is read from Secrets Manager. */
  credentialSecret?: string;
  customRoleArn?: string;
  upstreamRepositoryPrefix?: string;
  /** Listed in `autoCreate`: created on the first failed pull, not by the sync. */
  onDemand: boolean;
  template: TemplateSettings;
}

export interface DesiredPtcState {
  rules: DesiredPtcRule[];
  /** Delete undeclared rules and replace rules whose upstream differs. */
  prune: boolean;
}

/** A rule as DescribePullThroughCacheRules returns it. */
export interface ActualPtcRule {
  prefix: string;
  upstreamRegistryUrl: string;
  upstreamRegistry?: string;
  credentialArn?: string;
  customRoleArn?: string;
  upstreamRepositoryPrefix?: string;
  createdAt?: Date;
  updatedAt?: Date;
}

/** A template as DescribeRepositoryCreationTemplates returns it (absent fields are ECR's defaults). */
export interface ActualTemplate {
  prefix: string;
  description?: string;
  appliedFor: string[];
  imageTagMutability?: string;
  imageTagMutabilityExclusions: string[];
  encryptionType?: string;
  kmsKey?: string;
  lifecyclePolicy?: string;
  resourceTags: Record<string, string>;
  customRoleArn?: string;
}

/** DescribeSecret metadata: never the secret value. */
export interface SecretMetadata {
  name: string;
  arn: string;
  /** Set when the secret is scheduled for deletion: ECR cannot read it. */
  deletedDate?: Date;
}

/** What ValidatePullThroughCacheRule says about a rule. */
export interface RuleValidation {
  isValid: boolean;
  failure?: string;
}

/** Everything the reconcile reads, once per run. */
export interface PtcState {
  rules: ActualPtcRule[];
  templates: ActualTemplate[];
  /** The declared credential secrets by name; undefined when DescribeSecret found none. */
  secrets: ReadonlyMap<string, SecretMetadata | undefined>;
  /**
   * Reads that failed, each with what to do (only a tolerant read, `ptc status`, records them; the
   * sync stops instead). What could not be read is `unknown` in the report, never guessed.
   */
  unreadable?: PtcReadFailures;
}

/** Reads of the pull-through cache state that failed: what, and the message with its fix. */
export interface PtcReadFailures {
  /** DescribePullThroughCacheRules failed. */
  rules?: string;
  /** DescribeRepositoryCreationTemplates failed. */
  templates?: string;
  /** DescribeSecret failed, by secret name. */
  secrets?: ReadonlyMap<string, string>;
}

/** Something wrong the reconcile cannot fix by itself, with what to do about it. */
export interface PtcProblem {
  code:
    | 'SECRET_MISSING'
    | 'SECRET_SCHEDULED_FOR_DELETION'
    | 'UPSTREAM_MISMATCH'
    | 'CREDENTIAL_NOT_REMOVABLE'
    | 'OVER_QUOTA'
    /** The template's KMS key is in another region than the one the template applies in. */
    | 'KMS_KEY_REGION'
    | 'VALIDATION_FAILED'
    | 'CHANGE_FAILED'
    /** A read failed (ptc status goes on): the message says which and what to do. */
    | 'READ_FAILED';
  message: string;
  fix: string;
  /** A command that fixes it, e.g. `aws secretsmanager create-secret …` (placeholders, never values). */
  command?: string;
}

/** Where a declared or existing rule stands. */
export type PtcRuleStatus =
  /** Exists as declared, with its template. */
  | 'in-sync'
  /** Will be created (or is, in live mode). */
  | 'create'
  /** Its credential, role or template will be updated. */
  | 'update'
  /** Its upstream differs: deleted and created again (prune only). */
  | 'replace'
  /** Listed in autoCreate and not created yet: waits for the first failed pull. */
  | 'on-demand'
  /** Cannot be created or updated until a problem is fixed (missing secret, quota, a KMS key in another region). */
  | 'blocked'
  /** Exists but differs in a way only prune may fix. */
  | 'drifted'
  /** Exists, not declared: reported (deleted with prune). */
  | 'unmanaged'
  /** Not declared and deleted (prune). */
  | 'delete'
  /** The rules could not be read (ptc status): where it stands is not known. */
  | 'unknown';

/** One line of the reconcile report: a declared rule, or an existing undeclared one. */
export interface PtcRuleReport {
  prefix: string;
  declared: boolean;
  onDemand: boolean;
  status: PtcRuleStatus;
  exists: boolean;
  /** The declared URL, or the existing one for undeclared rules. */
  upstreamRegistryUrl: string;
  /** False when the existing rule's upstream differs from the declared one. */
  upstreamMatches?: boolean;
  /** `none` (anonymous upstream), `ok`, `missing`, `scheduled-for-deletion`, `changed` (will be updated), `unknown` (DescribeSecret failed). */
  credential: 'none' | 'ok' | 'missing' | 'scheduled-for-deletion' | 'changed' | 'unknown';
  credentialSecret?: string;
  /** `ok`, `missing`/`differs` (will be created/updated), `none` (undeclared rule: not managed), `unknown` (the templates could not be read). */
  template: 'ok' | 'missing' | 'differs' | 'none' | 'unknown';
  /** Filled after the changes are applied, for rules with a credential. */
  validation?: RuleValidation | 'pending';
  /** Why the status is what it is, one sentence per change or finding. */
  reasons: string[];
  problems: PtcProblem[];
}

/** What the pull-through cache functions depend on: the shared deps, plus the PTC state reader. */
export interface PtcDeps extends Pick<AutopilotDeps, 'config' | 'writer' | 'topicArn' | 'clock' | 'logger' | 'signal' | 'deadline'> {
  ptc: PtcStateReader;
}

/**
 * One error vocabulary for the whole project.
 *
 * Adapters translate foreign errors (AWS SDK exceptions, registry HTTP errors) into an
 * `AutopilotError` with a code at the boundary, and rethrow what they do not recognise.
 * Messages are safe to show to a user: they never contain secrets or credentials.
 */

/** Why something failed. Callers branch on the code, never on the message. */
export type ErrorCode =
  /** An incoming event does not match its schema. The user (or a test) sent a bad event. */
  | 'EVENT_INVALID'
  /** A CLI argument or option is wrong. */
  | 'USAGE'
  /** `infra/autopilot.yml` (or the file `AUTOPILOT_CONFIG` names) is invalid. */
  | 'CONFIG_INVALID'
  /** A required environment variable is missing or malformed. */
  | 'ENV_INVALID'
  /** A registry snapshot file (plan mode) is invalid. */
  | 'SNAPSHOT_INVALID'
  /** A lifecycle policy document breaks one of ECR's rules. */
  | 'LIFECYCLE_POLICY_INVALID'
  /** ECR says the repository does not exist. */
  | 'REPOSITORY_NOT_FOUND'
  /** ECR says the image does not exist. */
  | 'IMAGE_NOT_FOUND'
  /** No scan exists for the image, or scanning is not enabled. */
  | 'SCAN_NOT_FOUND'
  /** AWS or a registry throttled us and retries ran out. */
  | 'THROTTLED'
  /** A service quota is reached (e.g. the 50 pull-through cache rules per registry). */
  | 'LIMIT_EXCEEDED'
  /** The caller lacks a permission. */
  | 'ACCESS_DENIED'
  /** A secret could not be read, or its content is unusable. */
  | 'SECRET_INVALID'
  /** Delivering a notification failed (SNS, Slack). */
  | 'NOTIFY_FAILED'
  /** An OCI registry answered with an error. */
  | 'REGISTRY_ERROR'
  /** Registry authentication failed. */
  | 'REGISTRY_UNAUTHORIZED'
  /** Content did not match its digest or size. */
  | 'DIGEST_MISMATCH'
  /** The work was cancelled (Lambda about to time out, or the user pressed Ctrl-C). */
  | 'ABORTED'
  /** Another run changed the same state record first (optimistic concurrency): read it again. */
  | 'STATE_CONFLICT'
  /** No AWS region, or no usable AWS credentials, for a run that needs AWS. */
  | 'AWS_NOT_CONFIGURED'
  /** An AWS call failed for a reason we do not classify. */
  | 'AWS_ERROR'
  /** A bug: something we assumed could not happen did. */
  | 'INTERNAL';

/** Whose fault the error is: `user` errors are fixed by changing input, `system` ones by retrying or by us. */
export type ErrorSource = 'user' | 'system';

export interface AutopilotErrorOptions {
  cause?: unknown;
  source?: ErrorSource;
  /** True when trying again later may succeed (throttling, 5xx). */
  retryable?: boolean;
}

const USER_CODES: ReadonlySet<ErrorCode> = new Set([
  'EVENT_INVALID',
  'USAGE',
  'CONFIG_INVALID',
  'ENV_INVALID',
  'SNAPSHOT_INVALID',
  'LIFECYCLE_POLICY_INVALID',
  'AWS_NOT_CONFIGURED',
]);

export class AutopilotError extends Error {
  readonly code: ErrorCode;
  readonly source: ErrorSource;
  readonly retryable: boolean;

  constructor(code: ErrorCode, message: string, options: AutopilotErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AutopilotError';
    this.code = code;
    this.source = options.source ?? (USER_CODES.has(code) ? 'user' : 'system');
    this.retryable = options.retryable ?? false;
  }
}

/** One problem found while validating input: where it is, what is wrong, and how to fix it. */
export interface ValidationIssue {
  /** Dotted path to the offending field, e.g. `detail.image-digest` or `repositoryClasses[2].match`. */
  path: string;
  message: string;
  /** What to change, when we can say. */
  fix?: string;
}

export function formatIssue(issue: ValidationIssue): string {
  const where = issue.path === '' ? '(root)' : issue.path;
  return issue.fix ? `${where}: ${issue.message} (fix: ${issue.fix})` : `${where}: ${issue.message}`;
}

/** A malformed or unsupported event. Nothing has been changed when this is thrown. */
export class EventValidationError extends AutopilotError {
  readonly issues: readonly ValidationIssue[];
  readonly eventId: string | undefined;
  /** What was invalid, without the issues: for hosts that list `issues` one per line. */
  readonly headline: string;

  constructor(what: string, issues: readonly ValidationIssue[], eventId?: string) {
    const headline = `Invalid ${what}${eventId ? ` (event id ${eventId})` : ''}`;
    const first = issues.slice(0, 5).map(formatIssue).join('; ');
    const more = issues.length > 5 ? ` (and ${issues.length - 5} more)` : '';
    super('EVENT_INVALID', `${headline}: ${first}${more}`);
    this.name = 'EventValidationError';
    this.issues = issues;
    this.eventId = eventId;
    this.headline = headline;
  }
}

/** Invalid configuration: every problem at once, each with its path and fix. */
export class ConfigError extends AutopilotError {
  readonly issues: readonly ValidationIssue[];

  /** What was invalid, without the issues: for hosts that list `issues` one per line. */
  readonly headline: string;

  constructor(file: string, issues: readonly ValidationIssue[]) {
    super('CONFIG_INVALID', `Invalid configuration ${file}:\n${issues.map((i) => `  - ${formatIssue(i)}`).join('\n')}`);
    this.name = 'ConfigError';
    this.issues = issues;
    this.headline = `Invalid configuration ${file}`;
  }
}

export function isAutopilotError(error: unknown): error is AutopilotError {
  return error instanceof AutopilotError;
}

/**
 * True when `error` is an `AutopilotError` with one of `codes`.
 *
 * @example
 * if (!hasErrorCode(error, 'REPOSITORY_NOT_FOUND')) throw error;
 */
export function hasErrorCode(error: unknown, ...codes: readonly ErrorCode[]): error is AutopilotError {
  return error instanceof AutopilotError && codes.includes(error.code);
}

/** A readable one-line description of any thrown value, for logs and reports. */
export function describeError(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}

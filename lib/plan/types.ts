import type { CallOptions } from '../shared/retry';

/**
 * The plan seam. Every action that changes AWS is first a `Change` (data: what, on what, why);
 * a `ChangeWriter` then applies it. In plan mode the writer only records, so dry-run, the demo and
 * readable reports all come from the same code path as enforcement.
 */

/** One intended change. Domain modules extend it with the parameters they need. */
export interface Change {
  /** `service:Operation`, e.g. `ecr:PutLifecyclePolicy`, `sns:Publish`, `oci:CopyImage`. */
  action: string;
  /** What it acts on, e.g. a repository name or a topic ARN. */
  target: string;
  /** Why, in a sentence a user understands. */
  reason: string;
}

/** A per-item failure inside a batch call (e.g. one image of a BatchDeleteImage). */
export interface ItemFailure {
  item: string;
  code: string;
  reason: string;
  /** True when the failure is an expected outcome, not an error (e.g. ImageReferencedByManifestList). */
  expected?: boolean;
}

export interface ChangeOutcome {
  /**
   * `applied` (done), `planned` (plan mode: not done), `failed` (tried and failed), `stopped` (not
   * done because the run stopped first, at its deadline or on Ctrl-C; the message says why, and
   * whether it was cut short while in progress).
   */
  status: 'applied' | 'planned' | 'failed' | 'stopped';
  /** Extra detail, e.g. "rule already existed" or the error message. */
  message?: string;
  /** Per-item results of batch changes, never dropped. */
  failures?: ItemFailure[];
  /** Items a batch change completed (e.g. deleted image digests). */
  completed?: string[];
  /** Small structured results (e.g. the digest a copy produced, bytes moved). */
  data?: Readonly<Record<string, string | number | boolean>>;
}

export interface AppliedChange<C extends Change = Change> {
  change: C;
  outcome: ChangeOutcome;
}

/**
 * What one `apply` call is made under, as ggcr passes `ctx`: writers are built once per container
 * (or per CLI run), so an invocation's signal reaches them with each call, never through a field.
 */
export interface ApplyOptions extends CallOptions {
  /** Cancels this change: the writer hands it to every call it makes (SDK `abortSignal`, registry requests). */
  signal?: AbortSignal | undefined;
}

/** Applies changes of type C. Live writers call AWS; the planning writer records. */
export interface ChangeWriter<C extends Change = Change> {
  apply(change: C, options: ApplyOptions): Promise<ChangeOutcome>;
}

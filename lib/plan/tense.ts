/**
 * Reports say what happened to their changes in the mood of what happened: a plan "would publish",
 * an applied change "published", a failed one "could not publish", one the run stopped before "did
 * not publish". The outcome decides, so the same use case speaks correctly live and in plan mode.
 */
import type { AppliedChange, ChangeOutcome } from './types';

/** A verb in the two forms a report needs. */
export interface Verb {
  /** `publish` */
  base: string;
  /** `published` */
  past: string;
}

export const PUBLISH: Verb = { base: 'publish', past: 'published' };
export const POST: Verb = { base: 'post', past: 'posted' };
export const FIX: Verb = { base: 'fix', past: 'fixed' };
export const EXPIRE: Verb = { base: 'expire', past: 'expired' };
export const COPY: Verb = { base: 'copy', past: 'copied' };
export const CREATE: Verb = { base: 'create', past: 'created' };
export const TELL: Verb = { base: 'tell', past: 'told' };
export const APPLY: Verb = { base: 'apply', past: 'applied' };
export const MAKE: Verb = { base: 'make', past: 'made' };
export const REPORT: Verb = { base: 'report', past: 'reported' };

/**
 * The status that describes a group of changes: any failure, else any stop, else `planned` (a
 * plan records every change as planned), else `applied`; undefined for no changes.
 *
 * @example
 * statusOf(await applyChanges(writer, changes)); // 'planned' under a PlanningWriter
 */
export function statusOf(changes: readonly AppliedChange[]): ChangeOutcome['status'] | undefined {
  const statuses = new Set(changes.map(({ outcome }) => outcome.status));
  for (const status of ['failed', 'stopped', 'planned', 'applied'] as const) if (statuses.has(status)) return status;
  return undefined;
}

/**
 * `verb` for changes in `status`: `would publish`, `published`, `could not publish`, `did not publish`.
 *
 * @example
 * `${tell(statusOf(published), PUBLISH)} the push summary` // 'would publish the push summary'
 */
export function tell(status: ChangeOutcome['status'] | undefined, verb: Verb): string {
  switch (status) {
    case 'planned':
      return `would ${verb.base}`;
    case 'failed':
      return `could not ${verb.base}`;
    case 'stopped':
      return `did not ${verb.base}`;
    default:
      return verb.past;
  }
}

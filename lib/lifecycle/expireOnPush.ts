import type { RepositoryClass } from '../config/types';
import type { BatchDeleteImageChange } from '../ecr/changes';
import type { EventOrigin } from '../events/envelope';
import { noticeOriginOf, publishNotice } from '../notify/changes';
import { REPEAT_WINDOW_SECONDS } from '../notify/repeatWindows';
import { hasErrorCode } from '../errors';
import { applyChanges, firedSignal, type RunSignals, stopReason } from '../plan/applyChanges';
import type { AppliedChange, ChangeWriter } from '../plan/types';
import type { AutopilotDeps } from '../runtime/types';
import { DEFAULT_MAX_DELETIONS_PER_RUN, expireRepository } from './expireRepository';
import { buildLedgerNotices } from './ledger';
import { EXPIRE_ON_PUSH_WINDOW_SECONDS, sharedDeletionCap } from './sharedDeletionCap';
import type { StateStore } from '../state/StateStore';

/**
 * Expiry right after a push, for classes with `expireOnPush`: the same evaluation and safety rules
 * as the sweep, for one repository, without waiting for ECR's engine (up to 24 h). Publishes a
 * ledger when anything was (or would be) expired or failed.
 *
 * A burst of pushes runs many invocations at once, so the deletion cap
 * (`lifecycle.maxDeletionsPerRun`) is shared by all of them within the hour (`sharedDeletionCap`
 * over the state table), not one cap each. A push whose expiry only failed (e.g. access denied)
 * repeats with every push: its ledger is published once an hour per repository and failure, and the
 * next one carries the count (`withRepeatWindows`).
 *
 * Under the invocation's stop (`deps.stop`, see `handleImagePush`) nothing more is read or deleted,
 * the deletion in flight finishes, and the ledger says what was done and that the run stopped; it
 * is published after the stop, under the outright cancel (`deps.signal`) only.
 *
 * @example
 * const changes = await expireOnPush('team-a/api', servicesClass, origin, deps);
 */
export async function expireOnPush(
  repositoryName: string,
  repositoryClass: RepositoryClass,
  origin: EventOrigin,
  deps: Pick<AutopilotDeps, 'config' | 'registry' | 'writer' | 'topicArn' | 'signal'> & { now: Date; state: StateStore; stop?: AbortSignal | undefined },
): Promise<AppliedChange[]> {
  const run: RunSignals = { signal: deps.signal, stop: deps.stop };
  const maxDeletions = deps.config.lifecycle?.maxDeletionsPerRun ?? DEFAULT_MAX_DELETIONS_PER_RUN;
  const sharedCap = sharedDeletionCap(deps.state, { scope: 'expire-on-push', cap: maxDeletions, windowSeconds: EXPIRE_ON_PUSH_WINDOW_SECONDS, now: deps.now });
  const expiry = await expireRepository(
    repositoryName,
    repositoryClass,
    { registry: deps.registry, writer: deps.writer as ChangeWriter<BatchDeleteImageChange>, now: deps.now },
    { maxDeletions, sharedCap, ...run },
  ).catch((error: unknown) => {
    // The stop came while the images were read: nothing was deleted; the next push or the sweep evaluates them.
    if (hasErrorCode(error, 'ABORTED') && firedSignal(run)) return undefined;
    throw error;
  });
  if (!expiry) return [];
  const stopped = firedSignal(run);
  if (expiry.expired.length === 0 && expiry.failures.length === 0) return expiry.deletions;
  const notices = buildLedgerNotices([{ repositoryName, repositoryClass: repositoryClass.name, governance: [], expiry }], {
    trigger: 'push',
    dryRun: expiry.deletions.some((applied) => applied.outcome.status === 'planned'),
    repositoriesScanned: 1,
    capReached: expiry.plan.kept.some((kept) => kept.reason === 'cap-reached'),
    ...(stopped ? { stoppedEarly: stopReason(stopped) } : {}),
    idBase: origin.eventId,
    occurredAt: origin.time,
    origin: noticeOriginOf(origin),
  });
  const onlyFailed = expiry.expired.length === 0;
  const repeat = onlyFailed
    ? { scope: repositoryName, cause: [...new Set(expiry.failures.map((failure) => failure.code))].sort().join('+'), windowSeconds: REPEAT_WINDOW_SECONDS }
    : undefined;
  const published = await applyChanges(deps.writer, notices.map((notice) => publishNotice(deps.topicArn, notice, `expiry ledger for ${repositoryName}`, repeat)), { signal: deps.signal });
  return [...expiry.deletions, ...published];
}

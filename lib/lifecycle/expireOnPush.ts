import type { RepositoryClass } from '../config/types';
import type { BatchDeleteImageChange } from '../ecr/changes';
import type { EventOrigin } from '../events/envelope';
import { noticeOriginOf, publishNotice } from '../notify/changes';
import { applyChanges } from '../plan/applyChanges';
import type { AppliedChange, ChangeWriter } from '../plan/types';
import type { AutopilotDeps } from '../runtime/types';
import { DEFAULT_MAX_DELETIONS_PER_RUN, expireRepository } from './expireRepository';
import { buildLedgerNotices } from './ledger';

/**
 * Expiry right after a push, for classes with `expireOnPush`: the same evaluation and safety rules
 * as the sweep, for one repository, without waiting for ECR's engine (up to 24 h). Publishes a
 * ledger when anything was (or would be) expired or failed.
 *
 * @example
 * const changes = await expireOnPush('team-a/api', servicesClass, origin, deps);
 */
export async function expireOnPush(
  repositoryName: string,
  repositoryClass: RepositoryClass,
  origin: EventOrigin,
  deps: Pick<AutopilotDeps, 'config' | 'registry' | 'writer' | 'topicArn' | 'signal'> & { now: Date },
): Promise<AppliedChange[]> {
  const expiry = await expireRepository(
    repositoryName,
    repositoryClass,
    { registry: deps.registry, writer: deps.writer as ChangeWriter<BatchDeleteImageChange>, now: deps.now },
    { maxDeletions: deps.config.lifecycle?.maxDeletionsPerRun ?? DEFAULT_MAX_DELETIONS_PER_RUN, signal: deps.signal },
  );
  if (!expiry) return [];
  if (expiry.expired.length === 0 && expiry.failures.length === 0) return expiry.deletions;
  const notices = buildLedgerNotices([{ repositoryName, repositoryClass: repositoryClass.name, governance: [], expiry }], {
    trigger: 'push',
    dryRun: expiry.deletions.some((applied) => applied.outcome.status === 'planned'),
    repositoriesScanned: 1,
    capReached: expiry.plan.kept.some((kept) => kept.reason === 'cap-reached'),
    idBase: origin.eventId,
    occurredAt: origin.time,
    origin: noticeOriginOf(origin),
  });
  const published = await applyChanges(deps.writer, notices.map((notice) => publishNotice(deps.topicArn, notice, `expiry ledger for ${repositoryName}`)), { signal: deps.signal });
  return [...expiry.deletions, ...published];
}

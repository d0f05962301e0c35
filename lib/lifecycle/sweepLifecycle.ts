import * as z from 'zod/mini';
import { matchRepositoryClass } from '../config/matchRepositoryClass';
import { compileRepositoryGlobs } from '../config/repositoryGlob';
import type { BatchDeleteImageChange, GovernanceChange } from '../ecr/changes';
import { ScheduledEvent } from '../events/scheduled';
import { publishNotice, registryNoticeOrigin } from '../notify/changes';
import { applyChanges } from '../plan/applyChanges';
import type { ChangeWriter } from '../plan/types';
import type { AutopilotDeps, FunctionDefinition, FunctionReport } from '../runtime/types';
import { outcomeOf } from '../runtime/types';
import { DEFAULT_MAX_DELETIONS_PER_RUN } from './expireRepository';
import { buildLedgerNotices, type RepositoryLifecycleResult } from './ledger';
import { DeletionBudget, sweepRepository } from './sweepRepository';

/** A manual invoke: optionally limited to some repositories, with another cap. `{}` sweeps everything. */
export const ManualSweepInput = z.strictObject({
  /** Repository-name globs to sweep (default: every repository). */
  repositories: z.optional(z.array(z.string().check(z.minLength(1))).check(z.minLength(1))),
  /** Overrides `lifecycle.maxDeletionsPerRun` for this run. */
  maxDeletions: z.optional(z.int().check(z.gte(0))),
});

export const SweepLifecycleEvent = z.union([ScheduledEvent, ManualSweepInput]);
export type SweepLifecycleEvent = z.output<typeof SweepLifecycleEvent>;

export type SweepDeps = Pick<AutopilotDeps, 'config' | 'registry' | 'writer' | 'topicArn' | 'clock' | 'logger' | 'signal'>;

/**
 * `sweepLifecycle`: the daily (and manual) pass over every repository.
 *
 * Input: a scheduled event, or a manual `{ repositories?, maxDeletions? }`. Output: a report with
 * every change, and one ledger notice for the whole run.
 * 1. List every repository (all pages).
 * 2. For each governed one: fix governance drift (lifecycle policy, scan on push, mutability), then
 *    expire what its policy selects now, with the safety rules and the run's remaining deletion cap.
 *    A failure in one repository is recorded and the sweep goes on.
 * 3. Stop early, cleanly, when the Lambda deadline approaches (the signal), and say so.
 * 4. Publish one deletion ledger (split into parts only when it would not fit one message).
 *
 * @example
 * await sweepLifecycle({}, deps); // a manual sweep of everything
 */
export async function sweepLifecycle(event: SweepLifecycleEvent, deps: SweepDeps): Promise<FunctionReport> {
  const scheduled = 'detail-type' in event;
  const manual = scheduled ? {} : event;
  const now = deps.clock();
  const eventId = scheduled ? event.id : `manual-sweep-${now.toISOString()}`;
  const selected = manual.repositories ? compileRepositoryGlobs(manual.repositories) : () => true;
  const budget = new DeletionBudget(manual.maxDeletions ?? deps.config.lifecycle?.maxDeletionsPerRun ?? DEFAULT_MAX_DELETIONS_PER_RUN);
  const writer = deps.writer as ChangeWriter<GovernanceChange | BatchDeleteImageChange>;

  const results: RepositoryLifecycleResult[] = [];
  let scanned = 0;
  let ungoverned = 0;
  let stoppedEarly: string | undefined;
  for await (const repository of deps.registry.listRepositories()) {
    if (deps.signal?.aborted) {
      stoppedEarly = 'the time budget ran out; the next run starts over, and repositories already in line go quickly';
      break;
    }
    if (!selected(repository.repositoryName)) continue;
    scanned += 1;
    const repositoryClass = matchRepositoryClass(deps.config, repository.repositoryName);
    if (!repositoryClass) {
      ungoverned += 1;
      continue;
    }
    results.push(await sweepRepository(repository, repositoryClass, { registry: deps.registry, writer, now, logger: deps.logger }, budget));
  }

  const applied = results.flatMap((result) => [...result.governance, ...(result.expiry?.deletions ?? [])]);
  const dryRun = applied.some((change) => change.outcome.status === 'planned');
  const changedSomething = results.some((r) => r.governance.length > 0 || (r.expiry?.expired.length ?? 0) > 0 || (r.expiry?.failures.length ?? 0) > 0 || r.error);
  // An early stop is always told: otherwise a registry too large for the time budget would leave the
  // repositories past the stop unswept, run after run, without anyone hearing of it.
  const notices = changedSomething || stoppedEarly !== undefined || deps.config.lifecycle?.notifyWhenUnchanged
    ? buildLedgerNotices(results, {
        trigger: 'sweep',
        dryRun,
        repositoriesScanned: scanned,
        capReached: budget.capReached,
        ...(stoppedEarly ? { stoppedEarly } : {}),
        idBase: eventId,
        occurredAt: now.toISOString(),
        origin: registryNoticeOrigin(deps.registry, eventId),
      })
    : [];
  const published = await applyChanges(deps.writer, notices.map((notice) => publishNotice(deps.topicArn, notice, `lifecycle ledger${notice.data.part ? ` part ${notice.data.part.index}` : ''}`)));

  const expired = results.reduce((n, r) => n + (r.expiry?.expired.length ?? 0), 0);
  const fixed = results.reduce((n, r) => n + r.governance.length, 0);
  const errors = results.filter((r) => r.error).length;
  const changes = [...applied, ...published];
  return {
    function: 'sweepLifecycle',
    eventId,
    outcome: errors > 0 ? 'failed' : outcomeOf(changes),
    decision:
      `Swept ${scanned} repositories (${ungoverned} not governed by any class): ${fixed} governance change(s), ${expired} image(s) ${dryRun ? 'to expire' : 'expired'}` +
      `${budget.capReached ? ', deletion cap reached' : ''}${errors > 0 ? `, ${errors} repositories failed` : ''}${stoppedEarly ? `; stopped early: ${stoppedEarly}` : ''}` +
      `${notices.length > 0 ? `; ledger published${notices.length > 1 ? ` in ${notices.length} parts` : ''}` : '; nothing changed, no ledger'}.`,
    changes,
  };
}

/** `sweepLifecycle`: daily schedule, and manual invokes (`{}`, or `{"repositories": ["team-a/**"]}`). */
export const sweepLifecycleFunction: FunctionDefinition<typeof SweepLifecycleEvent, SweepDeps> = {
  name: 'sweepLifecycle',
  eventName: 'lifecycle sweep event (a schedule, or a manual {"repositories"?, "maxDeletions"?})',
  eventSchema: SweepLifecycleEvent,
  run: sweepLifecycle,
};

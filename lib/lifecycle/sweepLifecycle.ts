import * as z from 'zod/mini';
import { matchRepositoryClass } from '../config/matchRepositoryClass';
import { compileRepositoryGlobs, RepositoryGlob } from '../config/repositoryGlob';
import type { BatchDeleteImageChange, GovernanceChange } from '../ecr/changes';
import { hasErrorCode } from '../errors';
import { ScheduledEvent } from '../events/scheduled';
import type { Repository } from '../ecr/types';
import { publishNotice, registryNoticeOrigin } from '../notify/changes';
import { applyChanges, type RunSignals } from '../plan/applyChanges';
import { PUBLISH, statusOf, tell } from '../plan/tense';
import { plural } from '../notify/present/format';
import type { ChangeWriter } from '../plan/types';
import { stopLine } from '../runtime/deadline';
import type { AutopilotDeps, FunctionDefinition, FunctionReport } from '../runtime/types';
import { outcomeOf } from '../runtime/types';
import type { StateRecord, StateStore } from '../state/StateStore';
import { DEFAULT_MAX_DELETIONS_PER_RUN } from './expireRepository';
import { buildLedgerNotices, type RepositoryLifecycleResult } from './ledger';
import { describeContinuation, SWEEP_CURSOR_TTL_SECONDS, type SweepCursor, sweepCursorKey, sweepOrder } from './sweepCursor';
import { DeletionBudget, sweepRepository } from './sweepRepository';

/** A manual invoke: optionally limited to some repositories, with another cap. `{}` sweeps everything. */
export const ManualSweepInput = z.strictObject({
  /** Repository-name globs to sweep (default: every repository); a glob no ECR name can match is rejected. */
  repositories: z.optional(z.array(RepositoryGlob).check(z.minLength(1))),
  /** Overrides `lifecycle.maxDeletionsPerRun` for this run. */
  maxDeletions: z.optional(z.int().check(z.gte(0))),
});

export const SweepLifecycleEvent = z.union([ScheduledEvent, ManualSweepInput]);
export type SweepLifecycleEvent = z.output<typeof SweepLifecycleEvent>;

export type SweepDeps = Pick<AutopilotDeps, 'config' | 'registry' | 'writer' | 'topicArn' | 'clock' | 'logger' | 'signal' | 'deadline'> & {
  /** Where a stopped sweep resumes (the state table; in memory in plan mode). */
  state: StateStore;
};

/**
 * A sweep stops starting repositories this long before its deadline: enough for the deletion in
 * flight to finish (a throttled BatchDeleteImage backs off for seconds), the cursor to be saved and
 * the ledger (possibly in parts) to be published before Lambda's backstop.
 */
export const SWEEP_STOP_MARGIN_MS = 30_000;

/** The sweep's report: the function report plus where it stopped, for the next run and the fleet. */
export interface SweepReport extends FunctionReport {
  /** Set when this run continued where an earlier one stopped. */
  continuedFrom?: string;
  /** Set when this run stopped before its end: the repository the next run starts at, and how many it did not finish. */
  resume?: { nextRepository: string; notFinished: number };
}

/**
 * `sweepLifecycle`: the daily (and manual) pass over every repository.
 *
 * Input: a scheduled event, or a manual `{ repositories?, maxDeletions? }`. Output: a report with
 * every change, and one ledger notice for the whole run.
 * 1. List every repository (all pages) and order the selected ones by name, starting where the last
 *    run of the same scope stopped, if it did (the cursor in the state table).
 * 2. For each governed one: fix governance drift (lifecycle policy, scan on push, mutability), then
 *    expire what its policy selects now, with the safety rules and the run's remaining deletion cap.
 *    A failure in one repository is recorded and the sweep goes on.
 * 3. Own the deadline: stop starting work `SWEEP_STOP_MARGIN_MS` before it (or on Ctrl-C); the
 *    deletion in flight finishes, nothing new starts. Record the first repository not finished, so
 *    the next run continues there; a run that went all the way round clears the cursor.
 * 4. Publish one deletion ledger (split into parts only when it would not fit one message): what was
 *    done, what was not, and why; "continued from …" when it resumed.
 *
 * @example
 * await sweepLifecycle({}, deps); // a manual sweep of everything
 */
export async function sweepLifecycle(event: SweepLifecycleEvent, deps: SweepDeps): Promise<SweepReport> {
  const scheduled = 'detail-type' in event;
  const manual = scheduled ? {} : event;
  const now = deps.clock();
  const eventId = scheduled ? event.id : `manual-sweep-${now.toISOString()}`;
  const selected = manual.repositories ? compileRepositoryGlobs(manual.repositories) : () => true;
  const budget = new DeletionBudget(manual.maxDeletions ?? deps.config.lifecycle?.maxDeletionsPerRun ?? DEFAULT_MAX_DELETIONS_PER_RUN);
  const writer = deps.writer as ChangeWriter<GovernanceChange | BatchDeleteImageChange>;
  const cursorKey = sweepCursorKey(manual.repositories);

  const results: RepositoryLifecycleResult[] = [];
  let scanned = 0;
  let ungoverned = 0;
  let continuedFrom: string | undefined;
  let resume: SweepReport['resume'];
  const stop = stopLine(deps, SWEEP_STOP_MARGIN_MS);
  try {
    const run: RunSignals = { signal: deps.signal, stop: stop.signal };
    const listed = await listSelected(deps, selected, stop.signal);
    const cursor = listed && (await deps.state.get<SweepCursor>(cursorKey, { signal: stop.signal }).catch(stoppedAs(stop.signal, undefined)));
    if (cursor) continuedFrom = describeContinuation(cursor);
    const order = listed ? sweepOrder(listed, cursor?.data.nextRepository) : [];

    for (const [index, repository] of order.entries()) {
      if (stop.signal.aborted) {
        resume = { nextRepository: repository.repositoryName, notFinished: order.length - index };
        break;
      }
      scanned += 1;
      const repositoryClass = matchRepositoryClass(deps.config, repository.repositoryName);
      if (!repositoryClass) {
        ungoverned += 1;
        continue;
      }
      const result = await sweepRepository(repository, repositoryClass, { registry: deps.registry, writer, now, logger: deps.logger }, budget, run);
      results.push(result);
      // Cut short by the stop (a read abandoned, a change or batch not made): the next run starts with it.
      if (result.unfinished) {
        resume = { nextRepository: repository.repositoryName, notFinished: order.length - index };
        break;
      }
    }
    await saveCursor(deps, cursorKey, cursor, resume, { runId: eventId, at: now, reason: stop.reason });
  } finally {
    stop.dispose();
  }
  const stoppedEarly = stop.reason;

  const applied = results.flatMap((result) => [...result.governance, ...(result.expiry?.deletions ?? [])]);
  const dryRun = applied.some((change) => change.outcome.status === 'planned');
  const changedSomething = results.some((r) => r.governance.length > 0 || (r.expiry?.expired.length ?? 0) > 0 || (r.expiry?.failures.length ?? 0) > 0 || r.error);
  // An early stop is always told: otherwise a registry too large for the time budget would leave the
  // repositories past the stop unswept, run after run, without anyone hearing of it.
  const notices =
    changedSomething || stoppedEarly !== undefined || continuedFrom !== undefined || deps.config.lifecycle?.notifyWhenUnchanged
      ? buildLedgerNotices(results, {
          trigger: 'sweep',
          dryRun,
          repositoriesScanned: scanned,
          capReached: budget.capReached,
          ...(stoppedEarly ? { stoppedEarly } : {}),
          ...(continuedFrom ? { continuedFrom } : {}),
          ...(resume ? { resume } : {}),
          idBase: eventId,
          occurredAt: now.toISOString(),
          origin: registryNoticeOrigin(deps.registry, eventId),
        })
      : [];
  // Published under the outright cancel only: the report goes out after the stop, that is what the margin is for.
  const published = await applyChanges(
    deps.writer,
    notices.map((notice) => publishNotice(deps.topicArn, notice, `lifecycle ledger${notice.data.part ? ` part ${notice.data.part.index}` : ''}`)),
    { signal: deps.signal },
  );

  const expired = results.reduce((n, r) => n + (r.expiry?.expired.length ?? 0), 0);
  const fixed = results.reduce((n, r) => n + r.governance.filter((change) => change.outcome.status !== 'stopped').length, 0);
  const errors = results.filter((r) => r.error).length;
  const changes = [...applied, ...published];
  const stopText = stoppedEarly
    ? `; stopped early (${stoppedEarly})${resume ? `: ${resume.notFinished} repositories not finished, the next run starts at ${resume.nextRepository}` : ''}`
    : '';
  return {
    function: 'sweepLifecycle',
    eventId,
    outcome: errors > 0 ? 'failed' : outcomeOf(changes),
    decision:
      `${continuedFrom ? `Continued a stopped sweep (${continuedFrom}). ` : ''}` +
      `Swept ${scanned} repositories (${ungoverned} not governed by any class): ${dryRun ? 'would fix' : 'fixed'} ${plural(fixed, 'setting')}, ${dryRun ? 'would expire' : 'expired'} ${plural(expired, 'image')}` +
      `${budget.capReached ? ', deletion cap reached' : ''}${errors > 0 ? `, ${errors} repositories failed` : ''}${stopText}` +
      `${notices.length > 0 ? `; ${tell(statusOf(published), PUBLISH)} the ledger${notices.length > 1 ? ` in ${notices.length} parts` : ''}` : '; nothing changed, no ledger'}.`,
    changes,
    ...(stoppedEarly ? { stoppedEarly } : {}),
    ...(continuedFrom ? { continuedFrom } : {}),
    ...(resume ? { resume } : {}),
  };
}

/** Every repository the run selects, or undefined when the stop came before the listing was complete. */
async function listSelected(deps: Pick<SweepDeps, 'registry'>, selected: (name: string) => boolean, signal: AbortSignal): Promise<Repository[] | undefined> {
  const repositories: Repository[] = [];
  try {
    for await (const repository of deps.registry.listRepositories({ signal })) if (selected(repository.repositoryName)) repositories.push(repository);
  } catch (error) {
    if (hasErrorCode(error, 'ABORTED') && signal.aborted) return undefined;
    throw error;
  }
  return repositories;
}

/** A rejection handler that turns a cancellation by `signal` into `value` and rethrows anything else. */
export function stoppedAs<T>(signal: AbortSignal, value: T): (error: unknown) => T {
  return (error) => {
    if (hasErrorCode(error, 'ABORTED') && signal.aborted) return value;
    throw error;
  };
}

/**
 * Records where the next run starts (a stopped run), or clears the cursor (a run that finished the
 * scope). Written under the outright cancel, after the stop. A concurrent sweep of the same scope
 * that wrote first wins: its record is newer.
 */
async function saveCursor(
  deps: Pick<SweepDeps, 'state' | 'signal' | 'logger'>,
  key: ReturnType<typeof sweepCursorKey>,
  previous: StateRecord<SweepCursor> | undefined,
  resume: SweepReport['resume'],
  run: { runId: string; at: Date; reason: string | undefined },
): Promise<void> {
  try {
    if (resume) {
      const cursor: SweepCursor = { nextRepository: resume.nextRepository, stoppedRunId: run.runId, stoppedAt: new Date().toISOString(), reason: run.reason ?? 'stopped' };
      await deps.state.put(key, cursor, { expectedVersion: previous?.version ?? 0, expiresAt: Math.floor(run.at.getTime() / 1000) + SWEEP_CURSOR_TTL_SECONDS, signal: deps.signal });
    } else if (previous) {
      await deps.state.delete(key, { expectedVersion: previous.version, signal: deps.signal });
    }
  } catch (error) {
    if (!hasErrorCode(error, 'STATE_CONFLICT')) throw error;
    deps.logger.warn('Another sweep of the same scope recorded where it stopped first; keeping its cursor', { key: `${key.pk} / ${key.sk}` });
  }
}

/** `sweepLifecycle`: daily schedule, and manual invokes (`{}`, or `{"repositories": ["team-a/**"]}`). */
export const sweepLifecycleFunction: FunctionDefinition<typeof SweepLifecycleEvent, SweepDeps, SweepReport> = {
  name: 'sweepLifecycle',
  eventName: 'lifecycle sweep event (a schedule, or a manual {"repositories"?, "maxDeletions"?})',
  eventSchema: SweepLifecycleEvent,
  ownsDeadline: true,
  run: sweepLifecycle,
};

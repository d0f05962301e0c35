import { matchRepositoryClass } from '../config/matchRepositoryClass';
import type { BatchDeleteImageChange, GovernanceChange } from '../ecr/changes';
import type { RegistryReader } from '../ecr/RegistryReader';
import type { Repository } from '../ecr/types';
import { ledgerTotals, toLedgerRepository, type RepositoryLifecycleResult } from '../lifecycle/ledger';
import { stoppedAs, SWEEP_STOP_MARGIN_MS } from '../lifecycle/sweepLifecycle';
import { DEFAULT_MAX_DELETIONS_PER_RUN } from '../lifecycle/expireRepository';
import { sharedDeletionCap, type SharedDeletionCap } from '../lifecycle/sharedDeletionCap';
import { DeletionBudget, sweepRepository } from '../lifecycle/sweepRepository';
import { type RunSignals } from '../plan/applyChanges';
import type { ChangeWriter } from '../plan/types';
import { stopLine } from '../runtime/deadline';
import type { CallOptions } from '../shared/retry';
import type { AutopilotDeps, FunctionDefinition, FunctionReport } from '../runtime/types';
import { outcomeOf } from '../runtime/types';
import type { StateStore } from '../state/StateStore';
import { fitBatchResult } from './fitBatchResult';
import { SweepBatchEvent, type FleetRun, type SweepBatchResult } from './types';

/** A registry that can describe many repositories in one call (DescribeRepositories takes 100 names). */
export interface FleetRegistryReader extends RegistryReader {
  describeRepositories(repositoryNames: readonly string[], options?: CallOptions): Promise<Repository[]>;
}

export type SweepBatchDeps = Pick<AutopilotDeps, 'config' | 'writer' | 'clock' | 'logger' | 'signal' | 'deadline'> & {
  registry: FleetRegistryReader;
  /** The state table, where the run's batches share its deletion cap. */
  state: StateStore;
};

/**
 * How long a fleet run's deletion count is kept. It is counted in one window of the shared-cap
 * counter that starts at or before the run and is kept a window after it ends (`sharedDeletionCap`),
 * so 30 days keep the count for at least 30 days after the run started: the run itself (a few hours)
 * and Step Functions' 14-day redrive period after it, so a redriven batch draws from the same count.
 */
export const FLEET_RUN_CAP_WINDOW_SECONDS = 30 * 86_400;

/**
 * The deletion cap of a fleet sweep run, shared by all its batches: the same windowed counter
 * expire-on-push uses (`sharedDeletionCap`, state table, atomic conditional updates), keyed by the run (its
 * execution name) and anchored at its start, so every batch, at once or redriven, draws from one
 * count. Batches reserve before deleting and give back what they did not delete.
 *
 * @example
 * const cap = runDeletionCap(state, run); await cap.reserve(30, { signal });
 */
export function runDeletionCap(state: StateStore, run: FleetRun): SharedDeletionCap {
  const cap = run.maxDeletions ?? DEFAULT_MAX_DELETIONS_PER_RUN;
  const counter = sharedDeletionCap(state, { scope: `fleet-sweep:${run.runId}`, cap, windowSeconds: FLEET_RUN_CAP_WINDOW_SECONDS, now: new Date(run.startedAt) });
  return { ...counter, description: `the run's deletion cap of ${cap} (lifecycle.maxDeletionsPerRun), shared by all its batches,` };
}

/** A batch's report; Step Functions' ResultWriter stores it, and Aggregate reads `result`. */
export interface FleetBatchReport<R> extends FunctionReport {
  result: R;
}

/**
 * One batch of the fleet sweep (a child execution of the Distributed Map).
 *
 * Input: the batch's repositories and the run's common input. Output: a compact ledger of the batch.
 * 1. Describe the batch's repositories (one DescribeRepositories per 100 names).
 * 2. For each, in order, run the sweep's own per-repository step (`sweepRepository`: governance
 *    drift, then expiry with the safety rules) within the run's deletion cap, which every batch of
 *    the run draws from (`runDeletionCap`): a repository reserves what it would delete and gives back
 *    what it did not. A repository's failure is recorded in its ledger entry and the batch goes on.
 * 3. Own the deadline like the sweep: stop starting repositories `SWEEP_STOP_MARGIN_MS` before it
 *    (the deletion in flight finishes); the repositories not reached are listed.
 * 4. Return the ledger entries of what changed, failed or was kept, and the batch's totals, shortened
 *    if needed to fit Step Functions' 256 KiB (totals always count everything).
 * A failure of the batch as a whole (throttled beyond retries, a bug) fails the child execution:
 * the Map counts it against `ToleratedFailurePercentage` and a redrive runs it again.
 *
 * @example
 * const { result } = await runSweepBatch({ Items, BatchInput: { run } }, deps);
 */
export async function runSweepBatch(event: SweepBatchEvent, deps: SweepBatchDeps): Promise<FleetBatchReport<SweepBatchResult>> {
  const { run } = event.BatchInput;
  const now = deps.clock();
  const writer = deps.writer as ChangeWriter<GovernanceChange | BatchDeleteImageChange>;
  const names = event.Items.map((item) => item.repository);
  const sharedCap = runDeletionCap(deps.state, run);
  const budget = new DeletionBudget(run.maxDeletions ?? DEFAULT_MAX_DELETIONS_PER_RUN);
  let scanned = 0;
  const results: RepositoryLifecycleResult[] = [];
  const notReached: string[] = [];
  // The sweep's own stop line: nothing starts after it, the deletion in flight finishes, and the
  // repositories not reached are listed (the next run covers them).
  const stop = stopLine(deps, SWEEP_STOP_MARGIN_MS);
  try {
    const signals: RunSignals = { signal: deps.signal, stop: stop.signal };
    const described = await deps.registry.describeRepositories(names, { signal: stop.signal }).catch(stoppedAs(stop.signal, undefined));
    const repositories = new Map((described ?? []).map((repository) => [repository.repositoryName, repository]));
    for (const [index, item] of event.Items.entries()) {
      if (stop.signal.aborted || !described) {
        notReached.push(...event.Items.slice(index).map((rest) => rest.repository));
        break;
      }
      const repository = repositories.get(item.repository);
      // Deleted since the listing: nothing to govern or expire.
      if (!repository) continue;
      const repositoryClass = matchRepositoryClass(deps.config, repository.repositoryName);
      if (!repositoryClass) continue;
      scanned += 1;
      const result = await sweepRepository(repository, repositoryClass, { registry: deps.registry, writer, now, logger: deps.logger }, budget, signals, sharedCap);
      results.push(result);
      if (result.unfinished) {
        notReached.push(...event.Items.slice(index).map((rest) => rest.repository));
        break;
      }
    }
  } finally {
    stop.dispose();
  }

  const applied = results.flatMap((result) => [...result.governance, ...(result.expiry?.deletions ?? [])]);
  // Only what a reader needs: repositories that changed, failed or kept something.
  const reported = results.filter((r) => r.governance.length > 0 || r.error || (r.expiry && (r.expiry.expired.length > 0 || r.expiry.failures.length > 0 || r.expiry.kept.length > 0)));
  const result = fitBatchResult({
    job: 'sweep',
    runId: run.runId,
    dryRun: applied.some((change) => change.outcome.status === 'planned'),
    repositoriesScanned: scanned,
    totals: ledgerTotals(results, budget.capReached),
    repositories: reported.map(toLedgerRepository),
    notReached,
  });
  for (const { change, outcome } of applied) deps.logger.info('fleet sweep change', { action: change.action, target: change.target, status: outcome.status, message: outcome.message });
  const errors = results.filter((r) => r.error).length;
  return {
    function: 'sweepFleetBatch',
    eventId: run.runId,
    outcome: errors > 0 ? 'failed' : outcomeOf(applied),
    decision:
      `Swept ${scanned} of ${event.Items.length} repositories of run ${run.runId}: ${result.totals.governanceChanges} governance change(s), ` +
      `${result.totals.imagesExpired} image(s) expired${errors > 0 ? `, ${errors} repositories failed` : ''}${notReached.length > 0 ? `, ${notReached.length} not reached before the deadline` : ''}.`,
    // The changes travel in `result`, bounded to fit Step Functions; each was logged above.
    changes: [],
    result,
  };
}

/** `sweepFleetBatch`: one child execution of the fleet sweep's Distributed Map. */
export const sweepFleetBatchFunction: FunctionDefinition<typeof SweepBatchEvent, SweepBatchDeps, FleetBatchReport<SweepBatchResult>> = {
  name: 'sweepFleetBatch',
  eventName: 'fleet sweep batch ({"Items": [...], "BatchInput": {"run"}} from the Distributed Map)',
  eventSchema: SweepBatchEvent,
  ownsDeadline: true,
  run: runSweepBatch,
};

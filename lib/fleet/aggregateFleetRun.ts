import { composeLedgerNotices, type LedgerTotals } from '../lifecycle/ledger';
import { publishNotice, registryNoticeOrigin } from '../notify/changes';
import type { FleetRunSummary, MirrorReportNotice, Notice } from '../notify/notices';
import { applyChanges } from '../plan/applyChanges';
import type { AutopilotDeps, FunctionDefinition, FunctionReport } from '../runtime/types';
import { outcomeOf } from '../runtime/types';
import { executionConsoleUrl, redriveCommand } from './executionLinks';
import type { FleetStore } from './FleetStore';
import { readRunResults, type RunResults } from './readRunResults';
import { AggregateFleetRunEvent, type FleetRun, type MirrorBatchResult, type SweepBatchResult } from './types';

export type AggregateDeps = Pick<AutopilotDeps, 'config' | 'registry' | 'writer' | 'topicArn' | 'clock' | 'logger' | 'signal'> & { store: FleetStore };

/** Failed batches a notice lists; the count covers them all. */
const MAX_FAILED_BATCHES_LISTED = 20;

/**
 * The Aggregate step of a fleet run.
 *
 * Input: the run and the Map's result location. Output: one ledger (sweep) or mirror report for the
 * whole run, published in parts under SNS's size limit like a single-invocation run's.
 * 1. Read the Map Run's results (`ResultWriter`'s manifest and files).
 * 2. Merge the succeeded batches' results; name every failed batch with its child execution's link,
 *    its items and its error.
 * 3. Publish: the sweep's deletion ledger, or the mirror report, with a `fleet` section.
 * The notice ids derive from the run id, so an Aggregate that runs again (a redrive after it
 * failed) publishes the same notices, which duplicate suppression drops.
 *
 * @example
 * await aggregateFleetRun({ run, results: { MapRunArn, ResultWriterDetails: { Bucket, Key } } }, deps);
 */
export async function aggregateFleetRun(event: AggregateFleetRunEvent, deps: AggregateDeps): Promise<FunctionReport> {
  const { run } = event;
  const results = await readRunResults(deps.store, event.results.ResultWriterDetails.Key, { signal: deps.signal });
  const fleet = fleetSummary(run, results, deps.config.fleet?.toleratedFailurePercentage ?? 0);
  const notices = composeRunNotices(run, results, fleet, deps, { idBase: `fleet-${run.job}-${run.runId}` });
  const published = await applyChanges(
    deps.writer,
    notices.map((notice) => publishNotice(deps.topicArn, notice, `fleet ${run.job} ${notice.kind === 'lifecycle.ledger' && notice.data.part ? `ledger part ${notice.data.part.index}` : 'report'}`)),
    { signal: deps.signal },
  );
  const failed = fleet.batches.failed;
  return {
    function: 'aggregateFleetRun',
    eventId: run.runId,
    outcome: failed > 0 ? 'failed' : outcomeOf(published),
    decision:
      `Run ${run.runId} (${run.job}): ${fleet.batches.succeeded} of ${fleet.batches.total} batch(es) succeeded` +
      `${failed > 0 ? `, ${failed} failed (${results.failed.map((batch) => batch.executionArn).slice(0, 3).join(', ')}${failed > 3 ? ', …' : ''})` : ''}` +
      `${notices.length > 0 ? `; ${notices.length === 1 ? 'one notice' : `one ${run.job === 'sweep' ? 'ledger' : 'report'} in ${notices.length} parts`} published` : '; nothing changed, nothing published'}.`,
    changes: published,
  };
}

/**
 * The `fleet` section of a run's notices: its execution, its batches, each failed batch with its
 * link, and the redrive command when the failures exceeded the tolerance.
 */
export function fleetSummary(run: FleetRun, results: RunResults, toleratedFailurePercentage: number): FleetRunSummary {
  const total = results.succeeded.length + results.failed.length;
  const summary: FleetRunSummary = {
    executionArn: run.executionArn,
    executionUrl: executionConsoleUrl(run.executionArn),
    redriveCount: results.redriveCount,
    batches: { total, succeeded: results.succeeded.length, failed: results.failed.length },
    failedBatches: results.failed.slice(0, MAX_FAILED_BATCHES_LISTED).map((batch) => ({
      executionArn: batch.executionArn,
      executionUrl: executionConsoleUrl(batch.executionArn),
      items: batch.items,
      error: batch.error,
      cause: batch.cause,
    })),
    notReached: results.succeeded.flatMap((batch) => batch.notReached),
  };
  // Failures within the tolerance let the run complete: the next run covers them. Above it the
  // Map Run fails, the execution fails at the Map, and a redrive reruns only what did not succeed.
  const withinTolerance = (results.failed.length * 100) / Math.max(1, total) <= toleratedFailurePercentage;
  if (results.failed.length > 0 && !withinTolerance) summary.redriveCommand = redriveCommand(run.executionArn);
  return summary;
}

/** What composing a run's notices reads: the configuration, the clock, and where the registry is (for the notices' origin). */
export type RunNoticeDeps = Pick<AggregateDeps, 'config' | 'clock'> & { registry: { region: string; registryId: string | undefined } };

/** How a run's notices are named and when they go out. */
export interface RunNoticeOptions {
  /** Stable per run (and per report of it), so a duplicate delivery publishes the same notice ids. */
  idBase: string;
  /** Publish even when nothing changed and nothing failed (the report of an interrupted run). */
  always?: boolean;
  /** The event the notices answer (default: the run id). */
  eventId?: string;
}

/**
 * A run's ledger (sweep) or mirror report from its batches' results: the Aggregate step's, and the
 * report of an interrupted run (`reportInterruptedFleetRun`), built the same way.
 *
 * @example
 * const notices = composeRunNotices(run, results, fleetSummary(run, results, 5), deps, { idBase: `fleet-sweep-${run.runId}` });
 */
export function composeRunNotices(run: FleetRun, results: RunResults, fleet: FleetRunSummary, deps: RunNoticeDeps, options: RunNoticeOptions): Notice[] {
  return run.job === 'sweep' ? sweepLedger(run, results, fleet, deps, options) : mirrorReport(run, results, fleet, deps, options);
}

function sweepLedger(run: FleetRun, results: RunResults, fleet: FleetRunSummary, deps: RunNoticeDeps, options: RunNoticeOptions): Notice[] {
  const batches = results.succeeded.filter((batch): batch is SweepBatchResult => batch.job === 'sweep');
  const totals: LedgerTotals = {
    governanceChanges: sum(batches, (b) => b.totals.governanceChanges),
    imagesExpired: sum(batches, (b) => b.totals.imagesExpired),
    bytesReclaimed: sum(batches, (b) => b.totals.bytesReclaimed),
    failures: sum(batches, (b) => b.totals.failures),
    keptBySafety: sum(batches, (b) => b.totals.keptBySafety),
    capReached: batches.some((b) => b.totals.capReached),
  };
  const changed = totals.governanceChanges > 0 || totals.imagesExpired > 0 || totals.failures > 0;
  const shortened = batches.find((b) => b.shortened)?.shortened;
  if (!options.always && !changed && fleet.batches.failed === 0 && fleet.notReached.length === 0 && !shortened && !deps.config.lifecycle?.notifyWhenUnchanged) return [];
  const stoppedEarly = [
    fleet.notReached.length > 0 ? `${fleet.notReached.length} repositories were not reached before their batch's deadline; the next run covers them` : undefined,
    shortened ? `some batches listed less (${shortened})` : undefined,
  ].filter((part): part is string => part !== undefined);
  return composeLedgerNotices(
    batches.flatMap((b) => b.repositories),
    totals,
    {
      trigger: 'sweep',
      dryRun: batches.some((b) => b.dryRun),
      repositoriesScanned: sum(batches, (b) => b.repositoriesScanned),
      capReached: totals.capReached,
      ...(stoppedEarly.length > 0 ? { stoppedEarly: stoppedEarly.join('; ') } : {}),
      idBase: options.idBase,
      occurredAt: deps.clock().toISOString(),
      origin: registryNoticeOrigin(deps.registry, options.eventId ?? run.runId),
      fleet,
      ...(fleet.interrupted ? { severity: 'warning' as const } : {}),
    },
  );
}

function mirrorReport(run: FleetRun, results: RunResults, fleet: FleetRunSummary, deps: RunNoticeDeps, options: RunNoticeOptions): Notice[] {
  const batches = results.succeeded.filter((batch): batch is MirrorBatchResult => batch.job === 'mirror');
  const images = batches.flatMap((b) => b.images);
  const governance = batches.flatMap((b) => b.governance);
  const interesting = images.some((image) => image.status !== 'unchanged') || governance.length > 0 || fleet.batches.failed > 0 || fleet.notReached.length > 0;
  if (!interesting && !options.always) return [];
  const failed = images.some((image) => image.status === 'failed') || governance.some((change) => change.status === 'failed') || fleet.batches.failed > 0 || fleet.interrupted !== undefined;
  const notice: MirrorReportNotice = {
    id: `${options.idBase}:mirror.report`,
    kind: 'mirror.report',
    severity: failed ? 'warning' : 'info',
    occurredAt: deps.clock().toISOString(),
    origin: registryNoticeOrigin(deps.registry, options.eventId ?? run.runId),
    data: { dryRun: batches.some((b) => b.dryRun), registry: batches.find((b) => b.registry)?.registry ?? '', images, governance, fleet },
  };
  return [notice];
}

function sum<T>(items: readonly T[], value: (item: T) => number): number {
  return items.reduce((n, item) => n + value(item), 0);
}

/** `aggregateFleetRun`: the Aggregate step of the fleet state machines. */
export const aggregateFleetRunFunction: FunctionDefinition<typeof AggregateFleetRunEvent, AggregateDeps> = {
  name: 'aggregateFleetRun',
  eventName: 'fleet Aggregate input ({"run", "results"} from the state machine)',
  eventSchema: AggregateFleetRunEvent,
  run: aggregateFleetRun,
};

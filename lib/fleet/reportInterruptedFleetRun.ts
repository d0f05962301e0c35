import { EventValidationError } from '../errors';
import { StepFunctionsExecutionStatusChangeEvent } from '../events/stepFunctionsExecutionStatusChange';
import { publishNotice } from '../notify/changes';
import type { FleetRunSummary } from '../notify/notices';
import { applyChanges } from '../plan/applyChanges';
import type { AutopilotDeps, FunctionDefinition, FunctionReport } from '../runtime/types';
import { outcomeOf } from '../runtime/types';
import { composeRunNotices, fleetSummary } from './aggregateFleetRun';
import { redriveCommand } from './executionLinks';
import type { FleetStore } from './FleetStore';
import { readRunResults, summarizeCause, type RunResults } from './readRunResults';
import { runPrefix } from './stateMachineDefinition';
import { FLEET_JOBS, type FleetJob, type FleetRun } from './types';

export type InterruptedRunDeps = Pick<AutopilotDeps, 'config' | 'writer' | 'topicArn' | 'clock' | 'logger' | 'signal'> & {
  store: FleetStore;
  /** `<service>-<stage>`: the fleet's state machines are `<stack>-fleet-sweep` and `<stack>-fleet-mirror`. */
  stackName: string;
};

/** The execution statuses that end a run without its Aggregate step (what the EventBridge rule routes). */
export const INTERRUPTED_STATUSES = ['FAILED', 'TIMED_OUT', 'ABORTED'] as const;

/** The name of a fleet state machine (infra/resources/fleet.yml names them so). */
export function fleetStateMachineName(stackName: string, job: FleetJob): string {
  return `${stackName}-fleet-${job}`;
}

/**
 * The report of a fleet run whose execution ended FAILED, TIMED_OUT or ABORTED.
 *
 * Above `ToleratedFailurePercentage` the Map Run fails, the execution fails at the Map, and the
 * Aggregate step never runs; a run can also time out or be stopped. Deletions and copies already
 * made must not go unreported until someone redrives it, so an EventBridge rule on the two state
 * machines' `Step Functions Execution Status Change` events invokes this.
 *
 * Input: the status change event. Output: one ledger (sweep) or mirror report of what the run did.
 * 1. Ignore, with the reason, an execution of another state machine or a status that is not an end
 *    without Aggregate (RUNNING, SUCCEEDED, PENDING_REDRIVE).
 * 2. Read what the Map's `ResultWriter` left under the run's results prefix (the latest
 *    manifest.json, when there is one): the succeeded batches' results, the failed and pending
 *    batches with their child executions. Without results nothing is known of the batches, and the
 *    report says so.
 * 3. Publish the run's ledger or mirror report, marked `interrupted` (status, error, cause), with the
 *    exact redrive command, and saying that a redrive publishes the run's final ledger (which
 *    includes what this one lists).
 * Notice ids derive from the execution (job and name), its status and its redrive count, so a
 * duplicate delivery publishes once, and a redriven run that fails again is reported again.
 *
 * @example
 * await reportInterruptedFleetRun(loadEvent('step-functions/fleet-sweep-failed'), deps);
 */
export async function reportInterruptedFleetRun(event: StepFunctionsExecutionStatusChangeEvent, deps: InterruptedRunDeps): Promise<FunctionReport> {
  const { detail } = event;
  const report = (outcome: FunctionReport['outcome'], decision: string, changes: FunctionReport['changes'] = []): FunctionReport => ({ function: 'onFleetRunInterrupted', eventId: event.id, outcome, decision, changes });

  const machineName = detail.stateMachineArn.slice(detail.stateMachineArn.lastIndexOf(':') + 1);
  const job = FLEET_JOBS.find((candidate) => fleetStateMachineName(deps.stackName, candidate) === machineName);
  if (!job) {
    return report('ignored', `Ignored the status change of ${detail.executionArn}: ${machineName} is not a fleet state machine of ${deps.stackName} (${FLEET_JOBS.map((j) => fleetStateMachineName(deps.stackName, j)).join(', ')}).`);
  }
  const status = INTERRUPTED_STATUSES.find((candidate) => candidate === detail.status);
  if (!status) {
    return report('ignored', `Ignored the ${detail.status} status of ${detail.executionArn}: only runs that end FAILED, TIMED_OUT or ABORTED are reported here; one that succeeds publishes its ledger from its Aggregate step.`);
  }
  // Step Functions sends an execution's own ARN and name; anything else did not come from it.
  if (!detail.executionArn.endsWith(`:execution:${machineName}:${detail.name}`)) {
    throw new EventValidationError('Step Functions Execution Status Change event', [{ path: 'detail.executionArn', message: `is not an execution of ${machineName} named ${detail.name}`, fix: 'send the event Step Functions sent' }], event.id);
  }

  const run: FleetRun = { job, runId: detail.name, executionArn: detail.executionArn, startedAt: new Date(detail.startDate).toISOString() };
  const manifestKey = await latestManifest(deps.store, `${runPrefix(job, run.runId)}/results/`, deps.signal);
  const results: RunResults = manifestKey ? await readRunResults(deps.store, manifestKey, { signal: deps.signal }) : { mapRunArn: '', succeeded: [], failed: [], redriveCount: 0 };
  const redriveCount = detail.redriveCount ?? results.redriveCount;
  const fleet: FleetRunSummary = {
    ...fleetSummary(run, results, deps.config.fleet?.toleratedFailurePercentage ?? 0),
    redriveCount,
    interrupted: {
      status,
      ...(detail.error ? { error: detail.error } : {}),
      ...(detail.cause ? { cause: summarizeCause(detail.cause) } : {}),
      resultsRead: manifestKey !== undefined,
      ...(detail.redriveStatus === 'NOT_REDRIVABLE' ? { notRedrivable: detail.redriveStatusReason ?? 'Step Functions reports it NOT_REDRIVABLE' } : {}),
    },
  };
  // Redrivable unless Step Functions says otherwise (older events do not say).
  if (detail.redriveStatus === 'NOT_REDRIVABLE') delete fleet.redriveCommand;
  else fleet.redriveCommand = redriveCommand(run.executionArn);

  // The notices come from the account and region the event names: no registry is read.
  const notices = composeRunNotices(run, results, fleet, { ...deps, registry: { region: event.region, registryId: event.account } }, { idBase: `fleet-${job}-${run.runId}:${status.toLowerCase()}-${redriveCount}`, always: true, eventId: event.id });
  const published = await applyChanges(deps.writer, notices.map((notice) => publishNotice(deps.topicArn, notice, `fleet ${job} run ${status}`)), { signal: deps.signal });
  const known = manifestKey
    ? `${fleet.batches.succeeded} of ${fleet.batches.total} batch(es) succeeded, ${fleet.batches.failed} failed or not run`
    : 'its batches wrote no results';
  return report(
    outcomeOf(published),
    `Run ${run.runId} (${job}) ended ${status}${detail.error ? ` (${detail.error})` : ''}: ${known}; ` +
      `${notices.length === 1 ? 'one report' : `one report in ${notices.length} parts`} ${published.every((change) => change.outcome.status === 'planned') ? 'to publish' : 'published'}` +
      `${fleet.redriveCommand ? `; redrive with ${fleet.redriveCommand}` : ''}.`,
    published,
  );
}

/** The key of the newest `manifest.json` under a run's results prefix; a redriven Map Run writes it again. */
async function latestManifest(store: FleetStore, prefix: string, signal: AbortSignal | undefined): Promise<string | undefined> {
  const manifests = (await store.list(prefix, { signal })).filter((object) => object.key.endsWith('/manifest.json'));
  manifests.sort((a, b) => b.lastModified.getTime() - a.lastModified.getTime());
  return manifests[0]?.key;
}

/** `onFleetRunInterrupted`: EventBridge `aws.states` status changes of the two fleet state machines. */
export const onFleetRunInterrupted: FunctionDefinition<typeof StepFunctionsExecutionStatusChangeEvent, InterruptedRunDeps> = {
  name: 'onFleetRunInterrupted',
  eventName: 'Step Functions Execution Status Change event',
  eventSchema: StepFunctionsExecutionStatusChangeEvent,
  run: reportInterruptedFleetRun,
};

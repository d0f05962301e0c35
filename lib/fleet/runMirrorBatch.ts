import { toNoticeChange } from '../notify/changes';
import { AutopilotError } from '../errors';
import { MIRROR_STOP_MARGIN_MS, mirrorNow, unresolvedDestination, type MirrorDeps, type MirrorOutcome } from '../mirror/mirrorImages';
import { mirrorTargets } from '../mirror/mirrorTargets';
import { stopLine } from '../runtime/deadline';
import type { FunctionDefinition } from '../runtime/types';
import { outcomeOf } from '../runtime/types';
import type { FleetBatchReport } from './runSweepBatch';
import { MirrorBatchEvent, type MirrorBatchResult } from './types';

export type MirrorBatchDeps = Omit<MirrorDeps, 'topicArn'>;

/**
 * One batch of the fleet mirror (a child execution of the Distributed Map).
 *
 * Input: the batch's mirror sources with their tags. Output: the batch's part of the mirror report.
 * 1. Expand the configured images of the batch's sources into targets (the configuration, not the
 *    item, says where each goes: an item naming an image no longer configured is an error).
 * 2. Mirror them with the mirror's own steps (`mirrorNow`: destination metadata, governance,
 *    copies), owning the deadline like the mirror: `MIRROR_STOP_MARGIN_MS` before it nothing starts.
 * 3. Return what each image did; the run's Aggregate publishes one report.
 *
 * @example
 * const { result } = await runMirrorBatch({ Items, BatchInput: { run } }, deps);
 */
export async function runMirrorBatch(event: MirrorBatchEvent, deps: MirrorBatchDeps): Promise<FleetBatchReport<MirrorBatchResult>> {
  const { run } = event.BatchInput;
  const sources = new Set(event.Items.map((item) => item.source));
  const targets = mirrorTargets(deps.config.mirror).filter((target) => sources.has(target.source));
  const missing = [...sources].filter((source) => !targets.some((target) => target.source === source));
  if (missing.length > 0) {
    throw new AutopilotError('CONFIG_INVALID', `Batch of run ${run.runId} names images that are not in mirror.images: ${missing.join(', ')}; the configuration changed since the run was listed, start a new run`);
  }
  // The mirror's own stop line: nothing starts after it, a copy in flight is abandoned (its tag never
  // pushed), and the images it did not reach are listed.
  const stop = stopLine(deps, MIRROR_STOP_MARGIN_MS);
  let outcome: MirrorOutcome;
  try {
    if (stop.signal.aborted) {
      // Named as the mirror names a destination it did not look up; listed image by image like a stop mid-batch.
      const notReached = targets.map((target) => target.sourceReference);
      return report(run.runId, { job: 'mirror', runId: run.runId, dryRun: false, registry: unresolvedDestination(deps.registry), images: [], governance: [], notReached }, []);
    }
    outcome = await mirrorNow(targets, deps, { signal: deps.signal, stop: stop.signal });
  } finally {
    stop.dispose();
  }
  const stopped = outcome.images.filter((image) => image.status === 'stopped').map((image) => `${image.source}:${image.tag}`);
  const result: MirrorBatchResult = {
    job: 'mirror',
    runId: run.runId,
    dryRun: outcome.dryRun,
    registry: outcome.registry,
    images: outcome.images,
    governance: [...outcome.governance, ...outcome.creations].map(toNoticeChange),
    notReached: stopped,
  };
  for (const { change, outcome: applied } of [...outcome.governance, ...outcome.applied]) {
    deps.logger.info('fleet mirror change', { action: change.action, target: change.target, status: applied.status, message: applied.message });
  }
  return report(run.runId, result, [...outcome.governance, ...outcome.applied]);
}

function report(runId: string, result: MirrorBatchResult, applied: Parameters<typeof outcomeOf>[0]): FleetBatchReport<MirrorBatchResult> {
  const count = (status: string) => result.images.filter((image) => image.status === status).length;
  return {
    function: 'mirrorFleetBatch',
    eventId: runId,
    outcome: count('failed') > 0 ? 'failed' : outcomeOf(applied),
    decision:
      result.notReached.length > 0
        ? `Stopped before mirroring ${result.notReached.length} image(s) of run ${runId}: the deadline was reached.`
        : `Mirrored ${result.images.length} image tag(s) of run ${runId}: ${count('copied') + count('planned')} copied, ${count('unchanged')} unchanged, ${count('failed')} failed.`,
    // The changes travel in `result` (one entry per image); each was logged.
    changes: [],
    result,
  };
}

/** `mirrorFleetBatch`: one child execution of the fleet mirror's Distributed Map. */
export const mirrorFleetBatchFunction: FunctionDefinition<typeof MirrorBatchEvent, MirrorBatchDeps, FleetBatchReport<MirrorBatchResult>> = {
  name: 'mirrorFleetBatch',
  eventName: 'fleet mirror batch ({"Items": [...], "BatchInput": {"run"}} from the Distributed Map)',
  eventSchema: MirrorBatchEvent,
  ownsDeadline: true,
  run: runMirrorBatch,
};

import { matchRepositoryClass } from '../config/matchRepositoryClass';
import { AutopilotError } from '../errors';
import { DEFAULT_MAX_DELETIONS_PER_RUN } from '../lifecycle/expireRepository';
import { mirrorTargets } from '../mirror/mirrorTargets';
import type { AutopilotDeps, FunctionDefinition, FunctionReport } from '../runtime/types';
import type { FleetStore } from './FleetStore';
import { planFleet } from './planFleet';
import { runPrefix } from './stateMachineDefinition';
import { ListFleetWorkEvent, type FleetListing, type FleetRun, type MirrorItem, type SweepItem } from './types';

export type ListFleetWorkDeps = Pick<AutopilotDeps, 'config' | 'registry' | 'logger' | 'signal'> & { store: FleetStore };

/** List's report; the state machine passes `listing` on to the Map and to Aggregate. */
export interface ListFleetWorkReport extends FunctionReport {
  listing: FleetListing;
}

/**
 * The List step of a fleet run.
 *
 * Input: the job and the execution (from the state machine's context object). Output: where the
 * work items are in S3, and the input every batch shares.
 * 1. List the work: every repository a class governs (sweep, all pages of DescribeRepositories), or
 *    every configured mirror image with its tags (mirror). Each item carries account and region.
 * 2. Write the items as one JSON array to `runs/<job>/<execution name>/items.json`.
 * 3. Derive the batches' input from the configuration: for the sweep, the run's deletion cap, which
 *    the batches share through the state table (`runDeletionCap`).
 *
 * @example
 * const { listing } = await listFleetWork({ job: 'sweep', executionArn, executionName, startedAt }, deps);
 */
export async function listFleetWork(event: ListFleetWorkEvent, deps: ListFleetWorkDeps): Promise<ListFleetWorkReport> {
  const account = accountOf(event.executionArn);
  const region = deps.registry.region;
  const plan = planFleet(deps.config.fleet, event.job);
  const items: Array<SweepItem | MirrorItem> = event.job === 'sweep' ? await sweepItems(account, region, deps) : mirrorItems(account, region, deps);

  const prefix = runPrefix(event.job, event.executionName);
  const itemsKey = `${prefix}/items.json`;
  await deps.store.putJson(itemsKey, items, { signal: deps.signal });

  const batches = Math.ceil(items.length / plan.maxItemsPerBatch);
  const run: FleetRun = {
    job: event.job,
    runId: event.executionName,
    executionArn: event.executionArn,
    startedAt: event.startedAt,
  };
  // One cap for the whole run, fixed when it is listed: a redrive after a configuration change keeps it.
  if (event.job === 'sweep') run.maxDeletions = deps.config.lifecycle?.maxDeletionsPerRun ?? DEFAULT_MAX_DELETIONS_PER_RUN;
  const listing: FleetListing = { run, bucket: deps.store.bucket, itemsKey, resultsPrefix: `${prefix}/results`, itemCount: items.length };
  return {
    function: 'listFleetWork',
    eventId: event.executionName,
    outcome: 'done',
    decision:
      `Listed ${items.length} ${event.job === 'sweep' ? 'governed repositories' : 'mirror images'} into s3://${deps.store.bucket}/${itemsKey}: ` +
      `${batches} batch(es) of up to ${plan.maxItemsPerBatch}, ${plan.maxConcurrency} at once` +
      `${run.maxDeletions !== undefined ? `, at most ${run.maxDeletions} deletion(s) in all, shared` : ''}.`,
    changes: [],
    listing,
  };
}

async function sweepItems(account: string, region: string, deps: ListFleetWorkDeps): Promise<SweepItem[]> {
  const items: SweepItem[] = [];
  for await (const repository of deps.registry.listRepositories({ signal: deps.signal })) {
    const repositoryClass = matchRepositoryClass(deps.config, repository.repositoryName);
    if (repositoryClass) items.push({ account, region, repository: repository.repositoryName, repositoryClass: repositoryClass.name });
  }
  return items;
}

function mirrorItems(account: string, region: string, deps: ListFleetWorkDeps): MirrorItem[] {
  const bySource = new Map<string, MirrorItem>();
  for (const target of mirrorTargets(deps.config.mirror)) {
    const item = bySource.get(target.source) ?? { account, region, repository: target.repository, source: target.source, tags: [] };
    item.tags.push(target.tag);
    bySource.set(target.source, item);
  }
  return [...bySource.values()];
}

/** The account of an execution ARN (`arn:<partition>:states:<region>:<account>:execution:…`). */
function accountOf(executionArn: string): string {
  const account = executionArn.split(':')[4] ?? '';
  if (!/^\d{12}$/.test(account)) throw new AutopilotError('EVENT_INVALID', `executionArn ${executionArn} names no account; start the run through its state machine`);
  return account;
}

/** `listFleetWork`: the List step of the fleet state machines. */
export const listFleetWorkFunction: FunctionDefinition<typeof ListFleetWorkEvent, ListFleetWorkDeps, ListFleetWorkReport> = {
  name: 'listFleetWork',
  eventName: 'fleet List input ({"job", "executionArn", "executionName", "startedAt"} from the state machine)',
  eventSchema: ListFleetWorkEvent,
  run: listFleetWork,
};

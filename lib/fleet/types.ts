import * as z from 'zod/mini';
import { FleetRunSummary, LifecycleLedgerNotice, MirrorReportNotice } from '../notify/notices';
import { RepositoryName } from '../ecr/repositoryName';

/**
 * The data contract between the steps of a fleet run (List → Distributed Map → Aggregate). Every
 * step validates what it receives with these schemas: the state machine passes JSON between
 * Lambdas, so a change on one side that the other does not expect fails loudly, not half-applied.
 */

/** The scheduled jobs that fan out: the lifecycle sweep and the mirror. */
export const FLEET_JOBS = ['sweep', 'mirror'] as const;
export type FleetJob = (typeof FLEET_JOBS)[number];

/** Where a work item lives. Account and region travel with each item, so other accounts and regions can be added later. */
const ItemLocation = {
  account: z.string().check(z.regex(/^\d{12}$/, 'must be a 12-digit AWS account id')),
  region: z.string().check(z.regex(/^[a-z]{2}(?:-[a-z]+)+-\d$/, 'must be an AWS region such as ap-northeast-2')),
  repository: RepositoryName,
};

/** A repository to sweep, with the class that governs it at listing time. */
export const SweepItem = z.strictObject({ ...ItemLocation, repositoryClass: z.string().check(z.minLength(1)) });
export type SweepItem = z.output<typeof SweepItem>;

/** A mirror source (an upstream repository) with the tags to copy into `repository`. */
export const MirrorItem = z.strictObject({ ...ItemLocation, source: z.string().check(z.minLength(1)), tags: z.array(z.string()).check(z.minLength(1)) });
export type MirrorItem = z.output<typeof MirrorItem>;

/** What List hands to every batch (the Map's `ItemBatcher.BatchInput`). */
export const FleetRun = z.strictObject({
  job: z.enum(FLEET_JOBS),
  /** The execution name: unique per state machine, so it names the run's S3 prefix and its notices. */
  runId: z.string().check(z.minLength(1), z.maxLength(80)),
  executionArn: z.string().check(z.minLength(1)),
  startedAt: z.string(),
  /**
   * Sweep only: the run's deletion cap (`lifecycle.maxDeletionsPerRun` when it was listed), which
   * its batches share through the state table (`runDeletionCap`), redrives included.
   */
  maxDeletions: z.optional(z.int().check(z.gte(0))),
});
export type FleetRun = z.output<typeof FleetRun>;

/** The state machine's input to List: the schedule's event, or `{}` from a manual start. */
export const ListFleetWorkEvent = z.strictObject({
  job: z.enum(FLEET_JOBS),
  executionArn: z.string().check(z.minLength(1)),
  executionName: z.string().check(z.minLength(1), z.maxLength(80)),
  startedAt: z.string(),
});
export type ListFleetWorkEvent = z.output<typeof ListFleetWorkEvent>;

/** What List returns to the state machine: where the items are, and the batches' common input. */
export interface FleetListing {
  run: FleetRun;
  bucket: string;
  itemsKey: string;
  resultsPrefix: string;
  itemCount: number;
}

/** One child execution's input, as Distributed Map builds it with an ItemBatcher. */
const batchEvent = <Item extends z.ZodMiniType>(item: Item) => z.strictObject({ Items: z.array(item).check(z.minLength(1)), BatchInput: z.strictObject({ run: FleetRun }) });
export const SweepBatchEvent = batchEvent(SweepItem);
export type SweepBatchEvent = z.output<typeof SweepBatchEvent>;
export const MirrorBatchEvent = batchEvent(MirrorItem);
export type MirrorBatchEvent = z.output<typeof MirrorBatchEvent>;

const LedgerRepositories = LifecycleLedgerNotice.shape.data.shape.repositories;
const LedgerTotalsSchema = LifecycleLedgerNotice.shape.data.shape.totals;

/** What every batch returns, whatever its job. */
const batchResultBase = {
  runId: z.string(),
  /** Plan mode: nothing was changed. */
  dryRun: z.boolean(),
  /** Items of the batch it did not reach before its deadline. */
  notReached: z.array(z.string()),
};

/** What a sweep batch returns (the child execution's output, ≤ 256 KiB). */
export const SweepBatchResult = z.object({
  ...batchResultBase,
  job: z.literal('sweep'),
  repositoriesScanned: z.int(),
  totals: LedgerTotalsSchema,
  repositories: LedgerRepositories,
  /** Set when lists were shortened to fit the output limit; the totals still count everything. */
  shortened: z.optional(z.string()),
});
export type SweepBatchResult = z.output<typeof SweepBatchResult>;

const MirrorImages = MirrorReportNotice.shape.data.shape.images;
const MirrorGovernance = MirrorReportNotice.shape.data.shape.governance;

/** What a mirror batch returns. */
export const MirrorBatchResult = z.object({
  ...batchResultBase,
  job: z.literal('mirror'),
  registry: z.string(),
  images: MirrorImages,
  governance: MirrorGovernance,
});
export type MirrorBatchResult = z.output<typeof MirrorBatchResult>;

export const FleetBatchResult = z.discriminatedUnion('job', [SweepBatchResult, MirrorBatchResult]);
export type FleetBatchResult = z.output<typeof FleetBatchResult>;

/**
 * The Aggregate step's input: the run, and the Map state's output with `ResultWriter`
 * (`{ MapRunArn, ResultWriterDetails: { Bucket, Key } }`, Key being the run's manifest.json).
 */
export const AggregateFleetRunEvent = z.strictObject({
  run: FleetRun,
  results: z.looseObject({
    MapRunArn: z.string(),
    ResultWriterDetails: z.looseObject({ Bucket: z.string(), Key: z.string() }),
  }),
});
export type AggregateFleetRunEvent = z.output<typeof AggregateFleetRunEvent>;

export type { FleetRunSummary };
export { FleetRunSummary as FleetRunSummarySchema };

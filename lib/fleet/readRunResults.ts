import * as z from 'zod/mini';
import { AutopilotError } from '../errors';
import { toValidationIssues } from '../validation/toValidationIssues';
import { formatIssue } from '../errors';
import type { CallOptions } from '../shared/retry';
import type { FleetStore } from './FleetStore';
import { FleetBatchResult, type FleetBatchResult as FleetBatchResultType } from './types';

/**
 * What Distributed Map's `ResultWriter` leaves in S3 (Transformation NONE, output type JSON): a
 * `manifest.json` naming one or more files per status, each a JSON array of child executions.
 * https://docs.aws.amazon.com/step-functions/latest/dg/input-output-resultwriter.html
 */
const ResultFile = z.looseObject({ Key: z.string(), Size: z.optional(z.number()) });
export const ResultManifest = z.looseObject({
  DestinationBucket: z.string(),
  MapRunArn: z.string(),
  ResultFiles: z.looseObject({
    SUCCEEDED: z.optional(z.array(ResultFile)),
    FAILED: z.optional(z.array(ResultFile)),
    PENDING: z.optional(z.array(ResultFile)),
  }),
});
export type ResultManifest = z.output<typeof ResultManifest>;

export const ChildExecutionRecord = z.looseObject({
  ExecutionArn: z.string(),
  Name: z.optional(z.string()),
  Status: z.string(),
  /** The child's input as a JSON string: `{ Items, BatchInput }`. */
  Input: z.optional(z.string()),
  /** The child's output as a JSON string (succeeded children): the batch's report. */
  Output: z.optional(z.string()),
  Error: z.optional(z.string()),
  Cause: z.optional(z.string()),
  RedriveCount: z.optional(z.int()),
});
export type ChildExecutionRecord = z.output<typeof ChildExecutionRecord>;

/** A batch that did not succeed: its child execution, its work items, and why. */
export interface FailedBatch {
  executionArn: string;
  status: string;
  items: string[];
  error: string;
  cause: string;
}

export interface RunResults {
  mapRunArn: string;
  succeeded: FleetBatchResultType[];
  failed: FailedBatch[];
  /** The most redrives any child execution had. */
  redriveCount: number;
}

/**
 * Reads a Map Run's results: the manifest, then every SUCCEEDED, FAILED and PENDING file. Every
 * record is validated; a batch whose output is not a batch result is a failure of the contract and
 * stops the aggregate with the execution named, rather than being dropped from the ledger.
 *
 * @example
 * const results = await readRunResults(store, listing.results.ResultWriterDetails.Key, { signal });
 */
export async function readRunResults(store: FleetStore, manifestKey: string, options: CallOptions = {}): Promise<RunResults> {
  const manifest = parse(ResultManifest, await store.getJson(manifestKey, options), `s3://${store.bucket}/${manifestKey}`);
  const records = async (files: ReadonlyArray<{ Key: string }> | undefined): Promise<ChildExecutionRecord[]> => {
    const all: ChildExecutionRecord[] = [];
    for (const file of files ?? []) all.push(...parse(z.array(ChildExecutionRecord), await store.getJson(file.Key, options), `s3://${store.bucket}/${file.Key}`));
    return all;
  };
  const succeededRecords = await records(manifest.ResultFiles.SUCCEEDED);
  const unsuccessful = [...(await records(manifest.ResultFiles.FAILED)), ...(await records(manifest.ResultFiles.PENDING))];
  const succeeded = succeededRecords.map((record) => {
    const report = parseJson(record.Output, `the output of ${record.ExecutionArn}`) as { result?: unknown } | undefined;
    return parse(FleetBatchResult, report?.result, `the output of ${record.ExecutionArn}`);
  });
  const failed = unsuccessful.map((record): FailedBatch => ({
    executionArn: record.ExecutionArn,
    status: record.Status,
    items: itemsOf(record),
    error: record.Error ?? record.Status,
    cause: summarizeCause(record.Cause),
  }));
  const redriveCount = Math.max(0, ...[...succeededRecords, ...unsuccessful].map((record) => record.RedriveCount ?? 0));
  return { mapRunArn: manifest.MapRunArn, succeeded, failed, redriveCount };
}

/** The names of a batch's work items (repository, or mirror source), from its input. */
function itemsOf(record: ChildExecutionRecord): string[] {
  const input = parseJsonOrUndefined(record.Input) as { Items?: Array<{ repository?: unknown; source?: unknown }> } | undefined;
  return (input?.Items ?? []).map((item) => String(item.source ?? item.repository ?? '?'));
}

/** Lambda errors arrive as `{"errorMessage": …, "errorType": …, "stackTrace": …}`: the message is what a reader needs. */
export function summarizeCause(cause: string | undefined): string {
  if (!cause) return '';
  const parsed = parseJsonOrUndefined(cause) as { errorMessage?: unknown } | undefined;
  const message = typeof parsed?.errorMessage === 'string' ? parsed.errorMessage : cause;
  return message.length > 500 ? `${message.slice(0, 499)}…` : message;
}

function parseJson(text: string | undefined, what: string): unknown {
  try {
    return JSON.parse(text ?? '');
  } catch (error) {
    throw new AutopilotError('INTERNAL', `${what} is not JSON; the batch and aggregate functions disagree on the result format`, { cause: error });
  }
}

function parseJsonOrUndefined(text: string | undefined): unknown {
  try {
    return text === undefined ? undefined : JSON.parse(text);
  } catch {
    return undefined;
  }
}

function parse<S extends z.ZodMiniType>(schema: S, value: unknown, what: string): z.output<S> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issues = toValidationIssues(parsed.error.issues, value);
  throw new AutopilotError('INTERNAL', `${what} is not what the fleet run expects:\n${issues.slice(0, 5).map((i) => `  - ${formatIssue(i)}`).join('\n')}`);
}

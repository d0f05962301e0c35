import type { AutopilotConfig, FleetSettings } from '../config/types';
import { ECR_IMAGE_API_RATE_QUOTAS, ECR_IMAGE_APIS, type EcrImageApi } from '../ecr/imageApiQuotas';
import { WrittenFleet } from '../config/writtenConfigSchema';
import type { ValidationIssue } from '../errors';
import type { FleetJob } from './types';

/**
 * How a fleet run fans out, derived from `fleet` in `infra/autopilot.yml`. The state machine
 * definitions (package time), the batch workers and `npm run bench -- fleet` all call `planFleet`,
 * so what is measured is what is deployed.
 */
export interface FleetPlan {
  job: FleetJob;
  /** `ItemBatcher.MaxItemsPerBatch`: repositories (sweep) or images (mirror) per child execution. */
  maxItemsPerBatch: number;
  /** `MaxConcurrency`: child executions at once. */
  maxConcurrency: number;
  /** `ToleratedFailurePercentage`. */
  toleratedFailurePercentage: number;
  /** Each batch paces its ECR calls at this rate; `maxConcurrency` × this is the budget, never more. */
  callsPerSecondPerBatch: number;
  /** The batch function's Lambda timeout. */
  batchTimeoutSeconds: number;
  /**
   * Mirror only: each batch's pace per ECR image action (PutImage, InitiateLayerUpload, …), its
   * share of `FLEET_SHARE_OF_IMAGE_API_QUOTAS` of ECR's documented rate; `maxConcurrency` × this
   * stays under the quota for every action.
   */
  imageApiCallsPerSecondPerBatch?: Record<EcrImageApi, number>;
  /** A full batch's expected duration at its paced rates (what the sizing rule checks). */
  estimatedBatchSeconds: number;
}

/** The defaults of the `fleet` section (the schema fills the same values in a loaded configuration). */
export const DEFAULT_FLEET_SETTINGS: FleetSettings = WrittenFleet.parse({});

/**
 * What a batch is planned to ask of ECR per second. A batch makes one call at a time and ECR answers
 * in tens to a few hundred milliseconds, so 5 calls per second is reachable by one sequential
 * worker; the budget is spread over `budget / 5` concurrent batches (at most
 * `MAX_CONCURRENT_BATCHES`, each then paced faster).
 */
export const MAX_CALLS_PER_SECOND_PER_BATCH = 5;
/** Lambda's longest timeout: each batch function runs up to 15 minutes and stops cleanly before. */
export const BATCH_TIMEOUT_SECONDS = 900;
/** A batch's share of its timeout the sizing keeps to, leaving room for slow calls and retries. */
export const BATCH_BUDGET_SHARE = 0.8;
/**
 * ECR calls a sweep batch makes per repository, for sizing: GetLifecyclePolicy, DescribeImages (one
 * page up to 1,000 images), BatchGetImage (indexes, when something expires), BatchDeleteImage (up to
 * 100 images), plus its share of one DescribeRepositories per 100 repositories.
 */
export const SWEEP_CALLS_PER_REPOSITORY = 4;
/**
 * ECR calls a mirror batch makes per image, for sizing: DescribeRepositories, governance reads,
 * DescribeImages per tag, and the copy's blob checks, uploads and PutImage for a multi-arch index.
 */
export const MIRROR_CALLS_PER_IMAGE = 60;
/**
 * The share of ECR's documented rate for each image action that a mirror run may use in all: the
 * rest stays for the account's CI pushes and its nodes' pulls, which share the same quotas.
 */
export const FLEET_SHARE_OF_IMAGE_API_QUOTAS = 0.5;
/**
 * What copying one image costs in ECR image actions, for sizing: a multi-arch index of 4 platforms
 * of 5 layers each, none present yet (each blob checked, uploaded in one part, completed), every
 * manifest put, and the tag read back.
 */
export const MIRROR_IMAGE_API_CALLS_PER_IMAGE: Readonly<Record<EcrImageApi, number>> = {
  BatchCheckLayerAvailability: 24,
  BatchGetImage: 5,
  CompleteLayerUpload: 24,
  GetDownloadUrlForLayer: 0,
  InitiateLayerUpload: 24,
  PutImage: 5,
  UploadLayerPart: 24,
};
/**
 * Batches at once, at most: each is a Lambda invocation, and the fleet should take a small share of
 * the account's concurrency (1,000 by default). A larger budget makes each batch faster instead.
 */
export const MAX_CONCURRENT_BATCHES = 40;

/**
 * The fan-out of a job from the configuration.
 *
 * @example
 * planFleet(config.fleet, 'sweep') // { maxItemsPerBatch: 50, maxConcurrency: 4, callsPerSecondPerBatch: 5, ... }
 */
export function planFleet(settings: FleetSettings | undefined, job: FleetJob): FleetPlan {
  const fleet = settings ?? DEFAULT_FLEET_SETTINGS;
  const maxConcurrency = Math.min(MAX_CONCURRENT_BATCHES, Math.max(1, Math.floor(fleet.ecrCallsPerSecond / MAX_CALLS_PER_SECOND_PER_BATCH)));
  const callsPerSecondPerBatch = fleet.ecrCallsPerSecond / maxConcurrency;
  const maxItemsPerBatch = job === 'sweep' ? fleet.repositoriesPerBatch : fleet.imagesPerBatch;
  const imageApiCallsPerSecondPerBatch =
    job === 'mirror' ? (Object.fromEntries(ECR_IMAGE_APIS.map((api) => [api, (ECR_IMAGE_API_RATE_QUOTAS[api] * FLEET_SHARE_OF_IMAGE_API_QUOTAS) / maxConcurrency])) as Record<EcrImageApi, number>) : undefined;
  return {
    job,
    maxItemsPerBatch,
    maxConcurrency,
    toleratedFailurePercentage: fleet.toleratedFailurePercentage,
    callsPerSecondPerBatch,
    ...(imageApiCallsPerSecondPerBatch ? { imageApiCallsPerSecondPerBatch } : {}),
    batchTimeoutSeconds: BATCH_TIMEOUT_SECONDS,
    estimatedBatchSeconds: maxItemsPerBatch * itemPace(job, callsPerSecondPerBatch, imageApiCallsPerSecondPerBatch).seconds,
  };
}

/**
 * One item's expected time in a batch and what bounds it: its control-plane calls at the batch's
 * pace, or for the mirror its slowest image action at that action's pace, whichever takes longer.
 */
function itemPace(job: FleetJob, callsPerSecondPerBatch: number, imageApiRates: Record<EcrImageApi, number> | undefined): { seconds: number; limitedBy: string } {
  let pace = { seconds: (job === 'sweep' ? SWEEP_CALLS_PER_REPOSITORY : MIRROR_CALLS_PER_IMAGE) / callsPerSecondPerBatch, limitedBy: `${round(callsPerSecondPerBatch)} ECR calls/s` };
  for (const api of imageApiRates ? ECR_IMAGE_APIS : []) {
    const seconds = MIRROR_IMAGE_API_CALLS_PER_IMAGE[api] / (imageApiRates?.[api] ?? Number.POSITIVE_INFINITY);
    if (seconds > pace.seconds) pace = { seconds, limitedBy: `${round(imageApiRates?.[api] ?? 0)} ${api} calls/s (its share of ECR's ${ECR_IMAGE_API_RATE_QUOTAS[api]}/s)` };
  }
  return pace;
}

/**
 * `fleet` rules the schema cannot express: a full batch must fit in its share of the Lambda
 * timeout at its paced call rate, or batches would routinely stop at their deadline.
 */
export function checkFleetConfig(config: AutopilotConfig, _today: Date, out: { issues: ValidationIssue[]; warnings: string[] }): void {
  if (!config.fleet) return;
  const budgetSeconds = BATCH_TIMEOUT_SECONDS * BATCH_BUDGET_SHARE;
  for (const job of ['sweep', 'mirror'] as const) {
    const plan = planFleet(config.fleet, job);
    if (plan.estimatedBatchSeconds <= budgetSeconds) continue;
    const field = job === 'sweep' ? 'repositoriesPerBatch' : 'imagesPerBatch';
    const pace = itemPace(job, plan.callsPerSecondPerBatch, plan.imageApiCallsPerSecondPerBatch);
    const fitting = Math.max(1, Math.floor(budgetSeconds / pace.seconds));
    out.issues.push({
      path: `fleet.${field}`,
      message: `${plan.maxItemsPerBatch} per batch at ${pace.limitedBy} would take about ${Math.round(plan.estimatedBatchSeconds)} s, over ${BATCH_BUDGET_SHARE * 100}% of the batch function's ${BATCH_TIMEOUT_SECONDS} s timeout`,
      fix: `set fleet.${field} to ${fitting} or less`,
    });
  }
}

function round(value: number): string {
  return Number.isInteger(value) ? String(value) : value.toFixed(2);
}

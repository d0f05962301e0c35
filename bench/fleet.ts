/**
 * Fleet benchmark: the scheduled sweep of 10,000 repositories × 100 images (1,000,000 images, 30 %
 * expiring) on a simulated ECR with per-call latency and token-bucket throttling, on a virtual
 * clock (minutes of simulated time take seconds).
 *
 * The fleet run uses the real List, batch and Aggregate use cases, with the batching, concurrency
 * and per-batch call pacing `planFleet` derives from `infra/autopilot.yml` (what the state machine
 * is built from), and the Map's scheduling: at most MaxConcurrency batches at once, the next one
 * starting as soon as one ends. The baseline is today's single-invocation sweep (`sweepLifecycle`,
 * one repository after another) on the same simulator. Each budget runs with the shipped per-run
 * deletion cap (`lifecycle.maxDeletionsPerRun`, 200), which the batches share through the state
 * table (`DynamoStateStore` on a fake table with DynamoDB-like latency on the same virtual clock), and with the cap
 * lifted, so every expiring image is deleted: the most calls a sweep makes. The shipped budget
 * (20/s) stays because ECR publishes no rate for what the sweep calls; where a run cannot meet the
 * 10-minute target at its budget, the bench says so and why (`budgetBound`) instead of hiding it.
 *
 * Run alone with: npm run bench -- fleet
 */
import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { loadConfig } from '../lib/config/loadConfig';
import type { AutopilotConfig } from '../lib/config/types';
import { EcrRegistry } from '../lib/ecr/EcrRegistry';
import { aggregateFleetRun } from '../lib/fleet/aggregateFleetRun';
import { MemoryFleetStore } from '../lib/fleet/FleetStore';
import { listFleetWork } from '../lib/fleet/listFleetWork';
import { BATCH_BUDGET_SHARE, BATCH_TIMEOUT_SECONDS, planFleet, type FleetPlan } from '../lib/fleet/planFleet';
import { runSweepBatch } from '../lib/fleet/runSweepBatch';
import type { SweepItem } from '../lib/fleet/types';
import { DEFAULT_MAX_DELETIONS_PER_RUN } from '../lib/lifecycle/expireRepository';
import { sweepLifecycle } from '../lib/lifecycle/sweepLifecycle';
import type { PublishNoticeChange } from '../lib/notify/changes';
import { routeChanges } from '../lib/plan/routeChanges';
import type { Change, ChangeOutcome } from '../lib/plan/types';
import type { LoggerPort } from '../lib/runtime/types';
import { CallPacer } from '../lib/shared/callPacer';
import { ECR_IMAGE_API_RATE_QUOTAS } from '../lib/ecr/imageApiQuotas';
import { DynamoStateStore } from '../lib/state/DynamoStateStore';
import { MemoryStateStore } from '../lib/state/MemoryStateStore';
import type { StateStore } from '../lib/state/StateStore';
import { writeMapRunResults, type ChildExecution } from '../test/support/fleetStateMachineDriver';
import { fakeStateTable } from '../test/support/stateTable';
import { SimulatedEcr, type SimulatedImage } from '../test/support/simulatedEcr';
import { VirtualClock } from '../test/support/virtualClock';
import type { BenchSection, Measurement } from './types';

const REPOSITORIES = 10_000;
const IMAGES_PER_REPOSITORY = 100;
const EXPIRING_PER_REPOSITORY = 30;
const ACCOUNT = '123456789012';
const REGION = 'ap-northeast-2';
const STATE_MACHINE_ARN = `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:ecr-autopilot-bench-fleet-sweep`;
const TARGET_MINUTES = 10;
/** A raised budget, besides the shipped one: what an account with known higher ECR rates would set. */
const RAISED_BUDGET = 100;
const NOW = Date.parse('2026-11-20T18:00:00Z');
/** A state table call (GetItem, conditional UpdateItem) takes this long: DynamoDB's single-digit milliseconds, plus the network. */
const STATE_LATENCY_MS = 8;
const STATE_TABLE = 'ecr-autopilot-bench-state';
const DAY = 86_400_000;

/** Simulated ECR latency per operation (tens of milliseconds), with a deterministic ±20 % spread. */
function latencyModel(): (operation: string) => number {
  const base: Record<string, number> = { DescribeRepositories: 60, GetLifecyclePolicy: 30, DescribeImages: 50, BatchGetImage: 40, BatchDeleteImage: 80 };
  let state = 20261120;
  return (operation) => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return (base[operation] ?? 40) * (0.8 + 0.4 * (state / 2 ** 32));
  };
}

const repositoryName = (i: number) => `team-${String(i % 100).padStart(2, '0')}/service-${i}`;

/** 100 images: 70 tagged and a day old (kept), 30 untagged and 30 days old (the services policy expires untagged after 7 days). */
function imagesOf(repository: string): SimulatedImage[] {
  return Array.from({ length: IMAGES_PER_REPOSITORY }, (_, i) => {
    const expiring = i >= IMAGES_PER_REPOSITORY - EXPIRING_PER_REPOSITORY;
    return {
      imageDigest: `sha256:${Buffer.from(`${repository}#${i}`).toString('hex').padEnd(64, '0').slice(-64)}`,
      imageTags: expiring ? [] : [`build-${i}`],
      imagePushedAt: new Date(NOW - (expiring ? 30 : 1) * DAY - i * 60_000),
      imageSizeInBytes: 50_000_000,
      imageManifestMediaType: 'application/vnd.oci.image.manifest.v1+json',
    };
  });
}

function simulator(config: AutopilotConfig, clock: VirtualClock, callsPerSecond: number): SimulatedEcr {
  const policy = config.repositoryClasses.find((c) => c.name === 'services')?.lifecyclePolicy?.text;
  return new SimulatedEcr({
    registryId: ACCOUNT,
    region: REGION,
    repositories: Array.from({ length: REPOSITORIES }, (_, i) => ({
      repositoryName: repositoryName(i),
      imageTagMutability: 'IMMUTABLE_WITH_EXCLUSION',
      exclusions: ['latest', 'main', 'dev-*'],
      scanOnPush: true,
      ...(policy ? { lifecyclePolicyText: policy } : {}),
    })),
    imagesOf,
    clock,
    latencyMs: latencyModel(),
    callsPerSecond,
  });
}

const quietLogger: LoggerPort = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

/** Records what would be published (the bench counts ledgers); nothing leaves the process. */
function recordingSns(): { writer: { apply(change: Change): Promise<ChangeOutcome> }; notices: PublishNoticeChange['notice'][] } {
  const notices: PublishNoticeChange['notice'][] = [];
  return {
    notices,
    writer: {
      async apply(change) {
        notices.push((change as PublishNoticeChange).notice);
        return { status: 'applied' };
      },
    },
  };
}

/** How the state table answered the batches' conditional writes. */
interface StateTableAnswers {
  calls: number;
  /** Writes that lost a race to another run and were retried (a read-then-write's stale read; two runs starting one count). */
  lost: number;
  /** Atomic adds refused because less room remained than wanted: the reservation got what remained, or nothing at the cap. */
  short: number;
  /** Atomic adds refused because the count had not started yet (the run then started it). */
  unstarted: number;
}

/**
 * The state table the batches share the deletion cap through: the real `DynamoStateStore` over the
 * test suite's fake table behind a mocked DynamoDB client, on the virtual clock (each call takes
 * `STATE_LATENCY_MS`, so concurrent batches interleave as they do on DynamoDB), counting calls and
 * the conditional writes DynamoDB refuses (ConditionalCheckFailedException), by why.
 */
function sharedStateTable(clock: VirtualClock): { state: StateStore; answers: StateTableAnswers; close: () => void } {
  const dynamo = mockClient(DynamoDBClient);
  fakeStateTable(dynamo, STATE_TABLE);
  const client = new DynamoDBClient({ region: REGION, credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' } });
  const answers: StateTableAnswers = { calls: 0, lost: 0, short: 0, unstarted: 0 };
  const slowClient = {
    send: async (command: { input: { ConditionExpression?: string } }) => {
      answers.calls += 1;
      await clock.sleep(STATE_LATENCY_MS);
      try {
        return await client.send(command as never);
      } catch (error) {
        if (error instanceof ConditionalCheckFailedException) {
          const atomicAdd = command.input.ConditionExpression?.startsWith('#data.#used <= :room') === true;
          if (!atomicAdd) answers.lost += 1;
          else if (error.Item) answers.short += 1;
          else answers.unstarted += 1;
        }
        throw error;
      }
    },
  };
  return {
    state: new DynamoStateStore({ client: slowClient as unknown as DynamoDBClient, tableName: STATE_TABLE, now: () => NOW + clock.now() }),
    answers,
    close: () => dynamo.restore(),
  };
}

interface FleetRunMeasurement {
  plan: FleetPlan;
  budget: number;
  wallSeconds: number;
  calls: number;
  throttled: number;
  peakCallsPerSecond: number;
  largestBatchSeconds: number;
  batches: number;
  failedBatches: number;
  ledgers: number;
  ledgerParts: number;
  imagesExpired: number;
  /** Images the simulated registry no longer has. */
  imagesDeleted: number;
  cap: number;
  state: StateTableAnswers;
  /** ECR calls by operation. */
  operations: Map<string, number>;
  /** Failures the run's ledger counts (a repository whose reads were throttled beyond the retries, …). */
  failures: number;
}

/** List → Map (at most MaxConcurrency batches at once) → Aggregate, in virtual time. */
async function runFleet(baseConfig: AutopilotConfig, budget: number, accountRate = budget): Promise<FleetRunMeasurement> {
  const config: AutopilotConfig = { ...baseConfig, fleet: { ...(baseConfig.fleet ?? { repositoriesPerBatch: 50, imagesPerBatch: 2, toleratedFailurePercentage: 5, retentionDays: 7, ecrCallsPerSecond: budget }), ecrCallsPerSecond: budget } };
  const plan = planFleet(config.fleet, 'sweep');
  const clock = new VirtualClock();
  const ecr = simulator(config, clock, accountRate);
  const store = new MemoryFleetStore('ecr-autopilot-bench-fleet');
  const sns = recordingSns();
  const table = sharedStateTable(clock);
  const retry = { sleep: (ms: number) => clock.sleep(ms), now: () => clock.now() };
  const registry = (pacer?: CallPacer) => new EcrRegistry({ client: ecr.client() as never, region: REGION, registryId: ACCOUNT, retry, ...(pacer ? { pacer } : {}) });

  let largestBatchMs = 0;
  const result = await clock.run(async () => {
    // List runs alone before the Map: pace it at the whole budget.
    const executionName = 'bench-run';
    const { listing } = await listFleetWork(
      { job: 'sweep', executionArn: `${STATE_MACHINE_ARN.replace(':stateMachine:', ':execution:')}:${executionName}`, executionName, startedAt: new Date(NOW).toISOString() },
      { config, registry: registry(new CallPacer(budget, clock)), store, logger: quietLogger },
    );
    const items = (await store.getJson(listing.itemsKey)) as SweepItem[];
    const children: ChildExecution[] = [];
    for (let offset = 0; offset < items.length; offset += plan.maxItemsPerBatch) {
      children.push({ executionArn: `${STATE_MACHINE_ARN.replace(':stateMachine:', ':execution:')}/Batches:${children.length}`, input: { Items: items.slice(offset, offset + plan.maxItemsPerBatch), BatchInput: { run: listing.run } }, status: 'FAILED', redriveCount: 0 });
    }
    let next = 0;
    const worker = async () => {
      while (next < children.length) {
        const child = children[next++] as ChildExecution;
        const batchRegistry = registry(new CallPacer(plan.callsPerSecondPerBatch, clock));
        const started = clock.now();
        try {
          child.output = await runSweepBatch(child.input, { config, registry: batchRegistry, state: table.state, writer: routeChanges({ ecr: batchRegistry }), clock: () => new Date(NOW), logger: quietLogger });
          child.status = 'SUCCEEDED';
        } catch (error) {
          child.error = (error as Error).name;
          child.cause = (error as Error).message;
        }
        largestBatchMs = Math.max(largestBatchMs, clock.now() - started);
      }
    };
    await Promise.all(Array.from({ length: plan.maxConcurrency }, worker));
    const manifestKey = writeMapRunResults(store, { bucket: store.bucket, prefix: listing.resultsPrefix, mapRunId: 'bench', stateMachineArn: STATE_MACHINE_ARN, children });
    await aggregateFleetRun(
      { run: listing.run, results: { MapRunArn: 'bench', ResultWriterDetails: { Bucket: store.bucket, Key: manifestKey } } },
      { config, registry: registry(), store, writer: routeChanges({ sns: sns.writer }), topicArn: 'arn:aws:sns:ap-northeast-2:123456789012:bench', clock: () => new Date(NOW), logger: quietLogger },
    );
    return { batches: children.length, failed: children.filter((c) => c.status === 'FAILED').length };
  }).finally(() => table.close());
  const ledgers = sns.notices.filter((notice) => notice.kind === 'lifecycle.ledger');
  return {
    plan,
    budget,
    wallSeconds: clock.now() / 1000,
    calls: ecr.totalCalls(),
    throttled: ecr.throttled,
    peakCallsPerSecond: ecr.peakCallsPerSecond(),
    largestBatchSeconds: largestBatchMs / 1000,
    batches: result.batches,
    failedBatches: result.failed,
    ledgers: new Set(ledgers.map((notice) => notice.id.replace(/:\d+$/, ''))).size,
    ledgerParts: ledgers.length,
    imagesExpired: ledgers[0]?.kind === 'lifecycle.ledger' ? ledgers[0].data.totals.imagesExpired : 0,
    imagesDeleted: REPOSITORIES * IMAGES_PER_REPOSITORY - Array.from({ length: REPOSITORIES }, (_, i) => ecr.imagesIn(repositoryName(i)).length).reduce((a, b) => a + b, 0),
    cap: config.lifecycle?.maxDeletionsPerRun ?? 0,
    state: table.answers,
    operations: new Map(ecr.calls),
    failures: ledgers[0]?.kind === 'lifecycle.ledger' ? ledgers[0].data.totals.failures : 0,
  };
}

/**
 * Why a run's wall time is what it is when the budget bounds it: its calls cannot go faster than
 * the budget, and what the target would need, against what ECR documents for the calls it made.
 */
function budgetBound(fleet: FleetRunMeasurement): string | undefined {
  const floorSeconds = fleet.calls / fleet.budget;
  const targetSeconds = TARGET_MINUTES * 60;
  if (floorSeconds <= targetSeconds) return undefined;
  const needed = Math.ceil(fleet.calls / targetSeconds);
  const byRate = [...fleet.operations].sort(([, a], [, b]) => b - a);
  const undocumented = byRate.filter(([operation]) => !(operation in ECR_IMAGE_API_RATE_QUOTAS)).map(([operation, count]) => `${operation} ${count.toLocaleString('en')}`);
  const documented = byRate.filter(([operation]) => operation in ECR_IMAGE_API_RATE_QUOTAS).map(([operation, count]) => `${operation} ${count.toLocaleString('en')} (${ECR_IMAGE_API_RATE_QUOTAS[operation as keyof typeof ECR_IMAGE_API_RATE_QUOTAS]}/s)`);
  return (
    `budget-bound, by design: ${fleet.calls.toLocaleString('en')} ECR calls at ${fleet.budget}/s take at least ${Math.round(floorSeconds)} s; ` +
    `${targetSeconds} s needs ${needed} calls/s of ${undocumented.join(', ')}, for which ECR publishes no rate quota ` +
    `(https://docs.aws.amazon.com/AmazonECR/latest/userguide/service-quotas.html lists only the image push/pull actions${documented.length > 0 ? `: ${documented.join(', ')}` : ''}). ` +
    `The default stays ${fleet.budget}/s; raise fleet.ecrCallsPerSecond once your account's rates are known (the ${RAISED_BUDGET}/s runs below)`
  );
}

/** Today's sweep: one invocation, one repository after another, on the same simulator. */
async function runBaseline(config: AutopilotConfig, budget: number): Promise<{ wallSeconds: number; calls: number; throttled: number }> {
  const clock = new VirtualClock();
  const ecr = simulator(config, clock, budget);
  const registry = new EcrRegistry({ client: ecr.client() as never, region: REGION, registryId: ACCOUNT, retry: { sleep: (ms: number) => clock.sleep(ms), now: () => clock.now() } });
  const sns = recordingSns();
  await clock.run(() => sweepLifecycle({}, { config, registry, writer: routeChanges({ ecr: registry, sns: sns.writer }), topicArn: 'arn:aws:sns:ap-northeast-2:123456789012:bench', state: new MemoryStateStore(), clock: () => new Date(NOW), logger: quietLogger }));
  return { wallSeconds: clock.now() / 1000, calls: ecr.totalCalls(), throttled: ecr.throttled };
}

const withNote = (note: string | undefined): { note?: string } => (note ? { note } : {});

export const fleetBench: BenchSection = {
  title: `Fleet sweep: ${REPOSITORIES.toLocaleString('en')} repositories × ${IMAGES_PER_REPOSITORY} images, ${(EXPIRING_PER_REPOSITORY / IMAGES_PER_REPOSITORY) * 100} % expiring, simulated ECR (latency 30–80 ms/call, token bucket at the budget), virtual clock`,
  async run(): Promise<Measurement[]> {
    const loaded = loadConfig().config;
    const config: AutopilotConfig = { ...loaded, lifecycle: { notifyWhenUnchanged: false, maxDeletionsPerRun: DEFAULT_MAX_DELETIONS_PER_RUN, ...loaded.lifecycle } };
    // The cap lifted, so that every expiring image is deleted: the most calls a sweep makes.
    const uncapped: AutopilotConfig = { ...config, lifecycle: { notifyWhenUnchanged: false, ...config.lifecycle, maxDeletionsPerRun: REPOSITORIES * EXPIRING_PER_REPOSITORY } };
    const shipped = config.fleet?.ecrCallsPerSecond ?? 20;
    const measurements: Measurement[] = [];
    const runs: Array<{ budget: number; config: AutopilotConfig; tag: string }> = [...new Set([shipped, RAISED_BUDGET])].flatMap((budget) => [
      { budget, config, tag: `${budget}/s` },
      { budget, config: uncapped, tag: `${budget}/s, cap lifted` },
    ]);
    for (const { budget, config: runConfig, tag } of runs) {
      const baseline = await runBaseline(runConfig, budget);
      const fleet = await runFleet(runConfig, budget);
      const label = `[${tag}] budget ${budget} calls/s (${budget === shipped ? 'infra/autopilot.yml' : 'raised'}; ${fleet.plan.maxConcurrency} batches of ${fleet.plan.maxItemsPerBatch} at once, ${fleet.plan.callsPerSecondPerBatch} calls/s each), deletion cap ${fleet.cap}`;
      console.log(`  ${label}: ${fleet.batches} batches, ${fleet.failedBatches} failed, ${fleet.imagesExpired.toLocaleString('en')} images expired; baseline ${baseline.calls.toLocaleString('en')} calls, ${baseline.throttled} throttled`);
      console.log(
        `    the batches shared the cap in ${fleet.state.calls.toLocaleString('en')} state table calls, ${fleet.state.lost} conditional write(s) lost and retried; ` +
          `${fleet.state.short.toLocaleString('en')} atomic add(s) refused for less room than wanted (granted what remained, or nothing at the cap), ${fleet.state.unstarted} before the count started`,
      );
      if (baseline.wallSeconds > BATCH_TIMEOUT_SECONDS) console.log(`    the baseline needs ${Math.round(baseline.wallSeconds)} s, more than one Lambda invocation's ${BATCH_TIMEOUT_SECONDS} s: deployed, it stops at its deadline with about ${Math.floor((BATCH_TIMEOUT_SECONDS / baseline.wallSeconds) * 100)} % of the repositories swept`);
      measurements.push(
        { name: `[${tag}] simulated wall time of the sweep`, value: Math.round(fleet.wallSeconds), unit: 's', baseline: { name: 'single-invocation sequential sweep', value: Math.round(baseline.wallSeconds) }, target: { max: TARGET_MINUTES * 60 }, ...withNote(budgetBound(fleet)) },
        { name: `[${tag}] ECR API calls per repository`, value: Number((fleet.calls / REPOSITORIES).toFixed(2)), unit: 'calls/repo', baseline: { name: 'single-invocation sweep', value: Number((baseline.calls / REPOSITORIES).toFixed(2)) } },
        { name: `[${tag}] throttled calls`, value: fleet.throttled, unit: 'count', target: { max: 0 } },
        { name: `[${tag}] peak calls in any second (budget ${budget})`, value: fleet.peakCallsPerSecond, unit: 'calls/s', target: { max: budget } },
        { name: `[${tag}] largest batch, simulated (Lambda timeout ${BATCH_TIMEOUT_SECONDS} s)`, value: Math.round(fleet.largestBatchSeconds), unit: 's', target: { max: BATCH_TIMEOUT_SECONDS * BATCH_BUDGET_SHARE } },
        { name: `[${tag}] ledgers published for the run (${fleet.ledgerParts} part(s))`, value: fleet.ledgers, unit: 'count', target: { max: 1 } },
        { name: `[${tag}] images deleted by the run (the ledger says ${fleet.imagesExpired})`, value: fleet.imagesDeleted, unit: 'count', target: { max: fleet.cap } },
      );
    }
    // An account whose real ECR rate is below the configured budget: throttling happens, and the
    // shared retry module's backoff has to carry every batch through.
    const squeezed = await runFleet(uncapped, RAISED_BUDGET, RAISED_BUDGET * 0.8);
    console.log(`  budget ${RAISED_BUDGET} calls/s, cap lifted, against an account that allows ${RAISED_BUDGET * 0.8}/s: ${squeezed.throttled} throttled calls retried with backoff, ${squeezed.failedBatches} of ${squeezed.batches} batches failed, ${squeezed.failures} failure(s) in the ledger (a repository throttled beyond the retries is reported and left for the next run), ${squeezed.imagesExpired.toLocaleString('en')} images expired, ${Math.round(squeezed.wallSeconds)} s`);
    measurements.push({ name: `[${RAISED_BUDGET}/s vs an ${RAISED_BUDGET * 0.8}/s account] failed batches after throttling backoff`, value: squeezed.failedBatches, unit: 'count', target: { max: 0 } });
    return measurements;
  },
};

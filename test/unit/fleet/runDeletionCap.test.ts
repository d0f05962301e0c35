/**
 * The batches of a fleet sweep share one run-wide deletion cap through the state table
 * (`runDeletionCap`, over expire-on-push's windowed counter): interleaved batches never delete more
 * than the cap together, use all of it when they need it, give back what they did not delete, and a
 * redriven batch draws from the same count. Against the in-memory store and against the DynamoDB
 * adapter on a mocked table, where concurrent batches lose conditional writes and retry.
 */
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import type { ECRClient } from '@aws-sdk/client-ecr';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { readConfig } from '../../../lib/config/loadConfig';
import { EcrRegistry } from '../../../lib/ecr/EcrRegistry';
import { MemoryFleetStore } from '../../../lib/fleet/FleetStore';
import { listFleetWork } from '../../../lib/fleet/listFleetWork';
import { runDeletionCap, runSweepBatch } from '../../../lib/fleet/runSweepBatch';
import type { FleetRun, SweepBatchResult, SweepItem } from '../../../lib/fleet/types';
import { routeChanges } from '../../../lib/plan/routeChanges';
import type { LoggerPort } from '../../../lib/runtime/types';
import { DynamoStateStore } from '../../../lib/state/DynamoStateStore';
import { MemoryStateStore } from '../../../lib/state/MemoryStateStore';
import type { StateStore } from '../../../lib/state/StateStore';
import { ACCOUNT, REGION } from '../../support/events';
import { SimulatedEcr, type SimulatedImage } from '../../support/simulatedEcr';
import { fakeStateTable } from '../../support/stateTable';
import { VirtualClock } from '../../support/virtualClock';

const POLICY = { rules: [{ rulePriority: 1, selection: { tagStatus: 'untagged', countType: 'sinceImagePushed', countUnit: 'days', countNumber: 7 }, action: { type: 'expire' } }] };
const CAP = 10;
const loaded = readConfig(
  `version: 1
repositoryClasses:
  - { name: services, repositories: ["team/**"], lifecyclePolicy: ${JSON.stringify(POLICY)} }
lifecycle: { maxDeletionsPerRun: ${CAP} }
fleet: { ecrCallsPerSecond: 1000, repositoriesPerBatch: 4 }
`,
  '/tmp/autopilot.yml',
);
if (!loaded.ok) throw new Error('test configuration is invalid');
const config = loaded.config;
const logger: LoggerPort = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };
const STARTED = Date.parse('2026-11-20T18:00:00Z');
const DAY = 86_400_000;
/** Expiring images per repository: batch a wants 12, batch b nothing, batch c 4 (16 > the cap of 10). */
const EXPIRING: Record<string, number> = { a: 3, b: 0, c: 1 };
const REPOSITORIES = ['a', 'b', 'c'].flatMap((group) => [0, 1, 2, 3].map((i) => `team/${group}-${i}`));

function imagesOf(repository: string): SimulatedImage[] {
  const expiring = EXPIRING[repository.slice(5, 6)] ?? 0;
  return Array.from({ length: expiring + 1 }, (_, i) => ({
    imageDigest: `sha256:${Buffer.from(`${repository}#${i}`).toString('hex').padEnd(64, '0').slice(-64)}`,
    imageTags: i === 0 ? ['v1'] : [],
    imagePushedAt: new Date(STARTED - (i === 0 ? 1 : 30) * DAY),
    imageSizeInBytes: 1_000,
    imageManifestMediaType: 'application/vnd.oci.image.manifest.v1+json',
  }));
}

interface Fleet {
  clock: VirtualClock;
  ecr: SimulatedEcr;
  registry: EcrRegistry;
  run: FleetRun;
  /** The run's batches, as the Map's ItemBatcher cuts them (a, b, c). */
  batches: SweepItem[][];
}

/** A listed run on a simulated ECR where every call takes 20 ms of virtual time, so batches interleave. */
async function listedRun(runId: string, fault?: (operation: string, input: Record<string, unknown>) => Error | undefined): Promise<Fleet> {
  const clock = new VirtualClock();
  const ecr = new SimulatedEcr({
    registryId: ACCOUNT,
    region: REGION,
    repositories: REPOSITORIES.map((repositoryName) => ({ repositoryName, lifecyclePolicyText: JSON.stringify(POLICY), imageTagMutability: 'MUTABLE', scanOnPush: false })),
    imagesOf,
    clock,
    latencyMs: () => 20,
    ...(fault ? { fault } : {}),
  });
  const registry = new EcrRegistry({ client: ecr.client() as unknown as ECRClient, region: REGION, registryId: ACCOUNT, retry: { sleep: (ms: number) => clock.sleep(ms), now: () => clock.now() } });
  const store = new MemoryFleetStore();
  const executionArn = `arn:aws:states:${REGION}:${ACCOUNT}:execution:ecr-autopilot-test-fleet-sweep:${runId}`;
  const { listing } = await clock.run(() => listFleetWork({ job: 'sweep', executionArn, executionName: runId, startedAt: new Date(STARTED).toISOString() }, { config, registry, store, logger }));
  const items = (await store.getJson(listing.itemsKey)) as SweepItem[];
  const batches = [0, 4, 8].map((offset) => items.slice(offset, offset + 4));
  return { clock, ecr, registry, run: listing.run, batches };
}

/** Runs batches at once (as the Map does), on the virtual clock. */
async function runBatches(fleet: Fleet, state: StateStore, which: readonly number[]): Promise<SweepBatchResult[]> {
  return fleet.clock.run(() =>
    Promise.all(
      which.map(async (index) => {
        const { result } = await runSweepBatch(
          { Items: fleet.batches[index] as SweepItem[], BatchInput: { run: fleet.run } },
          { config, registry: fleet.registry, state, writer: routeChanges({ ecr: fleet.registry }), clock: () => new Date(STARTED), logger },
        );
        return result;
      }),
    ),
  );
}

function deletedIn(fleet: Fleet, group: string): number {
  return [0, 1, 2, 3].reduce((n, i) => n + (EXPIRING[group] ?? 0) + 1 - fleet.ecr.imagesIn(`team/${group}-${i}`).length, 0);
}

/** The run's counter in the state table. */
async function used(state: StateStore, run: FleetRun): Promise<number | undefined> {
  const key = { pk: 'lifecycle#deletions', sk: `fleet-sweep:${run.runId}#2026-11-03T00:00:00.000Z` };
  return (await state.get<{ used: number }>(key))?.data.used;
}

describe('the run-wide deletion cap of a fleet sweep', () => {
  it('lists the run with one cap for all its batches, not a share each', async () => {
    // Act
    const fleet = await listedRun('run-1');

    // Assess
    expect(fleet.run.maxDeletions).toBe(CAP);
    expect(fleet.batches.map((batch) => batch.map((item) => item.repository))).toEqual([REPOSITORIES.slice(0, 4), REPOSITORIES.slice(4, 8), REPOSITORIES.slice(8)]);
  });

  it('lets interleaved batches use the whole cap together and never more (in-memory state)', async () => {
    // Prepare
    const fleet = await listedRun('run-2');
    const state = new MemoryStateStore({ now: () => STARTED + fleet.clock.now() });

    // Act
    const results = await runBatches(fleet, state, [0, 1, 2]);

    // Assess: 16 images would expire; exactly the cap's 10 are deleted, the counter agrees, the ledger too.
    expect(deletedIn(fleet, 'a') + deletedIn(fleet, 'c')).toBe(CAP);
    expect(deletedIn(fleet, 'c')).toBeGreaterThan(0);
    expect(results.reduce((n, result) => n + result.totals.imagesExpired, 0)).toBe(CAP);
    expect(results.some((result) => result.totals.capReached)).toBe(true);
    expect(await used(state, fleet.run)).toBe(CAP);
    const kept = results.flatMap((result) => result.repositories.flatMap((repository) => repository.kept));
    expect(kept.length).toBe(0); // cap-reached images are counted by capReached, not listed
  });

  it('gives back what a batch reserved but could not delete, so the other batches can use it', async () => {
    // Prepare: every deletion in batch c is denied.
    const denied = Object.assign(new Error('User is not authorized to perform: ecr:BatchDeleteImage'), { name: 'AccessDeniedException', $metadata: { httpStatusCode: 400 } });
    const fleet = await listedRun('run-3', (operation, input) => (operation === 'BatchDeleteImage' && String(input.repositoryName).startsWith('team/c-') ? denied : undefined));
    const state = new MemoryStateStore({ now: () => STARTED + fleet.clock.now() });

    // Act: c runs first and fails its deletions; then a and b, at once.
    const [c] = await runBatches(fleet, state, [2]);
    const afterC = await used(state, fleet.run);
    await runBatches(fleet, state, [0, 1]);

    // Assess
    expect(c?.totals.failures).toBe(4);
    expect(afterC).toBe(0);
    expect(deletedIn(fleet, 'a')).toBe(CAP);
    expect(await used(state, fleet.run)).toBe(CAP);
  });

  it('draws a redriven batch from the same count, and gives another run a cap of its own', async () => {
    // Prepare: batch a used the whole cap.
    const fleet = await listedRun('run-4');
    const state = new MemoryStateStore({ now: () => STARTED + fleet.clock.now() });
    await runBatches(fleet, state, [0]);

    // Act: batch c runs later (a redrive of the Map Run); then another run's batch c.
    const [redriven] = await runBatches(fleet, state, [2]);
    const next = await listedRun('run-5');
    const [other] = await runBatches({ ...next, ecr: fleet.ecr, registry: fleet.registry, clock: fleet.clock }, state, [2]);

    // Assess
    expect(redriven?.totals).toMatchObject({ imagesExpired: 0, capReached: true });
    expect(deletedIn(fleet, 'c')).toBe(4);
    expect(other?.totals.imagesExpired).toBe(4);
    expect(await used(state, fleet.run)).toBe(CAP);
    expect(await used(state, next.run)).toBe(4);
  });

  it('tells in the ledger which cap kept an image', async () => {
    // Prepare
    const fleet = await listedRun('run-6');
    const state = new MemoryStateStore({ now: () => STARTED + fleet.clock.now() });

    // Act
    const cap = runDeletionCap(state, fleet.run);

    // Assess
    expect(cap.description).toBe("the run's deletion cap of 10 (lifecycle.maxDeletionsPerRun), shared by all its batches,");
    expect(await cap.reserve(25)).toBe(CAP);
    expect(await runDeletionCap(state, fleet.run).reserve(1)).toBe(0);
  });
});

describe('the run-wide deletion cap on the DynamoDB state table', () => {
  const dynamo = mockClient(DynamoDBClient);
  const TABLE = 'ecr-autopilot-test-state';

  beforeEach(() => dynamo.reset());

  it('holds under interleaved batches that lose conditional writes and retry', async () => {
    // Prepare: each table call takes 5 ms of virtual time, so batches read the same version and race.
    const table = fakeStateTable(dynamo, TABLE);
    const fleet = await listedRun('run-7');
    const client = new DynamoDBClient({ region: REGION });
    let lost = 0;
    const slowClient = {
      send: async (command: Parameters<DynamoDBClient['send']>[0]) => {
        await fleet.clock.sleep(5);
        try {
          return await client.send(command as never);
        } catch (error) {
          if ((error as Error).name === 'ConditionalCheckFailedException') lost += 1;
          throw error;
        }
      },
    };
    const state = new DynamoStateStore({ client: slowClient as unknown as DynamoDBClient, tableName: TABLE, now: () => STARTED + fleet.clock.now() });

    // Act
    const results = await runBatches(fleet, state, [0, 1, 2]);

    // Assess
    const item = [...table.items.values()][0];
    expect(lost).toBeGreaterThan(0);
    expect(deletedIn(fleet, 'a') + deletedIn(fleet, 'c')).toBe(CAP);
    expect(results.reduce((n, result) => n + result.totals.imagesExpired, 0)).toBe(CAP);
    expect(item?.data?.M?.used).toEqual({ N: String(CAP) });
    expect(item?.sk).toEqual({ S: 'fleet-sweep:run-7#2026-11-03T00:00:00.000Z' });
    // Kept a window past the run's 30-day window: long after Step Functions' 14-day redrive period.
    expect(Number(item?.expiresAt?.N)).toBe(Date.parse('2027-01-02T00:00:00.000Z') / 1000);
    expect(dynamo.commandCalls(GetItemCommand).every((call) => call.args[0].input.ConsistentRead === true)).toBe(true);
  });
});

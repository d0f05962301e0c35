/**
 * The fleet's data contract end to end, in-process: the sweep state machine's own definition run by
 * a local driver with the real Lambda handlers (List, batch, Aggregate, and onFleetRunInterrupted
 * for the execution's status change events) on a mocked registry, S3 and SNS. Covers a complete
 * run, a failed batch the aggregate reports, and a run that fails at the Map, is reported as such,
 * and completes on redrive.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ECRClient } from '@aws-sdk/client-ecr';
import * as ecrSdk from '@aws-sdk/client-ecr';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../lib/config/loadConfig';
import { planFleet } from '../../../lib/fleet/planFleet';
import { fleetStateMachineDefinition } from '../../../lib/fleet/stateMachineDefinition';
import type { LifecycleLedgerNotice } from '../../../lib/notify/notices';
import type { FunctionReport } from '../../../lib/runtime/types';
import { ACCOUNT, lambdaContext, REGION } from '../../support/events';
import { FleetStateMachineDriver, type LambdaHandler } from '../../support/fleetStateMachineDriver';
import { fakeIdempotencyTable } from '../../support/idempotencyTable';
import { captureLogs, LAMBDA_ENV, setEnv } from '../../support/lambdaHarness';
import { SimulatedEcr, type SimulatedImage } from '../../support/simulatedEcr';
import { fakeStateTable, type FakeStateTable } from '../../support/stateTable';

const ecr = mockClient(ECRClient);
const s3 = mockClient(S3Client);
const sns = mockClient(SNSClient);
const dynamo = mockClient(DynamoDBClient);

const BUCKET = 'ecr-autopilot-test-fleet';
const STACK_NAME = 'ecr-autopilot-test';
const STATE_MACHINE_ARN = `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:${STACK_NAME}-fleet-sweep`;
const NOW = Date.now();
const DAY = 86_400_000;
const POLICY = {
  rules: [{ rulePriority: 1, description: 'untagged after a week', selection: { tagStatus: 'untagged', countType: 'sinceImagePushed', countUnit: 'days', countNumber: 7 }, action: { type: 'expire' } }],
};
// Ten repositories in batches of three (3, 3, 3, 1); a quarter of the batches may fail. The budget is
// high so each batch's pacing (its share of it) costs the test little time.
const CONFIG = `version: 1
repositoryClasses:
  - name: services
    repositories: ["team/**"]
    lifecyclePolicy: ${JSON.stringify(POLICY)}
lifecycle: { maxDeletionsPerRun: 100 }
fleet: { ecrCallsPerSecond: 1000, repositoriesPerBatch: 3, toleratedFailurePercentage: 25 }
`;
const REPOSITORIES = Array.from({ length: 10 }, (_, i) => `team/svc-${i}`);

let dir: string;
let restoreEnv: () => void;
let logs: ReturnType<typeof captureLogs>;
let objects: Map<string, string>;
let registry: SimulatedEcr;
let faulty: Set<string>;
let handlers: Record<string, LambdaHandler>;
let stateTable: FakeStateTable;

/** Five images per repository: three tagged and recent (kept), two untagged and a month old (expired). */
function imagesOf(repository: string): SimulatedImage[] {
  return Array.from({ length: 5 }, (_, i) => ({
    imageDigest: `sha256:${Buffer.from(`${repository}#${i}`).toString('hex').padEnd(64, '0').slice(0, 64)}`,
    imageTags: i < 3 ? [`v1.${i}`] : [],
    imagePushedAt: new Date(NOW - (i < 3 ? 1 : 30) * DAY),
    imageSizeInBytes: 1_000_000,
    imageManifestMediaType: 'application/vnd.oci.image.manifest.v1+json',
  }));
}

function driver(): FleetStateMachineDriver {
  const { config } = loadConfig(join(dir, 'autopilot.yml'));
  return new FleetStateMachineDriver({
    definition: fleetStateMachineDefinition(planFleet(config.fleet, 'sweep')),
    functions: { ListFunctionArn: handlers.list as LambdaHandler, BatchFunctionArn: handlers.batch as LambdaHandler, AggregateFunctionArn: handlers.aggregate as LambdaHandler },
    bucket: BUCKET,
    store: { put: (key, value) => objects.set(key, JSON.stringify(value)), get: (key) => JSON.parse(objects.get(key) ?? 'null') as unknown },
    stateMachineArn: STATE_MACHINE_ARN,
    lambdaContext: () => lambdaContext('ecr-autopilot-test-fleet'),
  });
}

function ledgers(): LifecycleLedgerNotice[] {
  return sns.commandCalls(PublishCommand).map((call) => JSON.parse(JSON.parse(call.args[0].input.Message as string).lambda) as LifecycleLedgerNotice);
}

/** The subject and email text of each published message. */
function emails(): Array<{ subject: string; text: string }> {
  return sns.commandCalls(PublishCommand).map((call) => ({ subject: call.args[0].input.Subject ?? '', text: JSON.parse(call.args[0].input.Message as string).email as string }));
}

/** What the rule in infra/resources/fleet.yml routes: this state machine's runs ending FAILED, TIMED_OUT or ABORTED. */
function routedByRule(event: { detail: { status: string; stateMachineArn: string } }): boolean {
  return ['FAILED', 'TIMED_OUT', 'ABORTED'].includes(event.detail.status) && event.detail.stateMachineArn === STATE_MACHINE_ARN;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'fleet-run-'));
  writeFileSync(join(dir, 'autopilot.yml'), CONFIG);
  restoreEnv = setEnv({ ...LAMBDA_ENV, AUTOPILOT_CONFIG: join(dir, 'autopilot.yml'), FLEET_BUCKET: BUCKET, STACK_NAME });
  handlers = {
    list: (await import('../../../functions/listFleetWork')).handler as unknown as LambdaHandler,
    batch: (await import('../../../functions/sweepFleetBatch')).handler as unknown as LambdaHandler,
    aggregate: (await import('../../../functions/aggregateFleetRun')).handler as unknown as LambdaHandler,
    interrupted: (await import('../../../functions/onFleetRunInterrupted')).handler as unknown as LambdaHandler,
  };
});

afterAll(() => {
  restoreEnv();
  rmSync(dir, { recursive: true, force: true });
});

beforeEach(() => {
  for (const client of [ecr, s3, sns, dynamo]) client.reset();
  fakeIdempotencyTable(dynamo);
  stateTable = fakeStateTable(dynamo, LAMBDA_ENV.STATE_TABLE_NAME);
  objects = new Map();
  faulty = new Set();
  registry = new SimulatedEcr({
    registryId: ACCOUNT,
    region: REGION,
    repositories: [...REPOSITORIES.map((repositoryName) => ({ repositoryName, lifecyclePolicyText: JSON.stringify(POLICY) })), { repositoryName: 'ungoverned/tool' }],
    imagesOf,
    // A batch whose repositories include a faulty one cannot even describe them: the whole batch fails.
    fault: (operation, input) =>
      operation === 'DescribeRepositories' && ((input.repositoryNames as string[] | undefined) ?? []).some((name) => faulty.has(name))
        ? Object.assign(new Error('User is not authorized to perform: ecr:DescribeRepositories'), { name: 'AccessDeniedException', $metadata: { httpStatusCode: 400 } })
        : undefined,
  });
  for (const [name, command] of Object.entries(ecrSdk)) {
    if (name.endsWith('Command') && typeof command === 'function') ecr.on(command as never).callsFake((input: Record<string, unknown>) => registry.handle(name.replace(/Command$/, ''), input));
  }
  s3.on(PutObjectCommand).callsFake((input: { Bucket: string; Key: string; Body: string }) => {
    expect(input.Bucket).toBe(BUCKET);
    objects.set(input.Key, input.Body);
    return {};
  });
  s3.on(ListObjectsV2Command).callsFake((input: { Bucket: string; Prefix: string }) => {
    expect(input.Bucket).toBe(BUCKET);
    const keys = [...objects.keys()].filter((key) => key.startsWith(input.Prefix));
    return { Contents: keys.map((Key, i) => ({ Key, LastModified: new Date(NOW + i) })), IsTruncated: false };
  });
  s3.on(GetObjectCommand).callsFake((input: { Key: string }) => {
    const body = objects.get(input.Key);
    if (body === undefined) throw Object.assign(new Error('The specified key does not exist.'), { name: 'NoSuchKey' });
    // The part of the SDK's stream mixin the store uses.
    return { Body: { transformToString: async () => body } };
  });
  sns.on(PublishCommand).resolves({ MessageId: 'message-1' });
  logs = captureLogs();
});

afterEach(() => logs.restore());

describe('the fleet sweep state machine, run in-process with the real handlers', () => {
  it('lists every governed repository into S3, sweeps them in batches and publishes exactly one ledger', async () => {
    // Act
    const execution = await driver().start({}, 'run-1');

    // Assess
    expect(execution.status).toBe('SUCCEEDED');
    const items = JSON.parse(objects.get('runs/sweep/run-1/items.json') ?? '[]') as unknown[];
    expect(items).toEqual(REPOSITORIES.map((repository) => ({ account: ACCOUNT, region: REGION, repository, repositoryClass: 'services' })));
    expect(execution.children.map((child) => child.input.Items.length)).toEqual([3, 3, 3, 1]);
    for (const repository of REPOSITORIES) expect(registry.imagesIn(repository).map((image) => image.imageTags)).toEqual([['v1.0'], ['v1.1'], ['v1.2']]);
    expect(registry.imagesIn('ungoverned/tool')).toHaveLength(5);
    const published = ledgers();
    expect(published).toHaveLength(1);
    expect(published[0]?.data).toMatchObject({
      trigger: 'sweep',
      repositoriesScanned: 10,
      totals: { imagesExpired: 20, bytesReclaimed: 20_000_000, failures: 0 },
      fleet: { executionArn: execution.executionArn, batches: { total: 4, succeeded: 4, failed: 0 }, failedBatches: [] },
    });
    expect(published[0]?.data.fleet?.executionUrl).toBe(`https://${REGION}.console.aws.amazon.com/states/home?region=${REGION}#/v2/executions/details/${execution.executionArn}`);
    expect(published[0]?.data.fleet?.redriveCommand).toBeUndefined();
    // The batches drew their deletions from the run's one counter in the state table.
    expect([...stateTable.items.entries()].map(([key, item]) => [key, item.data?.M?.used])).toEqual([[expect.stringMatching(/^lifecycle#deletions\|fleet-sweep:run-1#/), { N: '20' }]]);
  });

  it('reports a failed batch within the tolerated share by its execution link and items, and completes the run', async () => {
    // Prepare: the second batch (svc-3..5) fails; one of four is 25 %, the tolerated share.
    faulty.add('team/svc-4');

    // Act
    const execution = await driver().start({}, 'run-2');

    // Assess
    expect(execution.status).toBe('SUCCEEDED');
    const failedChild = execution.children.find((child) => child.status === 'FAILED');
    const [ledger] = ledgers();
    expect(ledgers()).toHaveLength(1);
    expect(ledger?.severity).toBe('warning');
    expect(ledger?.data.totals.imagesExpired).toBe(14);
    expect(ledger?.data.fleet).toMatchObject({ batches: { total: 4, succeeded: 3, failed: 1 } });
    expect(ledger?.data.fleet?.failedBatches).toEqual([
      {
        executionArn: failedChild?.executionArn,
        executionUrl: `https://${REGION}.console.aws.amazon.com/states/home?region=${REGION}#/v2/executions/details/${failedChild?.executionArn}`,
        items: ['team/svc-3', 'team/svc-4', 'team/svc-5'],
        error: 'AutopilotError',
        cause: expect.stringMatching(/DescribeRepositories.*denied/),
      },
    ]);
    expect(registry.imagesIn('team/svc-3')).toHaveLength(5);
  });

  it('fails at the Map above the tolerated share, reports what it did with the redrive command once, and a redrive reruns only the failed batches to one final ledger that includes it', async () => {
    // Prepare: two of four batches fail (50 % > 25 %).
    faulty.add('team/svc-0');
    faulty.add('team/svc-9');
    const run = driver();

    // Act: the run fails at the Map; EventBridge delivers its status change (twice: delivery is at least once).
    const failed = await run.start({}, 'run-3');
    const failedEvent = run.statusChanges.at(-1);
    const deliveries = [failedEvent, failedEvent].filter(routedByRule);
    const reports: FunctionReport[] = [];
    for (const event of deliveries) reports.push((await handlers.interrupted?.(structuredClone(event), lambdaContext('ecr-autopilot-test-onFleetRunInterrupted'))) as FunctionReport);

    // Assess: the batches that succeeded did their work, and one report says so, with the failed batches and the redrive.
    expect(failed).toMatchObject({ status: 'FAILED', error: 'States.ExceedToleratedFailureThreshold' });
    expect(deliveries).toHaveLength(2);
    expect(reports.map((report) => report.outcome)).toEqual(['done', 'done']);
    expect(registry.imagesIn('team/svc-3')).toHaveLength(3);
    expect(registry.imagesIn('team/svc-0')).toHaveLength(5);
    const [interim] = ledgers();
    expect(ledgers()).toHaveLength(1);
    expect(interim?.id).toBe('fleet-sweep-run-3:failed-0:lifecycle.ledger');
    expect(interim?.severity).toBe('warning');
    expect(interim?.data.totals.imagesExpired).toBe(12);
    expect(interim?.data.repositories.map((repository) => repository.repositoryName).sort()).toEqual(['team/svc-3', 'team/svc-4', 'team/svc-5', 'team/svc-6', 'team/svc-7', 'team/svc-8']);
    const failedChildren = failed.children.filter((child) => child.status === 'FAILED');
    expect(interim?.data.fleet).toMatchObject({
      executionArn: failed.executionArn,
      redriveCount: 0,
      batches: { total: 4, succeeded: 2, failed: 2 },
      redriveCommand: `aws stepfunctions redrive-execution --execution-arn ${failed.executionArn}`,
      interrupted: { status: 'FAILED', error: 'States.ExceedToleratedFailureThreshold', resultsRead: true },
    });
    expect(interim?.data.fleet?.failedBatches.map((batch) => [batch.executionArn, batch.items])).toEqual([
      [failedChildren[0]?.executionArn, ['team/svc-0', 'team/svc-1', 'team/svc-2']],
      [failedChildren[1]?.executionArn, ['team/svc-9']],
    ]);
    expect(emails()[0]?.subject).toBe('[ecr-autopilot] Lifecycle sweep (run FAILED, not finished): 12 images expired (11.4 MB)');
    expect(emails()[0]?.text).toContain(`redrive it (aws stepfunctions redrive-execution --execution-arn ${failed.executionArn}): the redrive reruns only what did not succeed and publishes the run's final ledger, which includes what is listed here`);
    const listedBefore = registry.calls.get('DescribeRepositories');

    // Act: the cause is fixed, the execution redriven; its SUCCEEDED status change is not routed.
    faulty.clear();
    const redriven = await run.redrive();
    for (const event of run.statusChanges.slice(1).filter(routedByRule)) await handlers.interrupted?.(event, lambdaContext('ecr-autopilot-test-onFleetRunInterrupted'));

    // Assess
    expect(redriven.status).toBe('SUCCEEDED');
    expect(run.statusChanges.map((event) => [event.detail.status, event.detail.redriveCount])).toEqual([
      ['FAILED', 0],
      ['SUCCEEDED', 1],
    ]);
    expect(redriven.children.map((child) => child.redriveCount)).toEqual([1, 0, 0, 1]);
    // Only the two failed batches described their repositories again; List did not run again.
    expect(registry.calls.get('DescribeRepositories')).toBe((listedBefore ?? 0) + 2);
    for (const repository of REPOSITORIES) expect(registry.imagesIn(repository)).toHaveLength(3);
    const published = ledgers();
    expect(published).toHaveLength(2);
    const final = published[1];
    expect(final?.id).toBe('fleet-sweep-run-3:lifecycle.ledger');
    expect(final?.data.totals.imagesExpired).toBe(20);
    expect(final?.data.fleet).toMatchObject({ redriveCount: 1, batches: { total: 4, succeeded: 4, failed: 0 } });
    expect(final?.data.fleet?.interrupted).toBeUndefined();
    // The two ledgers of one run agree: what the interim one lists, the final one lists the same way.
    for (const repository of interim?.data.repositories ?? []) {
      expect(final?.data.repositories.find((r) => r.repositoryName === repository.repositoryName)?.expired).toEqual(repository.expired);
    }
    expect(emails()[1]?.text).toContain('The run was redriven 1 time: this ledger covers the whole run and replaces the reports of its interruption.');
  });
});

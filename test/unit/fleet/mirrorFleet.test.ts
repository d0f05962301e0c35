import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../lib/config/loadConfig';
import { SnapshotRegistry } from '../../../lib/ecr/SnapshotRegistry';
import { hasErrorCode } from '../../../lib/errors';
import { aggregateFleetRun } from '../../../lib/fleet/aggregateFleetRun';
import { MemoryFleetStore } from '../../../lib/fleet/FleetStore';
import { listFleetWork } from '../../../lib/fleet/listFleetWork';
import { runMirrorBatch } from '../../../lib/fleet/runMirrorBatch';
import type { FleetRun, MirrorItem } from '../../../lib/fleet/types';
import { SnapshotUpstreamReader } from '../../../lib/mirror/UpstreamReader';
import type { Notice } from '../../../lib/notify/notices';
import { PlanningWriter } from '../../../lib/plan/PlanningWriter';
import type { LoggerPort } from '../../../lib/runtime/types';
import { ACCOUNT, EVENTS_DIR, REGION } from '../../support/events';
import { writeMapRunResults, type ChildExecution } from '../../support/fleetStateMachineDriver';

const config = loadConfig().config;
const registry = SnapshotRegistry.fromFile(resolve(EVENTS_DIR, 'registry-snapshot.json'));
const logger: LoggerPort = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };
const EXECUTION = `arn:aws:states:${REGION}:${ACCOUNT}:execution:ecr-autopilot-dev-fleet-mirror:run-7`;

function batchDeps(signal?: AbortSignal) {
  return {
    config,
    registry,
    writer: new PlanningWriter(),
    clock: () => new Date('2026-11-20T18:30:00Z'),
    logger,
    upstream: new SnapshotUpstreamReader(registry.snapshot.upstreamImages),
    destinationRegistry: async () => `${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com`,
    ...(signal ? { signal } : {}),
  };
}

describe('the fleet mirror', () => {
  it('lists one item per configured source with its tags, its destination, account and region', async () => {
    // Prepare
    const store = new MemoryFleetStore('fleet-bucket');

    // Act
    const { listing } = await listFleetWork({ job: 'mirror', executionArn: EXECUTION, executionName: 'run-7', startedAt: '2026-11-20T18:30:00Z' }, { config, registry, store, logger });

    // Assess
    expect(listing).toMatchObject({ itemsKey: 'runs/mirror/run-7/items.json', resultsPrefix: 'runs/mirror/run-7/results', itemCount: config.mirror?.images.length });
    expect(listing.run.maxDeletions).toBeUndefined();
    expect(store.get(listing.itemsKey)).toEqual(
      config.mirror?.images.map((image) => ({ account: ACCOUNT, region: REGION, repository: expect.stringMatching(/^mirror\//), source: image.source, tags: image.tags })),
    );
  });

  it('runs a batch with the mirror’s own steps and publishes one report for the run with the fleet section', async () => {
    // Prepare
    const store = new MemoryFleetStore('fleet-bucket');
    const { listing } = await listFleetWork({ job: 'mirror', executionArn: EXECUTION, executionName: 'run-7', startedAt: '2026-11-20T18:30:00Z' }, { config, registry, store, logger });
    const items = store.get(listing.itemsKey) as MirrorItem[];
    const input = { Items: items, BatchInput: { run: listing.run } };

    // Act
    const report = await runMirrorBatch(input, batchDeps());
    const children: ChildExecution[] = [{ executionArn: `${EXECUTION.replace(':run-7', '')}/Batches:b1`, input, status: 'SUCCEEDED', output: report, redriveCount: 0 }];
    const manifestKey = writeMapRunResults(store, { bucket: store.bucket, prefix: listing.resultsPrefix, mapRunId: 'm1', stateMachineArn: EXECUTION.replace(':execution:', ':stateMachine:').replace(':run-7', ''), children });
    const sns = new PlanningWriter();
    await aggregateFleetRun({ run: listing.run, results: { MapRunArn: 'm1', ResultWriterDetails: { Bucket: store.bucket, Key: manifestKey } } }, { config, registry, store, writer: sns, topicArn: 'arn:aws:sns:ap-northeast-2:123456789012:t', clock: () => new Date(), logger });

    // Assess
    expect(report.result.images.map((image) => `${image.source}:${image.tag}`).sort()).toEqual(
      (config.mirror?.images ?? []).flatMap((image) => image.tags.map((tag) => `${image.source}:${tag}`)).sort(),
    );
    const notices = sns.changes.map((change) => (change as unknown as { notice: Notice }).notice);
    expect(notices.map((notice) => [notice.kind, notice.id])).toEqual([['mirror.report', 'fleet-mirror-run-7:mirror.report']]);
    expect(notices[0]?.kind === 'mirror.report' && notices[0].data.fleet).toMatchObject({ executionArn: EXECUTION, batches: { total: 1, succeeded: 1, failed: 0 } });
  });

  it('starts nothing after the deadline signal and lists the images it did not reach', async () => {
    // Prepare
    const run: FleetRun = { job: 'mirror', runId: 'run-8', executionArn: EXECUTION, startedAt: '2026-11-20T18:30:00Z' };
    const controller = new AbortController();
    controller.abort();
    const deps = batchDeps(controller.signal);

    // Act
    const report = await runMirrorBatch({ Items: [{ account: ACCOUNT, region: REGION, repository: 'mirror/eks/aws-load-balancer-controller', source: 'public.ecr.aws/eks/aws-load-balancer-controller', tags: ['v2.9.2'] }], BatchInput: { run } }, deps);

    // Assess
    expect(report.result.notReached).toEqual(['public.ecr.aws/eks/aws-load-balancer-controller:v2.9.2']);
    // The destination is named without asking AWS for it (the report must not say 'into ').
    expect(report.result.registry).toBe(`${registry.registryId}.dkr.ecr.${registry.region}.amazonaws.com`);
    expect(deps.writer.changes).toEqual([]);
  });

  it('refuses an item that names an image no longer configured, so the batch fails visibly', async () => {
    // Prepare
    const run: FleetRun = { job: 'mirror', runId: 'run-9', executionArn: EXECUTION, startedAt: '2026-11-20T18:30:00Z' };

    // Act
    const error = await runMirrorBatch({ Items: [{ account: ACCOUNT, region: REGION, repository: 'mirror/x', source: 'quay.io/removed/image', tags: ['v1'] }], BatchInput: { run } }, batchDeps()).catch((e: unknown) => e);

    // Assess
    expect(hasErrorCode(error, 'CONFIG_INVALID')).toBe(true);
    expect((error as Error).message).toContain('quay.io/removed/image');
  });
});

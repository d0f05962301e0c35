import { resolve } from 'node:path';
import type { ECRClient } from '@aws-sdk/client-ecr';
import { describe, expect, it } from 'vitest';
import { loadConfig, readConfig } from '../../../lib/config/loadConfig';
import { EcrRegistry } from '../../../lib/ecr/EcrRegistry';
import { SnapshotRegistry } from '../../../lib/ecr/SnapshotRegistry';
import { runMirrorBatch } from '../../../lib/fleet/runMirrorBatch';
import { runSweepBatch } from '../../../lib/fleet/runSweepBatch';
import type { FleetRun } from '../../../lib/fleet/types';
import { SWEEP_STOP_MARGIN_MS } from '../../../lib/lifecycle/sweepLifecycle';
import { MIRROR_STOP_MARGIN_MS } from '../../../lib/mirror/mirrorImages';
import { SnapshotUpstreamReader } from '../../../lib/mirror/UpstreamReader';
import { PlanningWriter } from '../../../lib/plan/PlanningWriter';
import { routeChanges } from '../../../lib/plan/routeChanges';
import { MemoryStateStore } from '../../../lib/state/MemoryStateStore';
import type { LoggerPort } from '../../../lib/runtime/types';
import { ACCOUNT, EVENTS_DIR, REGION } from '../../support/events';
import { anHourLater, runFor, useFakeTime } from '../../support/fakeTime';
import { SimulatedEcr, type SimulatedImage } from '../../support/simulatedEcr';
import { SlowCopyWriter } from '../mirror/mirrorFixtures';

const NOW = new Date('2026-11-20T18:00:00Z');
const POLICY = { rules: [{ rulePriority: 1, selection: { tagStatus: 'untagged', countType: 'sinceImagePushed', countUnit: 'days', countNumber: 7 }, action: { type: 'expire' } }] };
const loaded = readConfig(`version: 1\nrepositoryClasses:\n  - { name: services, repositories: ["team/**"], lifecyclePolicy: ${JSON.stringify(POLICY)} }\n`, '/tmp/autopilot.yml');
if (!loaded.ok) throw new Error('test configuration is invalid');
const config = loaded.config;
const logger: LoggerPort = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };
const RUN: FleetRun = { job: 'sweep', runId: 'run-1', executionArn: `arn:aws:states:${REGION}:${ACCOUNT}:execution:m:run-1`, startedAt: NOW.toISOString(), maxDeletions: 100 };
const NAMES = ['team/a', 'team/b', 'team/c'];
const items = NAMES.map((repository) => ({ account: ACCOUNT, region: REGION, repository, repositoryClass: 'services' }));

function images(repository: string): SimulatedImage[] {
  return [0, 1].map((i) => ({
    imageDigest: `sha256:${Buffer.from(`${repository}${i}`).toString('hex').padEnd(64, '0').slice(0, 64)}`,
    imageTags: [],
    imagePushedAt: new Date(NOW.getTime() - 30 * 86_400_000),
    imageSizeInBytes: 1,
    imageManifestMediaType: 'application/vnd.oci.image.manifest.v1+json',
  }));
}

describe('runSweepBatch past its deadline (fake time)', () => {
  useFakeTime(NOW);

  it('starts no ECR call after its stop line, returns its result with what it did not reach, and calls nothing once it returned', async () => {
    // Prepare: listing a repository's images takes 25 s of fake time; the batch has 90 s, so its
    // stop line is at 60 s, while team/c's listing (50 s → 75 s) is in flight.
    const ecr = new SimulatedEcr({ registryId: ACCOUNT, region: REGION, repositories: NAMES.map((repositoryName) => ({ repositoryName, lifecyclePolicyText: JSON.stringify(POLICY) })), imagesOf: images });
    const operations: string[] = [];
    const client = ecr.client();
    const slow = {
      send: (command: { constructor: { name: string }; input: { imageIds?: unknown } }) => {
        const name = command.constructor.name.replace(/Command$/, '');
        operations.push(name);
        const answer = client.send(command);
        if (name !== 'DescribeImages' || command.input.imageIds !== undefined) return answer;
        return new Promise((resolve) => setTimeout(() => resolve(answer), 25_000));
      },
    };
    const registry = new EcrRegistry({ client: slow as unknown as ECRClient, region: REGION, registryId: ACCOUNT });
    let callsAtStop = -1;
    // Just before the stop line: nothing is scheduled between then and the line itself.
    setTimeout(() => {
      callsAtStop = operations.length;
    }, 90_000 - SWEEP_STOP_MARGIN_MS - 1);

    // Act
    const running = runSweepBatch({ Items: items, BatchInput: { run: RUN } }, { config, registry, state: new MemoryStateStore(), writer: routeChanges({ ecr: registry }), clock: () => new Date(), logger, deadline: { at: Date.now() + 90_000 } });
    const { result } = await runFor(running, 100_000);
    const callsWhenReturned = operations.length;
    await anHourLater();

    // Assess
    expect(callsAtStop).toBeGreaterThan(0);
    expect(callsWhenReturned).toBe(callsAtStop);
    expect(operations).toHaveLength(callsAtStop);
    expect(ecr.imagesIn('team/a')).toHaveLength(0);
    expect(ecr.imagesIn('team/b')).toHaveLength(0);
    expect(ecr.imagesIn('team/c')).toHaveLength(2);
    expect(result.notReached).toEqual(['team/c']);
    expect(result.totals.imagesExpired).toBe(4);
  });
});

describe('runMirrorBatch past its deadline (fake time)', () => {
  useFakeTime(NOW);

  it('abandons the copy in flight at its stop line and reports it as not reached; nothing runs once it returned', async () => {
    // Prepare: every copy takes 100 s of fake time; the batch has 100 s, so its stop line is at 70 s,
    // while the first copy is in flight.
    const snapshot = SnapshotRegistry.fromFile(resolve(EVENTS_DIR, 'registry-snapshot.json'));
    const shipped = loadConfig().config;
    const copies = new SlowCopyWriter();
    const planned = new PlanningWriter();
    const mirrorItems = (shipped.mirror?.images ?? []).map((image) => ({ account: ACCOUNT, region: REGION, repository: `mirror/${image.source}`, source: image.source, tags: image.tags }));
    const run: FleetRun = { job: 'mirror', runId: 'run-2', executionArn: RUN.executionArn, startedAt: NOW.toISOString() };
    let atStop = -1;
    setTimeout(() => {
      atStop = copies.started.length + planned.changes.length;
    }, 100_000 - MIRROR_STOP_MARGIN_MS - 1);

    // Act
    const running = runMirrorBatch(
      { Items: mirrorItems, BatchInput: { run } },
      {
        config: shipped,
        registry: snapshot,
        writer: routeChanges({ ecr: planned, oci: copies }),
        clock: () => new Date(),
        logger,
        upstream: new SnapshotUpstreamReader(snapshot.snapshot.upstreamImages),
        destinationRegistry: async () => `${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com`,
        deadline: { at: Date.now() + 100_000 },
      },
    );
    const { result } = await runFor(running, 160_000);
    const whenReturned = copies.started.length + planned.changes.length;
    await anHourLater();

    // Assess
    expect(copies.started).toHaveLength(1);
    expect(copies.finished).toEqual([]);
    expect(copies.abandoned).toEqual([copies.started[0]?.target]);
    expect(atStop).toBeGreaterThan(0);
    expect(whenReturned).toBe(atStop);
    expect(copies.started.length + planned.changes.length).toBe(atStop);
    const stopped = result.images.filter((image) => image.status === 'stopped');
    expect(stopped.map((image) => `${image.repository}:${image.tag}`)).toEqual([copies.started[0]?.target]);
    expect(result.notReached).toEqual(stopped.map((image) => `${image.source}:${image.tag}`));
  });
});


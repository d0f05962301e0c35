import type { ECRClient } from '@aws-sdk/client-ecr';
import { describe, expect, it } from 'vitest';
import { readConfig } from '../../../lib/config/loadConfig';
import { EcrRegistry } from '../../../lib/ecr/EcrRegistry';
import { runSweepBatch } from '../../../lib/fleet/runSweepBatch';
import type { FleetRun } from '../../../lib/fleet/types';
import { routeChanges } from '../../../lib/plan/routeChanges';
import type { LoggerPort } from '../../../lib/runtime/types';
import { ACCOUNT, REGION } from '../../support/events';
import { MemoryStateStore } from '../../../lib/state/MemoryStateStore';
import { SimulatedEcr, type SimulatedImage } from '../../support/simulatedEcr';

const POLICY = { rules: [{ rulePriority: 1, selection: { tagStatus: 'untagged', countType: 'sinceImagePushed', countUnit: 'days', countNumber: 7 }, action: { type: 'expire' } }] };
const loaded = readConfig(`version: 1\nrepositoryClasses:\n  - { name: services, repositories: ["team/**"], lifecyclePolicy: ${JSON.stringify(POLICY)} }\n`, '/tmp/autopilot.yml');
if (!loaded.ok) throw new Error('test configuration is invalid');
const config = loaded.config;
const logger: LoggerPort = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };
const RUN: FleetRun = { job: 'sweep', runId: 'run-1', executionArn: `arn:aws:states:${REGION}:${ACCOUNT}:execution:m:run-1`, startedAt: '2026-11-20T18:00:00Z', maxDeletions: 100 };
const NAMES = ['team/a', 'team/b', 'team/c'];

function images(repository: string): SimulatedImage[] {
  return [0, 1].map((i) => ({ imageDigest: `sha256:${Buffer.from(`${repository}${i}`).toString('hex').padEnd(64, '0').slice(0, 64)}`, imageTags: [], imagePushedAt: new Date(Date.now() - 30 * 86_400_000), imageSizeInBytes: 1, imageManifestMediaType: 'application/vnd.oci.image.manifest.v1+json' }));
}

function setup(fault?: (operation: string, input: Record<string, unknown>) => Error | undefined) {
  const ecr = new SimulatedEcr({ registryId: ACCOUNT, region: REGION, repositories: NAMES.map((repositoryName) => ({ repositoryName, lifecyclePolicyText: JSON.stringify(POLICY) })), imagesOf: images, ...(fault ? { fault } : {}) });
  // Every operation sent to ECR, in order.
  const operations: string[] = [];
  const client = ecr.client();
  const recording = { send: (command: { constructor: { name: string }; input: unknown }) => (operations.push(command.constructor.name.replace(/Command$/, '')), client.send(command)) };
  return { ecr, registry: new EcrRegistry({ client: recording as unknown as ECRClient, region: REGION, registryId: ACCOUNT }), operations };
}

const items = NAMES.map((repository) => ({ account: ACCOUNT, region: REGION, repository, repositoryClass: 'services' }));

describe('runSweepBatch and its deadline', () => {
  it('starts nothing when its stop line has passed, and lists every repository as not reached', async () => {
    // Prepare
    const { registry, operations } = setup();

    // Act
    const { result } = await runSweepBatch({ Items: items, BatchInput: { run: RUN } }, { config, registry, state: new MemoryStateStore(), writer: routeChanges({ ecr: registry }), clock: () => new Date(), logger, deadline: { at: Date.now() - 1 } });

    // Assess
    expect(operations).toEqual([]);
    expect(result.notReached).toEqual(NAMES);
    expect(result.totals.imagesExpired).toBe(0);
  });

  it('stops at an interrupt: the repository in hand is not finished, nothing is deleted after it, the rest are listed', async () => {
    // Prepare: the interrupt comes while team/b's images are read.
    const interrupt = new AbortController();
    const { ecr, registry, operations } = setup((operation, input) => {
      if (operation === 'DescribeImages' && input.repositoryName === 'team/b' && !input.imageIds) interrupt.abort();
      return undefined;
    });

    // Act
    const { result } = await runSweepBatch({ Items: items, BatchInput: { run: RUN } }, { config, registry, state: new MemoryStateStore(), writer: routeChanges({ ecr: registry }), clock: () => new Date(), logger, deadline: { interrupted: interrupt.signal } });

    // Assess
    expect(ecr.imagesIn('team/a')).toHaveLength(0);
    expect(ecr.imagesIn('team/b')).toHaveLength(2);
    expect(ecr.imagesIn('team/c')).toHaveLength(2);
    expect(result.notReached).toEqual(['team/b', 'team/c']);
    expect(operations.slice(operations.lastIndexOf('DescribeImages') + 1)).not.toContain('BatchDeleteImage');
  });
});

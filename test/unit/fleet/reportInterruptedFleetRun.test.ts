/**
 * The report of a fleet run that ended FAILED, TIMED_OUT or ABORTED (onFleetRunInterrupted): read
 * from what the Map's ResultWriter left in the fleet bucket, published once per execution, status
 * and redrive count, and ignored with a reason for anything that is not such an end of a fleet run.
 */
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../lib/config/loadConfig';
import { SnapshotRegistry } from '../../../lib/ecr/SnapshotRegistry';
import { hasErrorCode } from '../../../lib/errors';
import { parseEvent } from '../../../lib/events/parseEvent';
import { MemoryFleetStore } from '../../../lib/fleet/FleetStore';
import { onFleetRunInterrupted, reportInterruptedFleetRun, type InterruptedRunDeps } from '../../../lib/fleet/reportInterruptedFleetRun';
import { runMirrorBatch } from '../../../lib/fleet/runMirrorBatch';
import type { FleetRun, MirrorItem } from '../../../lib/fleet/types';
import { SnapshotUpstreamReader } from '../../../lib/mirror/UpstreamReader';
import type { MirrorReportNotice, Notice } from '../../../lib/notify/notices';
import { presentNotice } from '../../../lib/notify/present/presentNotice';
import { renderText } from '../../../lib/notify/render/renderText';
import { PlanningWriter } from '../../../lib/plan/PlanningWriter';
import type { LoggerPort } from '../../../lib/runtime/types';
import { ACCOUNT, EVENTS_DIR, loadEvent, REGION, type EventJson } from '../../support/events';
import { writeMapRunResults, type ChildExecution } from '../../support/fleetStateMachineDriver';

const config = loadConfig().config;
const registry = SnapshotRegistry.fromFile(resolve(EVENTS_DIR, 'registry-snapshot.json'));
const logger: LoggerPort = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };
const STACK = 'ecr-autopilot-dev';
const MIRROR_MACHINE = `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:${STACK}-fleet-mirror`;
const TOPIC = `arn:aws:sns:${REGION}:${ACCOUNT}:${STACK}-notifications`;

function deps(store: MemoryFleetStore): InterruptedRunDeps & { writer: PlanningWriter } {
  return { config, store, stackName: STACK, writer: new PlanningWriter(), topicArn: TOPIC, clock: () => new Date('2026-11-20T19:00:00Z'), logger };
}

/** A status change of a fleet mirror run, in today's shape (what the rule delivers). */
function mirrorRunEvent(name: string, detail: EventJson = {}): EventJson {
  const executionArn = `${MIRROR_MACHINE.replace(':stateMachine:', ':execution:')}:${name}`;
  return {
    version: '0',
    id: `event-${name}`,
    'detail-type': 'Step Functions Execution Status Change',
    source: 'aws.states',
    account: ACCOUNT,
    time: '2026-11-20T18:59:00Z',
    region: REGION,
    resources: [executionArn],
    detail: {
      executionArn,
      stateMachineArn: MIRROR_MACHINE,
      name,
      status: 'TIMED_OUT',
      startDate: Date.parse('2026-11-20T18:30:00Z'),
      stopDate: Date.parse('2026-11-20T18:59:00Z'),
      input: '{}',
      inputDetails: { included: true },
      output: null,
      outputDetails: null,
      redriveCount: 0,
      redriveDate: null,
      redriveStatus: 'REDRIVABLE',
      redriveStatusReason: null,
      error: null,
      cause: null,
      ...detail,
    },
  };
}

/** Runs one real mirror batch (plan mode, on the sample snapshot) and leaves what ResultWriter writes: one batch succeeded, one failed. */
async function mirrorRunResults(store: MemoryFleetStore, name: string, mapRunId = 'map-1'): Promise<{ failedChild: ChildExecution }> {
  const run: FleetRun = { job: 'mirror', runId: name, executionArn: `${MIRROR_MACHINE.replace(':stateMachine:', ':execution:')}:${name}`, startedAt: '2026-11-20T18:30:00Z' };
  const image = config.mirror?.images[0];
  if (!image) throw new Error('the shipped configuration mirrors images');
  const item: MirrorItem = { account: ACCOUNT, region: REGION, repository: 'mirror/x', source: image.source, tags: image.tags };
  const input = { Items: [item], BatchInput: { run } };
  const output = await runMirrorBatch(input, {
    config,
    registry,
    writer: new PlanningWriter(),
    clock: () => new Date('2026-11-20T18:30:00Z'),
    logger,
    upstream: new SnapshotUpstreamReader(registry.snapshot.upstreamImages),
    destinationRegistry: async () => `${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com`,
  });
  const failedChild: ChildExecution = {
    executionArn: `${run.executionArn.replace(`:${name}`, '')}/Batches:b2`,
    input: { Items: [{ ...item, source: 'registry.k8s.io/autoscaling/cluster-autoscaler' }], BatchInput: { run } },
    status: 'FAILED',
    error: 'Lambda.Unknown',
    cause: JSON.stringify({ errorMessage: 'Task timed out after 900.00 seconds' }),
    redriveCount: 0,
  };
  const children: ChildExecution[] = [{ executionArn: `${run.executionArn.replace(`:${name}`, '')}/Batches:b1`, input, status: 'SUCCEEDED', output, redriveCount: 0 }, failedChild];
  writeMapRunResults(store, { bucket: store.bucket, prefix: `runs/mirror/${name}/results`, mapRunId, stateMachineArn: MIRROR_MACHINE, children });
  return { failedChild };
}

function published(writer: PlanningWriter): Notice[] {
  return writer.changes.map((change) => (change as unknown as { notice: Notice }).notice);
}

describe('onFleetRunInterrupted', () => {
  it('reports a timed-out mirror run from its results: what the batches did, the failed batch with its link, the redrive command', async () => {
    // Prepare
    const store = new MemoryFleetStore();
    const { failedChild } = await mirrorRunResults(store, 'run-11');
    const run = deps(store);

    // Act
    const report = await reportInterruptedFleetRun(parseEvent(onFleetRunInterrupted.eventSchema, mirrorRunEvent('run-11'), 'event'), run);

    // Assess
    const notices = published(run.writer);
    expect(notices.map((notice) => [notice.kind, notice.id, notice.severity])).toEqual([['mirror.report', 'fleet-mirror-run-11:timed_out-0:mirror.report', 'warning']]);
    const notice = notices[0] as MirrorReportNotice;
    expect(notice.origin).toEqual({ eventId: 'event-run-11', account: ACCOUNT, region: REGION });
    expect(notice.data.images.length).toBeGreaterThan(0);
    expect(notice.data.fleet).toMatchObject({
      batches: { total: 2, succeeded: 1, failed: 1 },
      failedBatches: [{ executionArn: failedChild.executionArn, items: ['registry.k8s.io/autoscaling/cluster-autoscaler'], error: 'Lambda.Unknown', cause: 'Task timed out after 900.00 seconds' }],
      redriveCommand: `aws stepfunctions redrive-execution --execution-arn ${MIRROR_MACHINE.replace(':stateMachine:', ':execution:')}:run-11`,
      interrupted: { status: 'TIMED_OUT', resultsRead: true },
    });
    const text = renderText(presentNotice(notice));
    expect(text).toContain('The run timed out before it finished.');
    expect(text).toContain("publishes the run's final ledger, which includes what is listed here");
    expect(report).toMatchObject({ function: 'onFleetRunInterrupted', outcome: 'done', eventId: 'event-run-11' });
    expect(report.decision).toMatch(/^Run run-11 \(mirror\) ended TIMED_OUT: 1 of 2 batch\(es\) succeeded, 1 failed or not run; one report to publish; redrive with aws stepfunctions redrive-execution/);
  });

  it('names notices by execution, status and redrive count: the same end reported twice is the same notice, a redriven run that fails again is a new one', async () => {
    // Prepare
    const store = new MemoryFleetStore();
    await mirrorRunResults(store, 'run-12');
    const first = deps(store);
    const again = deps(store);

    // Act
    await reportInterruptedFleetRun(parseEvent(onFleetRunInterrupted.eventSchema, mirrorRunEvent('run-12', { status: 'FAILED' }), 'event'), first);
    await reportInterruptedFleetRun(parseEvent(onFleetRunInterrupted.eventSchema, mirrorRunEvent('run-12', { status: 'FAILED' }), 'event'), first);
    await reportInterruptedFleetRun(parseEvent(onFleetRunInterrupted.eventSchema, mirrorRunEvent('run-12', { status: 'FAILED', redriveCount: 1 }), 'event'), again);

    // Assess: duplicate suppression (the SNS publisher's, keyed by notice id) sees one id per end.
    expect(published(first.writer).map((notice) => notice.id)).toEqual(['fleet-mirror-run-12:failed-0:mirror.report', 'fleet-mirror-run-12:failed-0:mirror.report']);
    expect(published(again.writer).map((notice) => notice.id)).toEqual(['fleet-mirror-run-12:failed-1:mirror.report']);
  });

  it('reads the newest manifest when a redriven Map Run wrote its results again', async () => {
    // Prepare: the first Map Run's results, then a later manifest of the same run with no failure.
    const store = new MemoryFleetStore();
    await mirrorRunResults(store, 'run-13', 'map-old');
    const older = store.get('runs/mirror/run-13/results/map-old/SUCCEEDED_0.json') as unknown[];
    store.put('runs/mirror/run-13/results/map-new/SUCCEEDED_0.json', older);
    store.put('runs/mirror/run-13/results/map-new/manifest.json', {
      DestinationBucket: store.bucket,
      MapRunArn: 'arn:aws:states:ap-northeast-2:123456789012:mapRun:ecr-autopilot-dev-fleet-mirror/Batches:map-new',
      ResultFiles: { SUCCEEDED: [{ Key: 'runs/mirror/run-13/results/map-new/SUCCEEDED_0.json', Size: 1 }], FAILED: [], PENDING: [] },
    });
    const run = deps(store);

    // Act
    await reportInterruptedFleetRun(parseEvent(onFleetRunInterrupted.eventSchema, mirrorRunEvent('run-13', { status: 'ABORTED' }), 'event'), run);

    // Assess
    const notice = published(run.writer)[0] as MirrorReportNotice;
    expect(notice.data.fleet?.batches).toEqual({ total: 1, succeeded: 1, failed: 0 });
  });

  it('says what is not known when the run wrote no results, and what Step Functions says when it cannot be redriven', async () => {
    // Prepare: a sweep run that failed at List (nothing in the bucket), past its redrivable period.
    const run = deps(new MemoryFleetStore());
    const event = loadEvent('step-functions/fleet-sweep-failed');
    event.detail.error = 'States.TaskFailed';
    event.detail.cause = JSON.stringify({ errorType: 'AutopilotError', errorMessage: 'DescribeRepositories on the registry was denied' });
    event.detail.redriveStatus = 'NOT_REDRIVABLE';
    event.detail.redriveStatusReason = 'Execution redrivable period exceeded';

    // Act
    const report = await reportInterruptedFleetRun(parseEvent(onFleetRunInterrupted.eventSchema, event, 'event'), run);

    // Assess
    const [notice] = published(run.writer);
    expect(notice?.kind).toBe('lifecycle.ledger');
    const fleet = notice?.kind === 'lifecycle.ledger' ? notice.data.fleet : undefined;
    expect(fleet?.redriveCommand).toBeUndefined();
    expect(fleet?.interrupted).toEqual({ status: 'FAILED', error: 'States.TaskFailed', cause: 'DescribeRepositories on the registry was denied', resultsRead: false, notRedrivable: 'Execution redrivable period exceeded' });
    const text = renderText(presentNotice(notice as Notice));
    expect(text).toContain('Its batches wrote no results, so what they did is not known here');
    expect(text).toContain('It cannot be redriven (Execution redrivable period exceeded); the next scheduled run covers what is left.');
    expect(text).toMatch(/Batches: +unknown: the run wrote no batch results before it stopped/);
    expect(text).not.toMatch(/0 images expired|0 repositories/);
    expect(presentNotice(notice as Notice).subject).toBe('Lifecycle sweep (run FAILED, not finished): what it did is unknown');
    expect(report.decision).not.toContain('redrive with');
  });

  it.each([
    ['a run that succeeded (its Aggregate step reports it)', { status: 'SUCCEEDED' }, /^Ignored the SUCCEEDED status of \S+: only runs that end FAILED, TIMED_OUT or ABORTED/],
    ['a run that is starting', { status: 'RUNNING' }, /^Ignored the RUNNING status/],
    [
      'another state machine',
      { stateMachineArn: `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:billing`, executionArn: `arn:aws:states:${REGION}:${ACCOUNT}:execution:billing:run-14` },
      /^Ignored the status change of \S+: billing is not a fleet state machine of ecr-autopilot-dev \(ecr-autopilot-dev-fleet-sweep, ecr-autopilot-dev-fleet-mirror\)/,
    ],
  ])('ignores %s, with the reason, publishing nothing', async (_case, detail, decision) => {
    // Prepare
    const run = deps(new MemoryFleetStore());

    // Act
    const report = await reportInterruptedFleetRun(parseEvent(onFleetRunInterrupted.eventSchema, mirrorRunEvent('run-14', detail), 'event'), run);

    // Assess
    expect(report.outcome).toBe('ignored');
    expect(report.decision).toMatch(decision);
    expect(run.writer.changes).toEqual([]);
  });

  it('rejects an event whose execution is not of the state machine it names (Step Functions never sends one)', async () => {
    // Prepare
    const event = mirrorRunEvent('run-15', { executionArn: `arn:aws:states:${REGION}:${ACCOUNT}:execution:${STACK}-fleet-sweep:run-15` });

    // Act
    const error = await reportInterruptedFleetRun(parseEvent(onFleetRunInterrupted.eventSchema, event, 'event'), deps(new MemoryFleetStore())).catch((e: unknown) => e);

    // Assess
    expect(hasErrorCode(error, 'EVENT_INVALID')).toBe(true);
    expect((error as Error).message).toContain('detail.executionArn');
  });

  it('accepts the documented samples (no redrive fields) and today\'s events (nulls, redrive fields), and rejects what no AWS service sends', () => {
    // Act / Assess
    for (const name of ['aws-doc-execution-failed', 'aws-doc-execution-timed-out', 'aws-doc-execution-aborted', 'fleet-sweep-failed']) {
      expect(() => parseEvent(onFleetRunInterrupted.eventSchema, loadEvent(`step-functions/${name}`), 'event')).not.toThrow();
    }
    const bad = loadEvent('step-functions/fleet-sweep-failed');
    bad.detail.executionArn = 'not-an-arn';
    expect(() => parseEvent(onFleetRunInterrupted.eventSchema, bad, 'Step Functions Execution Status Change event')).toThrow(/detail\.executionArn/);
  });
});

/**
 * The fleet bucket's S3 calls take the run's signal like every other AWS call (issue 12): once the
 * stop fired, no S3 call follows, neither the next page of a listing nor the next result file,
 * and nothing is published from what was half read.
 */
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { readConfig } from '../../../lib/config/loadConfig';
import { hasErrorCode } from '../../../lib/errors';
import { aggregateFleetRun } from '../../../lib/fleet/aggregateFleetRun';
import { S3FleetStore } from '../../../lib/fleet/FleetStore';
import type { Change, ChangeOutcome } from '../../../lib/plan/types';
import type { LoggerPort } from '../../../lib/runtime/types';
import { ACCOUNT, REGION } from '../../support/events';

const s3 = mockClient(S3Client);
const BUCKET = 'ecr-autopilot-test-fleet';
const store = () => new S3FleetStore({ client: new S3Client({ region: REGION }), bucket: BUCKET });
const body = (value: unknown) => ({ Body: { transformToString: async () => JSON.stringify(value) } }) as never;
const logger: LoggerPort = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

/** Rejects with what `error` became, or with 'resolved' when it did not fail. */
const failure = (pending: Promise<unknown>) => pending.then(() => 'resolved', (error: unknown) => error);

beforeEach(() => s3.reset());

describe('S3FleetStore under a stop', () => {
  it('asks for no further page of a listing once the stop fired while a page was answered', async () => {
    // Prepare: the first page comes back as the run is stopped.
    const stop = new AbortController();
    s3.on(ListObjectsV2Command).callsFake((input: { ContinuationToken?: string }) => {
      stop.abort(new Error('deadline'));
      const first = input.ContinuationToken === undefined;
      return { Contents: [{ Key: `runs/sweep/run-1/results/${first ? 'a' : 'b'}/manifest.json`, LastModified: new Date() }], IsTruncated: first, ...(first ? { NextContinuationToken: 'page-2' } : {}) };
    });

    // Act
    const error = await failure(store().list('runs/sweep/run-1/results/', { signal: stop.signal }));

    // Assess
    expect(hasErrorCode(error, 'ABORTED')).toBe(true);
    expect(s3.commandCalls(ListObjectsV2Command)).toHaveLength(1);
  });

  it('sends no GetObject or PutObject after the stop, and passes the signal to the SDK', async () => {
    // Prepare
    const stop = new AbortController();
    s3.on(GetObjectCommand).resolves(body({}));
    s3.on(PutObjectCommand).resolves({});
    const fleet = store();
    await fleet.getJson('runs/sweep/run-1/items.json', { signal: stop.signal });

    // Act
    stop.abort(new Error('deadline'));
    const errors = [await failure(fleet.getJson('runs/sweep/run-1/items.json', { signal: stop.signal })), await failure(fleet.putJson('runs/sweep/run-1/items.json', [], { signal: stop.signal }))];

    // Assess
    expect(errors.every((error) => hasErrorCode(error, 'ABORTED'))).toBe(true);
    expect(s3.commandCalls(GetObjectCommand)).toHaveLength(1);
    expect(s3.commandCalls(PutObjectCommand)).toHaveLength(0);
    expect((s3.send.firstCall.args as unknown[])[1]).toMatchObject({ abortSignal: stop.signal });
  });
});

describe('aggregateFleetRun under a stop', () => {
  it('reads no result file after the stop and publishes nothing', async () => {
    // Prepare: the manifest names two result files; the stop fires as the manifest arrives.
    const loaded = readConfig('version: 1\nrepositoryClasses:\n  - { name: services, repositories: ["**"] }\n', '/tmp/autopilot.yml');
    if (!loaded.ok) throw new Error('test configuration is invalid');
    const stop = new AbortController();
    const manifestKey = 'runs/sweep/run-1/results/map-run/manifest.json';
    s3.on(GetObjectCommand).resolves(body([]));
    s3.on(GetObjectCommand, { Key: manifestKey }).callsFake(() => {
      stop.abort(new Error('deadline'));
      return body({ DestinationBucket: BUCKET, MapRunArn: 'arn:aws:states:ap-northeast-2:123456789012:mapRun:m/run-1:1', ResultFiles: { SUCCEEDED: [{ Key: 'runs/sweep/run-1/results/map-run/SUCCEEDED_0.json' }], FAILED: [{ Key: 'runs/sweep/run-1/results/map-run/FAILED_0.json' }] } });
    });
    const published: Change[] = [];
    const writer = { apply: async (change: Change): Promise<ChangeOutcome> => (published.push(change), { status: 'applied' }) };
    const run = { job: 'sweep' as const, runId: 'run-1', executionArn: `arn:aws:states:${REGION}:${ACCOUNT}:execution:ecr-autopilot-test-fleet-sweep:run-1`, startedAt: '2026-11-20T18:00:00.000Z', maxDeletions: 200 };

    // Act
    const error = await failure(
      aggregateFleetRun(
        { run, results: { MapRunArn: 'arn:aws:states:ap-northeast-2:123456789012:mapRun:m/run-1:1', ResultWriterDetails: { Bucket: BUCKET, Key: manifestKey } } },
        { config: loaded.config, registry: { region: REGION, registryId: ACCOUNT } as never, writer, topicArn: 'arn:aws:sns:ap-northeast-2:123456789012:t', clock: () => new Date(), logger, store: store(), signal: stop.signal },
      ),
    );

    // Assess
    expect(hasErrorCode(error, 'ABORTED')).toBe(true);
    expect(s3.commandCalls(GetObjectCommand).map((call) => call.args[0].input.Key)).toEqual([manifestKey]);
    expect(published).toEqual([]);
  });
});

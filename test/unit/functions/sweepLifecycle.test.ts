import { DeleteItemCommand, DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import {
  DescribeImagesCommand,
  DescribeRepositoriesCommand,
  ECRClient,
  GetLifecyclePolicyCommand,
  PutImageScanningConfigurationCommand,
  PutImageTagMutabilityCommand,
  PutLifecyclePolicyCommand,
} from '@aws-sdk/client-ecr';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { SweepReport } from '../../../lib/lifecycle/sweepLifecycle';
import { lambdaContext, sdkRepository } from '../../support/events';
import { runFor, useFakeTime } from '../../support/fakeTime';
import { fakeStateTable } from '../../support/stateTable';
import { fakeIdempotencyTable } from '../../support/idempotencyTable';
import { captureLogs, LAMBDA_ENV, setEnv } from '../../support/lambdaHarness';
import { abortSignalOf } from '../../support/sdkCalls';

const STATE_TABLE = 'ecr-autopilot-test-state';
const ecr = mockClient(ECRClient);
const sns = mockClient(SNSClient);
const dynamo = mockClient(DynamoDBClient);

type Handler = (event: unknown, context: ReturnType<typeof lambdaContext>) => Promise<SweepReport>;
let handler: Handler;
let restoreEnv: () => void;
let logs: ReturnType<typeof captureLogs>;

beforeAll(async () => {
  restoreEnv = setEnv({ ...LAMBDA_ENV, STATE_TABLE_NAME: STATE_TABLE });
  handler = (await import('../../../functions/sweepLifecycle')).handler as unknown as Handler;
});

afterAll(() => restoreEnv());

beforeEach(() => {
  logs = captureLogs();
  ecr.reset();
  sns.reset();
  dynamo.reset();
  fakeIdempotencyTable(dynamo);
  sns.on(PublishCommand).resolves({ MessageId: 'message-1' });
  ecr.on(DescribeRepositoriesCommand).resolves({ repositories: [] });
});

afterEach(() => logs.restore());

describe('functions/sweepLifecycle handler', () => {
  it('continues from the cursor in the state table (STATE_TABLE_NAME), says so, and clears it when it went all the way round', async () => {
    // Prepare
    const key = { pk: { S: 'lifecycle-sweep#cursor' }, sk: { S: 'all' } };
    dynamo.on(GetItemCommand, { TableName: STATE_TABLE }).resolves({
      Item: {
        ...key,
        data: { M: marshall({ nextRepository: 'team-b/api', stoppedRunId: 'yesterday', stoppedAt: '2026-11-19T18:14:30.000Z', reason: 'the time budget ran out' }) },
        version: { N: '3' },
        updatedAt: { S: '2026-11-19T18:14:31.000Z' },
      },
    });
    dynamo.on(DeleteItemCommand, { TableName: STATE_TABLE }).resolves({});

    // Act
    const report = await handler({}, { ...lambdaContext('ecr-autopilot-test-sweepLifecycle'), getRemainingTimeInMillis: () => 900_000 });

    // Assess
    expect(dynamo).toHaveReceivedCommandWith(GetItemCommand, { TableName: STATE_TABLE, Key: key, ConsistentRead: true });
    expect(dynamo).toHaveReceivedCommandWith(DeleteItemCommand, { TableName: STATE_TABLE, Key: key, ExpressionAttributeValues: { ':expected': { N: '3' } } });
    expect(report.continuedFrom).toBe('continued from team-b/api, where run yesterday stopped at 2026-11-19T18:14:30.000Z (the time budget ran out)');
    // Every AWS call of the invocation carried its signal.
    for (const call of [...ecr.calls(), ...dynamo.commandCalls(GetItemCommand), ...sns.calls()]) expect(abortSignalOf(call)).toBeInstanceOf(AbortSignal);
  });
});

describe('functions/sweepLifecycle handler: a sweep stopped by its deadline, then the next one', () => {
  // Near the real time: the handler's dependencies, built once per module by the test above, may
  // hold the real clock (the state table's expiry check), which must agree with the fake one.
  const START = new Date(Math.floor(Date.now() / 1000) * 1000);
  useFakeTime(START);

  it('records where it stopped in the state table and publishes its ledger; the next invocation says "continued from …", starts there, goes round and clears the cursor', async () => {
    // Prepare: three repositories; listing one's images takes 25 s (fake time) in the first run.
    const table = fakeStateTable(dynamo, STATE_TABLE);
    const names = ['team-a/api', 'team-b/api', 'team-c/api'];
    ecr.on(DescribeRepositoriesCommand).resolves({ repositories: names.map((name) => sdkRepository(name)) });
    ecr.on(GetLifecyclePolicyCommand).callsFake((input: { repositoryName: string }) => ({ repositoryName: input.repositoryName, lifecyclePolicyText: '{"rules":[]}' }));
    ecr.on(PutLifecyclePolicyCommand).resolves({});
    ecr.on(PutImageScanningConfigurationCommand).resolves({});
    ecr.on(PutImageTagMutabilityCommand).resolves({});
    let listingMs = 25_000;
    ecr.on(DescribeImagesCommand).callsFake(() => new Promise((resolve) => setTimeout(() => resolve({ imageDetails: [] }), listingMs)));
    const listed = () => ecr.commandCalls(DescribeImagesCommand).map((call) => call.args[0].input.repositoryName);
    const ledgers = () => sns.commandCalls(PublishCommand).map((call) => JSON.parse(JSON.parse(call.args[0].input.Message ?? '{}').lambda));

    // Act: 90 s for the first invocation, so it stops 30 s before: while team-c/api is listed (50 s → 75 s).
    const first = await runFor(handler({}, { ...lambdaContext('ecr-autopilot-test-sweepLifecycle'), getRemainingTimeInMillis: () => 90_000 }), 100_000);
    const cursorAfterFirst = [...table.items.values()];

    // Assess the first: it stopped, said where the next run starts, and saved it.
    expect(first.stoppedEarly).toMatch(/^the time budget ran out/);
    expect(first.resume).toEqual({ nextRepository: 'team-c/api', notFinished: 1 });
    expect(listed()).toEqual(names);
    expect(ledgers()).toEqual([expect.objectContaining({ kind: 'lifecycle.ledger', data: expect.objectContaining({ resume: { nextRepository: 'team-c/api', notFinished: 1 } }) })]);
    expect(cursorAfterFirst).toHaveLength(1);
    expect(unmarshall(cursorAfterFirst[0]?.data?.M ?? {})).toMatchObject({ nextRepository: 'team-c/api', reason: expect.stringMatching(/^the time budget ran out/) });

    // Act: the next invocation, with time enough.
    listingMs = 0;
    const second = await runFor(handler({}, { ...lambdaContext('ecr-autopilot-test-sweepLifecycle'), getRemainingTimeInMillis: () => 900_000 }), 1_000);

    // Assess the second: it continued at team-c/api, went round, said so, and cleared the cursor.
    expect(listed().slice(names.length)).toEqual(['team-c/api', 'team-a/api', 'team-b/api']);
    expect(second.continuedFrom).toMatch(new RegExp(`^continued from team-c/api, where run manual-sweep-${START.toISOString()} stopped at ${new Date(START.getTime() + 60_000).toISOString()} \\(the time budget ran out`));
    expect(second.resume).toBeUndefined();
    expect(ledgers()[1]?.data.continuedFrom).toBe(second.continuedFrom);
    expect(table.items.size).toBe(0);
  });
});

import { DeleteItemCommand, DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { DescribeRepositoriesCommand, ECRClient } from '@aws-sdk/client-ecr';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { marshall } from '@aws-sdk/util-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { SweepReport } from '../../../lib/lifecycle/sweepLifecycle';
import { lambdaContext } from '../../support/events';
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

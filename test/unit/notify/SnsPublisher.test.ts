import { ConditionalCheckFailedException, DeleteItemCommand, DynamoDBClient, PutItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { PublishCommand, SNSClient, SNSServiceException } from '@aws-sdk/client-sns';
import { marshall } from '@aws-sdk/util-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { AutopilotError } from '../../../lib/errors';
import { publishNotice } from '../../../lib/notify/changes';
import { memoryOncePerKey } from '../../../lib/notify/publish/oncePerKey';
import { powertoolsOncePerKey } from '../../../lib/notify/publish/powertoolsOncePerKey';
import { SnsPublisher } from '../../../lib/notify/publish/SnsPublisher';
import { lambdaContext, TOPIC_ARN } from '../../support/events';
import { pushNotice } from '../../support/notices';

const sns = mockClient(SNSClient);
const dynamo = mockClient(DynamoDBClient);
const TABLE = 'ecr-autopilot-test-idempotency';

function publisher(once?: ReturnType<typeof memoryOncePerKey>): SnsPublisher {
  return new SnsPublisher({ client: new SNSClient({ region: 'ap-northeast-2' }), settings: { httpsFormat: 'amazon-q' }, ...(once ? { once } : {}), retry: { sleep: async () => undefined } });
}

const change = publishNotice(TOPIC_ARN, pushNotice(), 'push summary for team-a/web:v2.0.0');

beforeEach(() => {
  sns.reset();
  dynamo.reset();
  sns.on(PublishCommand).resolves({ MessageId: 'message-1' });
});

describe('SnsPublisher', () => {
  it('publishes the rendered message on the topic', async () => {
    // Act
    const outcome = await publisher().apply(change, {});

    // Assess
    expect(outcome).toEqual({ status: 'applied', message: 'message message-1' });
    expect(sns).toHaveReceivedCommandExactlyOnceWith(PublishCommand, { TopicArn: TOPIC_ARN, MessageStructure: 'json', Subject: '[ecr-autopilot] Pushed team-a/web:v2.0.0 (2 platforms)' });
  });

  it('publishes a notice once when it is delivered twice (in-memory guard)', async () => {
    // Prepare
    const writer = publisher(memoryOncePerKey());

    // Act
    const first = await writer.apply(change, {});
    const second = await writer.apply(change, {});

    // Assess
    expect(sns).toHaveReceivedCommandTimes(PublishCommand, 1);
    expect(first.message).toBe('message message-1');
    expect(second).toEqual({ status: 'applied', message: 'duplicate delivery: already published as message message-1' });
  });

  it('publishes different notices separately', async () => {
    // Prepare
    const writer = publisher(memoryOncePerKey());

    // Act
    await writer.apply(change, {});
    await writer.apply(publishNotice(TOPIC_ARN, pushNotice({}, { id: 'another-event:push.summary' }), 'another push'), {});

    // Assess
    expect(sns).toHaveReceivedCommandTimes(PublishCommand, 2);
  });

  it('turns an SNS failure into a retryable NOTIFY_FAILED', async () => {
    // Prepare
    sns.on(PublishCommand).rejects(new SNSServiceException({ name: 'NotFoundException', $fault: 'client', $metadata: {}, message: 'Topic does not exist' }));

    // Act
    const failure = publisher().apply(change, {});

    // Assess
    await expect(failure).rejects.toBeInstanceOf(AutopilotError);
    await expect(failure).rejects.toMatchObject({ code: 'NOTIFY_FAILED', retryable: true, message: expect.stringContaining('Topic does not exist') });
  });

  it('retries a throttled publish', async () => {
    // Prepare
    const throttled = new SNSServiceException({ name: 'Throttling', $fault: 'client', $metadata: {}, message: 'Rate exceeded' });
    sns.on(PublishCommand).rejectsOnce(throttled).rejectsOnce(throttled).resolves({ MessageId: 'message-3' });

    // Act
    const outcome = await publisher().apply(change, {});

    // Assess
    expect(outcome.message).toBe('message message-3');
    expect(sns).toHaveReceivedCommandTimes(PublishCommand, 3);
  });

  describe('with Powertools idempotency over DynamoDB', () => {
    function guarded(): SnsPublisher {
      const once = powertoolsOncePerKey({ tableName: TABLE, client: new DynamoDBClient({ region: 'ap-northeast-2' }) });
      once.registerLambdaContext(lambdaContext());
      return publisher(once);
    }

    it('records the publish: an in-progress record first, then the result', async () => {
      // Prepare
      dynamo.on(PutItemCommand).resolves({});
      dynamo.on(UpdateItemCommand).resolves({});

      // Act
      const outcome = await guarded().apply(change, {});

      // Assess
      expect(outcome.message).toBe('message message-1');
      expect(sns).toHaveReceivedCommandTimes(PublishCommand, 1);
      expect(dynamo).toHaveReceivedCommandWith(PutItemCommand, { TableName: TABLE, ConditionExpression: expect.stringContaining('attribute_not_exists(#id)') });
      const saved = dynamo.commandCalls(UpdateItemCommand)[0]?.args[0].input;
      expect(saved?.TableName).toBe(TABLE);
      expect(saved?.ExpressionAttributeValues?.[':status']).toEqual({ S: 'COMPLETED' });
      expect(saved?.ExpressionAttributeValues?.[':response_data']).toEqual({ M: { messageId: { S: 'message-1' } } });
    });

    it('publishes nothing for a second delivery whose PutItem finds a COMPLETED record', async () => {
      // Prepare
      dynamo.on(PutItemCommand).resolves({});
      dynamo.on(UpdateItemCommand).resolves({});
      await guarded().apply(change, {});
      const key = dynamo.commandCalls(PutItemCommand)[0]?.args[0].input.Item?.id;
      dynamo.on(PutItemCommand).rejects(
        new ConditionalCheckFailedException({
          message: 'The conditional request failed',
          $metadata: {},
          Item: { id: key ?? { S: 'unknown' }, ...marshall({ status: 'COMPLETED', expiration: Math.floor(Date.now() / 1000) + 3600, data: { messageId: 'message-1' } }) },
        }),
      );

      // Act
      const outcome = await guarded().apply(change, {});

      // Assess
      expect(sns).toHaveReceivedCommandTimes(PublishCommand, 1);
      expect(outcome).toEqual({ status: 'applied', message: 'duplicate delivery: already published as message message-1' });
      expect(dynamo).toHaveReceivedCommandTimes(PutItemCommand, 2);
      expect(dynamo).toHaveReceivedCommandTimes(UpdateItemCommand, 1);
    });

    it('publishes nothing and fails (to be retried) while the first delivery is still in progress', async () => {
      // Prepare
      dynamo.on(PutItemCommand).rejects(
        new ConditionalCheckFailedException({
          message: 'The conditional request failed',
          $metadata: {},
          Item: marshall({ id: 'key', status: 'INPROGRESS', expiration: Math.floor(Date.now() / 1000) + 3600, in_progress_expiration: Date.now() + 60_000 }),
        }),
      );

      // Act
      const failure = guarded().apply(change, {});

      // Assess
      await expect(failure).rejects.toMatchObject({ name: 'IdempotencyAlreadyInProgressError' });
      expect(sns).not.toHaveReceivedAnyCommand();
    });

    it('deletes its record when publishing fails, so a retry can publish', async () => {
      // Prepare
      dynamo.on(PutItemCommand).resolves({});
      dynamo.on(DeleteItemCommand).resolves({});
      sns.on(PublishCommand).rejects(new SNSServiceException({ name: 'KMSDisabledException', $fault: 'client', $metadata: {}, message: 'key disabled' }));

      // Act
      const failure = guarded().apply(change, {});

      // Assess
      await expect(failure).rejects.toMatchObject({ code: 'NOTIFY_FAILED' });
      expect(dynamo).toHaveReceivedCommandTimes(DeleteItemCommand, 1);
      expect(dynamo).not.toHaveReceivedCommand(UpdateItemCommand);
    });
  });
});

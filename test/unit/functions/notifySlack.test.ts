import { clearCaches } from '@aws-lambda-powertools/parameters';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi, type MockInstance } from 'vitest';
import { EventValidationError } from '../../../lib/errors';
import type { FunctionReport } from '../../../lib/runtime/types';
import { lambdaContext, loadEvent, SAMPLE_EVENTS, snsEvent } from '../../support/events';
import { fakeIdempotencyTable } from '../../support/idempotencyTable';
import { captureLogs, LAMBDA_ENV, setEnv } from '../../support/lambdaHarness';

const secrets = mockClient(SecretsManagerClient);
const dynamo = mockClient(DynamoDBClient);

type Handler = (event: unknown, context: ReturnType<typeof lambdaContext>) => Promise<FunctionReport>;
let handler: Handler;
let restoreEnv: () => void;
let logs: ReturnType<typeof captureLogs>;
let fetchSpy: MockInstance<typeof fetch>;

const SNS = loadEvent(SAMPLE_EVENTS.snsPushSummary);
const MESSAGE_ID: string = SNS.Records[0].Sns.MessageId;

async function rejection(event: unknown): Promise<unknown> {
  try {
    await handler(event, lambdaContext('ecr-autopilot-test-notifySlack'));
  } catch (error) {
    return error;
  }
  throw new Error('the handler accepted the event');
}

beforeAll(async () => {
  restoreEnv = setEnv(LAMBDA_ENV);
  handler = (await import('../../../functions/notifySlack')).handler as unknown as Handler;
});

afterAll(() => restoreEnv());

beforeEach(() => {
  secrets.reset();
  dynamo.reset();
  clearCaches();
  fakeIdempotencyTable(dynamo);
  secrets.on(GetSecretValueCommand).resolves({ SecretString: 'https://hooks.slack.com/services/T0000/B0000/XXXXXXXXXXXXXXXXXXXXXXXX' });
  fetchSpy = vi.spyOn(globalThis, 'fetch').mockImplementation(async () => new Response('ok', { status: 200 }));
  logs = captureLogs();
});

afterEach(() => {
  logs.restore();
  fetchSpy.mockRestore();
});

describe('functions/notifySlack handler', () => {
  it('posts the notice of a valid SNS event to the Slack webhook', async () => {
    // Act
    const report = await handler(loadEvent(SAMPLE_EVENTS.snsPushSummary), lambdaContext());

    // Assess
    expect(report).toMatchObject({ function: 'notifySlack', eventId: MESSAGE_ID, outcome: 'done' });
    expect(fetchSpy).toHaveBeenCalledTimes(1);
    const [url, init] = fetchSpy.mock.calls[0] ?? [];
    expect(String(url)).toBe('https://hooks.slack.com/services/T0000/B0000/XXXXXXXXXXXXXXXXXXXXXXXX');
    expect(JSON.parse(String(init?.body)).blocks[0].text.text).toBe(':white_check_mark: Pushed team-a/web:v2.0.0 (2 platforms)');
    expect(init?.redirect).toBe('manual');
  });

  it('rejects a malformed SNS event with EventValidationError, posts nothing, and logs the MessageId', async () => {
    // Prepare
    const event = loadEvent(SAMPLE_EVENTS.snsPushSummary);
    event.Records[0].EventSource = 'aws:sqs';

    // Act
    const error = await rejection(event);

    // Assess
    expect(error).toBeInstanceOf(EventValidationError);
    expect(fetchSpy).not.toHaveBeenCalled();
    expect(secrets).not.toHaveReceivedAnyCommand();
    expect(logs.lines().find((line) => line.level === 'ERROR')).toMatchObject({ eventId: MESSAGE_ID, code: 'EVENT_INVALID', function: 'notifySlack' });
  });

  it('rejects a message that is not a notice, posts nothing, and logs the MessageId', async () => {
    // Act
    const error = await rejection(snsEvent({ kind: 'push.summary', id: 'x' }, { messageId: 'not-a-notice' }));

    // Assess
    expect(error).toBeInstanceOf(EventValidationError);
    expect(fetchSpy).not.toHaveBeenCalled();
    expect(logs.lines().find((line) => line.level === 'ERROR')).toMatchObject({ eventId: 'not-a-notice', code: 'EVENT_INVALID' });
  });

  it('never logs the webhook URL', async () => {
    // Act
    await handler(loadEvent(SAMPLE_EVENTS.snsPushSummary), lambdaContext());

    // Assess
    expect(JSON.stringify(logs.lines())).not.toContain('XXXXXXXX');
  });
});

import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DescribeImagesCommand, DescribeRepositoriesCommand, ECRClient, ECRServiceException, GetLifecyclePolicyCommand, RepositoryNotFoundException } from '@aws-sdk/client-ecr';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG_PATH } from '../../../lib/config';
import { EventValidationError } from '../../../lib/errors';
import type { FunctionReport } from '../../../lib/runtime/types';
import { lambdaContext, loadEvent, SAMPLE_EVENTS, sdkImage, sdkRepository } from '../../support/events';
import { fakeIdempotencyTable } from '../../support/idempotencyTable';
import { captureLogs, LAMBDA_ENV, setEnv } from '../../support/lambdaHarness';

const ecr = mockClient(ECRClient);
const sns = mockClient(SNSClient);
const dynamo = mockClient(DynamoDBClient);

type Handler = (event: unknown, context: ReturnType<typeof lambdaContext>) => Promise<FunctionReport>;
let handler: Handler;
let restoreEnv: () => void;
let logs: ReturnType<typeof captureLogs>;

const SERVICES_POLICY = readFileSync(resolve(DEFAULT_CONFIG_PATH, '../lifecycle/services.json'), 'utf8');

async function invoke(event: unknown): Promise<FunctionReport> {
  return handler(event, lambdaContext('ecr-autopilot-test-onImagePush'));
}

async function rejection(event: unknown): Promise<unknown> {
  try {
    await invoke(event);
  } catch (error) {
    return error;
  }
  throw new Error('the handler accepted the event');
}

beforeAll(async () => {
  restoreEnv = setEnv(LAMBDA_ENV);
  handler = (await import('../../../functions/onImagePush')).handler as unknown as Handler;
});

afterAll(() => restoreEnv());

beforeEach(() => {
  ecr.reset();
  sns.reset();
  dynamo.reset();
  fakeIdempotencyTable(dynamo);
  ecr.on(DescribeRepositoriesCommand).resolves({
    repositories: [
      sdkRepository('team-a/api', {
        imageTagMutability: 'IMMUTABLE_WITH_EXCLUSION',
        imageTagMutabilityExclusionFilters: ['latest', 'main', 'dev-*'].map((filter) => ({ filterType: 'WILDCARD' as const, filter })),
        imageScanningConfiguration: { scanOnPush: true },
      }),
    ],
  });
  ecr.on(GetLifecyclePolicyCommand).resolves({ lifecyclePolicyText: SERVICES_POLICY });
  ecr.on(DescribeImagesCommand).resolves({ imageDetails: [sdkImage('api', { digest: loadEvent(SAMPLE_EVENTS.pushTagged).detail['image-digest'], imageTags: ['v1.4.0'] })] });
  sns.on(PublishCommand).resolves({ MessageId: 'message-1' });
  logs = captureLogs();
});

afterEach(() => logs.restore());

describe('functions/onImagePush handler', () => {
  it('governs the repository and publishes the push summary for a valid event', async () => {
    // Act
    const report = await invoke(loadEvent(SAMPLE_EVENTS.pushTagged));

    // Assess
    expect(report).toMatchObject({ function: 'onImagePush', eventId: '13cde686-328b-6117-af20-0e5566167482', outcome: 'done' });
    expect(sns).toHaveReceivedCommandExactlyOnceWith(PublishCommand, { TopicArn: LAMBDA_ENV.NOTIFICATION_TOPIC_ARN, MessageStructure: 'json' });
    expect(logs.lines().find((line) => line.level === 'INFO' && line.eventId === '13cde686-328b-6117-af20-0e5566167482')?.message).toMatch(/already matches class services/);
  });

  it('publishes a push summary once when EventBridge delivers the same event twice', async () => {
    // Act
    await invoke(loadEvent(SAMPLE_EVENTS.pushTagged));
    await invoke(loadEvent(SAMPLE_EVENTS.pushTagged));

    // Assess
    expect(sns).toHaveReceivedCommandTimes(PublishCommand, 1);
  });

  it('rejects a malformed event with EventValidationError, reads and publishes nothing, and logs its event id', async () => {
    // Prepare
    const event = loadEvent(SAMPLE_EVENTS.pushTagged);
    event.detail['image-digest'] = 'sha256:not-a-digest';

    // Act
    const error = await rejection(event);

    // Assess
    expect(error).toBeInstanceOf(EventValidationError);
    expect(ecr).not.toHaveReceivedAnyCommand();
    expect(sns).not.toHaveReceivedAnyCommand();
    expect(dynamo).not.toHaveReceivedAnyCommand();
    const logged = logs.lines().find((line) => line.level === 'ERROR');
    expect(logged).toMatchObject({ eventId: '13cde686-328b-6117-af20-0e5566167482', code: 'EVENT_INVALID', function: 'onImagePush' });
    expect(logged?.issues).toEqual([expect.objectContaining({ path: 'detail.image-digest' })]);
  });

  it('logs and rethrows an ACCESS_DENIED failure with the event id', async () => {
    // Prepare
    ecr.on(DescribeRepositoriesCommand).rejects(new ECRServiceException({ name: 'AccessDeniedException', $fault: 'client', $metadata: { httpStatusCode: 403 }, message: 'not authorized' }));

    // Act
    const error = await rejection(loadEvent(SAMPLE_EVENTS.pushTagged));

    // Assess
    expect(error).toMatchObject({ code: 'ACCESS_DENIED' });
    expect(sns).not.toHaveReceivedAnyCommand();
    expect(logs.lines().find((line) => line.level === 'ERROR')).toMatchObject({ eventId: '13cde686-328b-6117-af20-0e5566167482', code: 'ACCESS_DENIED', retryable: false });
  });

  it('ignores a push to a repository deleted since: logged with its reason, not rethrown, nothing published', async () => {
    // Prepare
    ecr.on(DescribeRepositoriesCommand).rejects(new RepositoryNotFoundException({ message: 'not found', $metadata: {} }));

    // Act
    const report = await invoke(loadEvent(SAMPLE_EVENTS.pushTagged));

    // Assess
    expect(report.outcome).toBe('ignored');
    expect(sns).not.toHaveReceivedAnyCommand();
    expect(logs.lines().find((line) => line.level === 'ERROR')).toBeUndefined();
    expect(logs.lines().find((line) => line.message === report.decision)).toMatchObject({ eventId: '13cde686-328b-6117-af20-0e5566167482', outcome: 'ignored' });
  });

  it('ignores a DELETE without any AWS call', async () => {
    // Act
    const report = await invoke(loadEvent(SAMPLE_EVENTS.delete));

    // Assess
    expect(report.outcome).toBe('ignored');
    expect(ecr).not.toHaveReceivedAnyCommand();
    expect(sns).not.toHaveReceivedAnyCommand();
  });
});

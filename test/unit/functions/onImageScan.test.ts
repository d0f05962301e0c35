import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchGetImageCommand, DescribeImageScanFindingsCommand, DescribeImagesCommand, ECRClient, ImageNotFoundException, ScanNotFoundException } from '@aws-sdk/client-ecr';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { EventValidationError } from '../../../lib/errors';
import type { FunctionReport } from '../../../lib/runtime/types';
import { basicFinding, lambdaContext, loadEvent, SAMPLE_EVENTS, sdkImage } from '../../support/events';
import { fakeIdempotencyTable } from '../../support/idempotencyTable';
import { captureLogs, LAMBDA_ENV, setEnv } from '../../support/lambdaHarness';

const ecr = mockClient(ECRClient);
const sns = mockClient(SNSClient);
const events = mockClient(EventBridgeClient);
const dynamo = mockClient(DynamoDBClient);

type Handler = (event: unknown, context: ReturnType<typeof lambdaContext>) => Promise<FunctionReport>;
let handler: Handler;
let restoreEnv: () => void;
let logs: ReturnType<typeof captureLogs>;

const SCAN = loadEvent(SAMPLE_EVENTS.basicScan);
const DIGEST: string = SCAN.detail['image-digest'];

async function rejection(event: unknown): Promise<unknown> {
  try {
    await handler(event, lambdaContext('ecr-autopilot-test-onImageScan'));
  } catch (error) {
    return error;
  }
  throw new Error('the handler accepted the event');
}

beforeAll(async () => {
  restoreEnv = setEnv({ ...LAMBDA_ENV, EVENT_BUS_NAME: 'ecr-autopilot-bus' });
  handler = (await import('../../../functions/onImageScan')).handler as unknown as Handler;
});

afterAll(() => restoreEnv());

beforeEach(() => {
  for (const client of [ecr, sns, events, dynamo]) client.reset();
  fakeIdempotencyTable(dynamo);
  ecr.on(DescribeImageScanFindingsCommand).resolves({ imageScanStatus: { status: 'COMPLETE' }, imageScanFindings: { findings: [basicFinding('CVE-2024-6387', 'CRITICAL')] } });
  ecr.on(DescribeImagesCommand).resolves({ imageDetails: [sdkImage('api', { digest: DIGEST, imageTags: ['v1.4.0'] })] });
  ecr.on(BatchGetImageCommand).resolves({ images: [] });
  events.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'verdict-1' }] });
  sns.on(PublishCommand).resolves({ MessageId: 'message-1' });
  logs = captureLogs();
});

afterEach(() => logs.restore());

describe('functions/onImageScan handler', () => {
  it('puts the verdict on the configured bus and publishes the summary for a valid event', async () => {
    // Act
    const report = await handler(loadEvent(SAMPLE_EVENTS.basicScan), lambdaContext());

    // Assess
    expect(report).toMatchObject({ function: 'onImageScan', eventId: SCAN.id, outcome: 'done' });
    expect(events).toHaveReceivedCommandTimes(PutEventsCommand, 1);
    expect(events.commandCalls(PutEventsCommand)[0]?.args[0].input.Entries?.[0]).toMatchObject({ EventBusName: 'ecr-autopilot-bus', Source: 'ecr-autopilot', DetailType: 'Image Scan Verdict' });
    expect(sns).toHaveReceivedCommandTimes(PublishCommand, 1);
  });

  it('handles the Inspector2 sample', async () => {
    // Prepare
    const inspector = loadEvent(SAMPLE_EVENTS.inspectorScan);

    // Act
    const report = await handler(inspector, lambdaContext());

    // Assess
    expect(report.outcome).toBe('done');
    expect(ecr).toHaveReceivedCommandWith(DescribeImageScanFindingsCommand, { repositoryName: 'team-a/web' });
  });

  it('rejects a malformed event with EventValidationError, puts and publishes nothing, and logs its event id', async () => {
    // Prepare
    const event = loadEvent(SAMPLE_EVENTS.basicScan);
    event['detail-type'] = 'ECR Image Scan Started';

    // Act
    const error = await rejection(event);

    // Assess
    expect(error).toBeInstanceOf(EventValidationError);
    expect(ecr).not.toHaveReceivedAnyCommand();
    expect(events).not.toHaveReceivedAnyCommand();
    expect(sns).not.toHaveReceivedAnyCommand();
    expect(logs.lines().find((line) => line.level === 'ERROR')).toMatchObject({ eventId: SCAN.id, code: 'EVENT_INVALID', function: 'onImageScan' });
  });

  it('rethrows the retryable SCAN_NOT_FOUND with the event id in the log', async () => {
    // Prepare
    ecr.on(DescribeImageScanFindingsCommand).rejects(new ScanNotFoundException({ message: 'no scan', $metadata: {} }));

    // Act
    const error = await rejection(loadEvent(SAMPLE_EVENTS.basicScan));

    // Assess
    expect(error).toMatchObject({ code: 'SCAN_NOT_FOUND', retryable: true });
    expect(events).not.toHaveReceivedAnyCommand();
    expect(sns).not.toHaveReceivedAnyCommand();
    expect(logs.lines().find((line) => line.level === 'ERROR')).toMatchObject({ eventId: SCAN.id, code: 'SCAN_NOT_FOUND', retryable: true });
  });

  it('ignores the scan of an image deleted since the scan, putting and publishing nothing', async () => {
    // Prepare
    ecr.on(DescribeImageScanFindingsCommand).rejects(new ImageNotFoundException({ message: 'The image does not exist', $metadata: {} }));

    // Act
    const report = await handler(loadEvent(SAMPLE_EVENTS.basicScan), lambdaContext());

    // Assess
    expect(report.outcome).toBe('ignored');
    expect(report.decision).toMatch(/^Ignored the scan of team-a\/api@sha256:1d6c9ebad60d.*was not found .*deleted since the event/);
    expect(events).not.toHaveReceivedAnyCommand();
    expect(sns).not.toHaveReceivedAnyCommand();
  });

  it('ignores the Inspector2 scan of an EC2 instance quietly, without an AWS call', async () => {
    // Act
    const report = await handler(loadEvent('inspector2-scan/aws-doc-ec2-instance'), lambdaContext());

    // Assess
    expect(report).toMatchObject({ outcome: 'ignored', changes: [] });
    expect(ecr).not.toHaveReceivedAnyCommand();
    expect(logs.lines().filter((line) => line.level === 'ERROR' || line.level === 'WARN')).toEqual([]);
  });
});

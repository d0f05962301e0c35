import { clearCaches } from '@aws-lambda-powertools/parameters';
import { DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { AutopilotError } from '../../lib/errors';
import { presentNotice } from '../../lib/notify/present/presentNotice';
import { SlackWebhook, type SlackWebhookOptions } from '../../lib/notify/publish/SlackWebhook';
import { renderSlackMessage } from '../../lib/notify/render/renderSlackMessage';
import type { FunctionReport } from '../../lib/runtime/types';
import { lambdaContext, loadEvent, SAMPLE_EVENTS, sampleNotice, snsEvent } from '../support/events';
import { fakeIdempotencyTable } from '../support/idempotencyTable';
import { scanNotice } from '../support/notices';
import { startWebhookServer, type WebhookServer } from '../support/webhookServer';

const MESSAGE = renderSlackMessage(presentNotice(scanNotice()));

let slack: WebhookServer;
/** Waits the webhook asked for (its injected sleep); nothing in these tests really sleeps unless said. */
let waits: number[];

function webhook(options: Partial<SlackWebhookOptions> = {}): SlackWebhook {
  return new SlackWebhook({
    url: async () => slack.url,
    sleep: async (ms) => {
      waits.push(ms);
    },
    // The middle of the jitter range: waits of 250, 500, 1000 ms.
    random: () => 0.5,
    ...options,
  });
}

async function failure(promise: Promise<unknown>): Promise<AutopilotError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof AutopilotError) return error;
    throw error;
  }
  throw new Error('the delivery succeeded');
}

/** An error's messages and every cause's, as a logger serialising it would see them. */
function errorChain(error: unknown): string {
  const parts: string[] = [];
  for (let current: unknown = error; current !== undefined && current !== null; current = (current as { cause?: unknown }).cause) {
    parts.push(current instanceof Error ? `${current.name}: ${current.message}` : String(current));
  }
  return parts.join(' <- ');
}

beforeAll(async () => {
  slack = await startWebhookServer();
});

afterAll(async () => {
  await slack.close();
});

beforeEach(() => {
  waits = [];
  slack.answer({ status: 200, body: 'ok' });
});

describe('SlackWebhook against a local HTTP server', () => {
  it('posts the Block Kit message as JSON', async () => {
    // Act
    const delivery = await webhook().post(MESSAGE);

    // Assess
    expect(delivery).toEqual({ attempts: 1, waitedMs: 0 });
    expect(slack.received).toHaveLength(1);
    const [request] = slack.received;
    expect(request?.method).toBe('POST');
    expect(request?.path).toBe('/services/T0000/B0000/XXXXXXXXXXXXXXXXXXXXXXXX');
    expect(request?.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(JSON.parse(request?.body ?? '')).toEqual(MESSAGE);
    expect(JSON.parse(request?.body ?? '').blocks[0]).toEqual({ type: 'header', text: { type: 'plain_text', text: ':rotating_light: FAIL team-a/api:v1.4.0: 1 CRITICAL > 0 allowed (1 new, 1 fixed)', emoji: true } });
  });

  it('honours 429 Retry-After: waits the requested second, then posts again', async () => {
    // Prepare
    slack.answer({ status: 429, headers: { 'retry-after': '1' }, body: 'rate_limited' }, { status: 200, body: 'ok' });

    // Act
    const delivery = await webhook().post(MESSAGE);

    // Assess
    expect(waits).toEqual([1000]);
    expect(delivery).toEqual({ attempts: 2, waitedMs: 1000 });
    expect(slack.received).toHaveLength(2);
    expect(slack.received[1]?.body).toBe(slack.received[0]?.body);
  });

  it('really waits Retry-After before the second request (measured at the server)', async () => {
    // Prepare
    slack.answer({ status: 429, headers: { 'retry-after': '1' } }, { status: 200, body: 'ok' });

    // Act
    await new SlackWebhook({ url: async () => slack.url }).post(MESSAGE);

    // Assess
    expect(slack.received).toHaveLength(2);
    const [first, second] = slack.received;
    expect((second?.at ?? 0) - (first?.at ?? 0)).toBeGreaterThanOrEqual(995);
  });

  it('fails now (to be retried later) when Retry-After is longer than it may wait', async () => {
    // Prepare
    slack.answer({ status: 429, headers: { 'retry-after': '120' } });

    // Act
    const error = await failure(webhook({ maxRetryAfterMs: 30_000 }).post(MESSAGE));

    // Assess
    expect(error).toMatchObject({ code: 'NOTIFY_FAILED', retryable: true });
    expect(error.message).toContain('Retry-After 120 s');
    expect(waits).toEqual([]);
    expect(slack.received).toHaveLength(1);
  });

  it('retries a 500 a bounded number of times with backoff, then reports NOTIFY_FAILED', async () => {
    // Prepare
    slack.answer({ status: 500, body: 'internal_error' });

    // Act
    const error = await failure(webhook().post(MESSAGE));

    // Assess
    expect(slack.received).toHaveLength(4);
    expect(waits).toEqual([250, 500, 1000]);
    expect(error).toMatchObject({ code: 'NOTIFY_FAILED', retryable: true });
    expect(error.message).toBe('Slack rejected the message with HTTP 500 (internal_error) after 4 attempts');
  });

  it('gives up on a webhook that keeps rate limiting after its attempts', async () => {
    // Prepare
    slack.answer({ status: 429, headers: { 'retry-after': '1' } });

    // Act
    const error = await failure(webhook({ maxAttempts: 3 }).post(MESSAGE));

    // Assess
    expect(slack.received).toHaveLength(3);
    expect(waits).toEqual([1000, 1000]);
    expect(error.code).toBe('NOTIFY_FAILED');
  });

  it('recovers when a 500 is followed by success', async () => {
    // Prepare
    slack.answer({ status: 503, body: 'unavailable' }, { status: 200, body: 'ok' });

    // Act
    const delivery = await webhook().post(MESSAGE);

    // Assess
    expect(delivery).toEqual({ attempts: 2, waitedMs: 250 });
  });

  it('does not retry a 400: the answer would not change', async () => {
    // Prepare
    slack.answer({ status: 400, body: 'invalid_blocks' });

    // Act
    const error = await failure(webhook().post(MESSAGE));

    // Assess
    expect(slack.received).toHaveLength(1);
    expect(waits).toEqual([]);
    expect(error).toMatchObject({ code: 'NOTIFY_FAILED', retryable: false });
    expect(error.message).toContain('HTTP 400 (invalid_blocks); fix the webhook secret or the channel');
  });

  it('does not follow a redirect: the webhook URL never reaches another server', async () => {
    // Prepare
    const elsewhere = await startWebhookServer();
    slack.answer({ status: 302, headers: { location: `${elsewhere.url}/stolen` } });

    // Act
    const error = await failure(webhook().post(MESSAGE));

    // Assess
    await elsewhere.close();
    expect(elsewhere.received).toEqual([]);
    expect(error).toMatchObject({ code: 'NOTIFY_FAILED', retryable: false });
    // A redirect does not change on retry: one request, no more.
    expect(slack.received).toHaveLength(1);
  });

  it('refuses a webhook URL that is neither Slack nor loopback, sending nothing', async () => {
    // Prepare
    const fetchSpy = vi.spyOn(globalThis, 'fetch');

    // Act
    const error = await failure(webhook({ url: async () => 'https://hooks.example.com/services/T0000/B0000/XXXXXXXXXXXXXXXXXXXXXXXX' }).post(MESSAGE));

    // Assess
    expect(fetchSpy).not.toHaveBeenCalled();
    fetchSpy.mockRestore();
    expect(error.code).toBe('SECRET_INVALID');
    expect(error.message).not.toContain('XXXXXXXX');
  });

  it('does not retry a refused connection, and reports only its code (never the URL, nor a cause holding it) as worth a later delivery', async () => {
    // Prepare
    const gone = await startWebhookServer();
    await gone.close();

    // Act
    const error = await failure(webhook({ url: async () => `${gone.url}/services/T0/B0/secret-path` }).post(MESSAGE));

    // Assess
    expect(error).toMatchObject({ code: 'NOTIFY_FAILED', retryable: true });
    expect(error.message).toBe('Slack webhook unreachable (ECONNREFUSED)');
    expect(errorChain(error)).not.toMatch(/secret-path|\/services\//);
    expect(waits).toEqual([]);
  });

  it('retries a dropped connection with backoff, then posts', async () => {
    // Prepare
    slack.answer({ status: 0, drop: true }, { status: 0, drop: true }, { status: 200, body: 'ok' });

    // Act
    const delivery = await webhook().post(MESSAGE);

    // Assess
    expect(slack.received).toHaveLength(3);
    expect(waits).toEqual([250, 500]);
    expect(delivery).toEqual({ attempts: 3, waitedMs: 750 });
  });

  it('reports a connection that keeps dropping after its attempts', async () => {
    // Prepare
    slack.answer({ status: 0, drop: true });

    // Act
    const error = await failure(webhook().post(MESSAGE));

    // Assess
    expect(slack.received).toHaveLength(4);
    expect(error).toMatchObject({ code: 'NOTIFY_FAILED', retryable: true });
    expect(error.message).toMatch(/^Slack webhook unreachable after 4 attempts \(\w+\)$/);
    expect(errorChain(error)).not.toMatch(/\/services\//);
  });

  it('ignores Retry-After: 2.5 (not delay-seconds, RFC 9110) and backs off on its own', async () => {
    // Prepare
    slack.answer({ status: 429, headers: { 'retry-after': '2.5' } }, { status: 200, body: 'ok' });

    // Act
    const delivery = await webhook().post(MESSAGE);

    // Assess
    expect(waits).toEqual([250]);
    expect(delivery).toEqual({ attempts: 2, waitedMs: 250 });
  });

  it('stops waiting on Retry-After as soon as its signal fires, and posts nothing more', async () => {
    // Prepare
    slack.answer({ status: 429, headers: { 'retry-after': '3000' } }, { status: 200, body: 'ok' });
    const controller = new AbortController();

    // Act: the real, abortable sleep of 50 minutes (a sleep the signal did not end would time the test out).
    const delivery = new SlackWebhook({ url: async () => slack.url, maxRetryAfterMs: 3_600_000 }).post(MESSAGE, { signal: controller.signal });
    await vi.waitFor(() => expect(slack.received).toHaveLength(1));
    controller.abort(new AutopilotError('ABORTED', 'the time budget ran out'));
    const error = await failure(delivery);

    // Assess
    expect(error).toMatchObject({ code: 'ABORTED', message: 'the time budget ran out' });
    expect(slack.received).toHaveLength(1);
  });

  it('refuses a webhook URL with user info before sending, never echoing the URL', async () => {
    // Prepare
    const fetchSpy = vi.spyOn(globalThis, 'fetch');
    const withUserInfo = slack.url.replace('http://', 'http://hookuser:hookpass@');

    // Act
    const error = await failure(webhook({ url: async () => `${withUserInfo}/services/T0/B0/secret-path`, maxAttempts: 1 }).post(MESSAGE));

    // Assess
    expect(fetchSpy).not.toHaveBeenCalled();
    fetchSpy.mockRestore();
    expect(error.code).toBe('SECRET_INVALID');
    expect(errorChain(error)).not.toMatch(/hookpass|secret-path|T0\/B0/);
    expect(slack.received).toEqual([]);
  });
});

describe('the notifySlack handler against a local HTTP server', () => {
  const secrets = mockClient(SecretsManagerClient);
  const dynamo = mockClient(DynamoDBClient);
  const saved = { ...process.env };
  let handler: (event: unknown, context: ReturnType<typeof lambdaContext>) => Promise<FunctionReport>;
  let quiet: Array<{ mockRestore(): void }>;

  beforeAll(async () => {
    Object.assign(process.env, {
      AWS_REGION: 'ap-northeast-2',
      SLACK_WEBHOOK_SECRET_ID: 'ecr-autopilot/slack-webhook',
      IDEMPOTENCY_TABLE_NAME: 'ecr-autopilot-test-idempotency',
      POWERTOOLS_SERVICE_NAME: 'ecr-autopilot',
      AWS_LAMBDA_FUNCTION_NAME: 'ecr-autopilot-test-notifySlack',
    });
    handler = (await import('../../functions/notifySlack')).handler as unknown as typeof handler;
  });

  afterAll(() => {
    process.env = saved;
    secrets.restore();
    dynamo.restore();
  });

  beforeEach(() => {
    secrets.reset();
    dynamo.reset();
    clearCaches();
    secrets.on(GetSecretValueCommand).resolves({ SecretString: JSON.stringify({ webhookUrl: slack.url }) });
    fakeIdempotencyTable(dynamo);
    // Powertools' logger writes JSON lines straight to stdout/stderr.
    quiet = [vi.spyOn(process.stdout, 'write').mockImplementation(() => true), vi.spyOn(process.stderr, 'write').mockImplementation(() => true)];
  });

  afterEach(() => {
    for (const spy of quiet) spy.mockRestore();
  });

  it('posts the Block Kit rendering of the SNS sample to the webhook from Secrets Manager', async () => {
    // Act
    const report = await handler(loadEvent(SAMPLE_EVENTS.snsPushSummary), lambdaContext('ecr-autopilot-test-notifySlack'));

    // Assess
    expect(report.outcome).toBe('done');
    expect(slack.received).toHaveLength(1);
    expect(JSON.parse(slack.received[0]?.body ?? '')).toEqual(renderSlackMessage(presentNotice(sampleNotice() as Parameters<typeof presentNotice>[0])));
    expect(secrets).toHaveReceivedCommandWith(GetSecretValueCommand, { SecretId: 'ecr-autopilot/slack-webhook' });
  });

  it('posts once when SNS delivers the same notice twice', async () => {
    // Prepare
    const first = snsEvent(scanNotice(), { messageId: 'delivery-1' });
    const again = snsEvent(scanNotice(), { messageId: 'delivery-2' });

    // Act
    const reports = [await handler(first, lambdaContext()), await handler(again, lambdaContext())];

    // Assess
    expect(slack.received).toHaveLength(1);
    expect(dynamo).toHaveReceivedCommandTimes(PutItemCommand, 2);
    expect(reports.map((report) => report.changes[0]?.outcome.message)).toEqual(['posted after 1 attempt(s)', 'duplicate delivery: already posted']);
  });

  it('reports a webhook that fails with 400 as NOTIFY_FAILED without retrying it', async () => {
    // Prepare
    slack.answer({ status: 400, body: 'no_service' });

    // Act
    const report = await handler(snsEvent(scanNotice({}, { id: 'failing:scan.summary' })), lambdaContext());

    // Assess
    expect(slack.received).toHaveLength(1);
    expect(report.outcome).toBe('failed');
    expect(report.changes[0]?.outcome).toEqual({ status: 'failed', message: expect.stringContaining('Slack rejected the message with HTTP 400 (no_service)') });
  });
});

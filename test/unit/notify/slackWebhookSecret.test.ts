import { clearCaches } from '@aws-lambda-powertools/parameters';
import { GetSecretValueCommand, ResourceNotFoundException, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AutopilotError } from '../../../lib/errors';
import { slackWebhookUrlFromSecret } from '../../../lib/notify/publish/slackWebhookSecret';

/** Re-created before each test: one test restores it to use a client of its own. */
let secrets = mockClient(SecretsManagerClient);
const SECRET_ID = 'ecr-autopilot/slack-webhook';
const URL = 'https://hooks.slack.com/services/T0000/B0000/XXXXXXXXXXXXXXXXXXXXXXXX';

async function caught(promise: Promise<unknown>): Promise<AutopilotError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof AutopilotError) return error;
    throw error;
  }
  throw new Error('nothing was thrown');
}

beforeEach(() => {
  secrets = mockClient(SecretsManagerClient);
  clearCaches();
  process.env.AWS_REGION = 'ap-northeast-2';
});

afterEach(() => {
  secrets.restore();
  clearCaches();
});

describe('slackWebhookUrlFromSecret', () => {
  it('reads a secret that holds the URL itself', async () => {
    // Prepare
    secrets.on(GetSecretValueCommand).resolves({ SecretString: `  ${URL}\n` });

    // Act
    const url = await slackWebhookUrlFromSecret(SECRET_ID);

    // Assess
    expect(url).toBe(URL);
    expect(secrets).toHaveReceivedCommandExactlyOnceWith(GetSecretValueCommand, { SecretId: SECRET_ID });
  });

  it('reads a secret that holds {"webhookUrl": ...}', async () => {
    // Prepare
    secrets.on(GetSecretValueCommand).resolves({ SecretString: JSON.stringify({ webhookUrl: URL, channel: '#ecr' }) });

    // Act & Assess
    expect(await slackWebhookUrlFromSecret(SECRET_ID)).toBe(URL);
  });

  it('reads the secret once per container and again after the cache is cleared', async () => {
    // Prepare
    secrets.on(GetSecretValueCommand).resolves({ SecretString: URL });

    // Act
    await slackWebhookUrlFromSecret(SECRET_ID);
    await slackWebhookUrlFromSecret(SECRET_ID);
    clearCaches();
    await slackWebhookUrlFromSecret(SECRET_ID);

    // Assess
    expect(secrets).toHaveReceivedCommandTimes(GetSecretValueCommand, 2);
  });

  it('uses the Secrets Manager client it is given', async () => {
    // Prepare: only the given client answers; any other client would fail at once (nothing listens on port 9).
    secrets.restore();
    const own = new SecretsManagerClient({ region: 'eu-west-1', endpoint: 'http://127.0.0.1:9', credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'test' } });
    const ownMock = mockClient(own);
    ownMock.on(GetSecretValueCommand).resolves({ SecretString: URL });
    const saved = { endpoint: process.env.AWS_ENDPOINT_URL, key: process.env.AWS_ACCESS_KEY_ID, secret: process.env.AWS_SECRET_ACCESS_KEY };
    Object.assign(process.env, { AWS_ENDPOINT_URL: 'http://127.0.0.1:9', AWS_ACCESS_KEY_ID: 'AKIDTEST', AWS_SECRET_ACCESS_KEY: 'test' });

    // Act
    let url: string | undefined;
    try {
      url = await slackWebhookUrlFromSecret(SECRET_ID, own);
    } finally {
      ownMock.restore();
      for (const [key, value] of [['AWS_ENDPOINT_URL', saved.endpoint], ['AWS_ACCESS_KEY_ID', saved.key], ['AWS_SECRET_ACCESS_KEY', saved.secret]] as const) {
        if (value === undefined) delete process.env[key];
        else process.env[key] = value;
      }
    }

    // Assess
    expect(url).toBe(URL);
    expect(ownMock).toHaveReceivedCommandExactlyOnceWith(GetSecretValueCommand, { SecretId: SECRET_ID });
  });

  it('fails with SECRET_INVALID naming the secret and how to create it when it does not exist', async () => {
    // Prepare
    secrets.on(GetSecretValueCommand).rejects(new ResourceNotFoundException({ message: "Secrets Manager can't find the specified secret.", $metadata: {} }));

    // Act
    const error = await caught(slackWebhookUrlFromSecret(SECRET_ID));

    // Assess
    expect(error.code).toBe('SECRET_INVALID');
    expect(error.retryable).toBe(false);
    expect(error.message).toContain(`Cannot read the Slack webhook secret ${SECRET_ID} (ResourceNotFoundException)`);
    expect(error.message).toContain(`aws secretsmanager create-secret --name ${SECRET_ID}`);
  });

  it.each([
    ['JSON without a webhookUrl', JSON.stringify({ hook: URL })],
    ['JSON that does not parse', `{"webhookUrl": "${URL}"`],
    ['an empty string', '   '],
  ])('fails with SECRET_INVALID for %s, never echoing the secret', async (_what, value) => {
    // Prepare
    secrets.on(GetSecretValueCommand).resolves({ SecretString: value });

    // Act
    const error = await caught(slackWebhookUrlFromSecret(SECRET_ID));

    // Assess
    expect(error.code).toBe('SECRET_INVALID');
    expect(error.message).not.toContain('XXXXXXXX');
    expect(error.message).not.toContain('hooks.slack.com/services/T0000');
  });

  it('fails with SECRET_INVALID for a binary secret', async () => {
    // Prepare
    secrets.on(GetSecretValueCommand).resolves({ SecretBinary: new TextEncoder().encode(URL) });

    // Act
    const error = await caught(slackWebhookUrlFromSecret(SECRET_ID));

    // Assess
    expect(error.code).toBe('SECRET_INVALID');
    expect(error.message).toContain('has no string value');
    expect(error.message).not.toContain('XXXXXXXX');
  });
});

import { getSecret, SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { AutopilotError } from '../../errors';

/** How long a container keeps the webhook URL before reading the secret again (rotation takes effect within this). */
export const WEBHOOK_CACHE_SECONDS = 300;

/**
 * Reads the Slack webhook URL from Secrets Manager, cached per container by Powertools Parameters.
 * The secret holds the URL itself or JSON `{"webhookUrl": "https://hooks.slack.com/..."}`. The value
 * is never logged or put in an error message.
 *
 * @example
 * const webhook = new SlackWebhook({ url: () => slackWebhookUrlFromSecret('ecr-autopilot/slack-webhook') });
 */
/**
 * `getSecret` ignores a client passed with the call (`awsSdkV3Client` is a provider option), so a
 * given client gets its own provider, cached like the default one.
 */
const providers = new WeakMap<SecretsManagerClient, SecretsProvider>();

function providerFor(client: SecretsManagerClient): SecretsProvider {
  let provider = providers.get(client);
  if (!provider) {
    provider = new SecretsProvider({ awsSdkV3Client: client });
    providers.set(client, provider);
  }
  return provider;
}

export async function slackWebhookUrlFromSecret(secretId: string, client?: SecretsManagerClient): Promise<string> {
  let value: unknown;
  try {
    value = client ? await providerFor(client).get(secretId, { maxAge: WEBHOOK_CACHE_SECONDS }) : await getSecret(secretId, { maxAge: WEBHOOK_CACHE_SECONDS });
  } catch (error) {
    const name = error instanceof Error && error.cause instanceof Error ? error.cause.name : error instanceof Error ? error.name : 'Error';
    throw new AutopilotError('SECRET_INVALID', `Cannot read the Slack webhook secret ${secretId} (${name}); create it with: aws secretsmanager create-secret --name ${secretId} --secret-string https://hooks.slack.com/services/...`, {
      cause: error,
      retryable: name === 'ThrottlingException' || name === 'InternalServiceError',
    });
  }
  if (typeof value !== 'string' || value.trim() === '') {
    throw new AutopilotError('SECRET_INVALID', `The Slack webhook secret ${secretId} has no string value; store the webhook URL as the secret string`);
  }
  const text = value.trim();
  if (!text.startsWith('{')) return text;
  try {
    const parsed = JSON.parse(text) as { webhookUrl?: unknown; url?: unknown };
    const url = parsed.webhookUrl ?? parsed.url;
    if (typeof url === 'string') return url;
  } catch {
    // Fall through to the error below; the secret's content is never echoed.
  }
  throw new AutopilotError('SECRET_INVALID', `The Slack webhook secret ${secretId} is JSON without a "webhookUrl" string; store {"webhookUrl": "https://hooks.slack.com/services/..."}`);
}

import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { notifySlack } from '../lib/notify/deliverToSlack';
import { slackWebhookUrlFromSecret } from '../lib/notify/publish/slackWebhookSecret';
import { SlackWebhook } from '../lib/notify/publish/SlackWebhook';
import { SlackWriter } from '../lib/notify/publish/SlackWriter';
import { readEnv } from '../lib/runtime/env';
import { lambdaEntry } from './runtime/lambdaEntry';
import { clientOptions } from './runtime/liveClients';
import { liveOncePerKey } from './runtime/liveOncePerKey';

/** Subscribed to the notification topic → Block Kit message on the Slack incoming webhook. */
export const handler = lambdaEntry(notifySlack, () => {
  const secretId = readEnv({ key: 'SLACK_WEBHOOK_SECRET_ID', fix: 'set it to the Secrets Manager secret holding the Slack webhook URL' });
  const once = liveOncePerKey();
  const secrets = new SecretsManagerClient(clientOptions());
  const webhook = new SlackWebhook({ url: () => slackWebhookUrlFromSecret(secretId, secrets) });
  return { deps: { writer: new SlackWriter({ webhook, once }) }, onInvoke: (context) => once.registerLambdaContext(context) };
});

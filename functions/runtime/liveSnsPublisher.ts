import { SNSClient } from '@aws-sdk/client-sns';
import type { NotificationSettings } from '../../lib/config/types';
import type { OncePerKey } from '../../lib/notify/publish/oncePerKey';
import { SnsPublisher } from '../../lib/notify/publish/SnsPublisher';
import { readEnv } from '../../lib/runtime/env';
import { clientOptions } from './liveClients';

export function notificationTopicArn(): string {
  return readEnv({ key: 'NOTIFICATION_TOPIC_ARN', fix: 'set it to the ARN of the ecr-autopilot notification topic (serverless.yml sets it)' });
}

export function liveSnsPublisher(settings: NotificationSettings, once: OncePerKey): SnsPublisher {
  return new SnsPublisher({ client: new SNSClient(clientOptions()), settings, once });
}

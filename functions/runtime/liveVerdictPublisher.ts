import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { readEnv } from '../../lib/runtime/env';
import { EventBridgeVerdictPublisher } from '../../lib/scan/publish/EventBridgeVerdictPublisher';
import { clientOptions } from './liveClients';

export function eventBusName(): string {
  return readEnv({ key: 'EVENT_BUS_NAME', defaultValue: 'default' });
}

export function liveVerdictPublisher(): EventBridgeVerdictPublisher {
  return new EventBridgeVerdictPublisher({ client: new EventBridgeClient(clientOptions()) });
}

import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { OncePerKey } from '../../lib/notify/publish/oncePerKey';
import { powertoolsOncePerKey } from '../../lib/notify/publish/powertoolsOncePerKey';
import { readEnv } from '../../lib/runtime/env';
import { clientOptions } from './liveClients';

/** The idempotency guard over the stack's DynamoDB table (`IDEMPOTENCY_TABLE_NAME`). */
export function liveOncePerKey(): OncePerKey & { registerLambdaContext(context: { getRemainingTimeInMillis(): number }): void } {
  return powertoolsOncePerKey({
    tableName: readEnv({ key: 'IDEMPOTENCY_TABLE_NAME', fix: 'set it to the idempotency table of the stack (serverless.yml sets it)' }),
    client: new DynamoDBClient(clientOptions()),
  });
}

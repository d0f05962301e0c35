import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { readEnv } from '../../lib/runtime/env';
import { DynamoStateStore } from '../../lib/state/DynamoStateStore';
import { clientOptions } from './liveClients';

/** The stack's state table (`STATE_TABLE_NAME`): where a stopped sweep resumes, the repeat windows of notices, the shared expire-on-push cap. */
export function liveStateStore(): DynamoStateStore {
  return new DynamoStateStore({
    client: new DynamoDBClient(clientOptions()),
    tableName: readEnv({ key: 'STATE_TABLE_NAME', fix: "set it to the stack's state table (serverless.yml sets it)" }),
  });
}

import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { readEnv } from '../../lib/runtime/env';
import { DynamoStateStore } from '../../lib/state/DynamoStateStore';
import { clientOptions } from './liveClients';

/** The stack's state table (`STATE_TABLE_NAME`): where a stopped sweep resumes, which undeclared pull-through cache prefixes were reported. */
export function liveStateStore(): DynamoStateStore {
  return new DynamoStateStore({
    client: new DynamoDBClient(clientOptions()),
    tableName: readEnv({ key: 'STATE_TABLE_NAME', fix: "set it to the stack's state table (serverless.yml sets it)" }),
  });
}

import { type AttributeValue, DeleteItemCommand, type DynamoDBClient, GetItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { AutopilotError } from '../errors';
import { callAws, type RetryOptions } from '../shared/awsCall';
import { checkStateRecord, stateConflict } from './stateLimits';
import type { DeleteStateOptions, PutStateOptions, StateCallOptions, StateData, StateKey, StateRecord, StateStore } from './StateStore';

/**
 * The state table in DynamoDB (the stack's `StateTable`, named by `STATE_TABLE_NAME`). Items are
 * `{ pk, sk, data (map), version, updatedAt, expiresAt? }`. Reads are strongly consistent, so a run
 * sees what the previous one wrote. TTL deletes expired items only eventually (typically within a
 * few days), so an expired item is treated as absent here.
 *
 * @example
 * const state = new DynamoStateStore({ client: new DynamoDBClient({}), tableName: 'ecr-autopilot-dev-state' });
 * const cursor = await state.get({ pk: 'lifecycle-sweep#cursor', sk: 'all' }, { signal });
 */
export class DynamoStateStore implements StateStore {
  private readonly client: DynamoDBClient;
  private readonly tableName: string;
  private readonly now: () => number;
  private readonly retry: RetryOptions | undefined;

  constructor(options: { client: DynamoDBClient; tableName: string; now?: () => number; retry?: RetryOptions }) {
    this.client = options.client;
    this.tableName = options.tableName;
    this.now = options.now ?? Date.now;
    this.retry = options.retry;
  }

  async get<D extends StateData = StateData>(key: StateKey, options: StateCallOptions = {}): Promise<StateRecord<D> | undefined> {
    const output = await this.call('GetItem', options.signal, (sdk) =>
      this.client.send(new GetItemCommand({ TableName: this.tableName, Key: keyOf(key), ConsistentRead: true }), sdk),
    );
    if (!output.Item) return undefined;
    const record = toRecord<D>(key, output.Item);
    if (record.expiresAt !== undefined && record.expiresAt * 1000 <= this.now()) return undefined;
    return record;
  }

  async put<D extends StateData>(key: StateKey, data: D, options: PutStateOptions = {}): Promise<StateRecord<D>> {
    checkStateRecord(key, data, options.expiresAt);
    const names: Record<string, string> = { '#data': 'data', '#version': 'version', '#updatedAt': 'updatedAt', '#expiresAt': 'expiresAt' };
    const values: Record<string, AttributeValue> = {
      ':data': { M: marshall(data, { removeUndefinedValues: true }) },
      ':updatedAt': { S: new Date(this.now()).toISOString() },
    };
    const set = ['#data = :data', '#updatedAt = :updatedAt'];
    const add: string[] = [];
    let condition: string | undefined;
    if (options.expectedVersion === undefined) {
      add.push('#version :one');
      values[':one'] = { N: '1' };
    } else if (options.expectedVersion === 0) {
      // Absent, or present but expired (TTL has not removed it yet).
      names['#pk'] = 'pk';
      condition = 'attribute_not_exists(#pk) OR #expiresAt <= :now';
      set.push('#version = :one');
      values[':one'] = { N: '1' };
      values[':now'] = { N: String(Math.floor(this.now() / 1000)) };
    } else {
      condition = '#version = :expected AND (attribute_not_exists(#expiresAt) OR #expiresAt > :now)';
      set.push('#version = :next');
      values[':expected'] = { N: String(options.expectedVersion) };
      values[':next'] = { N: String(options.expectedVersion + 1) };
      values[':now'] = { N: String(Math.floor(this.now() / 1000)) };
    }
    if (options.expiresAt !== undefined) {
      set.push('#expiresAt = :expiresAt');
      values[':expiresAt'] = { N: String(options.expiresAt) };
    }
    const expression = `SET ${set.join(', ')}${add.length > 0 ? ` ADD ${add.join(', ')}` : ''}${options.expiresAt === undefined ? ' REMOVE #expiresAt' : ''}`;
    try {
      const output = await this.call('UpdateItem', options.signal, (sdk) =>
        this.client.send(
          new UpdateItemCommand({
            TableName: this.tableName,
            Key: keyOf(key),
            UpdateExpression: expression,
            ...(condition ? { ConditionExpression: condition } : {}),
            ExpressionAttributeNames: names,
            ExpressionAttributeValues: values,
            ReturnValues: 'ALL_NEW',
          }),
          sdk,
        ),
      );
      return toRecord<D>(key, output.Attributes ?? {});
    } catch (error) {
      if (error instanceof Error && error.name === 'ConditionalCheckFailedException') throw stateConflict(key, options.expectedVersion ?? 0);
      throw error;
    }
  }

  async delete(key: StateKey, options: DeleteStateOptions = {}): Promise<void> {
    try {
      await this.call('DeleteItem', options.signal, (sdk) =>
        this.client.send(
          new DeleteItemCommand({
            TableName: this.tableName,
            Key: keyOf(key),
            ...(options.expectedVersion === undefined
              ? {}
              : { ConditionExpression: '#version = :expected', ExpressionAttributeNames: { '#version': 'version' }, ExpressionAttributeValues: { ':expected': { N: String(options.expectedVersion) } } }),
          }),
          sdk,
        ),
      );
    } catch (error) {
      if (error instanceof Error && error.name === 'ConditionalCheckFailedException') throw stateConflict(key, options.expectedVersion ?? 0);
      throw error;
    }
  }

  /** One DynamoDB call: throttling retried, cancellation honoured, the errors a user can fix named. */
  private async call<T>(operation: string, signal: AbortSignal | undefined, send: Parameters<typeof callAws<T>>[1]): Promise<T> {
    try {
      return await callAws(`dynamodb:${operation}`, send, { signal, retry: this.retry });
    } catch (error) {
      if (!(error instanceof Error) || error instanceof AutopilotError) throw error;
      if (error.name === 'ResourceNotFoundException') {
        throw new AutopilotError('ENV_INVALID', `The state table ${this.tableName} does not exist; set STATE_TABLE_NAME to the stack's state table (see \`npx osls info\`)`, { cause: error });
      }
      if (error.name === 'AccessDeniedException') {
        throw new AutopilotError('ACCESS_DENIED', `dynamodb:${operation} on the state table ${this.tableName} was denied; the function's role needs it on that table`, { cause: error });
      }
      if (error.name === 'ConditionalCheckFailedException') throw error;
      throw new AutopilotError('AWS_ERROR', `dynamodb:${operation} on the state table ${this.tableName} failed: ${error.message}`, { cause: error, retryable: true });
    }
  }
}

function keyOf(key: StateKey): Record<string, AttributeValue> {
  return { pk: { S: key.pk }, sk: { S: key.sk } };
}

function toRecord<D extends StateData>(key: StateKey, item: Record<string, AttributeValue>): StateRecord<D> {
  const data = item.data?.M ? (unmarshall(item.data.M) as D) : ({} as D);
  const expiresAt = item.expiresAt?.N === undefined ? undefined : Number(item.expiresAt.N);
  return {
    key: { ...key },
    data,
    version: Number(item.version?.N ?? '0'),
    ...(expiresAt === undefined ? {} : { expiresAt }),
    updatedAt: item.updatedAt?.S ?? '',
  };
}

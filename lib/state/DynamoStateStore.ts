import { type AttributeValue, type ConditionalCheckFailedException, DeleteItemCommand, type DynamoDBClient, GetItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { AutopilotError } from '../errors';
import { callAws, type RetryOptions } from '../shared/awsCall';
import { hasErrorCode } from '../errors';
import { checkReservation, checkStateRecord, RESERVATION_COUNT_FIELD, reservationCount, stateConflict } from './stateLimits';
import type { DeleteStateOptions, PutStateOptions, ReserveStateOptions, StateCallOptions, StateData, StateKey, StateRecord, StateStore } from './StateStore';

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

  /**
   * One conditional UpdateItem adds to the count in the common case: `SET #data.#used = #data.#used
   * + :n` on condition `#data.#used <= :room` (limit − n) and the counter not expired. DynamoDB
   * applies it atomically and evaluates the SET against the item as it was before the update, so
   * no concurrent reservation is lost and the count never passes the limit. (`ADD` would need a
   * top-level attribute, and the count lives in the record's `data` map, where every counter written
   * so far keeps it.) When the condition fails, `ReturnValuesOnConditionCheckFailure: ALL_OLD` hands
   * back the item with the ConditionalCheckFailedException at no read capacity, so a partial grant
   * asks again for exactly what remains without a GetItem; an absent or expired counter starts
   * with a write conditioned on still being absent or expired.
   * https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_UpdateItem.html
   * (UpdateExpression: "ADD … can only be used on top-level attributes", SET adds to a number;
   * ReturnValuesOnConditionCheckFailure)
   */
  async reserve(key: StateKey, wanted: number, limit: number, options: ReserveStateOptions = {}): Promise<number> {
    checkReservation({ wanted, limit, ...(options.data ? { data: options.data } : {}) });
    checkStateRecord(key, { ...options.data, [RESERVATION_COUNT_FIELD]: limit }, options.expiresAt);
    let want = Math.min(wanted, limit);
    for (let attempt = 1; attempt <= MAX_COUNTER_ATTEMPTS && want > 0; attempt += 1) {
      const before = await this.addToCount(key, want, { room: limit - want, expiresAt: options.expiresAt }, options.signal);
      if (before === 'added') return want;
      if (before === 'absent') {
        try {
          await this.put(key, { ...options.data, [RESERVATION_COUNT_FIELD]: want }, { signal: options.signal, expectedVersion: 0, ...(options.expiresAt === undefined ? {} : { expiresAt: options.expiresAt }) });
          return want;
        } catch (error) {
          // Another run started the count first: add to theirs.
          if (!hasErrorCode(error, 'STATE_CONFLICT')) throw error;
          continue;
        }
      }
      want = Math.min(wanted, limit - before);
    }
    // Only other runs' grants and releases make a condition fail, so this is reached only when the
    // count keeps moving under us: grant nothing rather than risk more than the limit.
    return 0;
  }

  /** `SET #data.#used = #data.#used - :n` on condition `#data.#used >= :n`, with the count found instead when it is smaller. */
  async release(key: StateKey, count: number, options: StateCallOptions = {}): Promise<number> {
    checkReservation({ count });
    let give = count;
    for (let attempt = 1; attempt <= MAX_COUNTER_ATTEMPTS && give > 0; attempt += 1) {
      const before = await this.addToCount(key, -give, { room: undefined, expiresAt: undefined }, options.signal);
      if (before === 'added') return give;
      if (before === 'absent') return 0;
      give = Math.min(count, before);
    }
    return 0;
  }

  /**
   * Adds `n` (negative: subtracts) to the count of a live counter in one conditional UpdateItem: an
   * addition only while the count is ≤ `room`, a subtraction only while it is ≥ −n. Returns
   * `'added'`, `'absent'` (no live counter), or the count that made the condition fail.
   */
  private async addToCount(key: StateKey, n: number, bounds: { room: number | undefined; expiresAt: number | undefined }, signal: AbortSignal | undefined): Promise<'added' | 'absent' | number> {
    const names: Record<string, string> = { '#data': 'data', '#used': RESERVATION_COUNT_FIELD, '#version': 'version', '#updatedAt': 'updatedAt', '#expiresAt': 'expiresAt' };
    const values: Record<string, AttributeValue> = {
      ':n': { N: String(Math.abs(n)) },
      ':one': { N: '1' },
      ':updatedAt': { S: new Date(this.now()).toISOString() },
      ':now': { N: String(Math.floor(this.now() / 1000)) },
    };
    const set = [n >= 0 ? '#data.#used = #data.#used + :n' : '#data.#used = #data.#used - :n', '#updatedAt = :updatedAt'];
    if (bounds.expiresAt !== undefined) {
      set.push('#expiresAt = :expiresAt');
      values[':expiresAt'] = { N: String(bounds.expiresAt) };
    }
    if (n >= 0) values[':room'] = { N: String(bounds.room ?? 0) };
    const bound = n >= 0 ? '#data.#used <= :room' : '#data.#used >= :n';
    try {
      await this.call('UpdateItem', signal, (sdk) =>
        this.client.send(
          new UpdateItemCommand({
            TableName: this.tableName,
            Key: keyOf(key),
            UpdateExpression: `SET ${set.join(', ')} ADD #version :one`,
            ConditionExpression: `${bound} AND (attribute_not_exists(#expiresAt) OR #expiresAt > :now)`,
            ExpressionAttributeNames: names,
            ExpressionAttributeValues: values,
            ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          }),
          sdk,
        ),
      );
      return 'added';
    } catch (error) {
      if (!(error instanceof Error) || error.name !== 'ConditionalCheckFailedException') throw error;
      const old = (error as Partial<ConditionalCheckFailedException>).Item;
      if (!old) return 'absent';
      const record = toRecord(key, old);
      if (record.expiresAt !== undefined && record.expiresAt * 1000 <= this.now()) return 'absent';
      return reservationCount(record);
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

/** Conditional writes a counter tries before it gives up (each failure means another run moved the count). */
const MAX_COUNTER_ATTEMPTS = 20;

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

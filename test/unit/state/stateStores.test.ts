import { ConditionalCheckFailedException, DeleteItemCommand, DynamoDBClient, DynamoDBServiceException, GetItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { abortSignalOf } from '../../support/sdkCalls';
import { afterEach, describe, expect, it } from 'vitest';
import { AutopilotError } from '../../../lib/errors';
import { DynamoStateStore } from '../../../lib/state/DynamoStateStore';
import { MemoryStateStore } from '../../../lib/state/MemoryStateStore';
import type { StateStore } from '../../../lib/state/StateStore';

const TABLE = 'ecr-autopilot-test-state';
const KEY = { pk: 'lifecycle-sweep#cursor', sk: 'all' };
const NOW = Date.parse('2026-03-01T03:00:00Z');
const NOW_S = NOW / 1000;

const dynamo = mockClient(DynamoDBClient);

afterEach(() => {
  dynamo.reset();
});

function store(): DynamoStateStore {
  return new DynamoStateStore({ client: new DynamoDBClient({ region: 'ap-northeast-2' }), tableName: TABLE, now: () => NOW, retry: { sleep: async () => undefined } });
}

function item(fields: { data: Record<string, unknown>; version: number; expiresAt?: number }) {
  return {
    pk: { S: KEY.pk },
    sk: { S: KEY.sk },
    data: { M: marshall(fields.data) },
    version: { N: String(fields.version) },
    updatedAt: { S: '2026-03-01T02:00:00.000Z' },
    ...(fields.expiresAt === undefined ? {} : { expiresAt: { N: String(fields.expiresAt) } }),
  };
}

function conditionFailed(): ConditionalCheckFailedException {
  return new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: { httpStatusCode: 400 } });
}

describe('DynamoStateStore', () => {
  describe('get', () => {
    it('reads the item strongly consistently and returns its data, version and expiry', async () => {
      // Prepare
      dynamo.on(GetItemCommand).resolves({ Item: item({ data: { nextRepository: 'team-b/api', notVisited: 12 }, version: 3, expiresAt: NOW_S + 60 }) });

      // Act
      const record = await store().get(KEY);

      // Assess
      expect(dynamo).toHaveReceivedCommandWith(GetItemCommand, { TableName: TABLE, Key: { pk: { S: KEY.pk }, sk: { S: KEY.sk } }, ConsistentRead: true });
      expect(record).toEqual({ key: KEY, data: { nextRepository: 'team-b/api', notVisited: 12 }, version: 3, expiresAt: NOW_S + 60, updatedAt: '2026-03-01T02:00:00.000Z' });
    });

    it('treats an expired item TTL has not removed yet as absent', async () => {
      // Prepare
      dynamo.on(GetItemCommand).resolves({ Item: item({ data: { nextRepository: 'team-b/api' }, version: 3, expiresAt: NOW_S }) });

      // Act & Assess
      expect(await store().get(KEY)).toBeUndefined();
    });

    it('returns undefined when there is no item', async () => {
      // Prepare
      dynamo.on(GetItemCommand).resolves({});

      // Act & Assess
      expect(await store().get(KEY)).toBeUndefined();
    });

    it("passes the caller's signal to the SDK, and sends nothing once it fired", async () => {
      // Prepare
      dynamo.on(GetItemCommand).resolves({});
      const controller = new AbortController();

      // Act
      await store().get(KEY, { signal: controller.signal });
      controller.abort();
      const late = store().get(KEY, { signal: controller.signal });

      // Assess
      await expect(late).rejects.toMatchObject({ code: 'ABORTED' });
      expect(dynamo.commandCalls(GetItemCommand)).toHaveLength(1);
      expect(abortSignalOf(dynamo.commandCalls(GetItemCommand)[0])).toBe(controller.signal);
    });

    it('names the variable to fix when the table does not exist', async () => {
      // Prepare
      dynamo.on(GetItemCommand).rejects(new DynamoDBServiceException({ name: 'ResourceNotFoundException', $fault: 'client', $metadata: { httpStatusCode: 400 }, message: 'Requested resource not found' }));

      // Act & Assess
      await expect(store().get(KEY)).rejects.toMatchObject({ code: 'ENV_INVALID', message: expect.stringContaining('STATE_TABLE_NAME') });
    });

    it('retries throttling', async () => {
      // Prepare
      dynamo
        .on(GetItemCommand)
        .rejectsOnce(new DynamoDBServiceException({ name: 'ProvisionedThroughputExceededException', $fault: 'client', $metadata: { httpStatusCode: 400 }, message: 'slow down' }))
        .resolves({});

      // Act & Assess
      expect(await store().get(KEY)).toBeUndefined();
      expect(dynamo.commandCalls(GetItemCommand)).toHaveLength(2);
    });
  });

  describe('put', () => {
    it('writes data, time and TTL attribute, counting the version up, and returns the stored record', async () => {
      // Prepare
      dynamo.on(UpdateItemCommand).resolves({ Attributes: item({ data: { nextRepository: 'team-b/api' }, version: 4, expiresAt: NOW_S + 86_400 }) });

      // Act
      const record = await store().put(KEY, { nextRepository: 'team-b/api' }, { expiresAt: NOW_S + 86_400 });

      // Assess
      expect(dynamo).toHaveReceivedCommandWith(UpdateItemCommand, {
        TableName: TABLE,
        Key: { pk: { S: KEY.pk }, sk: { S: KEY.sk } },
        UpdateExpression: 'SET #data = :data, #updatedAt = :updatedAt, #expiresAt = :expiresAt ADD #version :one',
        ExpressionAttributeNames: { '#data': 'data', '#version': 'version', '#updatedAt': 'updatedAt', '#expiresAt': 'expiresAt' },
        ExpressionAttributeValues: {
          ':data': { M: { nextRepository: { S: 'team-b/api' } } },
          ':updatedAt': { S: '2026-03-01T03:00:00.000Z' },
          ':one': { N: '1' },
          ':expiresAt': { N: String(NOW_S + 86_400) },
        },
        ReturnValues: 'ALL_NEW',
      });
      expect(dynamo.commandCalls(UpdateItemCommand)[0]?.args[0].input.ConditionExpression).toBeUndefined();
      expect(record).toMatchObject({ key: KEY, data: { nextRepository: 'team-b/api' }, version: 4, expiresAt: NOW_S + 86_400 });
    });

    it('removes an old expiry when written without one', async () => {
      // Prepare
      dynamo.on(UpdateItemCommand).resolves({ Attributes: item({ data: {}, version: 2 }) });

      // Act
      await store().put(KEY, {});

      // Assess
      expect(dynamo.commandCalls(UpdateItemCommand)[0]?.args[0].input.UpdateExpression).toBe('SET #data = :data, #updatedAt = :updatedAt ADD #version :one REMOVE #expiresAt');
    });

    it('creates only when nothing live is there (expectedVersion 0): absent, or expired but not yet removed', async () => {
      // Prepare
      dynamo.on(UpdateItemCommand).resolves({ Attributes: item({ data: { a: 1 }, version: 1 }) });

      // Act
      await store().put(KEY, { a: 1 }, { expectedVersion: 0 });

      // Assess
      const input = dynamo.commandCalls(UpdateItemCommand)[0]?.args[0].input;
      expect(input?.ConditionExpression).toBe('attribute_not_exists(#pk) OR #expiresAt <= :now');
      expect(input?.UpdateExpression).toBe('SET #data = :data, #updatedAt = :updatedAt, #version = :one REMOVE #expiresAt');
      expect(input?.ExpressionAttributeValues?.[':now']).toEqual({ N: String(NOW_S) });
      expect(input?.ExpressionAttributeNames?.['#pk']).toBe('pk');
    });

    it('updates only the version it read (expectedVersion n)', async () => {
      // Prepare
      dynamo.on(UpdateItemCommand).resolves({ Attributes: item({ data: { a: 2 }, version: 6 }) });

      // Act
      const record = await store().put(KEY, { a: 2 }, { expectedVersion: 5 });

      // Assess
      const input = dynamo.commandCalls(UpdateItemCommand)[0]?.args[0].input;
      expect(input?.ConditionExpression).toBe('#version = :expected AND (attribute_not_exists(#expiresAt) OR #expiresAt > :now)');
      expect(input?.ExpressionAttributeValues).toMatchObject({ ':expected': { N: '5' }, ':next': { N: '6' } });
      expect(record.version).toBe(6);
    });

    it('turns a lost race into STATE_CONFLICT', async () => {
      // Prepare
      dynamo.on(UpdateItemCommand).rejects(conditionFailed());

      // Act & Assess
      await expect(store().put(KEY, { a: 2 }, { expectedVersion: 5 })).rejects.toMatchObject({ code: 'STATE_CONFLICT' });
      expect(dynamo.commandCalls(UpdateItemCommand)).toHaveLength(1);
    });

    it.each([
      ['an empty partition key', { pk: '', sk: 'all' }, {}],
      ['a partition key over 2048 bytes', { pk: 'p'.repeat(2049), sk: 'all' }, {}],
      ['a sort key over 1024 bytes', { pk: 'p', sk: 'é'.repeat(513) }, {}],
      ['an item over 400 KB', KEY, { names: 'n'.repeat(400 * 1024) }],
    ])('refuses %s before anything reaches AWS', async (_what, key, data) => {
      // Act & Assess
      await expect(store().put(key, data)).rejects.toBeInstanceOf(AutopilotError);
      expect(dynamo.commandCalls(UpdateItemCommand)).toHaveLength(0);
    });

    it('refuses an expiry that is not whole epoch seconds', async () => {
      // Act & Assess
      await expect(store().put(KEY, {}, { expiresAt: 1.5 })).rejects.toMatchObject({ code: 'INTERNAL' });
    });
  });

  describe('delete', () => {
    it('deletes the item, only at the version given', async () => {
      // Prepare
      dynamo.on(DeleteItemCommand).resolves({});

      // Act
      await store().delete(KEY, { expectedVersion: 7 });

      // Assess
      expect(dynamo).toHaveReceivedCommandWith(DeleteItemCommand, {
        TableName: TABLE,
        Key: { pk: { S: KEY.pk }, sk: { S: KEY.sk } },
        ConditionExpression: '#version = :expected',
        ExpressionAttributeValues: { ':expected': { N: '7' } },
      });
    });

    it('turns a lost race into STATE_CONFLICT', async () => {
      // Prepare
      dynamo.on(DeleteItemCommand).rejects(conditionFailed());

      // Act & Assess
      await expect(store().delete(KEY, { expectedVersion: 7 })).rejects.toMatchObject({ code: 'STATE_CONFLICT' });
    });
  });
});

describe('MemoryStateStore', () => {
  let clock = NOW;
  const make = (): { state: StateStore } => ({ state: new MemoryStateStore({ now: () => clock }) });

  it('keeps versions: creates at 1, counts up, refuses a stale version', async () => {
    // Prepare
    clock = NOW;
    const { state } = make();

    // Act
    const created = await state.put(KEY, { step: 1 }, { expectedVersion: 0 });
    const updated = await state.put(KEY, { step: 2 }, { expectedVersion: 1 });

    // Assess
    expect(created.version).toBe(1);
    expect(updated.version).toBe(2);
    await expect(state.put(KEY, { step: 3 }, { expectedVersion: 1 })).rejects.toMatchObject({ code: 'STATE_CONFLICT' });
    await expect(state.put(KEY, { step: 3 }, { expectedVersion: 0 })).rejects.toMatchObject({ code: 'STATE_CONFLICT' });
    expect((await state.get(KEY))?.data).toEqual({ step: 2 });
  });

  it('forgets a record once it expired, and lets it be created again', async () => {
    // Prepare
    clock = NOW;
    const { state } = make();
    await state.put(KEY, { step: 1 }, { expiresAt: NOW_S + 60 });

    // Act
    clock = NOW + 60_000;

    // Assess
    expect(await state.get(KEY)).toBeUndefined();
    await expect(state.put(KEY, { step: 2 }, { expectedVersion: 0 })).resolves.toMatchObject({ version: 1 });
  });

  it('hands out copies: changing what it returned changes nothing stored', async () => {
    // Prepare
    clock = NOW;
    const { state } = make();
    await state.put(KEY, { list: ['a'] });

    // Act
    const record = await state.get<{ list: string[] }>(KEY);
    record?.data.list.push('b');

    // Assess
    expect((await state.get(KEY))?.data).toEqual({ list: ['a'] });
  });

  it('applies the table limits and the signal like the table', async () => {
    // Prepare
    clock = NOW;
    const { state } = make();
    const controller = new AbortController();
    controller.abort();

    // Act & Assess
    await expect(state.put({ pk: 'p', sk: 's'.repeat(1025) }, {})).rejects.toMatchObject({ code: 'INTERNAL' });
    await expect(state.get(KEY, { signal: controller.signal })).rejects.toMatchObject({ code: 'ABORTED' });
  });
});

/**
 * The state store's shared counter (`reserve` / `release`): one atomic conditional UpdateItem per
 * grant on DynamoDB, never a read-then-write, and never past the limit, whatever runs at once.
 */
import { ConditionalCheckFailedException, DynamoDBClient, GetItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { sharedDeletionCap } from '../../../lib/lifecycle/sharedDeletionCap';
import { DynamoStateStore } from '../../../lib/state/DynamoStateStore';
import { MemoryStateStore } from '../../../lib/state/MemoryStateStore';
import type { StateStore } from '../../../lib/state/StateStore';
import { abortSignalOf } from '../../support/sdkCalls';
import { fakeStateTable } from '../../support/stateTable';
import { VirtualClock } from '../../support/virtualClock';

const TABLE = 'ecr-autopilot-test-state';
const KEY = { pk: 'lifecycle#deletions', sk: 'expire-on-push#2026-03-01T03:00:00.000Z' };
const NOW = Date.parse('2026-03-01T03:10:00Z');
const NOW_S = NOW / 1000;
const EXPIRES = Date.parse('2026-03-01T05:00:00Z') / 1000;
const DATA = { cap: 10, windowStart: '2026-03-01T03:00:00.000Z' };

const dynamo = mockClient(DynamoDBClient);

afterEach(() => {
  dynamo.reset();
});

function store(now: () => number = () => NOW, client: unknown = new DynamoDBClient({ region: 'ap-northeast-2' })): DynamoStateStore {
  return new DynamoStateStore({ client: client as DynamoDBClient, tableName: TABLE, now, retry: { sleep: async () => undefined } });
}

function counter(used: number, expiresAt = EXPIRES) {
  return { pk: { S: KEY.pk }, sk: { S: KEY.sk }, data: { M: marshall({ ...DATA, used }) }, version: { N: '4' }, updatedAt: { S: '2026-03-01T03:05:00.000Z' }, expiresAt: { N: String(expiresAt) } };
}

/** What DynamoDB answers a failed condition asked with ReturnValuesOnConditionCheckFailure: ALL_OLD. */
function refused(item?: ReturnType<typeof counter>): ConditionalCheckFailedException {
  return new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: { httpStatusCode: 400 }, ...(item ? { Item: item } : {}) });
}

const ADD_SHAPE = {
  TableName: TABLE,
  Key: { pk: { S: KEY.pk }, sk: { S: KEY.sk } },
  UpdateExpression: 'SET #data.#used = #data.#used + :n, #updatedAt = :updatedAt, #expiresAt = :expiresAt ADD #version :one',
  ConditionExpression: '#data.#used <= :room AND (attribute_not_exists(#expiresAt) OR #expiresAt > :now)',
  ExpressionAttributeNames: { '#data': 'data', '#used': 'used', '#version': 'version', '#updatedAt': 'updatedAt', '#expiresAt': 'expiresAt' },
  ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
};

/** A client whose every call takes 5 ms of virtual time, so concurrent callers interleave between calls. */
function slowClient(clock: VirtualClock): { client: unknown; refusals: () => number } {
  const client = new DynamoDBClient({ region: 'ap-northeast-2' });
  let refusals = 0;
  return {
    refusals: () => refusals,
    client: {
      send: async (command: Parameters<DynamoDBClient['send']>[0], options?: unknown) => {
        await clock.sleep(5);
        try {
          return await client.send(command as never, options as never);
        } catch (error) {
          if ((error as Error).name === 'ConditionalCheckFailedException') refusals += 1;
          throw error;
        }
      },
    },
  };
}

describe('DynamoStateStore.reserve', () => {
  it('adds to the count in one conditional UpdateItem that keeps it within the limit, and reads nothing', async () => {
    // Prepare
    dynamo.on(UpdateItemCommand).resolves({});

    // Act
    const granted = await store().reserve(KEY, 4, 10, { data: DATA, expiresAt: EXPIRES });

    // Assess: room = limit − wanted, so the count after the add is at most the limit.
    expect(granted).toBe(4);
    expect(dynamo.commandCalls(UpdateItemCommand)).toHaveLength(1);
    expect(dynamo.commandCalls(GetItemCommand)).toHaveLength(0);
    expect(dynamo.commandCalls(UpdateItemCommand)[0]?.args[0].input).toEqual({
      ...ADD_SHAPE,
      ExpressionAttributeValues: { ':n': { N: '4' }, ':room': { N: '6' }, ':one': { N: '1' }, ':now': { N: String(NOW_S) }, ':updatedAt': { S: new Date(NOW).toISOString() }, ':expiresAt': { N: String(EXPIRES) } },
    });
  });

  it('grants what remains with a second atomic call, reading the count from the refused condition (ALL_OLD)', async () => {
    // Prepare: 8 of 10 used; 5 wanted.
    dynamo.on(UpdateItemCommand).rejectsOnce(refused(counter(8))).resolves({});

    // Act
    const granted = await store().reserve(KEY, 5, 10, { data: DATA, expiresAt: EXPIRES });

    // Assess
    expect(granted).toBe(2);
    const calls = dynamo.commandCalls(UpdateItemCommand).map((call) => call.args[0].input);
    expect(calls.map((input) => [input.ExpressionAttributeValues?.[':n'], input.ExpressionAttributeValues?.[':room']])).toEqual([
      [{ N: '5' }, { N: '5' }],
      [{ N: '2' }, { N: '8' }],
    ]);
    expect(calls.every((input) => input.ConditionExpression === ADD_SHAPE.ConditionExpression && input.ReturnValuesOnConditionCheckFailure === 'ALL_OLD')).toBe(true);
    expect(dynamo.commandCalls(GetItemCommand)).toHaveLength(0);
  });

  it('grants nothing once the limit is reached (or a lowered limit exceeded), in one call', async () => {
    // Prepare
    dynamo.on(UpdateItemCommand).rejects(refused(counter(12)));

    // Act & Assess
    expect(await store().reserve(KEY, 3, 10, { data: DATA, expiresAt: EXPIRES })).toBe(0);
    expect(dynamo.commandCalls(UpdateItemCommand)).toHaveLength(1);
  });

  it('starts an absent counter with a write conditioned on it still being absent or expired', async () => {
    // Prepare: no item, so the add's condition fails without an item.
    dynamo.on(UpdateItemCommand).rejectsOnce(refused()).resolves({ Attributes: counter(3) });

    // Act
    const granted = await store().reserve(KEY, 3, 10, { data: DATA, expiresAt: EXPIRES });

    // Assess
    expect(granted).toBe(3);
    const start = dynamo.commandCalls(UpdateItemCommand)[1]?.args[0].input;
    expect(start?.ConditionExpression).toBe('attribute_not_exists(#pk) OR #expiresAt <= :now');
    expect(start?.ExpressionAttributeValues?.[':data']).toEqual({ M: marshall({ ...DATA, used: 3 }) });
    expect(start?.ExpressionAttributeValues?.[':expiresAt']).toEqual({ N: String(EXPIRES) });
  });

  it('starts again from 0 over an expired counter TTL has not removed yet', async () => {
    // Prepare: a full counter that expired a second ago.
    dynamo.on(UpdateItemCommand).rejectsOnce(refused(counter(10, NOW_S - 1))).resolves({ Attributes: counter(7) });

    // Act & Assess
    expect(await store().reserve(KEY, 7, 10, { data: DATA, expiresAt: EXPIRES })).toBe(7);
    expect(dynamo.commandCalls(UpdateItemCommand)[1]?.args[0].input.ExpressionAttributeValues?.[':data']).toEqual({ M: marshall({ ...DATA, used: 7 }) });
  });

  it('adds to the count another run started first when both try to start it', async () => {
    // Prepare: absent on the add; the start loses to another run, which took 6.
    dynamo
      .on(UpdateItemCommand)
      .rejectsOnce(refused())
      .rejectsOnce(refused(counter(6)))
      .rejectsOnce(refused(counter(6)))
      .resolves({});

    // Act
    const granted = await store().reserve(KEY, 5, 10, { data: DATA, expiresAt: EXPIRES });

    // Assess: add (absent), start (lost), add 5 (room 5, refused at 6), add 4.
    expect(granted).toBe(4);
    expect(dynamo.commandCalls(UpdateItemCommand).map((call) => call.args[0].input.ExpressionAttributeValues?.[':n']?.N ?? 'start')).toEqual(['5', 'start', '5', '4']);
  });

  it('grants nothing (deletes nothing) when the count keeps moving under it, after a bounded number of calls', async () => {
    // Prepare: every condition fails while the count still shows room.
    dynamo.on(UpdateItemCommand).rejects(refused(counter(2)));

    // Act & Assess
    expect(await store().reserve(KEY, 5, 10, { data: DATA, expiresAt: EXPIRES })).toBe(0);
    expect(dynamo.commandCalls(UpdateItemCommand)).toHaveLength(20);
  });

  it('refuses a record that is not a counter, nonsense numbers and data that would overwrite the count, before sending', async () => {
    // Prepare
    dynamo.on(UpdateItemCommand).rejects(refused({ ...counter(0), data: { M: marshall({ nextRepository: 'team-b/api' }) } }));

    // Act & Assess
    await expect(store().reserve(KEY, 1, 10)).rejects.toMatchObject({ code: 'INTERNAL', message: expect.stringContaining('not a reservation counter') });
    dynamo.reset();
    await expect(store().reserve(KEY, -1, 10)).rejects.toMatchObject({ code: 'INTERNAL' });
    await expect(store().reserve(KEY, 1, 1.5)).rejects.toMatchObject({ code: 'INTERNAL' });
    await expect(store().reserve(KEY, 1, 10, { data: { used: 0 } })).rejects.toMatchObject({ code: 'INTERNAL' });
    await expect(store().release(KEY, -2)).rejects.toMatchObject({ code: 'INTERNAL' });
    expect(dynamo.commandCalls(UpdateItemCommand)).toHaveLength(0);
  });

  it("passes the caller's signal to the SDK", async () => {
    // Prepare
    dynamo.on(UpdateItemCommand).resolves({});
    const controller = new AbortController();

    // Act
    await store().reserve(KEY, 1, 10, { signal: controller.signal });
    await store().release(KEY, 1, { signal: controller.signal });

    // Assess
    expect(dynamo.commandCalls(UpdateItemCommand).map(abortSignalOf)).toEqual([controller.signal, controller.signal]);
  });
});

describe('DynamoStateStore.release', () => {
  it('gives back with one conditional UpdateItem that keeps the count ≥ 0', async () => {
    // Prepare
    dynamo.on(UpdateItemCommand).resolves({});

    // Act
    const released = await store().release(KEY, 3);

    // Assess
    expect(released).toBe(3);
    expect(dynamo.commandCalls(UpdateItemCommand)[0]?.args[0].input).toEqual({
      ...ADD_SHAPE,
      UpdateExpression: 'SET #data.#used = #data.#used - :n, #updatedAt = :updatedAt ADD #version :one',
      ConditionExpression: '#data.#used >= :n AND (attribute_not_exists(#expiresAt) OR #expiresAt > :now)',
      ExpressionAttributeValues: { ':n': { N: '3' }, ':one': { N: '1' }, ':now': { N: String(NOW_S) }, ':updatedAt': { S: new Date(NOW).toISOString() } },
    });
  });

  it('gives back only what the count holds, and leaves an absent or expired counter alone', async () => {
    // Prepare: the count holds 2.
    dynamo.on(UpdateItemCommand).rejectsOnce(refused(counter(2))).resolves({});

    // Act
    const released = await store().release(KEY, 5);
    dynamo.reset();
    dynamo.on(UpdateItemCommand).rejects(refused(counter(9, NOW_S)));
    const expired = await store().release(KEY, 5);

    // Assess
    expect(released).toBe(2);
    expect(expired).toBe(0);
    expect(dynamo.commandCalls(UpdateItemCommand)).toHaveLength(1);
  });
});

describe('concurrent reservations never pass the limit', () => {
  async function burst(state: StateStore, clock: VirtualClock): Promise<number[]> {
    // 25 runs want 1 to 5 each (75 > 30); every third gives 1 back.
    return clock.run(() =>
      Promise.all(
        Array.from({ length: 25 }, async (_, i) => {
          const granted = await state.reserve(KEY, 1 + (i % 5), 30, { data: DATA, expiresAt: EXPIRES });
          if (i % 3 === 0 && granted > 0) {
            await state.release(KEY, 1);
            return granted - 1;
          }
          return granted;
        }),
      ),
    );
  }

  it('on the DynamoDB table, with conditions that fail as DynamoDB fails them', async () => {
    // Prepare
    const table = fakeStateTable(dynamo, TABLE);
    const clock = new VirtualClock();
    const slow = slowClient(clock);
    const state = store(() => NOW + clock.now(), slow.client);

    // Act
    const kept = await burst(state, clock);
    const after = await clock.run(() => state.reserve(KEY, 100, 30, { data: DATA, expiresAt: EXPIRES }));

    // Assess: what the runs kept plus the last run's grant is exactly the limit, and the table agrees.
    expect(kept.reduce((a, b) => a + b, 0) + after).toBe(30);
    expect(table.items.get(`${KEY.pk}|${KEY.sk}`)?.data?.M?.used).toEqual({ N: '30' });
    expect(slow.refusals()).toBeGreaterThan(0); // some runs were told how much remained
    expect(dynamo.commandCalls(GetItemCommand)).toHaveLength(0);
  });

  it('in memory', async () => {
    // Prepare
    const clock = new VirtualClock();
    const inner = new MemoryStateStore({ now: () => NOW + clock.now() });
    const state: StateStore = {
      get: (key, options) => inner.get(key, options),
      put: (key, data, options) => inner.put(key, data, options),
      delete: (key, options) => inner.delete(key, options),
      reserve: async (key, wanted, limit, options) => (await clock.sleep(5), inner.reserve(key, wanted, limit, options)),
      release: async (key, count, options) => (await clock.sleep(5), inner.release(key, count, options)),
    };

    // Act
    const kept = await burst(state, clock);
    const after = await inner.reserve(KEY, 100, 30);

    // Assess
    expect(kept.reduce((a, b) => a + b, 0) + after).toBe(30);
    expect((await inner.get(KEY))?.data).toEqual({ ...DATA, used: 30 });
  });

  it('lets 20 runs reserve from a started count with one UpdateItem each: no read, no lost write', async () => {
    // Prepare: the cap has room for all; the window's count already started.
    const table = fakeStateTable(dynamo, TABLE);
    table.items.set(`${KEY.pk}|${KEY.sk}`, counter(0));
    const clock = new VirtualClock();
    const slow = slowClient(clock);
    const state = store(() => NOW + clock.now(), slow.client);

    // Act
    const granted = await clock.run(() => Promise.all(Array.from({ length: 20 }, () => sharedDeletionCap(state, { scope: 'expire-on-push', cap: 1000, windowSeconds: 3600, now: new Date(NOW) }).reserve(5))));

    // Assess
    expect(granted).toEqual(Array.from({ length: 20 }, () => 5));
    expect(dynamo.commandCalls(UpdateItemCommand)).toHaveLength(20);
    expect(dynamo.commandCalls(GetItemCommand)).toHaveLength(0);
    expect(slow.refusals()).toBe(0);
    expect(table.items.get(`${KEY.pk}|${KEY.sk}`)?.data?.M?.used).toEqual({ N: '100' });
  });
});

describe('MemoryStateStore counters', () => {
  it('starts absent or expired counters from 0, floors releases at 0, and refuses a record that is not a counter', async () => {
    // Prepare
    let now = NOW;
    const state = new MemoryStateStore({ now: () => now });

    // Act & Assess
    expect(await state.reserve(KEY, 8, 10, { data: DATA, expiresAt: NOW_S + 60 })).toBe(8);
    expect(await state.reserve(KEY, 8, 10, { data: DATA, expiresAt: NOW_S + 60 })).toBe(2);
    expect(await state.release(KEY, 15)).toBe(10);
    expect((await state.get(KEY))?.data).toEqual({ ...DATA, used: 0 });
    now = NOW + 60_000;
    expect(await state.release(KEY, 1)).toBe(0);
    expect(await state.reserve(KEY, 4, 10, { data: DATA, expiresAt: NOW_S + 3600 })).toBe(4);
    expect(await state.get(KEY)).toMatchObject({ data: { ...DATA, used: 4 }, version: 1, expiresAt: NOW_S + 3600 });
    await state.put(KEY, { nextRepository: 'team-b/api' });
    await expect(state.reserve(KEY, 1, 10)).rejects.toMatchObject({ code: 'INTERNAL' });
  });
});

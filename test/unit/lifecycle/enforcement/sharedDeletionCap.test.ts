import { describe, expect, it } from 'vitest';
import { AutopilotError } from '../../../../lib/errors';
import { sharedDeletionCap } from '../../../../lib/lifecycle/sharedDeletionCap';
import { MemoryStateStore } from '../../../../lib/state/MemoryStateStore';
import type { StateStore } from '../../../../lib/state/StateStore';

const NOW = new Date('2026-11-20T09:41:07.000Z');

function budget(state: StateStore, overrides: { cap?: number; now?: Date; windowSeconds?: number } = {}) {
  return sharedDeletionCap(state, { scope: 'expire-on-push', cap: overrides.cap ?? 200, windowSeconds: overrides.windowSeconds ?? 3600, now: overrides.now ?? NOW });
}

describe('sharedDeletionCap', () => {
  it('grants at most the cap in total to a burst of concurrent runs', async () => {
    // Prepare: 12 invocations of one burst, each wanting 40 deletions (480 > 200).
    const state = new MemoryStateStore({ now: () => NOW.getTime() });

    // Act
    const granted = await Promise.all(Array.from({ length: 12 }, () => budget(state).reserve(40)));

    // Assess
    expect(granted.reduce((sum, n) => sum + n, 0)).toBe(200);
    expect(granted.every((n) => n >= 0 && n <= 40)).toBe(true);
    expect((await state.get({ pk: 'lifecycle#deletions', sk: 'expire-on-push#2026-11-20T09:00:00.000Z' }))?.data).toEqual({ used: 200, cap: 200, windowStart: '2026-11-20T09:00:00.000Z' });
  });

  it('gives back what a run reserved but did not delete, for the next run of the window', async () => {
    // Prepare
    const state = new MemoryStateStore({ now: () => NOW.getTime() });
    expect(await budget(state, { cap: 10 }).reserve(8)).toBe(8);

    // Act
    await budget(state, { cap: 10 }).release(5);
    const next = await budget(state, { cap: 10 }).reserve(9);

    // Assess
    expect(next).toBe(7);
  });

  it('starts a new count in the next window, and the old one expires after a window more', async () => {
    // Prepare
    const state = new MemoryStateStore({ now: () => NOW.getTime() });
    expect(await budget(state, { cap: 3 }).reserve(5)).toBe(3);
    expect(await budget(state, { cap: 3 }).reserve(1)).toBe(0);

    // Act
    const nextHour = await budget(state, { cap: 3, now: new Date('2026-11-20T10:00:00.000Z') }).reserve(2);

    // Assess
    expect(nextHour).toBe(2);
    expect((await state.get({ pk: 'lifecycle#deletions', sk: 'expire-on-push#2026-11-20T09:00:00.000Z' }))?.expiresAt).toBe(Date.parse('2026-11-20T11:00:00.000Z') / 1000);
  });

  it('grants nothing when a lowered cap is already exceeded, and keeps the count', async () => {
    // Prepare
    const state = new MemoryStateStore({ now: () => NOW.getTime() });
    await budget(state, { cap: 50 }).reserve(40);

    // Act
    const granted = await budget(state, { cap: 30 }).reserve(5);

    // Assess
    expect(granted).toBe(0);
    expect((await state.get({ pk: 'lifecycle#deletions', sk: 'expire-on-push#2026-11-20T09:00:00.000Z' }))?.data.used).toBe(40);
  });

  it('reserves with one atomic counter call and gives back with another, never a read-then-write', async () => {
    // Prepare: a store that records what the cap asks of it.
    const inner = new MemoryStateStore({ now: () => NOW.getTime() });
    const asked: string[] = [];
    const recording: StateStore = {
      get: (key, options) => (asked.push('get'), inner.get(key, options)),
      put: (key, data, options) => (asked.push('put'), inner.put(key, data, options)),
      delete: (key, options) => (asked.push('delete'), inner.delete(key, options)),
      reserve: (key, wanted, limit, options) => (asked.push(`reserve ${key.sk} ${wanted} of ${limit}`), inner.reserve(key, wanted, limit, options)),
      release: (key, count, options) => (asked.push(`release ${key.sk} ${count}`), inner.release(key, count, options)),
    };

    // Act
    const granted = await budget(recording, { cap: 10 }).reserve(4);
    await budget(recording, { cap: 10 }).release(3);

    // Assess
    expect(granted).toBe(4);
    expect(asked).toEqual(['reserve expire-on-push#2026-11-20T09:00:00.000Z 4 of 10', 'release expire-on-push#2026-11-20T09:00:00.000Z 3']);
    expect(await inner.get({ pk: 'lifecycle#deletions', sk: 'expire-on-push#2026-11-20T09:00:00.000Z' })).toMatchObject({ data: { used: 1, cap: 10 }, expiresAt: Date.parse('2026-11-20T11:00:00.000Z') / 1000 });
  });

  it('lets other state errors through, and rejects nonsense counts', async () => {
    // Prepare
    const failing: StateStore = {
      get: async () => {
        throw new Error('not reached');
      },
      put: async () => {
        throw new Error('not reached');
      },
      delete: async () => undefined,
      reserve: async () => {
        throw new AutopilotError('ACCESS_DENIED', 'dynamodb:UpdateItem on the state table was denied');
      },
      release: async () => {
        throw new AutopilotError('ACCESS_DENIED', 'dynamodb:UpdateItem on the state table was denied');
      },
    };

    // Act / Assess
    await expect(budget(failing).reserve(1)).rejects.toMatchObject({ code: 'ACCESS_DENIED' });
    await expect(budget(failing).release(1)).rejects.toMatchObject({ code: 'ACCESS_DENIED' });
    await expect(budget(new MemoryStateStore()).reserve(-1)).rejects.toMatchObject({ code: 'INTERNAL' });
    await expect(budget(new MemoryStateStore()).release(1.5)).rejects.toMatchObject({ code: 'INTERNAL' });
    expect(() => budget(new MemoryStateStore(), { cap: -1 })).toThrow(AutopilotError);
    expect(() => budget(new MemoryStateStore(), { windowSeconds: 0 })).toThrow(AutopilotError);
    expect(await budget(failing).reserve(0)).toBe(0);
  });

  it('says what the cap is', () => {
    expect(budget(new MemoryStateStore()).description).toBe('at most 200 deletion(s) on push per 60 minutes, shared by every run (window from 2026-11-20T09:00:00.000Z)');
  });
});

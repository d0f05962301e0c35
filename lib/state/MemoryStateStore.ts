import { abortedError } from '../shared/retry';
import { checkReservation, checkStateRecord, RESERVATION_COUNT_FIELD, reservationCount, stateConflict } from './stateLimits';
import type { DeleteStateOptions, PutStateOptions, ReserveStateOptions, StateCallOptions, StateData, StateKey, StateRecord, StateStore } from './StateStore';

/**
 * State kept in memory, with the same rules as the table (key and size limits, expiry, versions):
 * for plan mode, the demo, CLI runs without `STATE_TABLE_NAME`, and tests.
 *
 * @example
 * const state = new MemoryStateStore();
 * await state.put({ pk: 'lifecycle-sweep#cursor', sk: 'all' }, { nextRepository: 'team-b/api' });
 */
export class MemoryStateStore implements StateStore {
  private readonly records = new Map<string, StateRecord>();
  private readonly now: () => number;

  constructor(options: { now?: () => number } = {}) {
    this.now = options.now ?? Date.now;
  }

  async get<D extends StateData = StateData>(key: StateKey, options: StateCallOptions = {}): Promise<StateRecord<D> | undefined> {
    if (options.signal?.aborted) throw abortedError(options.signal, 'Reading state');
    const record = this.live(key);
    return record ? (structuredClone(record) as StateRecord<D>) : undefined;
  }

  async put<D extends StateData>(key: StateKey, data: D, options: PutStateOptions = {}): Promise<StateRecord<D>> {
    if (options.signal?.aborted) throw abortedError(options.signal, 'Writing state');
    checkStateRecord(key, data, options.expiresAt);
    const current = this.live(key);
    if (options.expectedVersion !== undefined && (current?.version ?? 0) !== options.expectedVersion) {
      throw stateConflict(key, options.expectedVersion);
    }
    const record: StateRecord<D> = {
      key: { ...key },
      data: structuredClone(data),
      version: (current?.version ?? 0) + 1,
      ...(options.expiresAt === undefined ? {} : { expiresAt: options.expiresAt }),
      updatedAt: new Date(this.now()).toISOString(),
    };
    this.records.set(id(key), record);
    return structuredClone(record);
  }

  async delete(key: StateKey, options: DeleteStateOptions = {}): Promise<void> {
    if (options.signal?.aborted) throw abortedError(options.signal, 'Deleting state');
    const current = this.live(key);
    if (options.expectedVersion !== undefined && (current?.version ?? 0) !== options.expectedVersion) {
      throw stateConflict(key, options.expectedVersion);
    }
    this.records.delete(id(key));
  }

  // Read, decide and write with no await between them: atomic, as DynamoDB's conditional UpdateItem is.
  async reserve(key: StateKey, wanted: number, limit: number, options: ReserveStateOptions = {}): Promise<number> {
    if (options.signal?.aborted) throw abortedError(options.signal, 'Reserving from a state counter');
    checkReservation({ wanted, limit, ...(options.data ? { data: options.data } : {}) });
    const current = this.live(key);
    const used = current ? reservationCount(current) : 0;
    const granted = Math.max(0, Math.min(wanted, limit - used));
    if (granted === 0) return 0;
    const data: StateData = { ...(current ? current.data : options.data), [RESERVATION_COUNT_FIELD]: used + granted };
    checkStateRecord(key, data, options.expiresAt);
    const expiresAt = options.expiresAt ?? current?.expiresAt;
    this.records.set(id(key), {
      key: { ...key },
      data: structuredClone(data),
      version: (current?.version ?? 0) + 1,
      ...(expiresAt === undefined ? {} : { expiresAt }),
      updatedAt: new Date(this.now()).toISOString(),
    });
    return granted;
  }

  async release(key: StateKey, count: number, options: StateCallOptions = {}): Promise<number> {
    if (options.signal?.aborted) throw abortedError(options.signal, 'Releasing to a state counter');
    checkReservation({ count });
    const current = this.live(key);
    if (!current || count === 0) return 0;
    const used = reservationCount(current);
    const released = Math.min(count, used);
    if (released === 0) return 0;
    this.records.set(id(key), {
      ...current,
      data: { ...current.data, [RESERVATION_COUNT_FIELD]: used - released },
      version: current.version + 1,
      updatedAt: new Date(this.now()).toISOString(),
    });
    return released;
  }

  private live(key: StateKey): StateRecord | undefined {
    const record = this.records.get(id(key));
    if (record?.expiresAt !== undefined && record.expiresAt * 1000 <= this.now()) return undefined;
    return record;
  }
}

function id(key: StateKey): string {
  return JSON.stringify([key.pk, key.sk]);
}

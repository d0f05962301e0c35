import { AutopilotError } from '../errors';
import type { StateData, StateKey, StateRecord } from './StateStore';

/**
 * DynamoDB's constraints on what the state table can hold, checked before a write can reach AWS
 * (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Constraints.html, "Partition
 * keys and sort keys" and "Items"): partition key values 1 to 2048 bytes, sort key values 1 to
 * 1024 bytes, an item at most 400 KB (attribute names and values, UTF-8).
 */
export const MAX_PARTITION_KEY_BYTES = 2048;
export const MAX_SORT_KEY_BYTES = 1024;
export const MAX_ITEM_BYTES = 400 * 1024;

/**
 * Throws `INTERNAL` (a bug in the caller: keys and data are built by code, never typed by users)
 * when a record would break a table constraint. The item size is over-estimated from the record's
 * JSON, which is at least as long as DynamoDB's count, so a record that passes always fits.
 *
 * @example
 * checkStateRecord({ pk: 'lifecycle-sweep#cursor', sk: 'all' }, { nextRepository: 'team-b/api' });
 */
export function checkStateRecord(key: StateKey, data: StateData, expiresAt: number | undefined): void {
  const pkBytes = Buffer.byteLength(key.pk, 'utf8');
  const skBytes = Buffer.byteLength(key.sk, 'utf8');
  if (pkBytes < 1 || pkBytes > MAX_PARTITION_KEY_BYTES) {
    throw new AutopilotError('INTERNAL', `State partition key must be 1 to ${MAX_PARTITION_KEY_BYTES} bytes, not ${pkBytes} ("${key.pk.slice(0, 80)}")`);
  }
  if (skBytes < 1 || skBytes > MAX_SORT_KEY_BYTES) {
    throw new AutopilotError('INTERNAL', `State sort key must be 1 to ${MAX_SORT_KEY_BYTES} bytes, not ${skBytes} ("${key.sk.slice(0, 80)}"); hash long scopes`);
  }
  if (expiresAt !== undefined && !(Number.isInteger(expiresAt) && expiresAt > 0)) {
    throw new AutopilotError('INTERNAL', `State expiresAt must be whole seconds since the epoch, not ${expiresAt}`);
  }
  const itemBytes = Buffer.byteLength(JSON.stringify({ pk: key.pk, sk: key.sk, data, version: Number.MAX_SAFE_INTEGER, expiresAt, updatedAt: new Date(0).toISOString() }), 'utf8');
  if (itemBytes > MAX_ITEM_BYTES) {
    throw new AutopilotError('INTERNAL', `State record ${key.pk} / ${key.sk} is about ${itemBytes} bytes, more than DynamoDB's ${MAX_ITEM_BYTES}-byte item limit; keep less in it`);
  }
}

/**
 * The error for a write that lost an optimistic-concurrency race.
 *
 * @example
 * throw stateConflict(key, 3);
 */
export function stateConflict(key: StateKey, expectedVersion: number): AutopilotError {
  return new AutopilotError(
    'STATE_CONFLICT',
    `State ${key.pk} / ${key.sk} is no longer at version ${expectedVersion}${expectedVersion === 0 ? ' (absent)' : ''}: another run changed it first; read it again`,
  );
}

/** The count a reservation counter keeps in its record's data. */
export const RESERVATION_COUNT_FIELD = 'used';

/**
 * Throws `INTERNAL` when a reservation's numbers are not whole and ≥ 0 (they come from code: plan
 * sizes and configured caps), or when its fixed data would overwrite the count.
 *
 * @example
 * checkReservation({ wanted: 30, limit: 200, data: { cap: 200 } });
 */
export function checkReservation(numbers: { wanted?: number; limit?: number; count?: number; data?: StateData }): void {
  for (const [name, value] of Object.entries({ wanted: numbers.wanted, limit: numbers.limit, count: numbers.count })) {
    if (value !== undefined && !(Number.isSafeInteger(value) && value >= 0)) throw new AutopilotError('INTERNAL', `A reservation's ${name} must be a whole number ≥ 0, not ${value}`);
  }
  if (numbers.data && RESERVATION_COUNT_FIELD in numbers.data) {
    throw new AutopilotError('INTERNAL', `A reservation's data cannot set "${RESERVATION_COUNT_FIELD}": the store keeps the count there`);
  }
}

/**
 * The count of a live reservation counter; any other record under its key is a bug in the caller.
 *
 * @example
 * const used = reservationCount(record);
 */
export function reservationCount(record: StateRecord): number {
  const used = record.data[RESERVATION_COUNT_FIELD];
  if (typeof used !== 'number' || !Number.isSafeInteger(used)) {
    throw new AutopilotError('INTERNAL', `State ${record.key.pk} / ${record.key.sk} is not a reservation counter: its data.${RESERVATION_COUNT_FIELD} is ${JSON.stringify(used ?? null)}`);
  }
  return used;
}

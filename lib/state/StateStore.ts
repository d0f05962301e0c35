/**
 * The state port: small records that outlive one invocation, such as where a stopped sweep resumes.
 * Live: `DynamoStateStore` over the stack's state table (`STATE_TABLE_NAME`); plan mode, the CLI
 * without a table, and tests: `MemoryStateStore`.
 *
 * The table's contract (other parts rely on it): partition key `pk` (S), sort key `sk` (S), TTL
 * attribute `expiresAt` (epoch seconds). By convention `pk` names the owner and what it keeps
 * (`lifecycle-sweep#cursor`), `sk` the instance (a scope, a prefix).
 */

import type { CallOptions } from '../shared/retry';

/** A JSON value: what a record's data may hold. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** A record's data: a JSON object. */
export type StateData = { [key: string]: JsonValue };

export interface StateKey {
  pk: string;
  sk: string;
}

export interface StateRecord<D extends StateData = StateData> {
  key: StateKey;
  data: D;
  /** 1 for a new record, incremented by every write: what `expectedVersion` compares. */
  version: number;
  /** When the record stops existing, in seconds since the epoch (the table's TTL attribute). */
  expiresAt?: number;
  /** When it was last written (ISO 8601). */
  updatedAt: string;
}

/** Cancels the call (the SDK's `abortSignal`); nothing is sent once it fired. */
export type StateCallOptions = CallOptions;

export interface PutStateOptions extends StateCallOptions {
  /** When the record stops existing, in seconds since the epoch. */
  expiresAt?: number;
  /**
   * Optimistic concurrency: `0` writes only when no live record exists, `n` only when the stored
   * version is `n`; otherwise the write fails with `STATE_CONFLICT`. Omitted: the write replaces
   * whatever is there.
   */
  expectedVersion?: number;
}

export interface DeleteStateOptions extends StateCallOptions {
  /** Deletes only when the stored version is this one; otherwise `STATE_CONFLICT`. */
  expectedVersion?: number;
}

export interface ReserveStateOptions extends StateCallOptions {
  /** Fields kept beside the count (what it counts, its limit), written when the count starts; not `used`. */
  data?: StateData;
  /** When the counter stops existing, in seconds since the epoch; an expired counter starts again from 0. */
  expiresAt?: number;
}

export interface StateStore {
  /** The live record under `key`, or undefined (an expired record counts as absent). */
  get<D extends StateData = StateData>(key: StateKey, options?: StateCallOptions): Promise<StateRecord<D> | undefined>;
  /** Writes `data` under `key` and returns the record as stored. */
  put<D extends StateData>(key: StateKey, data: D, options?: PutStateOptions): Promise<StateRecord<D>>;
  /** Deletes the record under `key`; deleting what is not there succeeds. */
  delete(key: StateKey, options?: DeleteStateOptions): Promise<void>;
  /**
   * A counter that many runs share: adds up to `wanted` to `data.used` of the record under `key`
   * (absent or expired: from 0) so that it never exceeds `limit`, atomically, and returns what was
   * granted (fewer than wanted when less remains, 0 once the limit is reached or exceeded). No
   * read-then-write: concurrent reservations never lose a write to each other.
   */
  reserve(key: StateKey, wanted: number, limit: number, options?: ReserveStateOptions): Promise<number>;
  /**
   * Gives back up to `count` of what `reserve` granted, atomically: `data.used` goes down by
   * `count`, never below 0; an absent or expired counter is left alone. Returns what was given back.
   */
  release(key: StateKey, count: number, options?: StateCallOptions): Promise<number>;
}

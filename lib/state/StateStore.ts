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

export interface StateStore {
  /** The live record under `key`, or undefined (an expired record counts as absent). */
  get<D extends StateData = StateData>(key: StateKey, options?: StateCallOptions): Promise<StateRecord<D> | undefined>;
  /** Writes `data` under `key` and returns the record as stored. */
  put<D extends StateData>(key: StateKey, data: D, options?: PutStateOptions): Promise<StateRecord<D>>;
  /** Deletes the record under `key`; deleting what is not there succeeds. */
  delete(key: StateKey, options?: DeleteStateOptions): Promise<void>;
}

/**
 * The deletion cap shared by concurrent runs. Expire-on-push runs once per push, and a burst of
 * pushes runs many Lambda invocations at once: each one's own cap would multiply the cap by the
 * burst. So they draw from one counter per time window in the state table, reserved atomically
 * (`StateStore.reserve`: one conditional UpdateItem that adds to the count only while it stays
 * within the cap, never a read-then-write that concurrent runs lose), and give back what they
 * reserved but did not delete (`StateStore.release`, atomic too).
 */
import { AutopilotError } from '../errors';
import type { StateCallOptions, StateKey, StateStore } from '../state/StateStore';

/** Deletions drawn from a cap that several runs share. */
export interface SharedDeletionCap {
  /** Reserves up to `wanted` deletions and returns how many it got: 0 once the cap is used up. */
  reserve(wanted: number, options?: StateCallOptions): Promise<number>;
  /** Gives back `count` reserved deletions that were not done (held back, failed). */
  release(count: number, options?: StateCallOptions): Promise<void>;
  /** What the cap is and where it counts, for ledgers and errors. */
  readonly description: string;
}

/** How long expire-on-push shares one cap: all invocations within the same clock hour (UTC). */
export const EXPIRE_ON_PUSH_WINDOW_SECONDS = 3600;

/**
 * A cap of `cap` deletions per window of `windowSeconds`, counted in the state table under
 * `pk` `lifecycle#deletions`, `sk` `<scope>#<window start>`; the record expires a window after its
 * own ends. When less than wanted remains, a run gets what remains; a run whose count keeps moving
 * under it beyond a bounded number of attempts gets nothing (fail safe: it deletes nothing rather
 * than more than the cap).
 *
 * @example
 * const cap = sharedDeletionCap(state, { scope: 'expire-on-push', cap: 200, windowSeconds: 3600, now });
 * const granted = await cap.reserve(plan.expire.length, { signal });
 */
export function sharedDeletionCap(
  state: StateStore,
  options: { scope: string; cap: number; windowSeconds: number; now: Date },
): SharedDeletionCap {
  if (!Number.isSafeInteger(options.cap) || options.cap < 0) throw new AutopilotError('INTERNAL', `A deletion cap must be a whole number ≥ 0, not ${options.cap}`);
  if (!Number.isSafeInteger(options.windowSeconds) || options.windowSeconds < 1) {
    throw new AutopilotError('INTERNAL', `A deletion cap window must be whole seconds ≥ 1, not ${options.windowSeconds}`);
  }
  const nowSeconds = Math.floor(options.now.getTime() / 1000);
  const windowStartSeconds = nowSeconds - (nowSeconds % options.windowSeconds);
  const windowStart = new Date(windowStartSeconds * 1000).toISOString();
  const key: StateKey = { pk: 'lifecycle#deletions', sk: `${options.scope}#${windowStart}` };
  const expiresAt = windowStartSeconds + 2 * options.windowSeconds;
  const description = `at most ${options.cap} deletion(s) ${options.scope === 'expire-on-push' ? 'on push' : `by ${options.scope}`} per ${options.windowSeconds / 60} minutes, shared by every run (window from ${windowStart})`;

  return {
    description,
    async reserve(wanted, call = {}) {
      if (!Number.isSafeInteger(wanted) || wanted < 0) throw new AutopilotError('INTERNAL', `Cannot reserve ${wanted} deletions`);
      if (wanted === 0) return 0;
      // `used` may exceed a cap lowered since it was counted: then nothing is granted and nothing rewritten.
      return state.reserve(key, wanted, options.cap, { ...call, data: { cap: options.cap, windowStart }, expiresAt });
    },
    async release(count, call = {}) {
      if (!Number.isSafeInteger(count) || count < 0) throw new AutopilotError('INTERNAL', `Cannot release ${count} deletions`);
      if (count === 0) return;
      await state.release(key, count, call);
    },
  };
}

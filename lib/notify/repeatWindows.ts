/**
 * Storm control for notices that a repeating external event triggers. A pod in image-pull back-off,
 * or anyone allowed to call BatchGetImage, makes the same failed pull again and again; each one
 * would publish the same critical notice. A notice that declares what makes it a repeat (its scope,
 * e.g. the pull-through cache prefix, and its cause, e.g. the failure code) is published once per
 * window; the repeats within the window are counted in the state table, and the next notice
 * published for the same scope and cause carries that count.
 *
 * One mechanism for every such notice: it sits in front of the notice publisher, so use cases only
 * say `repeat: { scope, cause, windowSeconds }` on the publish change.
 */
import { describeError, hasErrorCode } from '../errors';
import type { ApplyOptions, Change, ChangeOutcome, ChangeWriter } from '../plan/types';
import type { StateKey, StateStore } from '../state/StateStore';
import type { PublishNoticeChange } from './changes';
import type { Notice } from './notices';

/** Storms of failed pulls and cache syncs are told once an hour per scope and cause. */
export const REPEAT_WINDOW_SECONDS = 3600;

/** How long a window's count is kept after it ends, for the next notice to carry. */
const RETENTION_SECONDS = 30 * 24 * 3600;

/** Conditional writes tried before publishing without storm control (never lose a notice to contention). */
const MAX_ATTEMPTS = 10;

/** What makes two notices the same, for storm control. */
export interface NoticeRepeat {
  /** Who the notice is about, e.g. the pull-through cache prefix or the repository. */
  scope: string;
  /** Why, e.g. the failure code. */
  cause: string;
  /** One notice stands for all its repeats within this many seconds. */
  windowSeconds: number;
}

interface WindowData {
  [key: string]: string | number;
  /** When the window's notice was published (ISO 8601), and when the window ends. */
  since: string;
  until: string;
  /** The published notice, so that a redelivery of its event is not counted as a repeat. */
  noticeId: string;
  /** Repeats suppressed in this window. */
  suppressed: number;
  /** Repeats from before this window that its notice could not tell (it failed to publish). */
  carried: number;
  carriedSince: string;
}

type Admission =
  | { kind: 'publish'; report: { count: number; since: string } | undefined }
  | { kind: 'suppress'; count: number; since: string }
  | { kind: 'duplicate' }
  | { kind: 'unguarded'; why: string };

/**
 * Wraps the notice publisher (`sns:Publish`) with storm control; every other change, and every
 * notice without `repeat`, passes through unchanged.
 *
 * @example
 * const writer = routeChanges({ ecr, sns: withRepeatWindows(snsPublisher, { state, clock: () => new Date() }) });
 * await writer.apply(publishNotice(topicArn, notice, 'pull-through cache failure', { scope: 'docker-hub', cause: 'SECRET_MISSING', windowSeconds: REPEAT_WINDOW_SECONDS }));
 */
export function withRepeatWindows<C extends Change>(writer: ChangeWriter<C>, options: { state: StateStore; clock: () => Date }): ChangeWriter<C> {
  return {
    async apply(change: C, applyOptions: ApplyOptions): Promise<ChangeOutcome> {
      const publish = change as Change as PublishNoticeChange;
      if (publish.action !== 'sns:Publish' || publish.repeat === undefined) return writer.apply(change, applyOptions);
      const repeat = publish.repeat;
      const key = repeatKey(publish.notice, repeat);
      const now = options.clock();
      const admission = await admit(options.state, key, publish.notice.id, repeat, now, applyOptions.signal);
      if (admission.kind === 'suppress') {
        return {
          status: 'applied',
          message: `suppressed: a ${publish.notice.kind} notice for ${repeat.scope} (${repeat.cause}) was published at ${admission.since}; ${admission.count} repeat(s) suppressed since, told with the next one`,
          data: { suppressed: true },
        };
      }
      if (admission.kind !== 'publish') {
        const outcome = await writer.apply(change, applyOptions);
        return admission.kind === 'unguarded' ? { ...outcome, message: `${outcome.message ?? ''}${outcome.message ? ' ' : ''}(no storm control: ${admission.why})` } : outcome;
      }
      const notice: Notice = admission.report ? { ...publish.notice, repeats: { suppressed: admission.report.count, since: admission.report.since, windowSeconds: repeat.windowSeconds } } : publish.notice;
      try {
        const outcome = await writer.apply({ ...publish, notice } as Change as C, applyOptions);
        if (outcome.status === 'failed') await release(options.state, key, publish.notice.id, admission);
        return outcome;
      } catch (error) {
        // The notice did not go out: the next event publishes it, with every count kept.
        await release(options.state, key, publish.notice.id, admission).catch(() => undefined);
        throw error;
      }
    },
  };
}

function repeatKey(notice: Notice, repeat: NoticeRepeat): StateKey {
  return { pk: 'notice#repeats', sk: `${notice.kind}#${repeat.scope}#${repeat.cause}` };
}

/** Decides whether this notice opens a window (publish), repeats a live one (suppress), or is a redelivery. */
async function admit(state: StateStore, key: StateKey, noticeId: string, repeat: NoticeRepeat, now: Date, signal: AbortSignal | undefined): Promise<Admission> {
  try {
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt += 1) {
      const record = await state.get<WindowData>(key, { signal });
      const data = record?.data;
      try {
        if (record && data && Date.parse(data.until) > now.getTime()) {
          if (data.noticeId === noticeId) return { kind: 'duplicate' };
          await state.put<WindowData>(key, { ...data, suppressed: data.suppressed + 1 }, { signal, expectedVersion: record.version, ...(record.expiresAt ? { expiresAt: record.expiresAt } : {}) });
          return { kind: 'suppress', count: data.suppressed + 1, since: data.since };
        }
        const untold = data ? data.suppressed + data.carried : 0;
        const until = new Date(now.getTime() + repeat.windowSeconds * 1000);
        await state.put<WindowData>(
          key,
          { since: now.toISOString(), until: until.toISOString(), noticeId, suppressed: 0, carried: 0, carriedSince: '' },
          { signal, expectedVersion: record?.version ?? 0, expiresAt: Math.floor(until.getTime() / 1000) + RETENTION_SECONDS },
        );
        const since = data && data.carried > 0 ? data.carriedSince : data?.since;
        return { kind: 'publish', report: untold > 0 && since ? { count: untold, since } : undefined };
      } catch (error) {
        if (!hasErrorCode(error, 'STATE_CONFLICT')) throw error;
      }
    }
    return { kind: 'unguarded', why: `the repeat count for ${key.sk} kept changing under ${MAX_ATTEMPTS} attempts` };
  } catch (error) {
    if (hasErrorCode(error, 'ABORTED')) throw error;
    // A notice is never lost to the state table: it goes out without storm control, saying why.
    return { kind: 'unguarded', why: describeError(error) };
  }
}

/**
 * Closes the window this notice opened but could not publish, keeping what it was to tell, so the
 * next repeat is published (with every count) instead of suppressed.
 */
async function release(state: StateStore, key: StateKey, noticeId: string, admission: Extract<Admission, { kind: 'publish' }>): Promise<void> {
  for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt += 1) {
    const record = await state.get<WindowData>(key);
    if (!record || record.data.noticeId !== noticeId) return;
    const carried = admission.report?.count ?? 0;
    try {
      await state.put<WindowData>(
        key,
        { ...record.data, until: record.data.since, carried, carriedSince: admission.report?.since ?? '' },
        { expectedVersion: record.version, ...(record.expiresAt ? { expiresAt: record.expiresAt } : {}) },
      );
      return;
    } catch (error) {
      if (!hasErrorCode(error, 'STATE_CONFLICT')) throw error;
    }
  }
}

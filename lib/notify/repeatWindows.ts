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
 *
 * The window is claimed before the notice is published (so concurrent repeats publish once), as
 * `pending` with a lease, and confirmed after the publish. A claimer that dies in between (the
 * Lambda timed out or crashed) leaves a pending claim whose lease runs out: the next repeat, or the
 * redelivery of the claimer's own event, takes the window over and publishes, with every count. A
 * notice is never lost for the window to a crash; at worst it goes out twice.
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

/**
 * How long a claim stays `pending` before another event may take its window over. At least the
 * timeout of the functions that publish through here (onImagePush, onPullThroughCache: 60 s, the
 * provider default in serverless.yml), so a claim whose lease ran out belongs to an invocation
 * that no longer runs; a publish takes seconds.
 */
export const CLAIM_LEASE_SECONDS = 60;

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
  /**
   * Repeats from before this window that its notice tells: set by the claim, cleared when the
   * notice is confirmed published, kept when it was not (for the next notice to tell).
   */
  carried: number;
  carriedSince: string;
  /** `pending` from the claim until the notice is published; `published` after (records before the claim had none). */
  state: string;
  /** Until when a `pending` claim is its claimer's (ISO 8601); after that, the claimer is gone. */
  leaseUntil: string;
}

type Admission =
  | { kind: 'publish'; report: { count: number; since: string } | undefined; takeover?: string }
  | { kind: 'suppress'; count: number; since: string; pending: boolean }
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
          message: `suppressed: a ${publish.notice.kind} notice for ${repeat.scope} (${repeat.cause}) ${admission.pending ? 'is being published since' : 'was published at'} ${admission.since}; ${admission.count} repeat(s) suppressed since, told with the next one`,
          data: { suppressed: true },
        };
      }
      if (admission.kind !== 'publish') {
        const outcome = await writer.apply(change, applyOptions);
        return admission.kind === 'unguarded' ? { ...outcome, message: `${outcome.message ?? ''}${outcome.message ? ' ' : ''}(no storm control: ${admission.why})` } : outcome;
      }
      const notice: Notice = admission.report ? { ...publish.notice, repeats: { suppressed: admission.report.count, since: admission.report.since, windowSeconds: repeat.windowSeconds } } : publish.notice;
      let outcome: ChangeOutcome;
      try {
        outcome = await writer.apply({ ...publish, notice } as Change as C, applyOptions);
      } catch (error) {
        // Cancelled (the run stopped): nothing more is sent. The claim stays pending, so the retry of
        // this event, or the next repeat after the lease, publishes it with every count.
        if (hasErrorCode(error, 'ABORTED') && applyOptions.signal?.aborted) throw error;
        // The notice did not go out: the next event publishes it, with every count kept.
        await release(options.state, key, publish.notice.id, applyOptions.signal).catch(() => undefined);
        throw error;
      }
      if (outcome.status === 'failed') {
        await release(options.state, key, publish.notice.id, applyOptions.signal).catch(() => undefined);
        return outcome;
      }
      const notes = admission.takeover ? [admission.takeover] : [];
      try {
        await confirm(options.state, key, publish.notice.id, applyOptions.signal);
      } catch (error) {
        // Published all the same; the claim stays pending, so after its lease the next repeat publishes again (twice, never lost).
        notes.push(`its repeat window could not be confirmed: ${describeError(error)}`);
      }
      return notes.length === 0 ? outcome : { ...outcome, message: `${outcome.message ?? ''}${outcome.message ? ' ' : ''}(${notes.join('; ')})` };
    },
  };
}

function repeatKey(notice: Notice, repeat: NoticeRepeat): StateKey {
  return { pk: 'notice#repeats', sk: `${notice.kind}#${repeat.scope}#${repeat.cause}` };
}

/**
 * Decides whether this notice opens a window (publish), repeats a live one (suppress), or is a
 * redelivery; a live window whose claim is still pending past its lease is taken over (publish).
 */
async function admit(state: StateStore, key: StateKey, noticeId: string, repeat: NoticeRepeat, now: Date, signal: AbortSignal | undefined): Promise<Admission> {
  try {
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt += 1) {
      const record = await state.get<WindowData>(key, { signal });
      const data = record?.data;
      try {
        let takeover: string | undefined;
        if (record && data && Date.parse(data.until) > now.getTime()) {
          const pending = data.state === 'pending';
          if (data.noticeId === noticeId) {
            // A redelivery: of a published notice, the publisher's idempotency answers it; of a
            // pending claim, it publishes what the claim was to tell (its claimer may be gone).
            if (!pending) return { kind: 'duplicate' };
            const renewed = await state.put<WindowData>(key, { ...data, leaseUntil: leaseFrom(now) }, { signal, expectedVersion: record.version, ...(record.expiresAt ? { expiresAt: record.expiresAt } : {}) });
            return { kind: 'publish', report: toldBy(renewed.data) };
          }
          if (!pending || Date.parse(data.leaseUntil) > now.getTime()) {
            await state.put<WindowData>(key, { ...data, suppressed: data.suppressed + 1 }, { signal, expectedVersion: record.version, ...(record.expiresAt ? { expiresAt: record.expiresAt } : {}) });
            return { kind: 'suppress', count: data.suppressed + 1, since: data.since, pending };
          }
          takeover = `took over the repeat window of ${data.noticeId}, whose publish never confirmed (claimed at ${data.since})`;
        }
        // A taken-over claim's own notice was never told: it is one of the repeats.
        const untold = data ? data.suppressed + data.carried + (takeover ? 1 : 0) : 0;
        const since = data && data.carried > 0 ? data.carriedSince : data?.since;
        const until = new Date(now.getTime() + repeat.windowSeconds * 1000);
        const report = untold > 0 && since ? { count: untold, since } : undefined;
        await state.put<WindowData>(
          key,
          {
            since: now.toISOString(),
            until: until.toISOString(),
            noticeId,
            suppressed: 0,
            carried: report?.count ?? 0,
            carriedSince: report?.since ?? '',
            state: 'pending',
            leaseUntil: leaseFrom(now),
          },
          { signal, expectedVersion: record?.version ?? 0, expiresAt: Math.floor(until.getTime() / 1000) + RETENTION_SECONDS },
        );
        return { kind: 'publish', report, ...(takeover ? { takeover } : {}) };
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

function leaseFrom(now: Date): string {
  return new Date(now.getTime() + CLAIM_LEASE_SECONDS * 1000).toISOString();
}

/** What a claim's notice tells: the repeats from before its window. */
function toldBy(data: WindowData): { count: number; since: string } | undefined {
  return data.carried > 0 && data.carriedSince ? { count: data.carried, since: data.carriedSince } : undefined;
}

/** Marks this notice's claim published: its window now stands, and what it told is cleared. */
async function confirm(state: StateStore, key: StateKey, noticeId: string, signal: AbortSignal | undefined): Promise<void> {
  for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt += 1) {
    const record = await state.get<WindowData>(key, { signal });
    // Taken over (its lease ran out mid-publish) or already confirmed: nothing left to confirm.
    if (!record || record.data.noticeId !== noticeId || record.data.state !== 'pending') return;
    try {
      await state.put<WindowData>(
        key,
        { ...record.data, state: 'published', leaseUntil: '', carried: 0, carriedSince: '' },
        { signal, expectedVersion: record.version, ...(record.expiresAt ? { expiresAt: record.expiresAt } : {}) },
      );
      return;
    } catch (error) {
      if (!hasErrorCode(error, 'STATE_CONFLICT')) throw error;
    }
  }
  throw new Error(`the repeat count for ${key.sk} kept changing under ${MAX_ATTEMPTS} attempts`);
}

/**
 * Closes the window this notice claimed but could not publish; the claim keeps what it was to tell
 * (`carried`), so the next repeat is published, with every count, instead of suppressed.
 */
async function release(state: StateStore, key: StateKey, noticeId: string, signal: AbortSignal | undefined): Promise<void> {
  for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt += 1) {
    const record = await state.get<WindowData>(key, { signal });
    if (!record || record.data.noticeId !== noticeId) return;
    try {
      await state.put<WindowData>(key, { ...record.data, until: record.data.since }, { signal, expectedVersion: record.version, ...(record.expiresAt ? { expiresAt: record.expiresAt } : {}) });
      return;
    } catch (error) {
      if (!hasErrorCode(error, 'STATE_CONFLICT')) throw error;
    }
  }
}

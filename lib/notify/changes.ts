import type { EventOrigin } from '../events/envelope';
import type { AppliedChange, Change } from '../plan/types';
import type { Notice, NoticeChange, NoticeOrigin } from './notices';
import type { NoticeRepeat } from './repeatWindows';

/** Publishing a notice on the notification topic is a change like any other: planned, then applied. */
export interface PublishNoticeChange extends Change {
  action: 'sns:Publish';
  /** The topic ARN. */
  target: string;
  notice: Notice;
  /**
   * Set on a notice that a repeating external event triggers (a failed pull, a failed cache sync):
   * it is published once per window for its scope and cause, and the next one carries the count of
   * the repeats in between (`withRepeatWindows`).
   */
  repeat?: NoticeRepeat;
}

export function publishNotice(topicArn: string, notice: Notice, reason: string, repeat?: NoticeRepeat): PublishNoticeChange {
  return { action: 'sns:Publish', target: topicArn, reason, notice, ...(repeat ? { repeat } : {}) };
}

/** A change and its outcome as notices report them. */
export function toNoticeChange({ change, outcome }: AppliedChange): NoticeChange {
  return { action: change.action, target: change.target, reason: change.reason, status: outcome.status, ...(outcome.message ? { message: outcome.message } : {}) };
}

/** Where a notice came from, for one triggered by an event. */
export function noticeOriginOf(origin: EventOrigin): NoticeOrigin {
  return { eventId: origin.eventId, account: origin.account, region: origin.region };
}

/** Where a notice came from, for a run with no triggering event (a sweep, a mirror, a lab check). */
export function registryNoticeOrigin(registry: { region: string; registryId: string | undefined }, eventId: string): NoticeOrigin {
  return { eventId, region: registry.region, ...(registry.registryId ? { account: registry.registryId } : {}) };
}

import type { AppliedChange, Change } from '../plan/types';
import type { Notice, NoticeChange } from './notices';

/** Publishing a notice on the notification topic is a change like any other: planned, then applied. */
export interface PublishNoticeChange extends Change {
  action: 'sns:Publish';
  /** The topic ARN. */
  target: string;
  notice: Notice;
}

export function publishNotice(topicArn: string, notice: Notice, reason: string): PublishNoticeChange {
  return { action: 'sns:Publish', target: topicArn, reason, notice };
}

/** A change and its outcome as notices report them. */
export function toNoticeChange({ change, outcome }: AppliedChange): NoticeChange {
  return { action: change.action, target: change.target, reason: change.reason, status: outcome.status, ...(outcome.message ? { message: outcome.message } : {}) };
}

import { EventValidationError } from '../errors';
import type { SnsEvent } from '../events/snsRecords';
import { SnsEvent as SnsEventSchema } from '../events/snsRecords';
import { applyChanges } from '../plan/applyChanges';
import type { Change, ChangeWriter } from '../plan/types';
import { POST, statusOf, tell } from '../plan/tense';
import { sentence } from '../shared/sentence';
import { plural, upperFirst } from './present/format';
import type { FunctionDefinition, FunctionReport } from '../runtime/types';
import { outcomeOf } from '../runtime/types';
import { toValidationIssues } from '../validation/toValidationIssues';
import { Notice } from './notices';
import { presentNotice } from './present/presentNotice';
import { renderSlackMessage, type SlackMessage } from './render/renderSlackMessage';

/** Posting one message to the Slack webhook. */
export interface PostSlackMessageChange extends Change {
  action: 'slack:PostMessage';
  target: 'webhook';
  /** The notice it renders: its id makes the post idempotent. */
  noticeId: string;
  message: SlackMessage;
}

export interface SlackDeps {
  writer: ChangeWriter<PostSlackMessageChange>;
  /** Cancels the posts (Lambda's backstop): a post never starts after it fired. */
  signal?: AbortSignal;
}

/**
 * `notifySlack`: renders each notice the topic delivers as Block Kit and posts it.
 *
 * Input: the SNS event (the `lambda` key of our `MessageStructure: json` messages is the notice JSON).
 * Output: one `slack:PostMessage` change per record.
 * 1. Validate every record's message against the notice schema first: a malformed message changes
 *    nothing and goes to the dead-letter queue whole.
 * 2. Render and post each notice; a duplicate delivery of the same notice posts once.
 *
 * @example
 * await deliverToSlack(snsEvent, { writer: slackWriter });
 */
export async function deliverToSlack(event: SnsEvent, deps: SlackDeps): Promise<FunctionReport> {
  const notices = event.Records.map((record, index) => {
    let raw: unknown;
    try {
      raw = JSON.parse(record.Sns.Message);
    } catch {
      throw new EventValidationError('SNS notification', [{ path: `Records[${index}].Sns.Message`, message: 'is not JSON', fix: 'subscribe notifySlack to the ecr-autopilot topic (protocol lambda), whose messages carry the notice JSON' }], record.Sns.MessageId);
    }
    const parsed = Notice.safeParse(raw);
    if (!parsed.success) {
      const issues = toValidationIssues(parsed.error.issues, raw).map((issue) => ({ ...issue, path: `Records[${index}].Sns.Message${issue.path ? `.${issue.path}` : ''}` }));
      throw new EventValidationError('ecr-autopilot notice', issues, record.Sns.MessageId);
    }
    return parsed.data;
  });

  const changes: PostSlackMessageChange[] = notices.map((notice) => {
    const doc = presentNotice(notice);
    return { action: 'slack:PostMessage', target: 'webhook', reason: doc.subject, noticeId: notice.id, message: renderSlackMessage(doc) };
  });
  const applied = await applyChanges(deps.writer, changes, { signal: deps.signal });
  const first = event.Records[0]?.Sns.MessageId;
  return {
    function: 'notifySlack',
    ...(first ? { eventId: first } : {}),
    outcome: outcomeOf(applied),
    decision: sentence(`${upperFirst(tell(statusOf(applied), POST))} ${plural(notices.length, 'notice')} to Slack: ${changes.map((change) => change.reason).join('; ')}`),
    changes: applied,
  };
}

/** `notifySlack`: subscribed to the notification topic. */
export const notifySlack: FunctionDefinition<typeof SnsEventSchema, SlackDeps> = {
  name: 'notifySlack',
  eventName: 'SNS notification event',
  eventSchema: SnsEventSchema,
  run: deliverToSlack,
};

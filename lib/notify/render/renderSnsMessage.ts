import type { NotificationSettings } from '../../config/types';
import type { MessageDocument } from '../document';
import type { Notice, NoticeFinding } from '../notices';
import { presentNotice } from '../present/presentNotice';
import { renderAmazonQ } from './renderAmazonQ';
import { renderText } from './renderText';
import { singleLine, truncateTo } from './truncate';

/** SNS limits: subject under 100 characters, message (with attributes) at most 256 KiB. */
export const SNS_SUBJECT_LIMIT = 99;
export const SNS_MESSAGE_LIMIT_BYTES = 256 * 1024;

export interface SnsMessage {
  Subject: string;
  /** JSON with one key per protocol (`MessageStructure: json`). */
  Message: string;
  MessageStructure: 'json';
  MessageAttributes: Record<string, { DataType: 'String'; StringValue: string }>;
}

/**
 * One SNS message for every kind of subscriber: readable text for `default` and `email`, the
 * notice JSON for `lambda`, `sqs` and `email-json`, and for `https` either an Amazon Q custom
 * notification (so a chat channel can subscribe directly) or the notice JSON. Message attributes
 * `kind`, `severity` and `repository` allow subscription filter policies.
 *
 * @example
 * await sns.send(new PublishCommand({ TopicArn, ...renderSnsMessage(notice, config.notifications) }));
 */
export function renderSnsMessage(notice: Notice, settings: Pick<NotificationSettings, 'httpsFormat'>): SnsMessage {
  // Lists are already bounded by the presenters; these guards keep a pathological notice deliverable:
  // the readable text is cut first, then (scan summaries) long finding titles and the finding lists,
  // whose counts stay exact (readers see "and N more"). The notice JSON is in the message 3 times.
  let fitted = notice;
  let rendered = renderBodies(fitted, settings);
  while (rendered.overflow > 0) {
    const smaller = shrinkNotice(fitted);
    if (!smaller) break;
    fitted = smaller;
    rendered = renderBodies(fitted, settings);
  }
  const { doc, message } = rendered;
  const attributes: SnsMessage['MessageAttributes'] = {
    kind: { DataType: 'String', StringValue: notice.kind },
    severity: { DataType: 'String', StringValue: notice.severity },
  };
  if (notice.repository) attributes.repository = { DataType: 'String', StringValue: notice.repository };
  if (notice.kind === 'scan.summary') attributes.verdict = { DataType: 'String', StringValue: notice.data.verdict };
  return {
    Subject: truncateTo(singleLine(`[ecr-autopilot] ${doc.subject}`), SNS_SUBJECT_LIMIT),
    Message: message,
    MessageStructure: 'json',
    MessageAttributes: attributes,
  };
}

/** What the message may take, leaving room for the attributes SNS counts against the limit. */
const MESSAGE_BUDGET_BYTES = SNS_MESSAGE_LIMIT_BYTES - 2048;
/** Finding titles (free text from the scanner) are cut to this when a message must shrink. */
const SHRUNK_TITLE_LENGTH = 200;

function renderBodies(notice: Notice, settings: Pick<NotificationSettings, 'httpsFormat'>): { doc: MessageDocument; message: string; overflow: number } {
  const doc = presentNotice(notice);
  const noticeJson = JSON.stringify(notice);
  const https = settings.httpsFormat === 'amazon-q' ? JSON.stringify(renderAmazonQ(notice, doc)) : noticeJson;
  let text = renderText(doc);
  const structure = (body: string) => JSON.stringify({ default: body, email: body, 'email-json': noticeJson, lambda: noticeJson, sqs: noticeJson, https, http: https });
  let message = structure(text);
  const overflow = Buffer.byteLength(message, 'utf8') - MESSAGE_BUDGET_BYTES;
  if (overflow > 0) {
    text = truncateTo(text, Math.max(1000, text.length - overflow * 2));
    message = structure(text);
  }
  return { doc, message, overflow: Buffer.byteLength(message, 'utf8') - MESSAGE_BUDGET_BYTES };
}

/** A smaller scan summary (long titles cut, else its finding lists halved); undefined when nothing is left to cut. */
function shrinkNotice(notice: Notice): Notice | undefined {
  if (notice.kind !== 'scan.summary') return undefined;
  const d = notice.data;
  const lists = [d.topFindings, d.comparison?.newFindings ?? [], d.comparison?.fixedFindings ?? []];
  const longTitles = lists.some((list) => list.some((finding) => (finding.title?.length ?? 0) > SHRUNK_TITLE_LENGTH));
  if (!longTitles && lists.every((list) => list.length === 0)) return undefined;
  const shrink = (list: NoticeFinding[]): NoticeFinding[] =>
    longTitles
      ? list.map((finding) => (finding.title && finding.title.length > SHRUNK_TITLE_LENGTH ? { ...finding, title: truncateTo(finding.title, SHRUNK_TITLE_LENGTH) } : finding))
      : list.slice(0, Math.floor(list.length / 2));
  return {
    ...notice,
    data: {
      ...d,
      topFindings: shrink(d.topFindings),
      ...(d.comparison ? { comparison: { ...d.comparison, newFindings: shrink(d.comparison.newFindings), fixedFindings: shrink(d.comparison.fixedFindings) } } : {}),
    },
  };
}

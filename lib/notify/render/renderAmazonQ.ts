import type { MessageDocument } from '../document';
import type { Notice } from '../notices';
import { escapeSlackText, slackLink } from './escapeSlackText';
import { truncateTo } from './truncate';

/**
 * The custom-notification format of Amazon Q Developer in chat applications
 * (docs.aws.amazon.com/chatbot/latest/adminguide/custom-notifs.html): `version` "1.0", `source`
 * "custom", `content` in client markdown, and `metadata` whose `threadId` groups updates about the
 * same image in one chat thread.
 */
export interface AmazonQNotification {
  version: '1.0';
  source: 'custom';
  id: string;
  content: {
    textType: 'client-markdown';
    title: string;
    description: string;
    nextSteps?: string[];
    keywords: string[];
  };
  metadata: {
    threadId: string;
    summary: string;
    eventType: string;
    relatedResources: string[];
    additionalContext: Record<string, string>;
  };
}

/** Conservative lengths: Amazon Q posts into Slack sections (3,000 characters) and Teams cards. */
const TITLE_LIMIT = 250;
const DESCRIPTION_LIMIT = 3000;

const SEVERITY_EMOJI = { critical: ':rotating_light:', warning: ':warning:', info: ':white_check_mark:' } as const;

/**
 * @example
 * JSON.stringify(renderAmazonQ(notice, presentNotice(notice))) // publish to a topic Amazon Q subscribes to
 */
export function renderAmazonQ(notice: Notice, doc: MessageDocument): AmazonQNotification {
  const facts = doc.facts.map((fact) => `*${escapeSlackText(fact.label)}:* ${fact.code ? `\`${escapeSlackText(fact.value)}\`` : escapeSlackText(fact.value)}`);
  const sections = doc.sections.map((section) => {
    const items = section.items.map((item) => `• ${item.label ? `${item.url ? slackLink(item.url, item.label) : escapeSlackText(item.label)} ` : ''}${escapeSlackText(item.text)}`);
    if (section.omitted && section.omitted > 0) items.push(`_… and ${section.omitted} more_`);
    return [`*${escapeSlackText(section.title)}*`, ...items].join('\n');
  });
  const description = [escapeSlackText(doc.headline), facts.join('\n'), ...sections].join('\n\n');
  const notification: AmazonQNotification = {
    version: '1.0',
    source: 'custom',
    id: notice.id,
    content: {
      textType: 'client-markdown',
      title: truncateTo(`${SEVERITY_EMOJI[doc.severity]} ${escapeSlackText(doc.subject)}`, TITLE_LIMIT),
      description: truncateTo(description, DESCRIPTION_LIMIT),
      keywords: [notice.kind, notice.severity, ...(notice.repository ? [notice.repository] : [])],
    },
    metadata: {
      threadId: doc.threadKey,
      summary: truncateTo(escapeSlackText(doc.subject), TITLE_LIMIT),
      eventType: notice.kind,
      relatedResources: notice.repository ? [notice.repository] : [],
      additionalContext: { noticeId: notice.id, ...(notice.origin.eventId ? { eventId: notice.origin.eventId } : {}) },
    },
  };
  if (doc.links.length > 0) notification.content.nextSteps = doc.links.map((link) => slackLink(link.url, link.label));
  return notification;
}

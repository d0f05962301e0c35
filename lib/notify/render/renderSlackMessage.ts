import type { DocumentItem, MessageDocument } from '../document';
import type { NoticeSeverity } from '../notices';
import { escapeSlackText, slackLink } from './escapeSlackText';
import { truncateTo } from './truncate';
import { plural } from '../present/format';

/** Block Kit limits (api.slack.com/reference/block-kit). */
export const SLACK_LIMITS = {
  blocks: 50,
  headerText: 150,
  sectionText: 3000,
  fields: 10,
  fieldText: 2000,
  contextElements: 10,
  /** The top-level `text` is the notification and accessibility fallback; Slack truncates very long ones. */
  fallbackText: 3000,
} as const;

/** A mrkdwn text object; `verbatim` stops Slack's automatic parsing (links, channel names, mentions). */
export interface SlackMrkdwn {
  type: 'mrkdwn';
  text: string;
  verbatim?: boolean;
}

export interface SlackBlock {
  type: 'header' | 'section' | 'context' | 'divider';
  text?: { type: 'plain_text'; text: string; emoji?: boolean } | SlackMrkdwn;
  fields?: SlackMrkdwn[];
  elements?: SlackMrkdwn[];
}

export interface SlackMessage {
  /** Plain-text fallback, shown in notifications and by clients that cannot render blocks. */
  text: string;
  blocks: SlackBlock[];
}

const SEVERITY_EMOJI: Record<NoticeSeverity, string> = {
  critical: ':rotating_light:',
  warning: ':warning:',
  info: ':white_check_mark:',
};

/**
 * Block Kit for a Slack incoming webhook: a header, the headline, the key facts as fields, one
 * section per list (cut to fit with "and N more"), links and a context footer. Every untrusted
 * string is escaped; every limit is respected.
 *
 * @example
 * await webhook.post(renderSlackMessage(presentNotice(notice)));
 */
export function renderSlackMessage(doc: MessageDocument): SlackMessage {
  const blocks: SlackBlock[] = [
    { type: 'header', text: { type: 'plain_text', text: truncateTo(`${SEVERITY_EMOJI[doc.severity]} ${doc.subject}`, SLACK_LIMITS.headerText), emoji: true } },
    { type: 'section', text: { type: 'mrkdwn', text: truncateTo(escapeSlackText(doc.headline), SLACK_LIMITS.sectionText) } },
  ];

  const fields = doc.facts.slice(0, SLACK_LIMITS.fields).map((fact) => {
    // Two columns leave no room for 71-character digests: the first 12 hex digits identify one (the link has it whole).
    const value = escapeSlackText(fact.value.replace(FULL_DIGEST, (_digest, algorithm: string, hex: string) => `${algorithm}:${hex.slice(0, 12)}`));
    return { type: 'mrkdwn' as const, text: truncateTo(`*${escapeSlackText(fact.label)}*\n${fact.code ? `\`${value}\`` : value}`, SLACK_LIMITS.fieldText) };
  });
  if (fields.length > 0) blocks.push({ type: 'section', fields });

  // Leave room for "and N more", the links, the divider and the footer.
  const reserved = 4;
  const room = SLACK_LIMITS.blocks - reserved - blocks.length;
  for (const section of doc.sections.slice(0, room)) {
    blocks.push({ type: 'section', text: { type: 'mrkdwn', text: sectionText(section.title, section.items, section.omitted ?? 0) } });
  }
  const cut = doc.sections.length - Math.max(0, room);
  if (cut > 0) {
    // `plural` gives "12 repositories": the noun without its count.
    const noun = plural(cut, doc.sectionNoun ?? 'section').replace(/^\d+ /, '');
    blocks.push({ type: 'section', text: { type: 'mrkdwn', text: `_… and ${cut} more ${noun}: the email and the notice JSON list them all_` } });
  }

  if (doc.links.length > 0) {
    blocks.push({ type: 'section', text: { type: 'mrkdwn', text: truncateTo(doc.links.map((link) => slackLink(link.url, link.label)).join('  ·  '), SLACK_LIMITS.sectionText) } });
  }
  blocks.push({ type: 'divider' });
  blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: truncateTo(escapeSlackText(`ecr-autopilot · ${doc.footer}`), SLACK_LIMITS.sectionText) }] });

  // The fallback is what notifications show: the headline, which stands on its own (the subject says
  // the same in fewer words). It is mrkdwn too (a `<!channel>` in it would notify the channel): escaped.
  return { text: truncateTo(escapeSlackText(doc.headline), SLACK_LIMITS.fallbackText), blocks: blocks.map(verbatim) };
}

/**
 * Every mrkdwn text of a block marked `verbatim`: our own markup (`*bold*`, escaped links) still
 * renders, but Slack does not auto-link or parse mentions in the untrusted text around it.
 */
function verbatim(block: SlackBlock): SlackBlock {
  const mark = (text: SlackMrkdwn): SlackMrkdwn => ({ ...text, verbatim: true });
  return {
    ...block,
    ...(block.text?.type === 'mrkdwn' ? { text: mark(block.text) } : {}),
    ...(block.fields ? { fields: block.fields.map(mark) } : {}),
    ...(block.elements ? { elements: block.elements.map(mark) } : {}),
  };
}

/** A full digest (`sha256:` and 64 hex digits). */
const FULL_DIGEST = /\b(sha256):([0-9a-f]{64})\b/g;

/**
 * A command we tell people to run, from the program up to where the sentence goes on: a closing
 * parenthesis, a semicolon, an explaining parenthesis or clause (` (then …`, ` to …`, ` or …`), or the end.
 * A quoted argument is part of the command whatever it holds (`--secret-string '{"a":"<b (c)>"}'`).
 */
const COMMAND = /(?<![\w`-])((?:ecr-autopilot|aws|npx|docker|kubectl|podman|skopeo|crane) (?:'[^'\n]*'|"[^"\n]*"|[^\n;)`'"])*?)(?=\s\(|[;)]|\s(?:to|or|and|then)\s|$|\n)/g;

/**
 * Fix commands as inline code, so they read as commands and copy cleanly. Only where a fix is
 * given: after "Fix:", or an item that is a command. Takes the raw text and escapes it, piece by
 * piece: found in escaped text, a command would end inside an entity (`&lt;` holds a `;`).
 */
function codeCommands(text: string): string {
  const fix = text.lastIndexOf('Fix: ');
  const from = fix >= 0 ? fix + 'Fix: '.length : /^(?:ecr-autopilot|aws|npx|docker|kubectl|podman|skopeo|crane) /.test(text) ? 0 : -1;
  if (from < 0) return escapeSlackText(text);
  let result = escapeSlackText(text.slice(0, from));
  let last = from;
  for (const match of text.slice(from).matchAll(COMMAND)) {
    const start = from + (match.index ?? 0);
    const command = match[0];
    result += `${escapeSlackText(text.slice(last, start))}\`${escapeSlackText(command.trim())}\``;
    last = start + command.length;
  }
  return result + escapeSlackText(text.slice(last));
}

/** A list section: as many items as fit in one block, then "… and N more". */
function sectionText(title: string, items: readonly DocumentItem[], omitted: number): string {
  const heading = `*${escapeSlackText(title)}*`;
  const lines: string[] = [];
  let length = heading.length;
  let shown = 0;
  for (const item of items) {
    const line = `• ${item.label ? `${item.url ? slackLink(item.url, item.label) : `*${escapeSlackText(item.label)}*`} ` : ''}${codeCommands(item.text)}`;
    // 40 characters stay free for the "and N more" line.
    if (length + line.length + 1 > SLACK_LIMITS.sectionText - 40) break;
    lines.push(line);
    length += line.length + 1;
    shown += 1;
  }
  const more = omitted + (items.length - shown);
  if (more > 0) lines.push(`_… and ${more} more_`);
  return [heading, ...lines].join('\n');
}

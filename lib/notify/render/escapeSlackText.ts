/** Plain-text broadcast mentions Slack parses on its own (api.slack.com formatting: automatic parsing). */
const BROADCAST_MENTION = /@(channel|here|everyone)\b/gi;

/**
 * Escapes untrusted text for Slack `mrkdwn`: `&`, `<` and `>` are control characters there
 * (`<!channel>` would ping a whole channel, `<url|x>` would make a link). Slack decodes exactly these
 * three entities, so nothing else is encoded. Plain `@channel`, `@here` and `@everyone` get a zero-width
 * space after the `@`: Slack auto-parses them where `verbatim` cannot be set (the fallback `text`,
 * which is what notifications show), and a tag or package name must never ping a channel.
 *
 * @example
 * escapeSlackText('<!channel> & @here') // '&lt;!channel&gt; &amp; @\u200Bhere'
 */
export function escapeSlackText(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(BROADCAST_MENTION, '@\u200B$1');
}

/**
 * A Slack link `<url|label>`, or the escaped label alone when the URL is not http(s).
 * `|`, `<` and `>` inside the URL are percent-encoded so they cannot end the link early.
 */
export function slackLink(url: string, label: string): string {
  const safeLabel = escapeSlackText(label).replace(/\|/g, '¦');
  if (!/^https?:\/\//i.test(url)) return safeLabel;
  const safeUrl = url.replace(/\|/g, '%7C').replace(/</g, '%3C').replace(/>/g, '%3E').replace(/&/g, '&amp;');
  return `<${safeUrl}|${safeLabel}>`;
}

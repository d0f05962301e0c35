/**
 * Escapes untrusted text for Slack `mrkdwn`: `&`, `<` and `>` are control characters there
 * (`<!channel>` would ping a whole channel, `<url|x>` would make a link). Slack decodes exactly these
 * three entities, so nothing else is encoded.
 *
 * @example
 * escapeSlackText('<!channel> & co') // '&lt;!channel&gt; &amp; co'
 */
export function escapeSlackText(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
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

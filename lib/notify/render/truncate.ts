/**
 * Cuts text to at most `limit` characters (UTF-16 code units, as Slack and SNS count), ending with
 * an ellipsis when anything was cut. Never splits a surrogate pair.
 *
 * @example
 * truncateTo('abcdef', 4) // 'abc…'
 */
export function truncateTo(text: string, limit: number): string {
  if (text.length <= limit) return text;
  if (limit <= 0) return '';
  let end = limit - 1;
  const code = text.charCodeAt(end - 1);
  if (code >= 0xd800 && code <= 0xdbff) end -= 1;
  return `${text.slice(0, end)}…`;
}

/** Removes line breaks and control characters (SNS subjects allow neither). */
export function singleLine(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f]+/g, ' ').replace(/\s{2,}/g, ' ').trim();
}

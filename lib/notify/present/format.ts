/** Small text formatters shared by the presenters. */

const UNITS = ['B', 'KB', 'MB', 'GB', 'TB'] as const;

/**
 * 1536 → `1.5 KB`: binary multiples by default, as `docker images` shows sizes; `1000` for decimal
 * ones, as registries and `skopeo` count transfers.
 */
export function formatBytes(bytes: number, multiple: 1000 | 1024 = 1024): string {
  let value = bytes;
  let unit = 0;
  while (value >= multiple && unit < UNITS.length - 1) {
    value /= multiple;
    unit += 1;
  }
  return `${unit === 0 ? value : value.toFixed(1)} ${UNITS[unit]}`;
}

/** `sha256:0123456789ab…` — enough of a digest to recognise it. */
export function shortDigest(digest: string): string {
  const [algorithm, hex] = digest.split(':');
  return hex ? `${algorithm}:${hex.slice(0, 12)}` : digest;
}

/**
 * The text with its first letter in upper case, to start a sentence.
 *
 * @example
 * upperFirst('would publish'); // 'Would publish'
 */
export function upperFirst(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** `a, b and 3 more` */
export function listWithMore(items: readonly string[], max: number): string {
  if (items.length <= max) return items.join(', ');
  return `${items.slice(0, max).join(', ')} and ${items.length - max} more`;
}

/** `repo:tag` for the first tag, or `repo@sha256:…` when untagged. */
export function imageName(repositoryName: string, tags: readonly string[], digest: string): string {
  return tags[0] ? `${repositoryName}:${tags[0]}` : `${repositoryName}@${shortDigest(digest)}`;
}

/** `1 image`, `2 images`, `3 repositories`. */
export function plural(n: number, word: string): string {
  if (n === 1) return `${n} ${word}`;
  return `${n} ${/[^aeiou]y$/.test(word) ? `${word.slice(0, -1)}ies` : `${word}s`}`;
}

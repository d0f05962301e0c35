/** Text assembled from messages of others (AWS, registries) that may or may not end a sentence. */

/**
 * Ends `text` with exactly one full stop, whatever it ended with: messages from AWS and registries
 * often carry their own.
 *
 * @example
 * sentence("Secrets Manager can't find the specified secret."); // "Secrets Manager can't find the specified secret."
 */
export function sentence(text: string): string {
  return `${text.replace(/[\s.]+$/, '')}.`;
}

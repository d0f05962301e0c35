import type { SweepBatchResult } from './types';

/**
 * Step Functions passes at most 256 KiB between states, and a child execution's output is one of
 * them. A batch's result stays well under it: 200 KiB leaves room for the report around it.
 */
export const MAX_BATCH_RESULT_BYTES = 200 * 1024;

/**
 * Shortens a sweep batch's result until it fits `MAX_BATCH_RESULT_BYTES`: first the lists of images
 * kept by the safety rules, then governance reasons, then the expired and failed images beyond the
 * first of each repository. The totals always count everything, and `shortened` says what was cut
 * (the batch's log has every change).
 *
 * @example
 * return fitBatchResult(result);
 */
export function fitBatchResult(result: SweepBatchResult, maxBytes = MAX_BATCH_RESULT_BYTES): SweepBatchResult {
  if (bytes(result) <= maxBytes) return result;
  const steps: Array<[string, (r: SweepBatchResult) => SweepBatchResult]> = [
    ['images kept by the safety rules are counted, not listed', (r) => ({ ...r, repositories: r.repositories.map((repository) => ({ ...repository, kept: [] })) })],
    ['expired and failed images are listed in part; the batch log has them all', (r) => ({ ...r, repositories: r.repositories.map((repository) => ({ ...repository, expired: repository.expired.slice(0, 5), failures: repository.failures.slice(0, 5) })) })],
    ['only repositories with failures are listed; the batch log has the rest', (r) => ({ ...r, repositories: r.repositories.filter((repository) => repository.error !== undefined || repository.failures.some((f) => !f.expected)).map((repository) => ({ ...repository, expired: [], governance: [] })) })],
  ];
  let shortened = result;
  const notes: string[] = [];
  for (const [note, step] of steps) {
    shortened = step(shortened);
    notes.push(note);
    if (bytes({ ...shortened, shortened: notes.join('; ') }) <= maxBytes) break;
  }
  return { ...shortened, shortened: notes.join('; ') };
}

function bytes(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value), 'utf8');
}

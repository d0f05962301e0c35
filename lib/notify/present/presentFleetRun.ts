import type { DocumentFact, DocumentLink, DocumentSection } from '../document';
import type { FleetRunSummary } from '../notices';
import { plural } from './format';

/**
 * The `fleet` part of a ledger or mirror report: the batches, each failed batch with the link to its
 * child execution and its items, and how the failures get another try (a redrive, or the next run).
 *
 * @example
 * const fleet = presentFleetRun(notice.data.fleet); document.sections.push(...fleet.sections);
 */
export function presentFleetRun(fleet: FleetRunSummary | undefined): { facts: DocumentFact[]; sections: DocumentSection[]; links: DocumentLink[]; headline: string } {
  if (!fleet) return { facts: [], sections: [], links: [], headline: '' };
  const { batches } = fleet;
  const retry = fleet.redriveCommand
    ? `redrive the run to retry them: ${fleet.redriveCommand}`
    : 'they are within fleet.toleratedFailurePercentage, so the run completed; the next run covers them';
  const sections: DocumentSection[] = [];
  if (batches.failed > 0) {
    sections.push({
      title: `Failed batches (${batches.failed} of ${batches.total}): ${retry}`,
      items: fleet.failedBatches.map((batch) => ({
        label: batch.executionArn.slice(batch.executionArn.lastIndexOf(':') + 1),
        url: batch.executionUrl,
        text: `${batch.error}${batch.cause ? `: ${batch.cause}` : ''} · ${plural(batch.items.length, 'item')}: ${batch.items.slice(0, 10).join(', ')}${batch.items.length > 10 ? ', …' : ''}`,
      })),
      omitted: batches.failed - fleet.failedBatches.length,
    });
  }
  if (fleet.notReached.length > 0) {
    sections.push({ title: 'Not reached before their batch deadline (the next run covers them)', items: fleet.notReached.slice(0, 20).map((item) => ({ text: item })), omitted: Math.max(0, fleet.notReached.length - 20) });
  }
  return {
    facts: [
      { label: 'Batches', value: `${batches.succeeded} of ${batches.total} succeeded${batches.failed > 0 ? `, ${batches.failed} failed` : ''}${fleet.redriveCount > 0 ? ` (after ${plural(fleet.redriveCount, 'redrive')})` : ''}` },
    ],
    sections,
    links: [{ label: 'Step Functions execution', url: fleet.executionUrl }],
    headline: batches.failed > 0 ? ` ${batches.failed} batch${batches.failed === 1 ? '' : 'es'} failed; ${retry}.` : '',
  };
}

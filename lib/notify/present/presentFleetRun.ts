import type { DocumentFact, DocumentLink, DocumentSection } from '../document';
import type { FleetRunSummary } from '../notices';
import { plural } from './format';

const STATUS_WORDS = { FAILED: 'failed', TIMED_OUT: 'timed out', ABORTED: 'was stopped (aborted)' } as const;

/**
 * The `fleet` part of a ledger or mirror report: the batches, each failed batch with the link to its
 * child execution and its items, and how the failures get another try (a redrive, or the next run).
 * The report of an interrupted run (`fleet.interrupted`) says so in its subject (`subjectNote`) and
 * headline, and that a redrive publishes the run's final ledger; the final ledger of a redriven run
 * says it covers the whole run, so the two never read as two different runs.
 *
 * @example
 * const fleet = presentFleetRun(notice.data.fleet); document.sections.push(...fleet.sections);
 */
export function presentFleetRun(fleet: FleetRunSummary | undefined): {
  facts: DocumentFact[];
  sections: DocumentSection[];
  links: DocumentLink[];
  headline: string;
  /** For the subject: `run FAILED, not finished` on an interrupted run's report; '' otherwise. */
  subjectNote: string;
  /** The run wrote no batch results: its totals are not zero, they are unknown. */
  resultsUnknown: boolean;
} {
  if (!fleet) return { facts: [], sections: [], links: [], headline: '', subjectNote: '', resultsUnknown: false };
  const { batches, interrupted } = fleet;
  const redrive = fleet.redriveCommand ? `redrive the run to retry them: ${fleet.redriveCommand}` : undefined;
  const retry = redrive ?? (interrupted ? 'the run cannot be redriven; the next scheduled run covers them' : 'they are within fleet.toleratedFailurePercentage, so the run completed; the next run covers them');
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
  const facts: DocumentFact[] = [
    {
      label: 'Batches',
      value: interrupted && !interrupted.resultsRead
        ? 'unknown: the run wrote no batch results before it stopped'
        : `${batches.succeeded} of ${batches.total} succeeded${batches.failed > 0 ? `, ${batches.failed} failed` : ''}${fleet.redriveCount > 0 ? ` (after ${plural(fleet.redriveCount, 'redrive')})` : ''}`,
    },
  ];
  let headline = batches.failed > 0 && !interrupted ? ` ${batches.failed} batch${batches.failed === 1 ? '' : 'es'} failed; ${retry}.` : '';
  if (interrupted) {
    const why = interrupted.error ? ` (${interrupted.error}${interrupted.cause ? `: ${interrupted.cause}` : ''})` : '';
    const done = interrupted.resultsRead ? 'This report lists what its batches did before it stopped' : 'Its batches wrote no results, so what they did is not known here (their child executions show it)';
    const next = fleet.redriveCommand
      ? `Fix the cause, then redrive it (${fleet.redriveCommand}): the redrive reruns only what did not succeed and publishes the run's final ledger, which includes what is listed here.`
      : `It cannot be redriven${interrupted.notRedrivable ? ` (${interrupted.notRedrivable})` : ''}; the next scheduled run covers what is left.`;
    headline = ` The run ${STATUS_WORDS[interrupted.status]} before it finished${why}. ${done}. ${next}`;
    facts.push({ label: 'Run', value: `${interrupted.status}, not finished${interrupted.error ? ` (${interrupted.error})` : ''}` });
  } else if (fleet.redriveCount > 0) {
    headline += ` The run was redriven ${plural(fleet.redriveCount, 'time')}: this ledger covers the whole run and replaces the reports of its interruption.`;
  }
  return {
    facts,
    sections,
    links: [{ label: 'Step Functions execution', url: fleet.executionUrl }],
    headline,
    subjectNote: interrupted ? `run ${interrupted.status}, not finished` : '',
    resultsUnknown: interrupted !== undefined && !interrupted.resultsRead,
  };
}

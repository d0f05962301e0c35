import type { DocumentItem, DocumentSection, MessageDocument } from '../document';
import type { LifecycleLedgerNotice } from '../notices';
import { formatBytes, plural, shortDigest, upperFirst } from './format';
import { presentFleetRun } from './presentFleetRun';

/**
 * Lifecycle ledger → message: totals first, then one section per repository that changed, listing
 * every governance fix, every expired image (tags, digest, size, rule and reason), what the safety
 * rules kept, and every failure.
 *
 * @example
 * renderText(presentLifecycleLedger(notice)) // the email of the daily sweep
 */
export function presentLifecycleLedger(notice: LifecycleLedgerNotice): MessageDocument {
  const d = notice.data;
  const t = d.totals;
  const fleet = presentFleetRun(d.fleet);
  const verb = d.dryRun ? 'would expire' : 'expired';
  const fixVerb = d.dryRun ? 'would be fixed' : 'fixed';
  const part = d.part && d.part.count > 1 ? ` (part ${d.part.index} of ${d.part.count})` : '';
  const what = d.trigger === 'sweep' ? `Lifecycle sweep${d.dryRun ? ' (plan)' : ''}` : `Expiry on push${d.dryRun ? ' (plan)' : ''}`;
  const changed = d.repositories.filter((r) => r.governance.length > 0 || r.expired.length > 0 || r.failures.length > 0 || r.kept.length > 0 || r.error);

  const sections: DocumentSection[] = changed.map((repository) => {
    const items: DocumentItem[] = [];
    for (const change of repository.governance) items.push({ label: change.action, text: `${change.status}: ${change.reason}${change.message ? ` (${change.message})` : ''}` });
    for (const image of repository.expired) {
      items.push({
        label: shortDigest(image.imageDigest),
        text: `${image.imageTags.length > 0 ? image.imageTags.join(', ') : '(untagged)'} · ${image.sizeInBytes !== undefined ? formatBytes(image.sizeInBytes) : 'size unknown'} · pushed ${image.pushedAt.slice(0, 10)} · ${image.reason}`,
      });
    }
    for (const kept of repository.kept) items.push({ label: shortDigest(kept.imageDigest), text: `kept (${kept.reason}): ${kept.detail}` });
    for (const failure of repository.failures) {
      items.push({ label: failure.item.startsWith('sha256:') ? shortDigest(failure.item) : failure.item, text: `${failure.expected ? 'not deleted (expected)' : 'FAILED'}: ${failure.code} ${failure.reason}`.trim() });
    }
    if (repository.error) items.push({ text: `error: ${repository.error}` });
    const summary = [
      repository.expired.length > 0 ? `${repository.expired.length} ${verb}, ${formatBytes(repository.bytesReclaimed)}` : undefined,
      repository.governance.length > 0 ? `${plural(repository.governance.length, 'setting')} ${fixVerb}` : undefined,
      repository.transitionsLeftToEcr > 0 ? `${repository.transitionsLeftToEcr} to archive (left to ECR)` : undefined,
    ].filter((part): part is string => part !== undefined);
    return { title: `${repository.repositoryName} (class ${repository.repositoryClass})${summary.length > 0 ? `: ${summary.join('; ')}` : ''}`, items };
  });

  const headlineParts = [
    `${plural(t.imagesExpired, 'image')} ${verb} (${formatBytes(t.bytesReclaimed)} reclaimed)`,
    `${plural(t.governanceChanges, 'repository setting')} ${fixVerb}`,
    ...(t.keptBySafety > 0 ? [`${t.keptBySafety} kept by the safety rules`] : []),
    ...(t.failures > 0 ? [`${plural(t.failures, 'failure')}`] : []),
  ];
  if (fleet.resultsUnknown) {
    // Nothing was read, so nothing is claimed: no "0 images expired".
    return {
      subject: `${what} (${fleet.subjectNote}): what it did is unknown`,
      headline: `${what}:${fleet.headline}`,
      severity: notice.severity,
      facts: fleet.facts,
      sections: fleet.sections,
      links: fleet.links,
      footer: `notice ${notice.id}${notice.origin.eventId ? ` · event ${notice.origin.eventId}` : ''} · ${notice.origin.region}`,
      threadKey: `lifecycle:${notice.origin.region}:${notice.occurredAt.slice(0, 10)}`,
    };
  }
  return {
    subject: `${what}${fleet.subjectNote ? ` (${fleet.subjectNote})` : ''}: ${plural(t.imagesExpired, 'image')} ${verb} (${formatBytes(t.bytesReclaimed)})${t.governanceChanges > 0 ? `, ${t.governanceChanges} fixed` : ''}${part}`,
    headline:
      `${d.continuedFrom ? `${upperFirst(d.continuedFrom)}. ` : ''}${what} over ${plural(d.repositoriesScanned, 'repository')}${part}: ${headlineParts.join(', ')}.` +
      `${t.capReached ? ' The per-run deletion cap was reached; the rest waits for the next run.' : ''}` +
      `${d.stoppedEarly ? ` Stopped early: ${d.stoppedEarly}.` : ''}` +
      `${d.resume ? ` ${plural(d.resume.notFinished, 'repository')} not finished; the next run starts at ${d.resume.nextRepository}.` : ''}${fleet.headline}`,
    severity: notice.severity,
    facts: [
      { label: 'Repositories', value: `${d.repositoriesScanned} scanned, ${changed.length} with changes` },
      { label: d.dryRun ? 'Would expire' : 'Expired', value: `${t.imagesExpired} image(s), ${formatBytes(t.bytesReclaimed)}` },
      { label: 'Governance', value: `${t.governanceChanges} setting(s) ${fixVerb}` },
      ...(t.keptBySafety > 0 ? [{ label: 'Kept by safety rules', value: String(t.keptBySafety) }] : []),
      ...(t.failures > 0 ? [{ label: 'Failures', value: String(t.failures) }] : []),
      ...(t.capReached ? [{ label: 'Deletion cap', value: 'reached (lifecycle.maxDeletionsPerRun)' }] : []),
      ...fleet.facts,
      ...(d.continuedFrom ? [{ label: 'Continued', value: d.continuedFrom }] : []),
      ...(d.stoppedEarly ? [{ label: 'Stopped early', value: d.stoppedEarly }] : []),
      ...(d.resume ? [{ label: 'Not finished', value: `${plural(d.resume.notFinished, 'repository')}; the next run starts at ${d.resume.nextRepository}` }] : []),
    ],
    sections: [...fleet.sections, ...sections],
    links: fleet.links,
    footer: `notice ${notice.id}${notice.origin.eventId ? ` · event ${notice.origin.eventId}` : ''} · ${notice.origin.region}`,
    threadKey: `lifecycle:${notice.origin.region}:${notice.occurredAt.slice(0, 10)}`,
    sectionNoun: 'repository',
  };
}

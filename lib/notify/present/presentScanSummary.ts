import type { DocumentItem, DocumentSection, MessageDocument } from '../document';
import type { NoticeFinding, ScanSummaryNotice } from '../notices';
import { imageName, plural, shortDigest } from './format';

const SEVERITY_ORDER = ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW', 'INFORMATIONAL', 'UNDEFINED'] as const;

/**
 * Scan summary → message: verdict first, then counts, the most severe findings, and what is new or
 * fixed since the previous scanned image of the repository.
 *
 * @example
 * renderSlackMessage(presentScanSummary(notice))
 */
export function presentScanSummary(notice: ScanSummaryNotice): MessageDocument {
  const d = notice.data;
  const shownTags = d.reportedUnder ? d.reportedUnder.tags : d.tags;
  const name = imageName(d.repositoryName, shownTags, d.reportedUnder?.indexDigest ?? d.imageDigest);
  const platform = d.reportedUnder?.platform ? ` (${d.reportedUnder.platform})` : '';
  const counts = formatCounts(d.counts);
  const diff = d.comparison ? ` (${d.comparison.newCount} new, ${d.comparison.fixedCount} fixed)` : '';

  // A new finding among the top ones is marked there, and not listed again under "New".
  const newIds = new Set(d.comparison?.newFindings.map((finding) => finding.id) ?? []);
  const topIds = new Set(d.topFindings.map((finding) => finding.id));
  const sections: DocumentSection[] = [];
  if (d.topFindings.length > 0) {
    sections.push({
      title: 'Top findings',
      items: d.topFindings.map((finding) => findingItem(finding, newIds.has(finding.id))),
      omitted: Math.max(0, d.totalFindings - d.acceptedFindings - d.topFindings.length),
    });
  }
  const newElsewhere = d.comparison?.newFindings.filter((finding) => !topIds.has(finding.id)) ?? [];
  const newOmitted = d.comparison ? d.comparison.newCount - d.comparison.newFindings.length : 0;
  if (d.comparison && (newElsewhere.length > 0 || newOmitted > 0)) {
    sections.push({
      title: newElsewhere.length < d.comparison.newFindings.length ? 'Also new since the previous image' : 'New since the previous image',
      items: newElsewhere.map((finding) => findingItem(finding, false)),
      omitted: newOmitted,
    });
  }
  if (d.comparison && d.comparison.fixedFindings.length > 0) {
    sections.push({ title: 'Fixed since the previous image', items: d.comparison.fixedFindings.map((finding) => findingItem(finding, false)), omitted: d.comparison.fixedCount - d.comparison.fixedFindings.length });
  }

  const verdictReason = d.reasons.length > 0 ? `: ${d.reasons.join('; ')}` : '';
  const found = d.totalFindings === 0 ? 'found no vulnerabilities' : `found ${plural(d.totalFindings, 'finding')} (${counts})`;
  return {
    // The verdict's reason leads: it is what the reader acts on (the counts follow in the facts).
    subject: `${d.verdict} ${name}${platform}: ${d.reasons.length > 0 ? d.reasons.join('; ') : d.totalFindings === 0 ? 'no findings' : counts}${diff}`,
    headline: `Scan of ${name}${platform} ${found}${diff}. Verdict ${d.verdict}${verdictReason}.`,
    severity: notice.severity,
    facts: [
      { label: 'Verdict', value: d.verdict },
      { label: 'Repository', value: d.repositoryName },
      { label: 'Tags', value: shownTags.length > 0 ? shownTags.join(', ') : '(untagged)' },
      ...(d.reportedUnder
        ? [{ label: 'Platform', value: `${d.reportedUnder.platform ?? 'unknown'} image of index ${shortDigest(d.reportedUnder.indexDigest)}` }]
        : []),
      { label: 'Digest', value: d.imageDigest, code: true },
      { label: 'Scan', value: `${d.scanType === 'ENHANCED' ? 'enhanced (Inspector)' : 'basic'}, ${d.scanStatus}` },
      { label: 'Findings', value: d.totalFindings === 0 ? 'none' : counts },
      ...(d.acceptedFindings > 0 ? [{ label: 'Accepted', value: `${d.acceptedFindings} not counted (scan.acceptedFindings)` }] : []),
      ...(d.comparison
        ? [{ label: 'Compared with', value: `${imageName(d.repositoryName, d.comparison.previousTags, d.comparison.previousDigest)}: ${d.comparison.newCount} new, ${d.comparison.fixedCount} fixed` }]
        : [{ label: 'Compared with', value: 'no earlier scanned image in this repository' }]),
    ],
    sections,
    links: [{ label: 'Scan results in the ECR console', url: d.consoleUrl }],
    footer: `notice ${notice.id}${notice.origin.eventId ? ` · event ${notice.origin.eventId}` : ''} · ${notice.origin.region}`,
    threadKey: `${d.repositoryName}@${d.reportedUnder?.indexDigest ?? d.imageDigest}`,
  };
}

/** `2 CRITICAL, 5 HIGH, 1 MEDIUM` in severity order, zero counts left out. */
export function formatCounts(counts: Readonly<Record<string, number>>): string {
  const parts = SEVERITY_ORDER.filter((severity) => (counts[severity] ?? 0) > 0).map((severity) => `${counts[severity]} ${severity}`);
  return parts.length > 0 ? parts.join(', ') : 'none';
}

function findingItem(finding: NoticeFinding, isNew: boolean): DocumentItem {
  const pkg = finding.packageName ? ` ${finding.packageName}${finding.installedVersion ? ` ${finding.installedVersion}` : ''}` : '';
  const fix = finding.fixedVersion ? ` → fixed in ${finding.fixedVersion}` : finding.packageName ? ' (no fix yet)' : '';
  const item: DocumentItem = { label: finding.id, text: `${finding.severity}${isNew ? ' (new)' : ''}${pkg}${fix}` };
  if (finding.uri) item.url = finding.uri;
  return item;
}

import type { DocumentSection, MessageDocument } from '../document';
import type { PushSummaryNotice } from '../notices';
import { formatBytes, imageName, listWithMore, plural, shortDigest } from './format';

/**
 * Push summary → message: what was pushed, its platforms and size, and what governance changed.
 *
 * @example
 * renderText(presentPushSummary(notice))
 */
export function presentPushSummary(notice: PushSummaryNotice): MessageDocument {
  const d = notice.data;
  const name = imageName(d.repositoryName, d.tags, d.imageDigest);
  const platformNames = d.platforms.map((p) => p.platform);
  const multiArch = platformNames.length > 0 ? ` (${plural(platformNames.length, 'platform')})` : '';
  const size = d.sizeInBytes !== undefined ? formatBytes(d.sizeInBytes) : 'unknown size';
  const fixed = d.governance.filter((change) => change.status !== 'failed');
  const failed = d.governance.filter((change) => change.status === 'failed');
  const governanceSummary =
    d.repositoryClass === undefined
      ? 'No repository class matches this repository, so it is not governed.'
      : d.governance.length === 0
        ? `The repository already matches class ${d.repositoryClass}.`
        : `Governance (class ${d.repositoryClass}): ${plural(fixed.length, 'setting')} fixed${failed.length > 0 ? `, ${failed.length} failed` : ''}.`;

  const sections: DocumentSection[] = [];
  if (d.platforms.length > 0) {
    sections.push({
      title: 'Platforms',
      items: d.platforms.map((p) => ({ label: p.platform, text: `${shortDigest(p.digest)}${p.sizeInBytes !== undefined ? `, ${formatBytes(p.sizeInBytes)}` : ''}` })),
    });
  }
  if (d.governance.length > 0) {
    sections.push({
      title: 'Governance changes',
      items: d.governance.map((change) => ({
        label: change.action,
        text: `${change.status}: ${change.reason}${change.message ? ` (${change.message})` : ''}`,
      })),
    });
  }

  return {
    subject: `Pushed ${name}${multiArch}`,
    headline: `${name} was pushed: ${size}${platformNames.length > 0 ? `, ${listWithMore(platformNames, 4)}` : ''}. ${governanceSummary}`,
    severity: notice.severity,
    facts: [
      { label: 'Repository', value: d.repositoryName },
      { label: 'Tags', value: d.tags.length > 0 ? d.tags.join(', ') : '(untagged)' },
      { label: 'Digest', value: d.imageDigest, code: true },
      { label: 'Size', value: size },
      ...(platformNames.length > 0 ? [{ label: 'Platforms', value: platformNames.join(', ') }] : []),
      ...(d.repositoryClass ? [{ label: 'Class', value: d.repositoryClass }] : []),
      { label: 'Image', value: d.imageUri, code: true },
    ],
    sections,
    links: [{ label: 'Open in the ECR console', url: d.consoleUrl }],
    footer: `notice ${notice.id}${notice.origin.eventId ? ` · event ${notice.origin.eventId}` : ''} · ${notice.origin.region}`,
    threadKey: `${d.repositoryName}@${d.imageDigest}`,
  };
}

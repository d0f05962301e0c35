import type { DocumentItem, MessageDocument } from '../document';
import type { MirrorReportNotice } from '../notices';
import { formatBytes, plural, shortDigest } from './format';
import { presentFleetRun } from './presentFleetRun';

/**
 * Mirror report → message: what changed (old digest → new digest, platforms), what failed and why,
 * and the repositories created or fixed.
 *
 * @example
 * renderText(presentMirrorReport(notice))
 */
export function presentMirrorReport(notice: MirrorReportNotice): MessageDocument {
  const d = notice.data;
  const fleet = presentFleetRun(d.fleet);
  const copied = d.images.filter((image) => image.status === 'copied' || image.status === 'planned');
  const failed = d.images.filter((image) => image.status === 'failed');
  const unchanged = d.images.filter((image) => image.status === 'unchanged');
  const stopped = d.images.filter((image) => image.status === 'stopped');
  const verb = d.dryRun ? 'to copy' : 'copied';
  const line = (image: MirrorReportNotice['data']['images'][number]): DocumentItem => {
    const change = image.previousDigest
      ? `${shortDigest(image.previousDigest)} → ${image.digest ? shortDigest(image.digest) : 'new digest'}`
      : image.digest
        ? `new: ${shortDigest(image.digest)}`
        : 'new';
    const platforms = image.platforms.length > 0 ? ` · ${image.platforms.join(', ')}${image.newIndex ? ' (new index: platform subset)' : ''}` : '';
    const bytes = image.bytesCopied !== undefined ? ` · ${formatBytes(image.bytesCopied)} moved` : '';
    return { label: `${image.repository}:${image.tag}`, text: image.status === 'failed' ? `FAILED: ${image.reason}` : `${change}${platforms}${bytes} (from ${image.source}:${image.tag})` };
  };
  const sections = [
    ...(copied.length > 0 ? [{ title: d.dryRun ? 'Would copy' : 'Copied', items: copied.map(line) }] : []),
    ...(failed.length > 0 ? [{ title: 'Failed', items: failed.map(line) }] : []),
    ...(stopped.length > 0 ? [{ title: 'Not copied (the run stopped first)', items: stopped.map((image) => ({ label: `${image.repository}:${image.tag}`, text: image.reason })) }] : []),
    ...(unchanged.length > 0 ? [{ title: 'Unchanged', items: unchanged.map((image) => ({ label: `${image.repository}:${image.tag}`, text: `${image.digest ? shortDigest(image.digest) : ''} · ${image.platforms.join(', ')}` })) }] : []),
    ...(d.governance.length > 0 ? [{ title: 'Repositories', items: d.governance.map((change) => ({ label: `${change.action} ${change.target}`, text: `${change.status}: ${change.reason}` })) }] : []),
  ];
  if (fleet.resultsUnknown) {
    // Nothing was read, so nothing is claimed: no "0 images copied".
    return {
      subject: `Mirror (${fleet.subjectNote}): what it did is unknown`,
      headline: `Mirroring into ${d.registry || 'the registry'}:${fleet.headline}`,
      severity: notice.severity,
      facts: fleet.facts,
      sections: fleet.sections,
      links: fleet.links,
      footer: `notice ${notice.id}${notice.origin.eventId ? ` · event ${notice.origin.eventId}` : ''} · ${notice.origin.region}`,
      threadKey: `mirror:${d.registry}`,
    };
  }
  return {
    subject: `Mirror${d.dryRun ? ' (plan)' : ''}${fleet.subjectNote ? ` (${fleet.subjectNote})` : ''}: ${plural(copied.length, 'image')} ${verb}${failed.length > 0 ? `, ${failed.length} failed` : ''}${stopped.length > 0 ? `, ${stopped.length} not copied` : ''}, ${unchanged.length} unchanged`,
    headline:
      `Mirroring into ${d.registry}: ${plural(copied.length, 'image')} ${verb}, ${unchanged.length} unchanged${failed.length > 0 ? `, ${failed.length} failed` : ''}.` +
      `${d.stoppedEarly ? ` Stopped early (${d.stoppedEarly}): ${plural(stopped.length, 'image')} not copied; the next run copies them.` : ''}${fleet.headline}`,
    severity: notice.severity,
    facts: [
      { label: 'Registry', value: d.registry },
      { label: d.dryRun ? 'Would copy' : 'Copied', value: String(copied.length) },
      { label: 'Unchanged', value: String(unchanged.length) },
      ...(failed.length > 0 ? [{ label: 'Failed', value: String(failed.length) }] : []),
      ...fleet.facts,
      ...(stopped.length > 0 ? [{ label: 'Not copied', value: String(stopped.length) }] : []),
    ],
    sections: [...fleet.sections, ...sections],
    links: fleet.links,
    footer: `notice ${notice.id}${notice.origin.eventId ? ` · event ${notice.origin.eventId}` : ''} · ${notice.origin.region}`,
    threadKey: `mirror:${d.registry}`,
  };
}

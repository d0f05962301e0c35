import type { MessageDocument } from '../document';

/**
 * Plain text for email and the SNS `default` key: readable in any mail client, no markup.
 *
 * @example
 * renderText(presentNotice(notice)).split('\n')[0] // the headline
 */
export function renderText(doc: MessageDocument): string {
  const lines: string[] = [doc.headline, ''];
  const width = Math.max(0, ...doc.facts.map((fact) => fact.label.length));
  for (const fact of doc.facts) lines.push(`${`${fact.label}:`.padEnd(width + 2)}${fact.value}`);
  for (const section of doc.sections) {
    lines.push('', `${section.title}:`);
    for (const item of section.items) {
      const label = item.label ? `${item.label} ` : '';
      lines.push(`  - ${label}${item.text}${item.url ? ` <${item.url}>` : ''}`);
    }
    if (section.omitted && section.omitted > 0) lines.push(`  … and ${section.omitted} more`);
  }
  if (doc.links.length > 0) {
    lines.push('');
    for (const link of doc.links) lines.push(`${link.label}: ${link.url}`);
  }
  lines.push('', `-- ecr-autopilot · ${doc.footer}`);
  return lines.join('\n');
}

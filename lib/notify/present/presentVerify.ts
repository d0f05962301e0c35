import type { DocumentSection, MessageDocument } from '../document';
import type { VerifyChecklistNotice, VerifyTestNotice } from '../notices';

const MARK = { fail: '✗', warn: '!', pass: '✓', skipped: '–' } as const;
const RANK = { fail: 0, warn: 1, pass: 2, skipped: 3 } as const;

/**
 * Lab checklist → message: one section per lab step, the sections with failures first and, within
 * a section, failures first; each item says what was expected, what was found, and the fix.
 *
 * @example
 * renderSlackMessage(presentVerifyChecklist(notice)) // one block per section
 */
export function presentVerifyChecklist(notice: VerifyChecklistNotice): MessageDocument {
  const d = notice.data;
  const bySection = new Map<string, VerifyChecklistNotice['data']['items']>();
  for (const item of d.items) bySection.set(item.section, [...(bySection.get(item.section) ?? []), item]);
  const worst = (items: VerifyChecklistNotice['data']['items']) => [...items].sort((a, b) => RANK[a.status] - RANK[b.status])[0]?.status ?? 'pass';
  const sections: DocumentSection[] = [...bySection.entries()]
    .sort(([, a], [, b]) => RANK[worst(a)] - RANK[worst(b)])
    .map(([section, items]) => ({
      title: `${MARK[worst(items)]} ${section}`,
      items: [...items]
        .sort((a, b) => RANK[a.status] - RANK[b.status])
        .map((item) => ({
          label: `${MARK[item.status]} ${item.title}`,
          text: item.status === 'pass' || item.status === 'skipped' ? item.found : `expected ${item.expected}; found ${item.found}${item.fix ? `. Fix: ${item.fix}` : ''}`,
        })),
    }));
  const c = d.counts;
  return {
    subject: `Lab check ${d.passed ? 'passed' : 'FAILED'}: ${c.pass} pass, ${c.fail} fail, ${c.warn} warn, ${c.skipped} skipped`,
    headline: d.passed
      ? `The ECR lab (${d.stackName}) is set up: every check passed${c.warn > 0 ? ` (${c.warn} warning(s))` : ''}.`
      : `The ECR lab (${d.stackName}) is not complete: ${c.fail} check(s) failed; each says how to fix it.`,
    severity: d.passed ? (c.warn > 0 ? 'warning' : 'info') : 'critical',
    facts: [
      { label: 'Result', value: d.passed ? 'PASS' : 'FAIL' },
      { label: 'Checks', value: `${c.pass} pass, ${c.fail} fail, ${c.warn} warn, ${c.skipped} skipped` },
      { label: 'Stack', value: d.stackName },
    ],
    sections,
    links: [],
    footer: `notice ${notice.id} · ${notice.origin.region}`,
    threadKey: `verify:${d.stackName}`,
  };
}

/** The notification-path test message. */
export function presentVerifyTest(notice: VerifyTestNotice): MessageDocument {
  return {
    subject: `Notification test from ${notice.data.stackName}`,
    headline: `If you can read this, notifications from ${notice.data.stackName} reach you (sent ${notice.data.sentAt} by the lab check).`,
    severity: 'info',
    facts: [{ label: 'Stack', value: notice.data.stackName }],
    sections: [],
    links: [],
    footer: `notice ${notice.id} · ${notice.origin.region}`,
    threadKey: `verify:${notice.data.stackName}`,
  };
}

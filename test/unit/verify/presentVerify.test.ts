import { describe, expect, it } from 'vitest';
import type { VerifyChecklistNotice } from '../../../lib/notify/notices';
import { presentNotice } from '../../../lib/notify/present/presentNotice';
import { presentVerifyChecklist } from '../../../lib/notify/present/presentVerify';
import { renderSlackMessage } from '../../../lib/notify/render/renderSlackMessage';
import { summarize } from '../../../lib/verify/runLabChecklist';
import type { CheckResult } from '../../../lib/verify/types';
import { NOW, STACK } from './verifyFixtures';

function check(section: CheckResult['section'], id: string, status: CheckResult['status'], fix?: string): CheckResult {
  return { id, section, title: `Title ${id}`, status, expected: `expected ${id}`, found: `found ${id}`, ...(fix ? { fix } : {}) };
}

/** Items in section order, as verifyLab publishes them: two sections fail, one warns, one is only skipped. */
const ITEMS: CheckResult[] = [
  check('Mirrored images', 'repo-a', 'pass'),
  check('Mirrored images', 'image-a', 'pass'),
  check('Pull-through cache', 'ptc-ok', 'pass'),
  check('Pull-through cache', 'ptc-auto', 'warn', 'pull any image'),
  check('Pull-through cache', 'ptc-k8s', 'fail', 'ecr-autopilot ptc sync'),
  check('Scanning', 'scanning', 'pass'),
  check('Event rules', 'rule-push', 'pass'),
  check('Event rules', 'rule-sweep', 'fail', 'aws events enable-rule --name x'),
  check('Notifications', 'subscriptions', 'warn', 'confirm it'),
  check('Notifications', 'notification-path', 'skipped'),
  check('Pull permissions', 'pull-permissions', 'skipped'),
];

function checklistNotice(items: CheckResult[] = ITEMS): VerifyChecklistNotice {
  const report = summarize(items);
  return {
    id: `verify-${NOW.toISOString()}:verify.checklist`,
    kind: 'verify.checklist',
    severity: report.passed ? 'info' : 'critical',
    occurredAt: NOW.toISOString(),
    origin: { eventId: `verify-${NOW.toISOString()}`, region: 'ap-northeast-2', account: '123456789012' },
    data: { passed: report.passed, stackName: STACK, counts: report.counts, items: report.items },
  };
}

describe('presentVerifyChecklist', () => {
  it('puts the sections with failures first, then warnings, then passes, then skipped-only sections', () => {
    // Act
    const doc = presentVerifyChecklist(checklistNotice());

    // Assess
    expect(doc.sections.map((section) => section.title)).toEqual(['✗ Pull-through cache', '✗ Event rules', '! Notifications', '✓ Mirrored images', '✓ Scanning', '– Pull permissions']);
  });

  it('puts failures first within a section, and says expected, found and the fix for failures and warnings', () => {
    // Act
    const doc = presentVerifyChecklist(checklistNotice());

    // Assess
    const ptc = doc.sections[0];
    expect(ptc?.items.map((item) => item.label)).toEqual(['✗ Title ptc-k8s', '! Title ptc-auto', '✓ Title ptc-ok']);
    expect(ptc?.items[0]?.text).toBe('expected expected ptc-k8s; found found ptc-k8s. Fix: ecr-autopilot ptc sync');
    expect(ptc?.items[2]?.text).toBe('found ptc-ok');
  });

  it('headlines a failed lab as critical with the counts, and a passed lab with warnings as a warning', () => {
    // Act
    const failed = presentVerifyChecklist(checklistNotice());
    const passed = presentVerifyChecklist(checklistNotice(ITEMS.filter((item) => item.status !== 'fail')));

    // Assess
    expect(failed).toMatchObject({ severity: 'critical', subject: 'Lab check FAILED: 5 pass, 2 fail, 2 warn, 2 skipped' });
    expect(failed.headline).toBe(`The ECR lab (${STACK}) is not complete: 2 check(s) failed; each says how to fix it.`);
    expect(passed).toMatchObject({ severity: 'warning', subject: 'Lab check passed: 5 pass, 0 fail, 2 warn, 2 skipped' });
    expect(presentNotice(checklistNotice())).toEqual(failed);
  });
});

describe('renderSlackMessage(presentVerifyChecklist(…))', () => {
  it('has one section block per checklist section, failures first', () => {
    // Act
    const message = renderSlackMessage(presentVerifyChecklist(checklistNotice()));

    // Assess
    const headings = message.blocks
      .filter((block) => block.type === 'section' && block.text?.text.startsWith('*'))
      .map((block) => block.text?.text.split('\n')[0]);
    expect(headings).toEqual(['*✗ Pull-through cache*', '*✗ Event rules*', '*! Notifications*', '*✓ Mirrored images*', '*✓ Scanning*', '*– Pull permissions*']);
    const ptcBlock = message.blocks.find((block) => block.text?.text.startsWith('*✗ Pull-through cache*'));
    expect(ptcBlock?.text?.text.split('\n').slice(1)).toEqual([
      '• *✗ Title ptc-k8s* expected expected ptc-k8s; found found ptc-k8s. Fix: `ecr-autopilot ptc sync`',
      '• *! Title ptc-auto* expected expected ptc-auto; found found ptc-auto. Fix: pull any image',
      '• *✓ Title ptc-ok* found ptc-ok',
    ]);
  });
});

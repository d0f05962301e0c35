import type { MessageDocument } from '../document';
import type { Notice } from '../notices';
import { plural } from './format';
import { presentLifecycleLedger } from './presentLifecycleLedger';
import { presentMirrorReport } from './presentMirrorReport';
import { presentVerifyChecklist, presentVerifyTest } from './presentVerify';
import { presentPtcCreated } from './presentPtcCreated';
import { presentPtcFailure } from './presentPtcFailure';
import { presentPtcSync } from './presentPtcSync';
import { presentPushSummary } from './presentPushSummary';
import { presentScanSummary } from './presentScanSummary';

/**
 * The presenter for any notice. Adding a notice kind means adding its schema to `notices.ts` and a
 * case here; the compiler points at this switch until it is handled.
 */
export function presentNotice(notice: Notice): MessageDocument {
  const document = presentKind(notice);
  return notice.repeats ? withRepeats(document, notice.repeats) : document;
}

/**
 * A notice that stands for repeats says how many were suppressed, and since when, so a storm of
 * failed pulls reads as one message with a count.
 */
function withRepeats(document: MessageDocument, repeats: NonNullable<Notice['repeats']>): MessageDocument {
  const told = `${plural(repeats.suppressed, 'similar notice')} suppressed since ${repeats.since} (one per ${formatWindow(repeats.windowSeconds)})`;
  return {
    ...document,
    headline: `${document.headline} ${told}.`,
    facts: [...document.facts, { label: 'Repeats', value: told }],
  };
}

function formatWindow(seconds: number): string {
  if (seconds % 86_400 === 0) return seconds === 86_400 ? 'day' : `${seconds / 86_400} days`;
  if (seconds % 3600 === 0) return seconds === 3600 ? 'hour' : `${seconds / 3600} hours`;
  return `${Math.round(seconds / 60)} minutes`;
}

function presentKind(notice: Notice): MessageDocument {
  switch (notice.kind) {
    case 'push.summary':
      return presentPushSummary(notice);
    case 'scan.summary':
      return presentScanSummary(notice);
    case 'ptc.created':
      return presentPtcCreated(notice);
    case 'ptc.failure':
      return presentPtcFailure(notice);
    case 'ptc.sync':
      return presentPtcSync(notice);
    case 'lifecycle.ledger':
      return presentLifecycleLedger(notice);
    case 'mirror.report':
      return presentMirrorReport(notice);
    case 'verify.checklist':
      return presentVerifyChecklist(notice);
    case 'verify.test':
      return presentVerifyTest(notice);
  }
}

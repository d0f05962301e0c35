import type { MessageDocument } from '../document';
import type { Notice } from '../notices';
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

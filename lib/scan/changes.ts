import type { Change } from '../plan/types';
import type { ScanVerdict } from './judgeScan';

/** `source` and `detail-type` of the verdict events we put on the bus. */
export const VERDICT_SOURCE = 'ecr-autopilot';
export const VERDICT_DETAIL_TYPE = 'Image Scan Verdict';

/** The `detail` of an `Image Scan Verdict` event: a public contract for rules that react to verdicts. */
export interface ScanVerdictDetail {
  verdict: ScanVerdict;
  reasons: string[];
  'repository-name': string;
  'registry-id': string;
  'image-digest': string;
  'image-tags': string[];
  /** Set when the scan was of a platform manifest reported under its index. */
  'index-digest'?: string;
  platform?: string;
  'scan-type': 'BASIC' | 'ENHANCED';
  'finding-severity-counts': Record<string, number>;
  'total-findings': number;
  'new-findings'?: number;
  'fixed-findings'?: number;
  'source-event-id': string;
}

export interface PutVerdictEventChange extends Change {
  action: 'events:PutEvents';
  /** The event bus name or ARN. */
  target: string;
  detail: ScanVerdictDetail;
  /** The repository ARN, for the event's `resources`. */
  resource: string;
}

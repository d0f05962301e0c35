import type { ScanSettings, SeverityThresholds } from '../config/types';
import type { Severity } from '../events/primitives';

export type ScanVerdict = 'PASS' | 'WARN' | 'FAIL';

const ORDER: readonly Severity[] = ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW', 'INFORMATIONAL', 'UNDEFINED'];

/**
 * Applies the configured thresholds: FAIL when any count is above its `failAbove` value, else WARN
 * when any is above its `warnAbove` value, else PASS. Each reason names the severity and the limit.
 *
 * @example
 * judgeScan({ CRITICAL: 2, HIGH: 0, ... }, { failAbove: { CRITICAL: 0 }, warnAbove: { HIGH: 10 } })
 * // { verdict: 'FAIL', reasons: ['2 CRITICAL > 0 allowed'] }
 */
export function judgeScan(counts: Readonly<Record<Severity, number>>, settings: Pick<ScanSettings, 'failAbove' | 'warnAbove'>): { verdict: ScanVerdict; reasons: string[] } {
  const fail = breaches(counts, settings.failAbove);
  if (fail.length > 0) return { verdict: 'FAIL', reasons: fail };
  const warn = breaches(counts, settings.warnAbove);
  if (warn.length > 0) return { verdict: 'WARN', reasons: warn };
  return { verdict: 'PASS', reasons: [] };
}

function breaches(counts: Readonly<Record<Severity, number>>, thresholds: SeverityThresholds): string[] {
  return ORDER.flatMap((severity) => {
    const limit = thresholds[severity];
    const count = counts[severity];
    return limit !== undefined && count > limit ? [`${count} ${severity} > ${limit} allowed`] : [];
  });
}

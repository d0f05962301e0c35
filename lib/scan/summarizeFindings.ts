import type { ScanSettings } from '../config/types';
import { compileRepositoryGlobs } from '../config/repositoryGlob';
import type { Finding } from '../ecr/types';
import { SEVERITIES, type Severity } from '../events/primitives';

const SEVERITY_RANK: Record<Severity, number> = { CRITICAL: 0, HIGH: 1, MEDIUM: 2, LOW: 3, INFORMATIONAL: 4, UNDEFINED: 5 };

/** Most severe first; then highest score; then findings with a fix (actionable) first; then by id. */
export function compareFindings(a: Finding, b: Finding): number {
  return (
    SEVERITY_RANK[a.severity] - SEVERITY_RANK[b.severity] ||
    (b.score ?? -1) - (a.score ?? -1) ||
    Number(b.fixedVersion !== undefined) - Number(a.fixedVersion !== undefined) ||
    a.id.localeCompare(b.id) ||
    (a.packageName ?? '').localeCompare(b.packageName ?? '')
  );
}

/** The identity of a finding across images: the vulnerability in a package (versions change when fixed). */
export function findingKey(finding: Finding): string {
  return `${finding.id}|${finding.packageName ?? ''}`;
}

export interface FindingsSummary {
  counts: Record<Severity, number>;
  total: number;
  /** Findings counted (accepted ones removed), sorted most severe first. */
  counted: Finding[];
  accepted: Finding[];
}

/**
 * Counts findings by severity after removing accepted ones (`scan.acceptedFindings` for this
 * repository that have not expired), and sorts the rest most severe first.
 *
 * @example
 * summarizeFindings(findings, config.scan, 'team-a/api', new Date()).counts.CRITICAL
 */
export function summarizeFindings(findings: readonly Finding[], settings: Pick<ScanSettings, 'acceptedFindings'>, repositoryName: string, now: Date): FindingsSummary {
  const today = now.toISOString().slice(0, 10);
  const acceptedIds = new Set(
    settings.acceptedFindings
      .filter((accepted) => (accepted.expires === undefined || accepted.expires >= today) && (!accepted.repositories || compileRepositoryGlobs(accepted.repositories)(repositoryName)))
      .map((accepted) => accepted.id),
  );
  const counted: Finding[] = [];
  const accepted: Finding[] = [];
  for (const finding of findings) (acceptedIds.has(finding.id) ? accepted : counted).push(finding);
  counted.sort(compareFindings);
  const counts = Object.fromEntries(SEVERITIES.map((severity) => [severity, 0])) as Record<Severity, number>;
  for (const finding of counted) counts[finding.severity] += 1;
  return { counts, total: counted.length, counted, accepted };
}

/**
 * What is new in `current` and what was fixed since `previous`, by vulnerability and package.
 *
 * @example
 * diffFindings(current, previous).added.length // findings the new image introduced
 */
export function diffFindings(current: readonly Finding[], previous: readonly Finding[]): { added: Finding[]; fixed: Finding[] } {
  const before = new Set(previous.map(findingKey));
  const after = new Set(current.map(findingKey));
  return {
    added: uniqueBy(current.filter((finding) => !before.has(findingKey(finding)))).sort(compareFindings),
    fixed: uniqueBy(previous.filter((finding) => !after.has(findingKey(finding)))).sort(compareFindings),
  };
}

function uniqueBy(findings: readonly Finding[]): Finding[] {
  const seen = new Set<string>();
  return findings.filter((finding) => {
    const key = findingKey(finding);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

import { scanResultsConsoleUrl } from '../ecr/consoleLinks';
import type { Finding } from '../ecr/types';
import { AutopilotError, hasErrorCode } from '../errors';
import { noticeOriginOf, publishNotice } from '../notify/changes';
import type { NoticeFinding, NoticeSeverity, ScanSummaryNotice } from '../notify/notices';
import { applyChanges } from '../plan/applyChanges';
import { sentence } from '../shared/sentence';
import type { AppliedChange, Change } from '../plan/types';
import type { AutopilotDeps, FunctionReport } from '../runtime/types';
import { outcomeOf } from '../runtime/types';
import type { PutVerdictEventChange, ScanVerdictDetail } from './changes';
import { judgeScan, type ScanVerdict } from './judgeScan';
import { findBaseline, locateScannedImage } from './locateScannedImage';
import { toCompletedScan, type CompletedScan, type ImageScanEvent } from './scanEvent';
import { diffFindings, summarizeFindings } from './summarizeFindings';

/** New/fixed lists in a notice are capped: the counts stay exact. */
const MAX_DIFF_FINDINGS = 10;

export type ScanDeps = Pick<AutopilotDeps, 'config' | 'registry' | 'writer' | 'topicArn' | 'eventBusName' | 'clock' | 'logger'> & Partial<Pick<AutopilotDeps, 'signal'>>;

const NOTICE_SEVERITY: Record<ScanVerdict, NoticeSeverity> = { PASS: 'info', WARN: 'warning', FAIL: 'critical' };

/**
 * `onImageScan`: summarises a finished scan, judges it, and tells people and systems.
 *
 * Input: an `ECR Image Scan` or `Inspector2 Scan` event. Output: a report with the verdict event and
 * the notification as changes.
 * 1. Read every finding of the image (all pages) and drop accepted ones.
 * 2. Find where the image belongs: an untagged platform manifest is reported under the tag and
 *    platform of the index that references it.
 * 3. Compare with the previous scanned image of the repository (same platform for indexes): new and
 *    fixed findings.
 * 4. Apply the configured thresholds: PASS, WARN or FAIL.
 * 5. Put an `Image Scan Verdict` event on the bus, and publish the summary (subject to
 *    `notifications.scanSummaries`).
 *
 * @example
 * const report = await reportImageScan(parseEvent(ImageScanEvent, raw, 'scan event'), deps);
 */
export async function reportImageScan(event: ImageScanEvent, deps: ScanDeps): Promise<FunctionReport> {
  const base = { function: 'onImageScan', eventId: event.id };
  const scan = toCompletedScan(event);
  if ('ignored' in scan) return { ...base, outcome: 'ignored', decision: sentence(`Ignored ${event['detail-type']}: ${scan.ignored}`), changes: [] };
  try {
    return await reportCompletedScan(scan, deps, base);
  } catch (error) {
    // The image (or its repository) was deleted between the scan and this event: nothing to report.
    if (hasErrorCode(error, 'REPOSITORY_NOT_FOUND') || hasErrorCode(error, 'IMAGE_NOT_FOUND')) {
      return { ...base, outcome: 'ignored', decision: sentence(`Ignored the scan of ${scan.repositoryName}@${scan.imageDigest}: ${(error as Error).message}`), changes: [] };
    }
    throw error;
  }
}

async function reportCompletedScan(scan: CompletedScan, deps: ScanDeps, base: { function: string; eventId: string }): Promise<FunctionReport> {
  const { registry, config } = deps;

  let findings: Finding[] = [];
  let scanType = scan.scanType;
  const status = scan.status;
  if (scan.complete) {
    const result = await registry.getImageScan(scan.repositoryName, scan.imageDigest, { signal: deps.signal });
    if (!result) {
      // The event says the scan finished, but its findings are not readable yet: retrying later helps.
      throw new AutopilotError('SCAN_NOT_FOUND', `No scan findings for ${scan.repositoryName}@${scan.imageDigest} yet, although the event reports ${scan.status}; the invocation will be retried`, {
        retryable: true,
      });
    }
    findings = result.findings;
    // A registry on enhanced scanning returns Inspector findings whichever event announced them.
    if (result.scanType === 'ENHANCED') scanType = 'ENHANCED';
  }

  const summary = summarizeFindings(findings, config.scan, scan.repositoryName, deps.clock());
  const context = await locateScannedImage(registry, scan.repositoryName, scan.imageDigest, { signal: deps.signal });
  const baseline = scan.complete ? await findBaseline(registry, scan.repositoryName, context, { signal: deps.signal }) : undefined;
  const diff = baseline ? diffFindings(summary.counted, summarizeFindings(baseline.scan.findings, config.scan, scan.repositoryName, deps.clock()).counted) : undefined;

  const judged = scan.complete ? judgeScan(summary.counts, config.scan) : { verdict: 'WARN' as const, reasons: [`scan status ${status}: no findings could be read`] };
  const tags = scan.imageTags.length > 0 ? scan.imageTags : (context.current?.imageTags ?? []);
  const changes: Change[] = [verdictEvent({ ...scan, scanType }, deps, judged, summary.counts, summary.total, tags, context.index, diff)];

  if (shouldNotify(config.notifications.scanSummaries, judged.verdict, summary.total)) {
    const notice = scanNotice(scan, { scanType, status, tags, judged, summary, context, baseline, diff, topFindings: config.scan.topFindings });
    changes.push(publishNotice(deps.topicArn, notice, `scan summary for ${scan.repositoryName}`));
  }
  const applied: AppliedChange[] = await applyChanges(deps.writer, changes, { signal: deps.signal });

  const where = context.index ? `${scan.repositoryName}:${context.index.tags[0] ?? 'untagged'} (${context.index.platform ?? 'unknown platform'})` : `${scan.repositoryName}${tags[0] ? `:${tags[0]}` : `@${scan.imageDigest}`}`;
  const decision = `Scan of ${where}: ${summary.total} finding(s)${summary.accepted.length > 0 ? ` (+${summary.accepted.length} accepted)` : ''}, verdict ${judged.verdict}${judged.reasons.length > 0 ? ` (${judged.reasons.join('; ')})` : ''}${diff ? `; ${diff.added.length} new, ${diff.fixed.length} fixed since ${baseline?.imageDigest.slice(0, 19)}` : '; no earlier scanned image to compare'}.`;
  return { ...base, outcome: outcomeOf(applied), decision, changes: applied, verdict: judged.verdict };
}

function shouldNotify(mode: 'always' | 'findings' | 'warnOrFail', verdict: ScanVerdict, total: number): boolean {
  if (mode === 'always') return true;
  if (mode === 'findings') return total > 0 || verdict !== 'PASS';
  return verdict !== 'PASS';
}

function verdictEvent(
  scan: CompletedScan,
  deps: Pick<ScanDeps, 'eventBusName' | 'registry'>,
  judged: { verdict: ScanVerdict; reasons: string[] },
  counts: Record<string, number>,
  total: number,
  tags: string[],
  index: { digest: string; tags: string[]; platform: string | undefined } | undefined,
  diff: { added: Finding[]; fixed: Finding[] } | undefined,
): PutVerdictEventChange {
  const detail: ScanVerdictDetail = {
    verdict: judged.verdict,
    reasons: judged.reasons,
    'repository-name': scan.repositoryName,
    'registry-id': scan.registryId,
    'image-digest': scan.imageDigest,
    'image-tags': index ? index.tags : tags,
    'scan-type': scan.scanType,
    'finding-severity-counts': counts,
    'total-findings': total,
    'source-event-id': scan.origin.eventId,
  };
  if (index) {
    detail['index-digest'] = index.digest;
    if (index.platform) detail.platform = index.platform;
  }
  if (diff) {
    detail['new-findings'] = diff.added.length;
    detail['fixed-findings'] = diff.fixed.length;
  }
  return {
    action: 'events:PutEvents',
    target: deps.eventBusName,
    reason: `verdict ${judged.verdict} for ${scan.repositoryName}@${scan.imageDigest.slice(0, 19)}`,
    detail,
    resource: `arn:aws:ecr:${scan.origin.region}:${scan.registryId}:repository/${scan.repositoryName}`,
  };
}

function toNoticeFinding(finding: Finding): NoticeFinding {
  return { ...finding };
}

function scanNotice(
  scan: CompletedScan,
  facts: {
    scanType: 'BASIC' | 'ENHANCED';
    status: string;
    tags: string[];
    judged: { verdict: ScanVerdict; reasons: string[] };
    summary: ReturnType<typeof summarizeFindings>;
    context: Awaited<ReturnType<typeof locateScannedImage>>;
    baseline: Awaited<ReturnType<typeof findBaseline>>;
    diff: { added: Finding[]; fixed: Finding[] } | undefined;
    topFindings: number;
  },
): ScanSummaryNotice {
  const { summary, context, baseline, diff, judged } = facts;
  const data: ScanSummaryNotice['data'] = {
    repositoryName: scan.repositoryName,
    registryId: scan.registryId,
    imageDigest: scan.imageDigest,
    tags: facts.tags,
    scanType: facts.scanType,
    scanStatus: facts.status,
    verdict: judged.verdict,
    reasons: judged.reasons,
    counts: summary.counts,
    totalFindings: summary.total,
    acceptedFindings: summary.accepted.length,
    topFindings: summary.counted.slice(0, facts.topFindings).map(toNoticeFinding),
    consoleUrl: scanResultsConsoleUrl(scan.origin.region, scan.registryId, scan.repositoryName, scan.imageDigest),
  };
  if (context.index) {
    data.reportedUnder = { indexDigest: context.index.digest, tags: context.index.tags, ...(context.index.platform ? { platform: context.index.platform } : {}) };
  }
  if (baseline && diff) {
    data.comparison = {
      previousDigest: baseline.imageDigest,
      previousTags: baseline.tags,
      newCount: diff.added.length,
      fixedCount: diff.fixed.length,
      newFindings: diff.added.slice(0, MAX_DIFF_FINDINGS).map(toNoticeFinding),
      fixedFindings: diff.fixed.slice(0, MAX_DIFF_FINDINGS).map(toNoticeFinding),
    };
  }
  return {
    id: `${scan.origin.eventId}:scan.summary`,
    kind: 'scan.summary',
    severity: NOTICE_SEVERITY[judged.verdict],
    repository: scan.repositoryName,
    occurredAt: scan.origin.time,
    origin: noticeOriginOf(scan.origin),
    data,
  };
}

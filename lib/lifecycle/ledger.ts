import { toNoticeChange } from '../notify/changes';
import type { FleetRunSummary, LedgerImage, LifecycleLedgerNotice } from '../notify/notices';
import type { AppliedChange } from '../plan/types';
import type { RepositoryExpiry } from './expireRepository';

/** Images per ledger notice, at most (the byte budget below usually splits sooner). */
export const MAX_LEDGER_IMAGES_PER_NOTICE = 250;
/**
 * Bytes of ledger JSON per notice. `renderSnsMessage` carries the notice JSON up to five times
 * (email-json, lambda, sqs, and https/http when they receive the notice), escaped once more, plus
 * the readable text twice; SNS takes at most 256 KiB. 250 images with long tags, or many per-image
 * failures, would not fit, so parts are also cut by size: 30 KiB keeps a part under the limit
 * without cutting its text.
 */
export const MAX_LEDGER_BYTES_PER_NOTICE = 30 * 1024;
/** Safety-kept images listed per repository; the rest are counted. */
const MAX_KEPT_LISTED = 50;

/** What a lifecycle run did to one repository. */
export interface RepositoryLifecycleResult {
  repositoryName: string;
  repositoryClass: string;
  governance: AppliedChange[];
  expiry?: RepositoryExpiry;
  /** A failure that stopped this repository (the run went on with the others). */
  error?: string;
  /** The run's stop cut it short (a read abandoned, a change or deletion not made): sweep it again first. */
  unfinished?: boolean;
}

export interface LedgerContext {
  trigger: 'sweep' | 'push';
  dryRun: boolean;
  repositoriesScanned: number;
  capReached: boolean;
  /** Why the run stopped before its end (its deadline, Ctrl-C). */
  stoppedEarly?: string;
  /** "continued from team-b/api, where run … stopped at …": this run resumed a stopped one. */
  continuedFrom?: string;
  /** Where the next run starts, and how many repositories this one did not finish. */
  resume?: { nextRepository: string; notFinished: number };
  /** Stable per run, so a duplicate delivery publishes the same notice ids. */
  idBase: string;
  occurredAt: string;
  origin: LifecycleLedgerNotice['origin'];
}

/**
 * The deletion ledger of a run as one notice, or as numbered parts when it lists more images than
 * fit in one message. Every part carries the run's totals.
 *
 * @example
 * for (const notice of buildLedgerNotices(results, context)) changes.push(publishNotice(topicArn, notice, 'lifecycle ledger'));
 */
export function buildLedgerNotices(results: readonly RepositoryLifecycleResult[], context: LedgerContext): LifecycleLedgerNotice[] {
  return composeLedgerNotices(results.map(toLedgerRepository), ledgerTotals(results, context.capReached), context);
}

export type LedgerRepository = LifecycleLedgerNotice['data']['repositories'][number];
export type LedgerTotals = LifecycleLedgerNotice['data']['totals'];

/** The run's totals, counted over every repository (not only the parts a notice lists). */
export function ledgerTotals(results: readonly RepositoryLifecycleResult[], capReached: boolean): LedgerTotals {
  const repositories = results.map(toLedgerRepository);
  return {
    governanceChanges: repositories.reduce((n, r) => n + r.governance.filter((change) => change.status !== 'failed').length, 0),
    imagesExpired: repositories.reduce((n, r) => n + r.expired.length, 0),
    bytesReclaimed: repositories.reduce((n, r) => n + r.bytesReclaimed, 0),
    failures: repositories.reduce((n, r) => n + r.failures.filter((f) => !f.expected).length + r.governance.filter((c) => c.status === 'failed').length + (r.error ? 1 : 0), 0),
    keptBySafety: results.reduce((n, r) => n + (r.expiry?.kept.filter((kept) => kept.reason !== 'cap-reached' && kept.reason !== 'run-stopped').length ?? 0), 0),
    capReached,
  };
}

/**
 * The ledger notices of already summarised repositories and totals: what a fleet run's aggregate
 * builds from its batches' results. Parts as in `buildLedgerNotices`.
 */
export function composeLedgerNotices(
  repositories: readonly LedgerRepository[],
  totals: LedgerTotals,
  context: LedgerContext & { fleet?: FleetRunSummary; severity?: LifecycleLedgerNotice['severity'] },
): LifecycleLedgerNotice[] {
  const parts = splitIntoParts(repositories);
  const hasProblems = totals.failures > 0 || (context.fleet?.batches.failed ?? 0) > 0;
  return parts.map((repositoriesOfPart, index) => {
    const data: LifecycleLedgerNotice['data'] = {
      trigger: context.trigger,
      dryRun: context.dryRun,
      repositoriesScanned: context.repositoriesScanned,
      totals,
      repositories: repositoriesOfPart.map(dropUndefinedError),
    };
    if (parts.length > 1) data.part = { index: index + 1, count: parts.length };
    if (context.stoppedEarly) data.stoppedEarly = context.stoppedEarly;
    if (context.fleet) data.fleet = context.fleet;
    if (context.continuedFrom) data.continuedFrom = context.continuedFrom;
    if (context.resume) data.resume = context.resume;
    return {
      id: parts.length > 1 ? `${context.idBase}:lifecycle.ledger:${index + 1}` : `${context.idBase}:lifecycle.ledger`,
      kind: 'lifecycle.ledger',
      severity: context.severity ?? (hasProblems ? 'warning' : 'info'),
      ...(repositories.length === 1 && repositories[0] ? { repository: repositories[0].repositoryName } : {}),
      occurredAt: context.occurredAt,
      origin: context.origin,
      data,
    };
  });
}

export function toLedgerRepository(result: RepositoryLifecycleResult): LedgerRepository {
  const expiry = result.expiry;
  const expired: LedgerImage[] = (expiry?.expired ?? []).map((image) => ({
    imageDigest: image.imageDigest,
    imageTags: image.imageTags,
    ...(image.imageSizeInBytes !== undefined ? { sizeInBytes: image.imageSizeInBytes } : {}),
    pushedAt: image.imagePushedAt.toISOString(),
    rulePriority: image.appliedRulePriority,
    reason: image.reason,
  }));
  const repository: LedgerRepository = {
    repositoryName: result.repositoryName,
    repositoryClass: result.repositoryClass,
    governance: result.governance.map(toNoticeChange),
    expired,
    kept: (expiry?.kept ?? [])
      .filter((kept) => kept.reason !== 'cap-reached')
      .slice(0, MAX_KEPT_LISTED)
      .map((kept) => ({ imageDigest: kept.imageDigest, imageTags: kept.imageTags, reason: kept.reason, detail: kept.detail })),
    failures: (expiry?.failures ?? []).map((failure) => ({ item: failure.item, code: failure.code, reason: failure.reason, ...(failure.expected ? { expected: true } : {}) })),
    bytesReclaimed: expiry?.bytesReclaimed ?? 0,
    transitionsLeftToEcr: expiry?.plan.transitions.length ?? 0,
  };
  if (result.error) repository.error = result.error;
  return repository;
}

/**
 * Cuts the ledger into parts of at most `MAX_LEDGER_IMAGES_PER_NOTICE` images and about
 * `MAX_LEDGER_BYTES_PER_NOTICE` bytes. A repository's governance, kept images and error go whole
 * into the first part it appears in; its expired images and per-image failures fill parts one by
 * one and continue in the next parts, each part's entry with the bytes of its own images. No part
 * is empty and no repository is left out.
 */
function splitIntoParts(repositories: readonly LedgerRepository[]): LedgerRepository[][] {
  const parts: LedgerRepository[][] = [];
  let part: LedgerRepository[] = [];
  let bytes = 0;
  let images = 0;
  const closePart = () => {
    if (part.length > 0) parts.push(part);
    part = [];
    bytes = 0;
    images = 0;
  };
  for (const repository of repositories) {
    let entry: LedgerRepository = { ...repository, expired: [], failures: [], bytesReclaimed: 0 };
    const headBytes = jsonBytes(entry);
    if (part.length > 0 && bytes + headBytes > MAX_LEDGER_BYTES_PER_NOTICE) closePart();
    part.push(entry);
    bytes += headBytes;
    // Opens the next part when this item does not fit, unless the part holds nothing else to move.
    const makeRoom = (itemBytes: number, isImage: boolean) => {
      const full = bytes + itemBytes > MAX_LEDGER_BYTES_PER_NOTICE || (isImage && images >= MAX_LEDGER_IMAGES_PER_NOTICE);
      const alone = part.length === 1 && entry.expired.length === 0 && entry.failures.length === 0;
      if (!full || alone) return;
      closePart();
      entry = { repositoryName: repository.repositoryName, repositoryClass: repository.repositoryClass, governance: [], expired: [], kept: [], failures: [], bytesReclaimed: 0, transitionsLeftToEcr: 0 };
      part.push(entry);
      bytes += jsonBytes(entry);
    };
    for (const image of repository.expired) {
      const itemBytes = jsonBytes(image) + 1;
      makeRoom(itemBytes, true);
      entry.expired.push(image);
      entry.bytesReclaimed += image.sizeInBytes ?? 0;
      bytes += itemBytes;
      images += 1;
    }
    for (const failure of repository.failures) {
      const itemBytes = jsonBytes(failure) + 1;
      makeRoom(itemBytes, false);
      entry.failures.push(failure);
      bytes += itemBytes;
    }
  }
  closePart();
  return parts.length > 0 ? parts : [[]];
}

function jsonBytes(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value), 'utf8');
}

function dropUndefinedError(repository: LedgerRepository): LedgerRepository {
  if (repository.error !== undefined) return repository;
  const { error: _error, ...rest } = repository;
  return rest;
}

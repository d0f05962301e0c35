import * as z from 'zod/mini';
import { matchRepositoryClass } from '../config/matchRepositoryClass';
import type { GovernanceChange } from '../ecr/changes';
import { AutopilotError, describeError, hasErrorCode } from '../errors';
import { ScheduledEvent } from '../events/scheduled';
import { governRepository } from '../governance/governRepository';
import { publishNotice, registryNoticeOrigin, toNoticeChange } from '../notify/changes';
import type { MirrorReportNotice } from '../notify/notices';
import { applyChanges } from '../plan/applyChanges';
import type { AppliedChange, ChangeWriter } from '../plan/types';
import type { AutopilotDeps, FunctionDefinition, FunctionReport } from '../runtime/types';
import { outcomeOf } from '../runtime/types';
import { runBounded } from '../shared/runBounded';
import type { CopyImageChange } from './changes';
import { mirrorTargets, type MirrorTarget } from './mirrorTargets';
import { planMirror, type MirrorDecision, type MirrorTargetState } from './planMirror';
import type { UpstreamReader } from './UpstreamReader';

/** A manual invoke: `{}` mirrors everything configured; `sources` limits it to some images. */
export const ManualMirrorInput = z.strictObject({
  /** Source repositories (as in the configuration) to mirror this time. */
  sources: z.optional(z.array(z.string().check(z.minLength(1))).check(z.minLength(1))),
});

export const MirrorImagesEvent = z.union([ScheduledEvent, ManualMirrorInput]);
export type MirrorImagesEvent = z.output<typeof MirrorImagesEvent>;

export type MirrorDeps = Pick<AutopilotDeps, 'config' | 'registry' | 'writer' | 'topicArn' | 'clock' | 'logger' | 'signal'> & {
  upstream: UpstreamReader;
  /** `host` of the destination registry, for messages (the copy writer resolves its own). */
  destinationRegistry: () => Promise<string>;
};

/** Upstream lookups at once: a handful, to stay friendly with public registries' rate limits. */
const UPSTREAM_CONCURRENCY = 4;

/**
 * `mirrorImages`: keeps the configured public images in private ECR, every platform, digests unchanged.
 *
 * Input: a schedule, or a manual `{ sources? }`. Output: a report with every change, and one mirror
 * report notice when anything was copied or failed.
 * 1. Expand the configuration into one target per tag (`mirror.images`).
 * 2. Read what upstream tags point at (one manifest GET each; a platform subset also gives the
 *    digest of the index the copy will build).
 * 3. Read what the destination tags point at through ECR metadata (DescribeImages), never a
 *    manifest GET: a GET counts as a pull and would defeat `sinceImagePulled` rules.
 * 4. Govern destination repositories that exist (class settings); plan creation of missing ones.
 * 5. Copy what changed (children by digest, the index by tag last) and skip the rest.
 * 6. Publish what changed: old digest → new digest, platforms.
 *
 * @example
 * await mirrorImages({}, deps);
 */
export async function mirrorImages(event: MirrorImagesEvent, deps: MirrorDeps): Promise<FunctionReport> {
  const scheduled = 'detail-type' in event;
  const now = deps.clock();
  const eventId = scheduled ? event.id : `manual-mirror-${now.toISOString()}`;
  const settings = deps.config.mirror;
  const wanted = !scheduled && event.sources ? new Set(event.sources) : undefined;
  const targets = mirrorTargets(settings).filter(
    (target) => !wanted || wanted.has(target.source),
  );
  if (wanted) {
    const unknown = [...wanted].filter((source) => !targets.some((target) => target.source === source));
    if (unknown.length > 0) throw new AutopilotError('USAGE', `Not in mirror.images: ${unknown.join(', ')}; add them to the configuration first`);
  }
  if (targets.length === 0) {
    return { function: 'mirrorImages', eventId, outcome: 'ignored', decision: 'No images are configured (mirror.images is empty).', changes: [] };
  }

  const outcome = await mirrorNow(targets, deps);
  const { images, governance, applied, dryRun, registry } = outcome;
  const interesting = images.some((image) => image.status !== 'unchanged') || governance.length > 0;
  const published = interesting
    ? await applyChanges(deps.writer, [publishNotice(deps.topicArn, mirrorNotice(eventId, now, deps, { dryRun, registry, images, governance: [...governance, ...outcome.creations] }), 'mirror report')])
    : [];

  const count = (status: string) => images.filter((image) => image.status === status).length;
  const changesAll = [...governance, ...applied, ...published];
  return {
    function: 'mirrorImages',
    eventId,
    outcome: count('failed') > 0 ? 'failed' : outcomeOf(changesAll),
    decision: `Mirrored ${targets.length} image tag(s) into ${registry}: ${count('copied') + count('planned')} ${dryRun ? 'to copy' : 'copied'}, ${count('unchanged')} unchanged, ${count('failed')} failed${governance.length > 0 ? `; ${governance.length} governance change(s)` : ''}.`,
    changes: changesAll,
  };
}

/** What mirroring some targets did: per image, and every change with its outcome. */
export interface MirrorOutcome {
  images: ReportedImage[];
  /** Governance fixed on destination repositories that existed. */
  governance: AppliedChange[];
  /** Repository creations and copies. */
  applied: AppliedChange[];
  creations: AppliedChange[];
  dryRun: boolean;
  /** The destination registry host. */
  registry: string;
}

/**
 * Steps 3–5 of `mirrorImages` for the given targets, publishing nothing: the single-invocation
 * mirror and each batch of the fleet mirror both use it.
 */
export async function mirrorNow(targets: readonly MirrorTarget[], deps: Omit<MirrorDeps, 'topicArn'>): Promise<MirrorOutcome> {
  // Destination repositories: exist? then govern them like any other repository of their class.
  const repositories = [...new Set(targets.map((target) => target.repository))];
  const exists = new Map<string, boolean>();
  const governance: AppliedChange[] = [];
  for (const repositoryName of repositories) {
    try {
      const repository = await deps.registry.describeRepository(repositoryName);
      exists.set(repositoryName, true);
      const repositoryClass = matchRepositoryClass(deps.config, repositoryName);
      if (repositoryClass) {
        governance.push(...(await governRepository(repositoryName, repositoryClass, { registry: deps.registry, writer: deps.writer as ChangeWriter<GovernanceChange> }, repository)));
      }
    } catch (error) {
      if (!hasErrorCode(error, 'REPOSITORY_NOT_FOUND')) throw error;
      exists.set(repositoryName, false);
    }
  }

  const states = await readStates(targets, exists, deps);
  const { decisions, changes } = planMirror(states, (name) => matchRepositoryClass(deps.config, name));
  const applied = await applyChanges(deps.writer, changes);

  const registry = await deps.destinationRegistry();
  const images = decisions.map((decision) => reportImage(decision, applied));
  // Plan mode shows in any planned change: a run that only fixes governance copies nothing.
  const dryRun = [...governance, ...applied].some((change) => change.outcome.status === 'planned');
  const creations = applied.filter((change) => change.change.action !== 'oci:CopyImage');
  return { images, governance, applied, creations, dryRun, registry };
}

async function readStates(targets: readonly MirrorTarget[], exists: ReadonlyMap<string, boolean>, deps: Omit<MirrorDeps, 'topicArn'>): Promise<MirrorTargetState[]> {
  return runBounded(targets, UPSTREAM_CONCURRENCY, deps.signal, async (target) => {
    // An unreachable upstream fails this target only; the others are still mirrored.
    const upstream = await deps.upstream.resolve(target).catch((error: unknown) => {
      if (hasErrorCode(error, 'ABORTED')) throw error;
      return { error: describeError(error) };
    });
    const repositoryExists = exists.get(target.repository) ?? false;
    const current = repositoryExists ? await deps.registry.describeImageByTag(target.repository, target.tag) : undefined;
    return { target, upstream, repositoryExists, current };
  });
}

export type ReportedImage = MirrorReportNotice['data']['images'][number];

function reportImage(decision: MirrorDecision, applied: readonly AppliedChange[]): ReportedImage {
  const { target } = decision;
  const base = { source: target.source, tag: target.tag, repository: target.repository };
  if (decision.status === 'failed') return { ...base, status: 'failed', platforms: [], reason: decision.reason };
  if (decision.status === 'unchanged') return { ...base, status: 'unchanged', digest: decision.digest, platforms: decision.platforms, reason: decision.reason };
  const copy = applied.find((change) => change.change.action === 'oci:CopyImage' && (change.change as CopyImageChange).target === `${target.repository}:${target.tag}`);
  const outcome = copy?.outcome;
  const digest = typeof outcome?.data?.digest === 'string' ? outcome.data.digest : decision.expectedDigest;
  const image: ReportedImage = {
    ...base,
    status: outcome?.status === 'failed' ? 'failed' : outcome?.status === 'planned' ? 'planned' : 'copied',
    platforms: decision.platforms,
    reason: outcome?.status === 'failed' ? (outcome.message ?? decision.reason) : decision.reason,
  };
  if (decision.previousDigest) image.previousDigest = decision.previousDigest;
  if (digest && outcome?.status !== 'failed') image.digest = digest;
  if (typeof outcome?.data?.bytesCopied === 'number') image.bytesCopied = outcome.data.bytesCopied;
  if (typeof outcome?.data?.newIndex === 'boolean') image.newIndex = outcome.data.newIndex;
  else if (target.platforms !== 'all') image.newIndex = true;
  return image;
}

function mirrorNotice(
  eventId: string,
  now: Date,
  deps: Pick<MirrorDeps, 'registry'>,
  data: { dryRun: boolean; registry: string; images: ReportedImage[]; governance: AppliedChange[] },
): MirrorReportNotice {
  const failed = data.images.some((image) => image.status === 'failed') || data.governance.some((change) => change.outcome.status === 'failed');
  return {
    id: `${eventId}:mirror.report`,
    kind: 'mirror.report',
    severity: failed ? 'warning' : 'info',
    occurredAt: now.toISOString(),
    origin: registryNoticeOrigin(deps.registry, eventId),
    data: { dryRun: data.dryRun, registry: data.registry, images: data.images, governance: data.governance.map(toNoticeChange) },
  };
}

/** `mirrorImages`: daily schedule and manual invokes (`{}` or `{"sources": [...]}`). */
export const mirrorImagesFunction: FunctionDefinition<typeof MirrorImagesEvent, MirrorDeps> = {
  name: 'mirrorImages',
  eventName: 'mirror event (a schedule, or a manual {"sources"?})',
  eventSchema: MirrorImagesEvent,
  run: mirrorImages,
};

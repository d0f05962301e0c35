import * as z from 'zod/mini';
import { matchRepositoryClass } from '../config/matchRepositoryClass';
import type { GovernanceChange } from '../ecr/changes';
import { AutopilotError, describeError, hasErrorCode } from '../errors';
import { ScheduledEvent } from '../events/scheduled';
import { governRepository } from '../governance/governRepository';
import { publishNotice, registryNoticeOrigin, toNoticeChange } from '../notify/changes';
import type { MirrorReportNotice } from '../notify/notices';
import { applyChanges, firedSignal, readSignal, type RunSignals, stopReason } from '../plan/applyChanges';
import type { AppliedChange, ChangeWriter } from '../plan/types';
import { FIX, PUBLISH, statusOf, tell } from '../plan/tense';
import { plural } from '../notify/present/format';
import { stopLine } from '../runtime/deadline';
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

export type MirrorDeps = Pick<AutopilotDeps, 'config' | 'registry' | 'writer' | 'topicArn' | 'clock' | 'logger' | 'signal' | 'deadline'> & {
  upstream: UpstreamReader;
  /**
   * `host` of the destination registry, for messages (the copy writer resolves its own). The first
   * call may ask AWS (`GetAuthorizationToken`): it takes the run's stop.
   */
  destinationRegistry: (options?: { signal?: AbortSignal | undefined }) => Promise<string>;
};

/** Upstream lookups at once: a handful, to stay friendly with public registries' rate limits. */
const UPSTREAM_CONCURRENCY = 4;

/**
 * A mirror stops this long before its deadline: the copies in flight are abandoned (their upload
 * sessions closed, their tags never pushed), then the report is published before Lambda's backstop.
 */
export const MIRROR_STOP_MARGIN_MS = 30_000;

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
 * It owns its deadline: `MIRROR_STOP_MARGIN_MS` before it (or on Ctrl-C) nothing new starts, a copy
 * in flight is abandoned (its tag is pushed last, so it never moves), and the report says which
 * images were not copied and why. The next run copies them: unchanged ones are skipped by digest.
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

  const stop = stopLine(deps, MIRROR_STOP_MARGIN_MS);
  let outcome: MirrorOutcome;
  try {
    outcome = await mirrorNow(targets, deps, { signal: deps.signal, stop: stop.signal });
  } finally {
    stop.dispose();
  }
  const stoppedEarly = stop.reason;
  const { images, governance, applied, dryRun, registry } = outcome;
  const interesting = images.some((image) => image.status !== 'unchanged') || governance.length > 0;
  // Published under the outright cancel only: the report goes out after the stop, that is what the margin is for.
  const published = interesting
    ? await applyChanges(
        deps.writer,
        [publishNotice(deps.topicArn, mirrorNotice(eventId, now, deps, { dryRun, registry, images, governance: [...governance, ...outcome.creations], stoppedEarly }), 'mirror report')],
        { signal: deps.signal },
      )
    : [];

  const count = (status: string) => images.filter((image) => image.status === status).length;
  const changesAll = [...governance, ...applied, ...published];
  return {
    function: 'mirrorImages',
    eventId,
    outcome: count('failed') > 0 ? 'failed' : outcomeOf(changesAll),
    decision:
      `${dryRun ? `Checked ${plural(targets.length, 'image tag')} for ${registry}: would copy ${count('planned')}` : `Mirrored ${plural(targets.length, 'image tag')} into ${registry}: ${count('copied')} copied`}, ${count('unchanged')} unchanged, ${count('failed')} failed` +
      `${count('stopped') > 0 ? `, ${count('stopped')} not copied` : ''}${governance.length > 0 ? `; ${tell(statusOf(governance), FIX)} ${plural(governance.length, 'setting')}` : ''}` +
      `${stoppedEarly ? `; stopped early (${stoppedEarly}): the next run copies what is left` : ''}${published.length > 0 ? `; ${tell(statusOf(published), PUBLISH)} the report` : ''}.`,
    changes: changesAll,
    ...(stoppedEarly ? { stoppedEarly } : {}),
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
 * mirror and each batch of the fleet mirror both use it. Under a stop (`run.stop`) it reads nothing
 * more, starts no copy, abandons the copy in flight, and reports the rest `stopped`.
 */
export async function mirrorNow(targets: readonly MirrorTarget[], deps: Omit<MirrorDeps, 'topicArn'>, run: RunSignals = { signal: deps.signal }): Promise<MirrorOutcome> {
  const stop = readSignal(run);
  const governance: AppliedChange[] = [];
  const exists = await governDestinations(targets, deps, governance, run);
  const read = exists ? await readStates(targets, exists, deps, stop) : { states: [], unread: [...targets] };
  const { decisions, changes } = planMirror(read.states, (name) => matchRepositoryClass(deps.config, name));
  // Copies run under the stop itself: one in flight when it fires is abandoned, never finished late.
  const applied = await applyChanges(deps.writer, changes, { signal: stop });

  // Known once a copy has run; otherwise asked of AWS, which nothing does after the stop.
  const registry = await deps.destinationRegistry({ signal: stop }).catch((error: unknown) => {
    if (hasErrorCode(error, 'ABORTED') && firedSignal(run)) return unresolvedDestination(deps.registry);
    throw error;
  });
  const stopped = firedSignal(run);
  const images = [...decisions.map((decision) => reportImage(decision, applied)), ...read.unread.map((target) => notChecked(target, stopped ? stopReason(stopped) : undefined))];
  // Plan mode shows in any planned change: a run that only fixes governance copies nothing.
  const dryRun = [...governance, ...applied].some((change) => change.outcome.status === 'planned');
  const creations = applied.filter((change) => change.change.action !== 'oci:CopyImage');
  return { images, governance, applied, creations, dryRun, registry };
}

/**
 * Destination repositories: exist? then govern them like any other repository of their class.
 * Undefined when the stop came first (nothing is known, nothing will be copied).
 */
async function governDestinations(targets: readonly MirrorTarget[], deps: Omit<MirrorDeps, 'topicArn'>, governance: AppliedChange[], run: RunSignals): Promise<Map<string, boolean> | undefined> {
  const exists = new Map<string, boolean>();
  for (const repositoryName of [...new Set(targets.map((target) => target.repository))]) {
    if (firedSignal(run)) return undefined;
    try {
      const repository = await deps.registry.describeRepository(repositoryName, { signal: readSignal(run) });
      exists.set(repositoryName, true);
      const repositoryClass = matchRepositoryClass(deps.config, repositoryName);
      if (repositoryClass) {
        governance.push(...(await governRepository(repositoryName, repositoryClass, { registry: deps.registry, writer: deps.writer as ChangeWriter<GovernanceChange> }, repository, run)));
      }
    } catch (error) {
      if (hasErrorCode(error, 'ABORTED') && firedSignal(run)) return undefined;
      if (!hasErrorCode(error, 'REPOSITORY_NOT_FOUND')) throw error;
      exists.set(repositoryName, false);
    }
  }
  return exists;
}

/** What every target points at upstream and in the destination; the targets the stop left unread. */
async function readStates(
  targets: readonly MirrorTarget[],
  exists: ReadonlyMap<string, boolean>,
  deps: Omit<MirrorDeps, 'topicArn'>,
  stop: AbortSignal | undefined,
): Promise<{ states: MirrorTargetState[]; unread: MirrorTarget[] }> {
  const read = await runBounded(targets, UPSTREAM_CONCURRENCY, undefined, async (target): Promise<MirrorTargetState | undefined> => {
    if (stop?.aborted) return undefined;
    try {
      // An unreachable upstream fails this target only; the others are still mirrored.
      const upstream = await deps.upstream.resolve(target, { signal: stop }).catch((error: unknown) => {
        if (hasErrorCode(error, 'ABORTED')) throw error;
        return { error: describeError(error) };
      });
      const repositoryExists = exists.get(target.repository) ?? false;
      const current = repositoryExists ? await deps.registry.describeImageByTag(target.repository, target.tag, { signal: stop }) : undefined;
      return { target, upstream, repositoryExists, current };
    } catch (error) {
      if (hasErrorCode(error, 'ABORTED') && stop?.aborted) return undefined;
      throw error;
    }
  });
  return {
    states: read.filter((state): state is MirrorTargetState => state !== undefined),
    unread: targets.filter((_target, index) => read[index] === undefined),
  };
}

/**
 * The destination's host when the run stopped before asking AWS for it: ECR's registry host is the
 * account id and the region; an account that is not known is named as such.
 */
export function unresolvedDestination(registry: Pick<MirrorDeps['registry'], 'registryId' | 'region'>): string {
  // China regions' endpoints end in .com.cn (ECR's service endpoints page).
  const domain = registry.region.startsWith('cn-') ? 'amazonaws.com.cn' : 'amazonaws.com';
  return registry.registryId ? `${registry.registryId}.dkr.ecr.${registry.region}.${domain}` : `the private ECR registry of ${registry.region} (not looked up: the run stopped first)`;
}

/** A target the run stopped before reading. */
function notChecked(target: MirrorTarget, why: string | undefined): ReportedImage {
  return { source: target.source, tag: target.tag, repository: target.repository, status: 'stopped', platforms: [], reason: `not checked: the run stopped first (${why ?? 'stopped'}); the next run mirrors it` };
}

export type ReportedImage = MirrorReportNotice['data']['images'][number];

function reportImage(decision: MirrorDecision, applied: readonly AppliedChange[]): ReportedImage {
  const { target } = decision;
  const base = { source: target.source, tag: target.tag, repository: target.repository };
  if (decision.status === 'failed') return { ...base, status: 'failed', platforms: [], reason: decision.reason };
  if (decision.status === 'unchanged') return { ...base, status: 'unchanged', digest: decision.digest, platforms: decision.platforms, reason: decision.reason };
  const copy = applied.find((change) => change.change.action === 'oci:CopyImage' && (change.change as CopyImageChange).target === `${target.repository}:${target.tag}`);
  const outcome = copy?.outcome;
  if (outcome?.status === 'stopped') {
    // Not copied: never started, or abandoned in flight (the tag, pushed last, was not moved).
    return { ...base, status: 'stopped', platforms: decision.platforms, reason: `${outcome.message ?? 'the run stopped'}; the tag was not changed, the next run copies it`, ...(decision.previousDigest ? { previousDigest: decision.previousDigest } : {}) };
  }
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
  data: { dryRun: boolean; registry: string; images: ReportedImage[]; governance: AppliedChange[]; stoppedEarly: string | undefined },
): MirrorReportNotice {
  const failed =
    data.images.some((image) => image.status === 'failed' || image.status === 'stopped') || data.governance.some((change) => change.outcome.status === 'failed');
  return {
    id: `${eventId}:mirror.report`,
    kind: 'mirror.report',
    severity: failed ? 'warning' : 'info',
    occurredAt: now.toISOString(),
    origin: registryNoticeOrigin(deps.registry, eventId),
    data: {
      dryRun: data.dryRun,
      registry: data.registry,
      images: data.images,
      governance: data.governance.map(toNoticeChange),
      ...(data.stoppedEarly ? { stoppedEarly: data.stoppedEarly } : {}),
    },
  };
}

/** `mirrorImages`: daily schedule and manual invokes (`{}` or `{"sources": [...]}`). */
export const mirrorImagesFunction: FunctionDefinition<typeof MirrorImagesEvent, MirrorDeps> = {
  name: 'mirrorImages',
  eventName: 'mirror event (a schedule, or a manual {"sources"?})',
  eventSchema: MirrorImagesEvent,
  ownsDeadline: true,
  run: mirrorImages,
};

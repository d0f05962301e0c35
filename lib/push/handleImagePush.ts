import { matchRepositoryClass } from '../config/matchRepositoryClass';
import type { GovernanceChange } from '../ecr/changes';
import { hasErrorCode } from '../errors';
import { originOf } from '../events/envelope';
import type { EcrImageActionEvent } from '../events/ecrImageAction';
import { isImageDigest } from '../events/primitives';
import { governRepository } from '../governance/governRepository';
import { expireOnPush } from '../lifecycle/expireOnPush';
import { publishNotice } from '../notify/changes';
import { applyChanges, firedSignal, readSignal, type RunSignals, stopReason } from '../plan/applyChanges';
import { stopLine } from '../runtime/deadline';
import { APPLY, FIX, PUBLISH, statusOf, tell } from '../plan/tense';
import { plural, upperFirst } from '../notify/present/format';
import type { AppliedChange, ChangeWriter } from '../plan/types';
import type { AutopilotDeps, FunctionReport } from '../runtime/types';
import type { StateStore } from '../state/StateStore';
import { outcomeOf } from '../runtime/types';
import { summarizePush } from './summarizePush';

export type PushDeps = Pick<AutopilotDeps, 'config' | 'registry' | 'writer' | 'topicArn' | 'logger' | 'signal' | 'deadline'> &
  Partial<Pick<AutopilotDeps, 'clock'>> & {
    /** The state table: the deletion cap that concurrent expire-on-push invocations share. */
    state: StateStore;
  };

/**
 * onImagePush stops reading and changing this long before its deadline (a 60 s function): enough for
 * a BatchDeleteImage in flight to finish and for the ledger and the push summary to be published.
 */
export const PUSH_STOP_MARGIN_MS = 10_000;

/**
 * `onImagePush`: governs the pushed repository and reports the push.
 *
 * Input: an `ECR Image Action` event. Output: a report with every change and its outcome.
 * 1. Ignore anything but a successful PUSH (DELETE and storage-class events need nothing), a
 *    digest no image can have (AWS's documentation samples), and a repository that no longer exists.
 * 2. Find the repository class (first match wins); a repository no class matches is not governed.
 * 3. Fix governance drift: lifecycle policy, scan on push, tag mutability (only what differs).
 * 4. For classes with `expireOnPush`, expire what the policy selects now.
 * 5. For a tagged push, publish one push summary (for a multi-arch push: the tagged index, with its
 *    platforms). Untagged pushes (the platform manifests of an index) are governed silently.
 * It owns its deadline: `PUSH_STOP_MARGIN_MS` before it nothing more is read or changed (the
 * deletion in flight finishes), the expiry ledger says the run stopped, and the push summary is
 * built from the event alone if its reads were cut; both are published after the stop.
 *
 * @example
 * const report = await handleImagePush(parseEvent(EcrImageActionEvent, raw, 'event'), deps);
 */
export async function handleImagePush(event: EcrImageActionEvent, deps: PushDeps): Promise<FunctionReport> {
  const detail = event.detail;
  const repositoryName = detail['repository-name'];
  const base = { function: 'onImagePush', eventId: event.id };
  const ignore = (why: string): FunctionReport => ({ ...base, outcome: 'ignored', decision: `Ignored ${detail['action-type']} ${detail.result} of ${repositoryName}: ${why}.`, changes: [] });
  if (detail['action-type'] !== 'PUSH' || detail.result !== 'SUCCESS') return ignore('only successful pushes are governed');
  if (!isImageDigest(detail['image-digest'])) {
    return ignore(`image-digest ${detail['image-digest']} is no sha256 digest of 64 hex characters (AWS's documentation samples carry such placeholders), so no image was pushed`);
  }
  const stop = stopLine(deps, PUSH_STOP_MARGIN_MS);
  try {
    return await governPush(event, deps, base, { signal: deps.signal, stop: stop.signal });
  } catch (error) {
    // Deleted between the push and this event (or, in plan mode, not in the snapshot): nothing to govern.
    if (hasErrorCode(error, 'REPOSITORY_NOT_FOUND')) return ignore((error as Error).message);
    throw error;
  } finally {
    stop.dispose();
  }
}

async function governPush(event: EcrImageActionEvent, deps: PushDeps, base: { function: string; eventId: string }, run: RunSignals): Promise<FunctionReport> {
  const detail = event.detail;
  const repositoryName = detail['repository-name'];
  const repositoryClass = matchRepositoryClass(deps.config, repositoryName);
  let governanceStopped = false;
  const governance = repositoryClass
    ? await governRepository(repositoryName, repositoryClass, { registry: deps.registry, writer: deps.writer as ChangeWriter<GovernanceChange> }, undefined, run).catch((error: unknown) => {
        const none = stoppedAs(run, [])(error);
        governanceStopped = true;
        return none;
      })
    : [];
  const origin = originOf(event);
  const expiry =
    repositoryClass?.expireOnPush && !firedSignal(run) ? await expireOnPush(repositoryName, repositoryClass, origin, { ...deps, stop: run.stop, now: deps.clock?.() ?? new Date() }) : [];

  const tag = detail['image-tag'];
  const parts: string[] = [
    repositoryClass
      ? governanceStopped
        ? `${repositoryName} (class ${repositoryClass.name}): settings not checked, the run stopped first.`
        : governance.length === 0
        ? `${repositoryName} already matches class ${repositoryClass.name}.`
        : `${repositoryName} (class ${repositoryClass.name}): ${tell(statusOf(governance), FIX)} ${plural(governance.length, 'setting')}.`
      : `${repositoryName} matches no repository class: not governed.`,
  ];
  if (expiry.length > 0) parts.push(`${upperFirst(tell(statusOf(expiry), APPLY))} ${plural(expiry.length, 'expiry change')}.`);

  const notices: AppliedChange[] = [];
  if (tag === undefined) {
    parts.push('Untagged push (a platform manifest of an index, or a push by digest): no summary.');
  } else if (deps.config.notifications.pushSummaries === 'none') {
    parts.push('Push summaries are off (notifications.pushSummaries: none).');
  } else {
    const notice = await summarizePush(
      { repositoryName, imageDigest: detail['image-digest'], tag, mediaType: detail['manifest-media-type'] },
      { registry: deps.registry, signal: readSignal(run) },
      { origin, registryId: deps.registry.registryId ?? event.account, repositoryClass: repositoryClass?.name, governance },
    );
    notices.push(...(await applyChanges(deps.writer, [publishNotice(deps.topicArn, notice, `push summary for ${repositoryName}:${tag}`)], { signal: deps.signal })));
    parts.push(`${upperFirst(tell(statusOf(notices), PUBLISH))} the push summary for ${repositoryName}:${tag}${notice.data.platforms.length > 0 ? ` (${notice.data.platforms.length} platforms)` : ''}.`);
  }

  const stopped = firedSignal(run);
  if (stopped) parts.push(`Stopped early (${stopReason(stopped)}): what was not done is left to the next push or the daily sweep.`);
  const changes = [...governance, ...expiry, ...notices];
  return { ...base, outcome: outcomeOf(changes), decision: parts.join(' '), changes, ...(stopped ? { stoppedEarly: stopReason(stopped) } : {}) };
}

/** The value to go on with when the run's stop cancelled a read; any other error is rethrown. */
function stoppedAs<T>(run: RunSignals, value: T): (error: unknown) => T {
  return (error) => {
    if (hasErrorCode(error, 'ABORTED') && firedSignal(run)) return value;
    throw error;
  };
}

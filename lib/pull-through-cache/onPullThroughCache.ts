import * as z from 'zod/mini';
import { repositoryConsoleUrl, repositoryUri } from '../ecr/consoleLinks';
import { CloudTrailEcrCallEvent } from '../events/cloudTrailEcrCall';
import { originOf, type EventOrigin } from '../events/envelope';
import { PtcActionEvent } from '../events/ptcAction';
import { noticeOriginOf, publishNotice } from '../notify/changes';
import type { PtcCreatedNotice, PtcFailureNotice } from '../notify/notices';
import { applyChanges } from '../plan/applyChanges';
import type { AppliedChange, ChangeWriter } from '../plan/types';
import type { FunctionDefinition, FunctionReport } from '../runtime/types';
import { outcomeOf } from '../runtime/types';
import { alreadyExisted, type PtcChange } from './changes';
import { desiredPtcState } from './desiredPtcState';
import { diffPtcState } from './diffPtcState';
import { explainPtcFailure, type Guidance } from './explainPtcFailure';
import { normalizePrefix } from './limits';
import { readPtcState } from './readPtcState';
import type { DesiredPtcRule, PtcDeps } from './types';
import { UPSTREAMS } from './upstreams';

/** `onPullThroughCache` handles both: a rule's sync failed, or a pull missed every rule (CloudTrail). */
export const PullThroughCacheEvent = z.discriminatedUnion('detail-type', [PtcActionEvent, CloudTrailEcrCallEvent]);
export type PullThroughCacheEvent = z.output<typeof PullThroughCacheEvent>;

/** The pulls that reveal a missing rule (aws-ecr-facts §7): the manifest, then the layers. */
const PULL_EVENT_NAMES: ReadonlySet<string> = new Set(['BatchGetImage', 'GetDownloadUrlForLayer']);
const REPOSITORY_NOT_FOUND = 'RepositoryNotFoundException';
/** The only documented `sync-status`; the failure spelling is UNCONFIRMED (§1.4), so anything else is a failure. */
const SYNC_SUCCESS = 'SUCCESS';

/** `requestParameters.imageIds` of BatchGetImage, read leniently: it is a looseObject extra. */
const ImageIds = z.array(z.looseObject({ imageTag: z.optional(z.string()), imageDigest: z.optional(z.string()) }));

/**
 * `onPullThroughCache`: reacts to pull-through cache events.
 *
 * Input: an `ECR Pull Through Cache Action` event or an `AWS API Call via CloudTrail` event.
 * Output: a report; `ignored` (and silent) for anything that is not ours to act on.
 * - ECR Pull Through Cache Action: SUCCESS is ignored; any other sync status publishes a
 *   `ptc.failure` notice with the likely cause and fix of its failure code (`explainPtcFailure`).
 * - CloudTrail:
 *   1. Only BatchGetImage / GetDownloadUrlForLayer failing with RepositoryNotFoundException, on
 *      this registry, count: anything else is ignored.
 *   2. The repository must start with a prefix listed in `autoCreate` (longest match) that is not
 *      already a rule: otherwise ignored (the miss has another cause).
 *   3. Read the rules, templates and the rule's secret, and plan that one rule with the sync's
 *      planner (`diffPtcState`): template first, then the rule. A missing secret or a full quota
 *      blocks it: a `ptc.failure` notice says how to fix it.
 *   4. Apply. `…AlreadyExistsException` is success, so concurrent events create one rule; only the
 *      event whose create did it publishes `ptc.created`, with the exact pull command to run again.
 *      The cache is not warmed: the client's own retry (kubelet's back-off) pulls through the new
 *      rule, and warming would need import rights on every cache prefix in this function's role.
 *
 * @example
 * const report = await handlePullThroughCacheEvent(parseEvent(PullThroughCacheEvent, raw, 'event'), deps);
 */
export async function handlePullThroughCacheEvent(event: PullThroughCacheEvent, deps: PtcDeps): Promise<FunctionReport> {
  return event['detail-type'] === 'ECR Pull Through Cache Action' ? reportSyncFailure(event, deps) : createRuleOnDemand(event, deps);
}

async function reportSyncFailure(event: PtcActionEvent, deps: PtcDeps): Promise<FunctionReport> {
  const detail = event.detail;
  const base = { function: 'onPullThroughCache', eventId: event.id };
  const image = `${detail['repository-name']}${detail['image-tag'] ? `:${detail['image-tag']}` : ''}`;
  if (detail['sync-status'] === SYNC_SUCCESS) {
    return { ...base, outcome: 'ignored', decision: `Ignored the successful pull-through cache sync of ${image}.`, changes: [] };
  }
  const prefix = detail['ecr-repository-prefix'];
  const rule = ruleFor(deps, prefix);
  const failureCode = detail['failure-code'] ?? detail['sync-status'];
  const guidance = explainPtcFailure(failureCode, {
    prefix,
    repositoryName: detail['repository-name'],
    region: event.region,
    ...(detail['failure-reason'] ? { reason: detail['failure-reason'] } : {}),
    ...(rule?.credentialSecret ? { secretName: rule.credentialSecret } : {}),
    ...(rule ? { upstream: rule.upstreamRegistry } : {}),
  });
  const notice = failureNotice(originOf(event), guidance, {
    source: 'sync-event',
    prefix,
    repositoryName: detail['repository-name'],
    imageTag: detail['image-tag'],
    imageDigest: detail['image-digest'],
    upstreamRegistryUrl: detail['upstream-registry-url'],
    failureReason: detail['failure-reason'],
    consoleUrl: repositoryConsoleUrl(event.region, event.account, detail['repository-name']),
  });
  const changes = await applyChanges(deps.writer, [publishNotice(deps.topicArn, notice, `pull-through cache failure of ${image}`)]);
  return {
    ...base,
    outcome: outcomeOf(changes),
    decision: `Pull-through cache sync of ${image} ended ${detail['sync-status']} (${failureCode}): ${guidance.title}. Published the likely cause and fix.`,
    changes,
  };
}

async function createRuleOnDemand(event: CloudTrailEcrCallEvent, deps: PtcDeps): Promise<FunctionReport> {
  const detail = event.detail;
  const base = { function: 'onPullThroughCache', eventId: event.id };
  const ignore = (why: string): FunctionReport => ({ ...base, outcome: 'ignored', decision: `Ignored ${detail.eventName}${detail.errorCode ? ` (${detail.errorCode})` : ''}: ${why}.`, changes: [] });

  if (!PULL_EVENT_NAMES.has(detail.eventName)) return ignore('only failed pulls (BatchGetImage, GetDownloadUrlForLayer) can reveal a missing pull-through cache rule');
  if (detail.errorCode !== REPOSITORY_NOT_FOUND) return ignore(`only ${REPOSITORY_NOT_FOUND} means no rule matched`);
  const repositoryName = detail.requestParameters?.repositoryName;
  if (!repositoryName) return ignore('the event names no repository');
  const registryId = detail.requestParameters?.registryId ?? event.account;
  if (registryId !== event.account) return ignore(`the pull was from registry ${registryId}, not this account's (${event.account})`);

  const desired = desiredPtcState(deps.config, { prune: false });
  const rule = autoCreateRuleFor(desired.rules, repositoryName);
  if (!rule) return ignore(`${repositoryName} does not start with a prefix listed in pullThroughCache.autoCreate`);

  const state = await readPtcState(deps.ptc, { rules: [rule] });
  if (state.rules.some((actual) => actual.prefix === rule.prefix)) {
    return ignore(`${rule.prefix} is already a pull-through cache rule, so the miss has another cause (the image may not exist upstream)`);
  }
  // The sync's planner, for this one rule: no pruning, so other rules are left alone but still count against the quota.
  const plan = diffPtcState({ rules: [{ ...rule, onDemand: false }], prune: false }, state, { region: event.region });
  const report = plan.rules[0];
  const origin = originOf(event);
  const imageIds = ImageIds.safeParse(detail.requestParameters?.imageIds);
  const imageId = imageIds.success ? imageIds.data[0] : undefined;
  const reference = `${repositoryUri(event.region, registryId, repositoryName)}${imageId?.imageTag ? `:${imageId.imageTag}` : imageId?.imageDigest ? `@${imageId.imageDigest}` : ''}`;

  const blocker = report?.problems[0];
  if (plan.changes.length === 0 || blocker) {
    const guidance = explainPtcFailure(blocker?.code ?? 'NOT_CREATED', {
      prefix: rule.prefix,
      repositoryName,
      region: event.region,
      upstream: rule.upstreamRegistry,
      ...(blocker ? { reason: blocker.message } : {}),
      ...(rule.credentialSecret ? { secretName: rule.credentialSecret } : {}),
    });
    if (blocker?.command && !guidance.commands.includes(blocker.command)) guidance.commands.unshift(blocker.command);
    const notice = failureNotice(origin, guidance, { source: 'auto-create', prefix: rule.prefix, repositoryName, upstreamRegistryUrl: rule.upstreamRegistryUrl, failureReason: blocker?.message });
    const changes = await applyChanges(deps.writer, [publishNotice(deps.topicArn, notice, `rule ${rule.prefix} cannot be created on demand`)]);
    return { ...base, outcome: outcomeOf(changes), decision: `A pull of ${repositoryName} missed every rule; rule ${rule.prefix} is in autoCreate but cannot be created: ${blocker?.message ?? 'nothing to do'}.`, changes };
  }

  const applied: AppliedChange<PtcChange>[] = await applyChanges(deps.writer as ChangeWriter<PtcChange>, plan.changes);
  const created = applied.find(({ change }) => change.action === 'ecr:CreatePullThroughCacheRule');
  const changes: AppliedChange[] = [...applied];
  let decision: string;
  if (!created || created.outcome.status === 'failed') {
    const failure = applied.find(({ outcome }) => outcome.status === 'failed');
    const message = failure?.outcome.message ?? 'the rule was not created';
    const guidance = explainPtcFailure('CREATE_FAILED', { prefix: rule.prefix, repositoryName, region: event.region, upstream: rule.upstreamRegistry, reason: message, ...(rule.credentialSecret ? { secretName: rule.credentialSecret } : {}) });
    const notice = failureNotice(origin, guidance, { source: 'auto-create', prefix: rule.prefix, repositoryName, upstreamRegistryUrl: rule.upstreamRegistryUrl, failureReason: message });
    changes.push(...(await applyChanges(deps.writer, [publishNotice(deps.topicArn, notice, `rule ${rule.prefix} could not be created on demand`)])));
    decision = `A pull of ${repositoryName} missed every rule; creating rule ${rule.prefix} failed: ${message}`;
  } else if (alreadyExisted(created.outcome)) {
    // Another event (or a person) created it between our read and our create: it notified already.
    decision = `A pull of ${repositoryName} missed every rule; rule ${rule.prefix} was created concurrently by another event: nothing more to do.`;
  } else {
    const notice = createdNotice(origin, rule, { repositoryName, reference, trigger: `${detail.eventName} failed with ${REPOSITORY_NOT_FOUND}`, applied, registryId });
    changes.push(...(await applyChanges(deps.writer, [publishNotice(deps.topicArn, notice, `rule ${rule.prefix} created on demand: pull again`)])));
    decision = `A pull of ${repositoryName} missed every rule: ${created.outcome.status === 'planned' ? 'would create' : 'created'} rule ${rule.prefix} → ${rule.upstreamRegistryUrl} and its template; told the user to pull ${reference} again.`;
  }
  return { ...base, outcome: outcomeOf(changes), decision, changes };
}

/** The `autoCreate` rule whose prefix starts the repository name, the longest when several do. */
function autoCreateRuleFor(rules: readonly DesiredPtcRule[], repositoryName: string): DesiredPtcRule | undefined {
  return rules
    .filter((rule) => rule.onDemand && repositoryName.startsWith(`${rule.prefix}/`))
    .sort((a, b) => b.prefix.length - a.prefix.length)[0];
}

function ruleFor(deps: Pick<PtcDeps, 'config'>, prefix: string): DesiredPtcRule | undefined {
  return desiredPtcState(deps.config).rules.find((rule) => rule.prefix === normalizePrefix(prefix));
}

function createdNotice(
  origin: EventOrigin,
  rule: DesiredPtcRule,
  context: { repositoryName: string; reference: string; trigger: string; applied: readonly AppliedChange<PtcChange>[]; registryId: string },
): PtcCreatedNotice {
  const hints: string[] = [];
  const rest = context.repositoryName.slice(rule.prefix.length + 1);
  if (rule.upstreamRegistry === 'docker-hub' && !rest.includes('/')) {
    // §3.6: official Docker Hub images are only found under library/.
    hints.push(`Docker Hub official images need /library/: if ${rest} is an official image, pull ${repositoryUri(origin.region, context.registryId, `${rule.prefix}/library/${rest}`)} instead.`);
  }
  hints.push('The first pull through a new rule imports the image from upstream and may take longer; the puller needs ecr:BatchImportUpstreamImage and ecr:CreateRepository.');
  hints.push(`Repositories under ${rule.prefix}/ are created with its template (lifecycle policy, tag mutability, encryption).`);
  return {
    id: `${origin.eventId}:ptc.created`,
    kind: 'ptc.created',
    severity: 'info',
    repository: context.repositoryName,
    occurredAt: origin.time,
    origin: noticeOriginOf(origin),
    data: {
      prefix: rule.prefix,
      upstreamRegistryUrl: rule.upstreamRegistryUrl,
      upstreamTitle: UPSTREAMS[rule.upstreamRegistry].title,
      repositoryName: context.repositoryName,
      imageReference: context.reference,
      pullCommand: `docker pull ${context.reference}`,
      trigger: context.trigger,
      hints,
      changes: context.applied.map(({ change, outcome }) => ({ action: change.action, target: change.target, reason: change.reason, status: outcome.status, ...(outcome.message ? { message: outcome.message } : {}) })),
      consoleUrl: repositoryConsoleUrl(origin.region, context.registryId, context.repositoryName),
    },
  };
}

function failureNotice(
  origin: EventOrigin,
  guidance: Guidance,
  data: Omit<PtcFailureNotice['data'], 'guidance' | 'failureCode' | 'failureReason' | 'imageTag' | 'imageDigest' | 'consoleUrl'> & {
    failureReason?: string | undefined;
    imageTag?: string | undefined;
    imageDigest?: string | undefined;
    consoleUrl?: string | undefined;
  },
): PtcFailureNotice {
  const { failureReason, imageTag, imageDigest, consoleUrl, ...rest } = data;
  return {
    id: `${origin.eventId}:ptc.failure`,
    kind: 'ptc.failure',
    severity: guidance.severity,
    ...(data.repositoryName ? { repository: data.repositoryName } : {}),
    occurredAt: origin.time,
    origin: noticeOriginOf(origin),
    data: {
      ...rest,
      failureCode: guidance.code,
      ...(failureReason ? { failureReason } : {}),
      ...(imageTag ? { imageTag } : {}),
      ...(imageDigest ? { imageDigest } : {}),
      ...(consoleUrl ? { consoleUrl } : {}),
      guidance: { code: guidance.code, category: guidance.category, title: guidance.title, likelyCause: guidance.likelyCause, fix: guidance.fix, commands: guidance.commands },
    },
  };
}

/** `onPullThroughCache`: `ECR Pull Through Cache Action` and CloudTrail pull failures. */
export const onPullThroughCache: FunctionDefinition<typeof PullThroughCacheEvent, PtcDeps> = {
  name: 'onPullThroughCache',
  eventName: 'pull-through cache event (ECR Pull Through Cache Action or AWS API Call via CloudTrail)',
  eventSchema: PullThroughCacheEvent,
  run: handlePullThroughCacheEvent,
};

import * as z from 'zod/mini';
import { repositoryConsoleUrl, repositoryUri } from '../ecr/consoleLinks';
import { CloudTrailEcrCallEvent } from '../events/cloudTrailEcrCall';
import { originOf, type EventOrigin } from '../events/envelope';
import { PtcActionEvent } from '../events/ptcAction';
import { isImageDigest } from '../events/primitives';
import { describeError, hasErrorCode } from '../errors';
import { TAG_PATTERN } from '../oci/reference';
import { noticeOriginOf, publishNotice } from '../notify/changes';
import { REPEAT_WINDOW_SECONDS, type NoticeRepeat } from '../notify/repeatWindows';
import type { PtcCreatedNotice, PtcFailureNotice } from '../notify/notices';
import { applyChanges } from '../plan/applyChanges';
import type { AppliedChange, ChangeWriter } from '../plan/types';
import { CREATE, PUBLISH, REPORT, statusOf, TELL, tell } from '../plan/tense';
import { upperFirst } from '../notify/present/format';
import type { FunctionDefinition, FunctionReport } from '../runtime/types';
import { outcomeOf } from '../runtime/types';
import { alreadyExisted, type PtcChange } from './changes';
import { desiredPtcState } from './desiredPtcState';
import { diffPtcState } from './diffPtcState';
import { explainPtcFailure, explainUndeclaredPrefix, type Guidance, type UndeclaredRule } from './explainPtcFailure';
import { normalizePrefix, ROOT_PREFIX } from './limits';
import { readPtcState } from './readPtcState';
import { describeValidation, validationProblem } from './syncPullThroughCache';
import type { DesiredPtcRule, PtcDeps, PtcProblem, RuleValidation } from './types';
import { upstreamOfAlias, UPSTREAMS } from './upstreams';

/** `onPullThroughCache` handles both: a rule's sync failed, or a pull missed every rule (CloudTrail). */
export const PullThroughCacheEvent = z.discriminatedUnion('detail-type', [PtcActionEvent, CloudTrailEcrCallEvent]);
export type PullThroughCacheEvent = z.output<typeof PullThroughCacheEvent>;

/** A prefix is reported once; if pulls still fail under it this much later, it is reported again. */
export const UNDECLARED_REPORT_DAYS = 90;
const UNDECLARED_REPORT_WINDOW = `${UNDECLARED_REPORT_DAYS} days`;

/**
 * Every notice this function publishes answers an external event that repeats (a pod in image-pull
 * back-off, anyone allowed to call BatchGetImage, a cache sync failing on every pull): each goes
 * through the notice publisher's repeat windows (`withRepeatWindows`), keyed by prefix and cause,
 * once an hour; an undeclared prefix once per `UNDECLARED_REPORT_DAYS`.
 */
function repeatOf(prefix: string, cause: string, windowSeconds = REPEAT_WINDOW_SECONDS): NoticeRepeat {
  return { scope: prefix, cause, windowSeconds };
}

/** Whether the notice publish was a repeat within its window: counted, not published. */
function suppressed(changes: readonly AppliedChange[]): boolean {
  return changes.some(({ change, outcome }) => change.action === 'sns:Publish' && outcome.data?.suppressed === true);
}

const REPEAT_SUPPRESSED = ' A repeat of the same failure within the hour: counted, and told with the next notice.';


/** The pulls that reveal a missing rule (aws-ecr-facts §7): the manifest, then the layers. */
const PULL_EVENT_NAMES: ReadonlySet<string> = new Set(['BatchGetImage', 'GetDownloadUrlForLayer']);
const REPOSITORY_NOT_FOUND = 'RepositoryNotFoundException';
/** The only documented `sync-status`; the failure spelling is UNCONFIRMED (§1.4), so anything else is a failure. */
const SYNC_SUCCESS = 'SUCCESS';

/**
 * `requestParameters.imageIds` of BatchGetImage, read leniently (a looseObject extra). The puller
 * chose these strings, and they go into the pull command we print: only a tag docker can pull and a
 * well-formed digest are used.
 */
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
 *   2. The repository must start with a declared prefix (longest match; `autoCreate` ones wait for
 *      exactly this, the others are missing because the sync has not run yet or the rule was
 *      deleted). Under no declared prefix, a first path segment that is a known upstream alias
 *      (`docker-hub`, `ghcr`, …) is reported with the configuration entry to add, once per prefix
 *      every `UNDECLARED_REPORT_DAYS` (the notice's repeat window); nothing is created. Anything
 *      else is ignored.
 *   3. Read the rules, templates and the rule's secret; a rule that exists is ignored (the miss has
 *      another cause). Plan that one rule with the sync's planner (`diffPtcState`), so it is built
 *      exactly as the sync builds it: template first, then the rule. A missing secret or a full
 *      quota blocks it: a `ptc.failure` notice says how to fix it.
 *   4. Apply. `…AlreadyExistsException` is success, so concurrent events create one rule; only the
 *      event whose create did it validates it, as the sync does (ValidatePullThroughCacheRule, for
 *      a rule with a credential), and publishes `ptc.created` with the exact pull command to run
 *      again, or, when the validation failed, critical, with what to fix first.
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
  const changes = await applyChanges(deps.writer, [publishNotice(deps.topicArn, notice, `pull-through cache failure of ${image}`, repeatOf(prefix, guidance.code))], { signal: deps.signal });
  return {
    ...base,
    outcome: outcomeOf(changes),
    decision: `Pull-through cache sync of ${image} ended ${detail['sync-status']} (${failureCode}): ${guidance.title}.${suppressed(changes) ? REPEAT_SUPPRESSED : ` ${upperFirst(tell(statusOf(changes), PUBLISH))} the likely cause and fix.`}`,
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
  const rule = declaredRuleFor(desired.rules, repositoryName);
  if (!rule) {
    const alias = repositoryName.split('/')[0] as string;
    const upstream = repositoryName.includes('/') ? upstreamOfAlias(alias) : undefined;
    if (!upstream) return ignore(`${repositoryName} is under no declared pull-through cache prefix, nor under a known upstream alias`);
    const sameUpstream = desired.rules.filter((declared) => declared.upstreamRegistry === upstream).map((declared) => declared.prefix);
    return reportUndeclaredPrefix(event, deps, { prefix: alias, upstream, sameUpstream }, repositoryName);
  }

  const state = await readPtcState(deps.ptc, { rules: [rule] }, { signal: deps.signal });
  if (state.rules.some((actual) => actual.prefix === rule.prefix)) {
    return ignore(`${rule.prefix} is already a pull-through cache rule, so the miss has another cause (the image may not exist upstream)`);
  }
  const why = rule.onDemand ? `rule ${rule.prefix} is in autoCreate (created on first use)` : `declared rule ${rule.prefix} is missing (not synced yet, or deleted)`;
  // The sync's planner, for this one rule: no pruning, so other rules are left alone but still count against the quota.
  const plan = diffPtcState({ rules: [{ ...rule, onDemand: false }], prune: false }, state, { region: event.region });
  const report = plan.rules[0];
  const origin = originOf(event);
  const reference = pulledReference(event, registryId, repositoryName);

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
    const changes = await applyChanges(deps.writer, [publishNotice(deps.topicArn, notice, `rule ${rule.prefix} cannot be created on demand`, repeatOf(rule.prefix, guidance.code))], { signal: deps.signal });
    return {
      ...base,
      outcome: outcomeOf(changes),
      decision: `A pull of ${repositoryName} missed every rule, and ${why}, but it cannot be created: ${blocker?.message ?? 'nothing to do'}.${suppressed(changes) ? REPEAT_SUPPRESSED : ''}`,
      changes,
    };
  }

  const applied: AppliedChange<PtcChange>[] = await applyChanges(deps.writer as ChangeWriter<PtcChange>, plan.changes, { signal: deps.signal });
  const created = applied.find(({ change }) => change.action === 'ecr:CreatePullThroughCacheRule');
  const changes: AppliedChange[] = [...applied];
  let decision: string;
  if (!created || created.outcome.status === 'failed') {
    const failure = applied.find(({ outcome }) => outcome.status === 'failed');
    const message = failure?.outcome.message ?? 'the rule was not created';
    const guidance = explainPtcFailure('CREATE_FAILED', { prefix: rule.prefix, repositoryName, region: event.region, upstream: rule.upstreamRegistry, reason: message, ...(rule.credentialSecret ? { secretName: rule.credentialSecret } : {}) });
    const notice = failureNotice(origin, guidance, { source: 'auto-create', prefix: rule.prefix, repositoryName, upstreamRegistryUrl: rule.upstreamRegistryUrl, failureReason: message });
    const published = await applyChanges(deps.writer, [publishNotice(deps.topicArn, notice, `rule ${rule.prefix} could not be created on demand`, repeatOf(rule.prefix, guidance.code))], { signal: deps.signal });
    changes.push(...published);
    decision = `A pull of ${repositoryName} missed every rule; creating rule ${rule.prefix} failed: ${message}${suppressed(published) ? `.${REPEAT_SUPPRESSED}` : ''}`;
  } else if (alreadyExisted(created.outcome)) {
    // Another event (or a person) created it between our read and our create: it notified already.
    decision = `A pull of ${repositoryName} missed every rule; rule ${rule.prefix} was created concurrently by another event: nothing more to do.`;
  } else {
    const validation = await validateCreatedRule(deps, rule, created.outcome.status, event.region);
    const notice = createdNotice(origin, rule, { repositoryName, reference, trigger: `${detail.eventName} failed with ${REPOSITORY_NOT_FOUND}`, applied, registryId, validation });
    changes.push(...(await applyChanges(deps.writer, [publishNotice(deps.topicArn, notice, `rule ${rule.prefix} created on demand: pull again`)], { signal: deps.signal })));
    const validated = validation ? ` (validation: ${validation.text})` : '';
    decision = validation?.problem
      ? `A pull of ${repositoryName} missed every rule, and ${why}: ${tell(created.outcome.status, CREATE)} rule ${rule.prefix} → ${rule.upstreamRegistryUrl} and its template, but ${validation.problem.message}; ${tell(statusOf(changes.slice(applied.length)), TELL)} the user to fix it (${validation.problem.fix}) and pull ${reference} again.`
      : `A pull of ${repositoryName} missed every rule, and ${why}: ${tell(created.outcome.status, CREATE)} rule ${rule.prefix} → ${rule.upstreamRegistryUrl} and its template${validated}; ${tell(statusOf(changes.slice(applied.length)), TELL)} the user to pull ${reference} again.`;
  }
  return { ...base, outcome: outcomeOf(changes), decision, changes };
}

/** A new rule's validation, in words, and what to do when it failed. */
interface CreatedRuleValidation {
  text: string;
  problem?: PtcProblem;
}

/**
 * Validates a rule just created on demand, as the sync validates every rule with a credential
 * (ValidatePullThroughCacheRule): a rule whose secret ECR cannot use would fail the very pull the
 * notice asks for. Plan mode: pending. A validation call that fails (throttled, denied) does not
 * undo the creation: the notice says it did not run and how to run it.
 */
async function validateCreatedRule(deps: PtcDeps, rule: DesiredPtcRule, createStatus: string, region: string): Promise<CreatedRuleValidation | undefined> {
  if (!rule.credentialSecret) return undefined;
  if (createStatus === 'planned') return { text: describeValidation('pending') };
  let validation: RuleValidation;
  try {
    validation = await deps.ptc.validateRule(rule.prefix, { signal: deps.signal });
  } catch (error) {
    if (hasErrorCode(error, 'ABORTED')) throw error;
    return { text: `not run: ${describeError(error)}; run aws ecr validate-pull-through-cache-rule --ecr-repository-prefix ${rule.prefix} --region ${region}` };
  }
  if (validation.isValid) return { text: describeValidation(validation) };
  return { text: describeValidation(validation), problem: validationProblem(rule.prefix, validation, { region, rule }) };
}

/**
 * The declared rule whose prefix starts the repository name, the longest when several do (ECR
 * matches the longest prefix too); a declared ROOT rule covers every name, last.
 */
function declaredRuleFor(rules: readonly DesiredPtcRule[], repositoryName: string): DesiredPtcRule | undefined {
  const matching = rules.filter((rule) => repositoryName.startsWith(`${rule.prefix}/`)).sort((a, b) => b.prefix.length - a.prefix.length);
  return matching[0] ?? rules.find((rule) => rule.prefix === ROOT_PREFIX);
}

/** `<registry>/<repository>[:tag|@digest]` as pulled, with only a tag docker accepts or a well-formed digest. */
function pulledReference(event: CloudTrailEcrCallEvent, registryId: string, repositoryName: string): string {
  const imageIds = ImageIds.safeParse(event.detail.requestParameters?.imageIds);
  const imageId = imageIds.success ? imageIds.data[0] : undefined;
  const tag = imageId?.imageTag !== undefined && TAG_PATTERN.test(imageId.imageTag) ? imageId.imageTag : undefined;
  const digest = isImageDigest(imageId?.imageDigest) ? imageId?.imageDigest : undefined;
  return `${repositoryUri(event.region, registryId, repositoryName)}${tag ? `:${tag}` : digest ? `@${digest}` : ''}`;
}

/**
 * A pull under a known upstream alias that no rule declares: nothing is created (ecr-autopilot
 * creates only declared rules); a `ptc.failure` notice gives the configuration entry to add, once
 * per prefix for `UNDECLARED_REPORT_DAYS` however many pulls fail (the repeat windows; the next
 * report counts the pulls in between). A repeat is reported as ignored, with the reason.
 */
async function reportUndeclaredPrefix(event: CloudTrailEcrCallEvent, deps: PtcDeps, rule: UndeclaredRule, repositoryName: string): Promise<FunctionReport> {
  const { configLines, ...advice } = explainUndeclaredPrefix(rule, { region: event.region, repositoryName });
  const base = { function: 'onPullThroughCache', eventId: event.id };
  const missed = `A pull of ${repositoryName} missed every rule: ${rule.prefix}/ is the usual prefix for ${UPSTREAMS[rule.upstream].title} but is not declared, so no rule is created.`;
  const notice = failureNotice(originOf(event), advice, { source: 'undeclared', prefix: rule.prefix, repositoryName, upstreamRegistryUrl: UPSTREAMS[rule.upstream].url });
  notice.data.configLines = configLines;
  const changes = await applyChanges(
    deps.writer,
    [publishNotice(deps.topicArn, notice, `${rule.prefix}/ is not a declared pull-through cache prefix`, repeatOf(rule.prefix, advice.code, UNDECLARED_REPORT_DAYS * 86_400))],
    { signal: deps.signal },
  );
  if (suppressed(changes)) {
    return { ...base, outcome: 'ignored', decision: `${missed} Already reported for this prefix (once per prefix, for ${UNDECLARED_REPORT_WINDOW}); this pull is counted for the next report.`, changes };
  }
  return { ...base, outcome: outcomeOf(changes), decision: `${missed} ${upperFirst(tell(statusOf(changes), REPORT))} it with the entry to add under pullThroughCache.rules: ${configLines.join(' ')}.`, changes };
}

function ruleFor(deps: Pick<PtcDeps, 'config'>, prefix: string): DesiredPtcRule | undefined {
  return desiredPtcState(deps.config).rules.find((rule) => rule.prefix === normalizePrefix(prefix));
}

function createdNotice(
  origin: EventOrigin,
  rule: DesiredPtcRule,
  context: { repositoryName: string; reference: string; trigger: string; applied: readonly AppliedChange<PtcChange>[]; registryId: string; validation?: CreatedRuleValidation | undefined },
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
    severity: context.validation?.problem ? 'critical' : 'info',
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
      ...(context.validation ? { validation: context.validation.text } : {}),
      ...(context.validation?.problem
        ? { validationFix: { fix: context.validation.problem.fix, ...(context.validation.problem.command ? { command: context.validation.problem.command } : {}) } }
        : {}),
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

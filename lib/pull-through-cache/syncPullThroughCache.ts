import * as z from 'zod/mini';
import { AutopilotError, hasErrorCode } from '../errors';
import { ScheduledEvent } from '../events/scheduled';
import { publishNotice } from '../notify/changes';
import type { NoticeChange, NoticeSeverity, PtcSyncNotice } from '../notify/notices';
import { applyChanges, firedSignal, readSignal, type RunSignals } from '../plan/applyChanges';
import type { AppliedChange, Change, ChangeWriter } from '../plan/types';
import { MAKE, PUBLISH, statusOf, tell } from '../plan/tense';
import { plural, upperFirst } from '../notify/present/format';
import { stopLine } from '../runtime/deadline';
import type { FunctionDefinition, FunctionReport } from '../runtime/types';
import { outcomeOf } from '../runtime/types';
import type { PtcChange } from './changes';
import { desiredPtcState } from './desiredPtcState';
import { diffPtcState, type PtcPlan } from './diffPtcState';
import { explainPtcFailure } from './explainPtcFailure';
import type { PtcStateReader } from './PtcStateReader';
import { readPtcState } from './readPtcState';
import { explainAwsFailure } from '../shared/awsFailure';
import type { DesiredPtcRule, DesiredPtcState, PtcDeps, PtcProblem, PtcReadFailures, PtcRuleReport, RuleValidation } from './types';

/** A manual invoke (`serverless invoke`, the console, right after deploy): `{}` or `{"prune": true}`. */
export const SyncPtcRequest = z.strictObject({
  /** Overrides `pullThroughCache.prune` for this run. */
  prune: z.optional(z.boolean()),
});

/** `syncPullThroughCache` runs on its daily schedule or on a manual invoke. */
export const SyncPtcEvent = z.union([ScheduledEvent, SyncPtcRequest]);
export type SyncPtcEvent = z.output<typeof SyncPtcEvent>;

/** The sync stops this long before its deadline: the change in flight finishes, then the summary is published. */
export const PTC_SYNC_STOP_MARGIN_MS = 10_000;

/** The sync's report: the function report plus where every rule stands (for `ptc sync`/`ptc status` and `--json`). */
export interface PtcSyncReport extends FunctionReport {
  prune: boolean;
  rules: PtcRuleReport[];
}

export interface PtcReconcileResult {
  desired: DesiredPtcState;
  plan: PtcPlan;
  applied: AppliedChange<PtcChange>[];
  /** The plan's rule reports, completed with change failures and validation results. */
  rules: PtcRuleReport[];
  /** Reads that failed (tolerant runs only), each with its fix. */
  unreadable?: PtcReadFailures;
}

/**
 * Reconciles the registry's pull-through cache with the configuration, without notifying.
 *
 * Input: the configuration, a state reader and a writer (a recorder in plan mode, which makes this
 * `ptc status`). Output: the plan, its outcomes, and a report per rule.
 * 1. Read rules, templates and the declared secrets' metadata (`readPtcState`).
 * 2. Plan (`diffPtcState`, pure).
 * 3. Apply the changes in order; a failed change is reported on its rule and the rest still run.
 * 4. Validate every authenticated rule that exists afterwards (ValidatePullThroughCacheRule): rules
 *    just created or updated in live mode too; in plan mode those are `pending`.
 *
 * @example
 * const { rules } = await reconcilePullThroughCache({ config, ptc, writer: new PlanningWriter() });
 */
export async function reconcilePullThroughCache(
  deps: Pick<PtcDeps, 'config' | 'ptc' | 'writer'>,
  options: {
    prune?: boolean;
    /**
     * `ptc status`: a read or a validation that fails is reported (on the rule, or in `unreadable`)
     * with its fix, and the others still run; what could not be read is `unknown`. The sync leaves
     * it off: it changes nothing on a state it could not read.
     */
    tolerant?: boolean;
  } & RunSignals = {},
): Promise<PtcReconcileResult> {
  const run: RunSignals = { signal: options.signal, stop: options.stop };
  const tolerant = options.tolerant ?? false;
  const desired = desiredPtcState(deps.config, options.prune === undefined ? {} : { prune: options.prune });
  const state = await readPtcState(deps.ptc, desired, { signal: readSignal(run) }, { tolerant });
  const plan = diffPtcState(desired, state, { region: deps.ptc.region });
  const applied = await applyChanges(deps.writer as ChangeWriter<PtcChange>, plan.changes, run);
  const rules = plan.rules.map((report) => ({ ...report, reasons: [...report.reasons], problems: [...report.problems] }));
  for (const { change, outcome } of applied) {
    if (outcome.status !== 'failed') continue;
    rules
      .find((report) => report.prefix === change.target)
      ?.problems.push({ code: 'CHANGE_FAILED', message: `${change.action} failed: ${outcome.message ?? 'unknown error'}`, fix: 'fix the cause named in the message, then run the sync again' });
  }
  await validateRules(deps.ptc, desired, rules, applied, run, tolerant);
  return { desired, plan, applied, rules, ...(state.unreadable ? { unreadable: state.unreadable } : {}) };
}

async function validateRules(
  reader: PtcStateReader,
  desired: DesiredPtcState,
  rules: PtcRuleReport[],
  applied: readonly AppliedChange<PtcChange>[],
  run: RunSignals,
  tolerant: boolean,
): Promise<void> {
  for (const report of rules) {
    // After the stop no rule is validated: the report says the run stopped, the next run validates.
    if (firedSignal(run)) return;
    if (!report.declared || !report.credentialSecret) continue;
    const ruleOutcomes = applied.filter(({ change }) => change.target === report.prefix && change.action.endsWith('PullThroughCacheRule'));
    if (ruleOutcomes.some(({ outcome }) => outcome.status === 'failed')) continue;
    if (ruleOutcomes.some(({ outcome }) => outcome.status === 'planned')) {
      report.validation = 'pending';
      continue;
    }
    const created = ruleOutcomes.some(({ change }) => change.action === 'ecr:CreatePullThroughCacheRule');
    if (!report.exists && !created) continue;
    let validation;
    try {
      validation = await reader.validateRule(report.prefix, { signal: readSignal(run) });
    } catch (error) {
      if (hasErrorCode(error, 'ABORTED') && firedSignal(run)) return;
      // A final error (no permission, rule gone) is this rule's validation result; throttling is not.
      // ptc status also explains what no adapter translated (expired credentials, …) and goes on.
      const final = tolerant && !hasErrorCode(error, 'ABORTED') ? explainAwsFailure(error, `ecr:ValidatePullThroughCacheRule ${report.prefix}`) : error;
      if (!(final instanceof AutopilotError) || final.retryable) throw final;
      validation = { isValid: false, failure: final.message };
    }
    report.validation = validation;
    if (!validation.isValid) {
      const rule = desired.rules.find((candidate) => candidate.prefix === report.prefix);
      const problem = validationProblem(report.prefix, validation, { region: reader.region, ...(rule ? { rule } : {}) });
      // The missing-secret problem already carries the command that fixes both.
      if (problem.command && report.problems.some((other) => other.command === problem.command)) delete problem.command;
      report.problems.push(problem);
    }
  }
}

/**
 * What a failed ValidatePullThroughCacheRule means, with the fix its reason points at: the sync and
 * the on-demand creation (onPullThroughCache) say it alike.
 *
 * @example
 * validationProblem('docker-hub', { isValid: false, failure: 'Invalid credentials' }, { region: 'ap-northeast-2' }).code // 'VALIDATION_FAILED'
 */
export function validationProblem(prefix: string, validation: RuleValidation, context: { region: string; rule?: DesiredPtcRule }): PtcProblem {
  const guidance = explainPtcFailure(undefined, {
    reason: validation.failure ?? '',
    prefix,
    region: context.region,
    ...(context.rule?.credentialSecret ? { secretName: context.rule.credentialSecret } : {}),
    ...(context.rule ? { upstream: context.rule.upstreamRegistry } : {}),
  });
  const problem: PtcProblem = {
    code: 'VALIDATION_FAILED',
    message: `ValidatePullThroughCacheRule failed for ${prefix}: ${validation.failure ?? 'no reason given'} (${guidance.title})`,
    fix: guidance.fix,
  };
  const command = guidance.commands[0];
  if (command) problem.command = command;
  return problem;
}

/**
 * `syncPullThroughCache`: the daily (and manual, and after-deploy) reconcile.
 *
 * Input: a scheduled event, or `{}` / `{"prune": true}`. Output: a report with every change, each
 * rule's state, and one `ptc.sync` notice.
 * 1. Reconcile (`reconcilePullThroughCache`): read, plan, apply, validate.
 * 2. Publish one `ptc.sync` summary when something changed or something is wrong (a missing secret,
 *    a failed validation or change, a drifted rule). A run that finds everything in order stays
 *    quiet: a daily "all good" message would train people to ignore the channel.
 *
 * @example
 * const report = await syncPullThroughCache.run({}, deps);
 */
export async function runPullThroughCacheSync(event: SyncPtcEvent, deps: PtcDeps): Promise<PtcSyncReport> {
  const scheduled = 'detail-type' in event ? event : undefined;
  const prune = 'detail-type' in event ? undefined : event.prune;
  const stop = stopLine(deps, PTC_SYNC_STOP_MARGIN_MS);
  let result: PtcReconcileResult;
  try {
    result = await reconcilePullThroughCache(deps, { ...(prune === undefined ? {} : { prune }), signal: deps.signal, stop: stop.signal });
  } catch (error) {
    // The stop came while reading: nothing was planned or changed; say so.
    if (!(hasErrorCode(error, 'ABORTED') && stop.signal.aborted)) throw error;
    return stoppedBeforeReading(scheduled?.id, stop.reason);
  } finally {
    stop.dispose();
  }
  const stoppedEarly = stop.reason;
  const { rules } = result;
  const problems = rules.flatMap((report) => report.problems.map((problem) => ({ prefix: report.prefix, ...problem })));
  const changes: AppliedChange[] = [...result.applied];

  const notice = syncNotice(result, problems, {
    eventId: scheduled?.id,
    account: scheduled?.account,
    region: scheduled?.region ?? deps.ptc.region,
    time: scheduled?.time ?? deps.clock().toISOString(),
  }, stoppedEarly);
  if (result.applied.length > 0 || problems.length > 0 || stoppedEarly) {
    changes.push(...(await applyChanges(deps.writer, [publishNotice(deps.topicArn, notice, 'pull-through cache sync summary')], { signal: deps.signal })));
  }

  const count = (status: PtcRuleReport['status']) => rules.filter((report) => report.status === status).length;
  const decision = [
    `Pull-through cache: ${rules.filter((report) => report.declared).length} declared rule(s), ${count('in-sync')} in sync`,
    ...(result.applied.length > 0 ? [`${tell(statusOf(result.applied), MAKE)} ${plural(result.applied.length, 'change')}`] : []),
    ...(count('on-demand') > 0 ? [`${count('on-demand')} waiting for a first pull (autoCreate)`] : []),
    ...(count('unmanaged') > 0 ? [`${count('unmanaged')} unmanaged (kept: prune is off)`] : []),
    ...(count('delete') > 0 ? [`${count('delete')} unmanaged deleted (prune)`] : []),
  ].join(', ');
  const problemText = problems.length > 0 ? ` ${problems.length} problem(s): ${problems.map((problem) => `${problem.prefix}: ${problem.message}`).join('; ')}.` : '';
  const stopText = stoppedEarly ? ` Stopped early (${stoppedEarly}): ${result.applied.filter(({ outcome }) => outcome.status === 'stopped').length} change(s) not made; the next run makes them.` : '';
  return {
    function: 'syncPullThroughCache',
    ...(scheduled ? { eventId: scheduled.id } : {}),
    outcome: outcomeOf(changes),
    decision: `${decision}.${problemText}${stopText}${changes.length > result.applied.length ? ` ${upperFirst(tell(statusOf(changes.slice(result.applied.length)), PUBLISH))} the sync summary.` : ' Nothing to report: no notification.'}`,
    changes,
    prune: result.desired.prune,
    rules,
    ...(stoppedEarly ? { stoppedEarly } : {}),
  };
}

/** The report of a sync that stopped before it could read the registry: nothing planned, nothing changed. */
function stoppedBeforeReading(eventId: string | undefined, reason: string | undefined): PtcSyncReport {
  return {
    function: 'syncPullThroughCache',
    ...(eventId ? { eventId } : {}),
    outcome: 'done',
    decision: `Stopped before reading the pull-through cache rules (${reason ?? 'stopped'}): nothing planned or changed; the next run reconciles.`,
    changes: [],
    prune: false,
    rules: [],
    stoppedEarly: reason ?? 'stopped',
  };
}

function syncNotice(
  result: PtcReconcileResult,
  problems: Array<PtcProblem & { prefix: string }>,
  origin: { eventId: string | undefined; account: string | undefined; region: string; time: string },
  stoppedEarly: string | undefined,
): PtcSyncNotice {
  const { rules, applied } = result;
  const failedChanges = applied.filter(({ outcome }) => outcome.status === 'failed').length;
  const severity: NoticeSeverity =
    failedChanges > 0 || problems.some((problem) => problem.code === 'VALIDATION_FAILED') ? 'critical' : problems.length > 0 ? 'warning' : 'info';
  return {
    // Stable per scheduled event, so a redelivered event publishes once; a manual run has no event id.
    id: `${origin.eventId ?? `manual-${origin.time}`}:ptc.sync`,
    kind: 'ptc.sync',
    severity,
    occurredAt: origin.time,
    origin: { ...(origin.eventId ? { eventId: origin.eventId } : {}), ...(origin.account ? { account: origin.account } : {}), region: origin.region },
    data: {
      prune: result.desired.prune,
      counts: {
        declared: rules.filter((report) => report.declared).length,
        inSync: rules.filter((report) => report.status === 'in-sync').length,
        changed: applied.length,
        onDemand: rules.filter((report) => report.status === 'on-demand').length,
        unmanaged: rules.filter((report) => !report.declared).length,
        failedChanges,
        problems: problems.length,
      },
      rules: rules.map((report) => ({
        prefix: report.prefix,
        declared: report.declared,
        status: report.status,
        upstreamRegistryUrl: report.upstreamRegistryUrl,
        credential: report.credentialSecret ? `${report.credential} (${report.credentialSecret})` : report.credential,
        template: report.template,
        ...(report.validation ? { validation: describeValidation(report.validation) } : {}),
      })),
      problems: problems.map((problem) => ({ prefix: problem.prefix, code: problem.code, message: problem.message, fix: problem.fix, ...(problem.command ? { command: problem.command } : {}) })),
      changes: applied.map(({ change, outcome }) => noticeChange(change, outcome)),
      ...(stoppedEarly ? { stoppedEarly } : {}),
    },
  };
}

/**
 * A validation result in words: `valid`, `pending (after the change)` or `failed: <reason>`.
 *
 * @example
 * describeValidation({ isValid: false, failure: 'Invalid credentials' }) // 'failed: Invalid credentials'
 */
export function describeValidation(validation: NonNullable<PtcRuleReport['validation']>): string {
  if (validation === 'pending') return 'pending (after the change)';
  return validation.isValid ? 'valid' : `failed: ${validation.failure ?? 'no reason given'}`;
}

function noticeChange(change: Change, outcome: AppliedChange['outcome']): NoticeChange {
  return { action: change.action, target: change.target, reason: change.reason, status: outcome.status, ...(outcome.message ? { message: outcome.message } : {}) };
}

/** `syncPullThroughCache`: daily schedule and manual invoke. */
export const syncPullThroughCache: FunctionDefinition<typeof SyncPtcEvent, PtcDeps, PtcSyncReport> = {
  name: 'syncPullThroughCache',
  eventName: 'pull-through cache sync request (Scheduled Event, {} or {"prune": true})',
  eventSchema: SyncPtcEvent,
  ownsDeadline: true,
  run: runPullThroughCacheSync,
};

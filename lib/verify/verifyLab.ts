import * as z from 'zod/mini';
import { describeError, hasErrorCode } from '../errors';
import { publishNotice, registryNoticeOrigin, type PublishNoticeChange } from '../notify/changes';
import type { VerifyChecklistNotice, VerifyTestNotice } from '../notify/notices';
import { applyChanges } from '../plan/applyChanges';
import type { AppliedChange } from '../plan/types';
import { stopLine } from '../runtime/deadline';
import type { AutopilotDeps, FunctionDefinition, FunctionReport } from '../runtime/types';
import { eventRulesCheck } from './checks/eventRules';
import { fleetRunsCheck } from './checks/fleetRuns';
import { mirroredImagesCheck } from './checks/mirroredImages';
import { notificationTopicCheck } from './checks/notifications';
import { pullPermissionsCheck } from './checks/pullPermissions';
import { pullThroughCacheCheck } from './checks/pullThroughCache';
import { registryScanningCheck } from './checks/registryScanning';
import { runLabChecklist, summarize, type ChecklistReport } from './runLabChecklist';
import type { CheckContext, CheckResult, LabCheck } from './types';

/** The checks stop this long before the deadline, leaving time to publish the test message and the checklist. */
export const VERIFY_STOP_MARGIN_MS = 10_000;

/** The lab's checks, one per lab step. */
export const LAB_CHECKS: readonly LabCheck[] = [mirroredImagesCheck, pullThroughCacheCheck, registryScanningCheck, eventRulesCheck, notificationTopicCheck, pullPermissionsCheck, fleetRunsCheck];

/** A manual invoke: `{}` checks everything and notifies; `{"notify": false}` publishes nothing. */
export const VerifyLabEvent = z.strictObject({ notify: z._default(z.boolean(), true) });
export type VerifyLabEvent = z.output<typeof VerifyLabEvent>;

export type VerifyDeps = Pick<AutopilotDeps, 'config' | 'registry' | 'writer' | 'topicArn' | 'clock' | 'logger' | 'signal' | 'deadline'> &
  Pick<CheckContext, 'ptc' | 'upstream' | 'stack' | 'stackName'>;

export interface VerifyReport extends FunctionReport {
  checklist: ChecklistReport;
}

/**
 * `verifyLab`: proves the ECR chapter of the lab works, in one invoke.
 *
 * Input: `{ notify? }`. Output: the checklist (pass/fail/warn/skipped per item, with expected,
 * found and fix) and the notifications as changes.
 * 1. Run every check concurrently; they only read.
 * 2. Unless `notify: false`, publish a test message: the notification path check.
 * 3. Publish the checklist as one notification (failures first).
 * It owns its deadline: `VERIFY_STOP_MARGIN_MS` before it (or on Ctrl-C) the checks still running
 * are cut short and reported `skipped`, and the checklist is published with what was found.
 *
 * @example
 * const report = await verifyLab({ notify: false }, deps);
 * report.checklist.passed
 */
export async function verifyLab(event: VerifyLabEvent, deps: VerifyDeps): Promise<VerifyReport> {
  const now = deps.clock();
  const runId = `verify-${now.toISOString()}`;
  const stop = stopLine(deps, VERIFY_STOP_MARGIN_MS);
  let checks: ChecklistReport;
  try {
    const context: CheckContext = { config: deps.config, registry: deps.registry, ptc: deps.ptc, upstream: deps.upstream, stack: deps.stack, stackName: deps.stackName, topicArn: deps.topicArn, signal: stop.signal };
    checks = await runLabChecklist(LAB_CHECKS, context);
  } finally {
    stop.dispose();
  }
  const stoppedEarly = stop.reason;
  const origin = registryNoticeOrigin(deps.registry, runId);

  const changes: AppliedChange[] = [];
  let pathCheck: CheckResult;
  const base = { id: 'notification-path', section: 'Notifications', title: 'Notification path (test message)', expected: 'the test message is accepted by the topic' } as const;
  if (!event.notify) {
    pathCheck = { ...base, status: 'skipped', found: 'not tested (--no-notify)' };
  } else {
    const test: VerifyTestNotice = { id: `${runId}:verify.test`, kind: 'verify.test', severity: 'info', occurredAt: now.toISOString(), origin, data: { stackName: deps.stackName, sentAt: now.toISOString() } };
    const applied = await publishOrFail(deps.writer, publishNotice(deps.topicArn, test, 'notification path test'), deps.signal);
    changes.push(applied);
    const outcome = applied.outcome;
    pathCheck =
      outcome?.status === 'applied'
        ? { ...base, status: 'pass', found: `accepted (${outcome.message ?? 'published'})` }
        : outcome?.status === 'planned'
          ? { ...base, status: 'skipped', found: 'plan mode: would publish a test message' }
          : { ...base, status: 'fail', found: outcome?.message ?? 'not published', fix: 'check NOTIFICATION_TOPIC_ARN and the sns:Publish permission' };
  }
  const checklist = summarize([...checks.items, pathCheck]);

  if (event.notify) {
    const notice: VerifyChecklistNotice = {
      id: `${runId}:verify.checklist`,
      kind: 'verify.checklist',
      severity: checklist.passed ? (checklist.counts.warn > 0 ? 'warning' : 'info') : 'critical',
      occurredAt: now.toISOString(),
      origin,
      data: { passed: checklist.passed, stackName: deps.stackName, counts: checklist.counts, items: checklist.items },
    };
    changes.push(await publishOrFail(deps.writer, publishNotice(deps.topicArn, notice, 'lab checklist'), deps.signal));
  }
  const c = checklist.counts;
  return {
    function: 'verifyLab',
    eventId: runId,
    outcome: checklist.passed ? 'done' : 'failed',
    decision: `Lab check ${checklist.passed ? 'passed' : 'failed'}: ${c.pass} pass, ${c.fail} fail, ${c.warn} warn, ${c.skipped} skipped${stoppedEarly ? ` (stopped early: ${stoppedEarly})` : ''}.`,
    changes,
    checklist,
    ...(stoppedEarly ? { stoppedEarly } : {}),
  };
}

/**
 * Publishes one notice and returns its outcome. A publish that fails for any reason (SnsPublisher
 * reports SNS errors as retryable, which `applyChanges` rethrows) is a failed outcome, not an
 * exception: the failing notification path is what the checklist must report. Only cancellation
 * propagates.
 */
async function publishOrFail(writer: VerifyDeps['writer'], change: PublishNoticeChange, signal: AbortSignal | undefined): Promise<AppliedChange> {
  try {
    const [applied] = await applyChanges(writer, [change], { signal });
    return applied ?? { change, outcome: { status: 'failed', message: 'not published' } };
  } catch (error) {
    if (hasErrorCode(error, 'ABORTED')) throw error;
    return { change, outcome: { status: 'failed', message: describeError(error) } };
  }
}

/** `verifyLab`: manual invoke (`{}` or `{"notify": false}`). */
export const verifyLabFunction: FunctionDefinition<typeof VerifyLabEvent, VerifyDeps, VerifyReport> = {
  name: 'verifyLab',
  eventName: 'verify event ({"notify"?: boolean})',
  eventSchema: VerifyLabEvent,
  ownsDeadline: true,
  run: verifyLab,
};

import * as z from 'zod/mini';
import type { DeleteRepositoryChange } from '../ecr/changes';
import { mirrorTargets } from '../mirror/mirrorTargets';
import { applyChanges } from '../plan/applyChanges';
import { PlanningWriter } from '../plan/PlanningWriter';
import type { AppliedChange, ChangeWriter } from '../plan/types';
import type { DeletePtcRuleChange, DeleteTemplateChange } from '../pull-through-cache/changes';
import { desiredPtcState } from '../pull-through-cache/desiredPtcState';
import { normalizePrefix } from '../pull-through-cache/limits';
import type { PtcStateReader } from '../pull-through-cache/PtcStateReader';
import type { AutopilotDeps, FunctionDefinition, FunctionReport } from '../runtime/types';
import { outcomeOf } from '../runtime/types';
import { stopLine } from '../runtime/deadline';
import type { CallOptions } from '../shared/retry';
import { hasErrorCode } from '../errors';
import { explainAwsFailure, readOrReport } from '../shared/awsFailure';

/** `{}` plans only; `{"apply": true}` deletes. A destructive function never acts on an empty event. */
export const TeardownLabEvent = z.strictObject({ apply: z._default(z.boolean(), false) });
export type TeardownLabEvent = z.output<typeof TeardownLabEvent>;

export type TeardownDeps = Pick<AutopilotDeps, 'config' | 'registry' | 'writer' | 'clock' | 'logger' | 'signal' | 'deadline'> & { ptc: PtcStateReader };

/** Teardown stops starting deletions this long before its deadline; the one in flight finishes. */
export const TEARDOWN_STOP_MARGIN_MS = 10_000;

export type TeardownChange = DeletePtcRuleChange | DeleteTemplateChange | DeleteRepositoryChange;

/** A step of the teardown that failed (a listing, so what it would have found was not removed), with its fix. */
export interface TeardownProblem {
  /** What was being done, e.g. `list the pull-through cache rules (ecr:DescribePullThroughCacheRules)`. */
  step: string;
  /** What went wrong and what to do. */
  message: string;
}

/** The teardown report: the changes (each with its outcome) and the steps that failed. */
export interface TeardownReport extends FunctionReport {
  problems: TeardownProblem[];
}

/**
 * What tearing the lab down removes, in an order that always works: the declared pull-through
 * cache rules first (so no pull recreates a cache repository meanwhile), then their creation
 * templates, then the repositories those rules created, then the mirrored repositories (with their
 * images). Only what exists is planned, and only what the configuration owns: declared prefixes and
 * mirror destinations — never an undeclared rule or another repository.
 *
 * The three listings are independent: one that fails (no permission, expired credentials) is a
 * problem with its fix, and what the others found is still planned. A cancelled listing throws.
 *
 * @example
 * const { changes, problems } = await planTeardown(deps); // no changes when the lab is already gone
 */
export async function planTeardown(deps: Pick<TeardownDeps, 'config' | 'registry' | 'ptc'>, call: CallOptions = {}): Promise<{ changes: TeardownChange[]; problems: TeardownProblem[] }> {
  const prefixes = desiredPtcState(deps.config).rules.map((rule) => normalizePrefix(rule.prefix));
  const problems: TeardownProblem[] = [];
  const list = async <T>(step: string, operation: string, read: () => Promise<T[]>): Promise<T[]> =>
    (await readOrReport(operation, read, (message) => problems.push({ step: `${step} (${operation})`, message }))) ?? [];
  const [rules, templates, repositoryNames] = await Promise.all([
    list('list the pull-through cache rules', 'ecr:DescribePullThroughCacheRules', () => deps.ptc.listRules(call)),
    list('list the repository creation templates', 'ecr:DescribeRepositoryCreationTemplates', () => deps.ptc.listTemplates(call)),
    list('list the repositories', 'ecr:DescribeRepositories', async () => {
      const names: string[] = [];
      for await (const repository of deps.registry.listRepositories(call)) names.push(repository.repositoryName);
      return names;
    }),
  ]);

  const owned = new Set(prefixes);
  const mirrored = new Set(mirrorTargets(deps.config.mirror).map((target) => target.repository));
  const changes: TeardownChange[] = [];
  for (const rule of rules.filter((candidate) => owned.has(normalizePrefix(candidate.prefix)))) {
    changes.push({ action: 'ecr:DeletePullThroughCacheRule', target: normalizePrefix(rule.prefix), reason: `declared pull-through cache rule (→ ${rule.upstreamRegistryUrl})` });
  }
  for (const template of templates.filter((candidate) => owned.has(normalizePrefix(candidate.prefix)))) {
    changes.push({ action: 'ecr:DeleteRepositoryCreationTemplate', target: normalizePrefix(template.prefix), reason: 'creation template of a declared pull-through cache prefix' });
  }
  // Cache repositories first, then mirror destinations (whatever order the registry lists them in).
  const mirrorDestinations: TeardownChange[] = [];
  for (const name of repositoryNames) {
    const prefix = prefixes.find((candidate) => name.startsWith(`${candidate}/`));
    if (prefix) changes.push({ action: 'ecr:DeleteRepository', target: name, reason: `created by pull-through cache under ${prefix}/ (deleted with its images)` });
    else if (mirrored.has(name)) mirrorDestinations.push({ action: 'ecr:DeleteRepository', target: name, reason: 'mirror destination (deleted with its images)' });
  }
  return { changes: [...changes, ...mirrorDestinations], problems };
}

/**
 * Applies with `writer`, but a change that fails for any reason (not only the ones `applyChanges`
 * reports) is a `failed` outcome whose message says what to do, and the next change still runs: a
 * teardown goes item by item. Once AWS itself is out of reach (a silent or unreachable endpoint,
 * throttling or server errors past the retries), the remaining changes are not started, each
 * `stopped` with the reason: every one would wait for the same silence. Cancellation still stops it.
 */
function itemByItem(writer: ChangeWriter<TeardownChange>): ChangeWriter<TeardownChange> {
  let unreachable: string | undefined;
  return {
    async apply(change, options) {
      if (unreachable !== undefined) return { status: 'stopped', message: `not started: ${unreachable}; run the teardown again` };
      try {
        return await writer.apply(change, options);
      } catch (error) {
        if (hasErrorCode(error, 'ABORTED')) throw error;
        const explained = explainAwsFailure(error, `${change.action} ${change.target}`);
        if (explained.retryable) unreachable = `AWS did not answer ${change.action} ${change.target}`;
        return { status: 'failed', message: explained.message };
      }
    },
  };
}

/**
 * `teardownLab`: removes what the lab created (see `planTeardown`), idempotently: a second run finds
 * nothing to remove and succeeds. Without `apply: true` it only plans. It owns its deadline: once it
 * stops (`TEARDOWN_STOP_MARGIN_MS` before it, or Ctrl-C) no removal starts, the one in flight
 * finishes, and the report lists what is left; running it again finishes the job. Every change is
 * tried, and each failure (and each listing that failed) is reported with its fix.
 *
 * @example
 * await teardownLab({ apply: true }, deps);
 */
export async function teardownLab(event: TeardownLabEvent, deps: TeardownDeps): Promise<TeardownReport> {
  const eventId = `teardown-${deps.clock().toISOString()}`;
  const stop = stopLine(deps, TEARDOWN_STOP_MARGIN_MS);
  let changes: TeardownChange[];
  let problems: TeardownProblem[];
  let applied: AppliedChange[];
  try {
    try {
      ({ changes, problems } = await planTeardown(deps, { signal: stop.signal }));
    } catch (error) {
      if (!(hasErrorCode(error, 'ABORTED') && stop.signal.aborted)) throw error;
      const stoppedEarly = stop.reason ?? 'stopped';
      return { function: 'teardownLab', eventId, outcome: 'done', decision: `Stopped before listing what the lab created (${stoppedEarly}): nothing removed; run it again.`, changes: [], problems: [], stoppedEarly };
    }
    const writer: ChangeWriter<TeardownChange> = event.apply ? itemByItem(deps.writer) : new PlanningWriter();
    applied = await applyChanges(writer, changes, { signal: deps.signal, stop: stop.signal });
  } finally {
    stop.dispose();
  }
  const stoppedEarly = stop.reason;
  const left = applied.filter((change) => change.outcome.status === 'stopped').length;
  const dryRun = applied.some((change) => change.outcome.status === 'planned');
  // What was removed (or would be): not what failed or what the stop left.
  const done = applied.filter(({ outcome }) => outcome.status === 'applied' || outcome.status === 'planned').map(({ change }) => change);
  const counts = {
    rules: done.filter((c) => c.action === 'ecr:DeletePullThroughCacheRule').length,
    templates: done.filter((c) => c.action === 'ecr:DeleteRepositoryCreationTemplate').length,
    repositories: done.filter((c) => c.action === 'ecr:DeleteRepository').length,
  };
  const failed = applied.filter((change) => change.outcome.status === 'failed').length;
  const summary =
    changes.length === 0
      ? problems.length === 0
        ? 'Nothing to tear down: the lab is already gone.'
        : 'Nothing found to tear down.'
      : `${dryRun ? 'Would remove' : 'Removed'} ${counts.rules} pull-through cache rule(s), ${counts.templates} template(s) and ${counts.repositories} repositor${counts.repositories === 1 ? 'y' : 'ies'}${dryRun && !event.apply ? ' (plan only: invoke with {"apply": true} to delete)' : ''}` +
        `${stoppedEarly ? `; stopped early (${stoppedEarly}): ${left} removal(s) not done, run it again to finish` : ''}.`;
  const failures = [
    ...(failed > 0 ? [`${failed} removal${failed === 1 ? '' : 's'} failed`] : []),
    ...(problems.length > 0 ? [`${problems.length} step${problems.length === 1 ? '' : 's'} failed (${problems.map((problem) => problem.step).join('; ')}), so what ${problems.length === 1 ? 'it' : 'they'} would have found is not ${dryRun ? 'planned' : 'removed'}`] : []),
  ];
  return {
    function: 'teardownLab',
    eventId,
    outcome: problems.length > 0 ? 'failed' : changes.length === 0 ? 'ignored' : outcomeOf(applied),
    decision: failures.length > 0 ? `${summary} ${failures.join('; ')}: fix what each says and run the teardown again (it is idempotent).` : summary,
    changes: applied,
    problems,
    ...(stoppedEarly ? { stoppedEarly } : {}),
  };
}

/** `teardownLab`: manual invoke only. */
export const teardownLabFunction: FunctionDefinition<typeof TeardownLabEvent, TeardownDeps, TeardownReport> = {
  name: 'teardownLab',
  eventName: 'teardown event ({"apply"?: boolean})',
  eventSchema: TeardownLabEvent,
  ownsDeadline: true,
  run: teardownLab,
};

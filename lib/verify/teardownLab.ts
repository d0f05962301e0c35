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

/** `{}` plans only; `{"apply": true}` deletes. A destructive function never acts on an empty event. */
export const TeardownLabEvent = z.strictObject({ apply: z._default(z.boolean(), false) });
export type TeardownLabEvent = z.output<typeof TeardownLabEvent>;

export type TeardownDeps = Pick<AutopilotDeps, 'config' | 'registry' | 'writer' | 'clock' | 'logger'> & { ptc: PtcStateReader };

export type TeardownChange = DeletePtcRuleChange | DeleteTemplateChange | DeleteRepositoryChange;

/**
 * What tearing the lab down removes, in an order that always works: the declared pull-through
 * cache rules first (so no pull recreates a cache repository meanwhile), then their creation
 * templates, then the repositories those rules created, then the mirrored repositories (with their
 * images). Only what exists is planned, and only what the configuration owns: declared prefixes and
 * mirror destinations — never an undeclared rule or another repository.
 *
 * @example
 * const changes = await planTeardown(deps); // [] when the lab is already gone
 */
export async function planTeardown(deps: Pick<TeardownDeps, 'config' | 'registry' | 'ptc'>): Promise<TeardownChange[]> {
  const prefixes = desiredPtcState(deps.config).rules.map((rule) => normalizePrefix(rule.prefix));
  const [rules, templates] = await Promise.all([deps.ptc.listRules(), deps.ptc.listTemplates()]);
  const repositoryNames: string[] = [];
  for await (const repository of deps.registry.listRepositories()) repositoryNames.push(repository.repositoryName);

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
  return [...changes, ...mirrorDestinations];
}

/**
 * `teardownLab`: removes what the lab created (see `planTeardown`), idempotently: a second run finds
 * nothing to remove and succeeds. Without `apply: true` it only plans.
 *
 * @example
 * await teardownLab({ apply: true }, deps);
 */
export async function teardownLab(event: TeardownLabEvent, deps: TeardownDeps): Promise<FunctionReport> {
  const changes = await planTeardown(deps);
  const writer: ChangeWriter<TeardownChange> = event.apply ? deps.writer : new PlanningWriter();
  const applied: AppliedChange[] = await applyChanges(writer, changes);
  const dryRun = applied.some((change) => change.outcome.status === 'planned');
  const counts = {
    rules: changes.filter((c) => c.action === 'ecr:DeletePullThroughCacheRule').length,
    templates: changes.filter((c) => c.action === 'ecr:DeleteRepositoryCreationTemplate').length,
    repositories: changes.filter((c) => c.action === 'ecr:DeleteRepository').length,
  };
  return {
    function: 'teardownLab',
    eventId: `teardown-${deps.clock().toISOString()}`,
    outcome: changes.length === 0 ? 'ignored' : outcomeOf(applied),
    decision:
      changes.length === 0
        ? 'Nothing to tear down: the lab is already gone.'
        : `${dryRun ? 'Would remove' : 'Removed'} ${counts.rules} pull-through cache rule(s), ${counts.templates} template(s) and ${counts.repositories} repositor${counts.repositories === 1 ? 'y' : 'ies'}${dryRun && !event.apply ? ' (plan only: invoke with {"apply": true} to delete)' : ''}.`,
    changes: applied,
  };
}

/** `teardownLab`: manual invoke only. */
export const teardownLabFunction: FunctionDefinition<typeof TeardownLabEvent, TeardownDeps> = {
  name: 'teardownLab',
  eventName: 'teardown event ({"apply"?: boolean})',
  eventSchema: TeardownLabEvent,
  run: teardownLab,
};

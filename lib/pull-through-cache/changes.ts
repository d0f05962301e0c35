import type { Change, ChangeOutcome } from '../plan/types';
import type { TemplateSettings } from './types';
import type { UpstreamRegistry } from './upstreams';

/** Changes to pull-through cache rules and repository creation templates. Applied by `EcrPullThroughCache`. */
export interface CreatePtcRuleChange extends Change {
  action: 'ecr:CreatePullThroughCacheRule';
  /** The `ecrRepositoryPrefix`. */
  target: string;
  upstreamRegistry: UpstreamRegistry;
  upstreamRegistryUrl: string;
  credentialArn?: string;
  customRoleArn?: string;
  upstreamRepositoryPrefix?: string;
}

/** UpdatePullThroughCacheRule changes only the credential and the role (aws-ecr-facts §3.3). */
export interface UpdatePtcRuleChange extends Change {
  action: 'ecr:UpdatePullThroughCacheRule';
  target: string;
  credentialArn?: string;
  customRoleArn?: string;
}

export interface DeletePtcRuleChange extends Change {
  action: 'ecr:DeletePullThroughCacheRule';
  target: string;
}

export interface CreateTemplateChange extends Change {
  action: 'ecr:CreateRepositoryCreationTemplate';
  /** The template prefix: the rule's `ecrRepositoryPrefix`. */
  target: string;
  template: TemplateSettings;
}

export interface UpdateTemplateChange extends Change {
  action: 'ecr:UpdateRepositoryCreationTemplate';
  target: string;
  template: TemplateSettings;
}

/** Deletes a repository creation template; used by lab teardown only. */
export interface DeleteTemplateChange extends Change {
  action: 'ecr:DeleteRepositoryCreationTemplate';
  target: string;
}

export type PtcChange = CreatePtcRuleChange | UpdatePtcRuleChange | DeletePtcRuleChange | CreateTemplateChange | UpdateTemplateChange | DeleteTemplateChange;

/** Every action above: a live writer registers `EcrPullThroughCache` for each (`routeChanges`). */
export const PTC_ACTIONS = [
  'ecr:CreatePullThroughCacheRule',
  'ecr:UpdatePullThroughCacheRule',
  'ecr:DeletePullThroughCacheRule',
  'ecr:CreateRepositoryCreationTemplate',
  'ecr:UpdateRepositoryCreationTemplate',
  'ecr:DeleteRepositoryCreationTemplate',
] as const satisfies ReadonlyArray<PtcChange['action']>;

/** An outcome that says the rule or template was already there (a concurrent creation won the race). */
export interface PtcChangeOutcome extends ChangeOutcome {
  alreadyExisted?: boolean;
}

/**
 * True when a create found its rule or template already there (`…AlreadyExistsException`): the
 * state is as wanted, but this run did not create it.
 *
 * @example
 * if (!alreadyExisted(applied.outcome)) notifyCreated();
 */
export function alreadyExisted(outcome: ChangeOutcome): boolean {
  return 'alreadyExisted' in outcome && outcome.alreadyExisted === true;
}

/**
 * One writer per pull-through cache action, for `routeChanges`, so these changes never reach the
 * repository writer registered for the `ecr` prefix.
 *
 * @example
 * const writer = routeChanges({ ...ptcWriters(ptc), sns });
 */
export function ptcWriters<W>(writer: W): Record<PtcChange['action'], W> {
  return Object.fromEntries(PTC_ACTIONS.map((action) => [action, writer])) as Record<PtcChange['action'], W>;
}

import { mirrorTargets } from '../../mirror/mirrorTargets';
import type { PermissionDecision, SimulatedPermission } from '../StackReader';
import type { CheckResult, LabCheck } from '../types';

const SECTION = 'Pull permissions' as const;

/** The four actions the seed lab grants nodes for pulling (its "필수 IAM 권한"). */
export const PULL_ACTIONS = ['ecr:BatchCheckLayerAvailability', 'ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer', 'ecr:GetAuthorizationToken'] as const;

/** GetAuthorizationToken has no resource-level permissions: it is simulated on `*`. */
const TOKEN_ACTION = 'ecr:GetAuthorizationToken';
const REPOSITORY_ACTIONS = PULL_ACTIONS.filter((action) => action !== TOKEN_ACTION);

/**
 * The configured node role may pull the mirrored images: IAM policy simulation of the lab's four
 * actions, GetAuthorizationToken on `*` and the others on each mirrored repository's ARN in this
 * account (the registry's, else the caller's from STS: a role scoped to the account must not fail
 * against `arn:aws:ecr:<region>:*:…`). One result per action and per repository, so a role allowed
 * on one repository and not another says which. Skipped when no role is configured
 * (`verify.nodeRoleArn`).
 */
export const pullPermissionsCheck: LabCheck = {
  id: 'pull-permissions',
  section: SECTION,
  async run(context) {
    const roleArn = context.config.verify?.nodeRoleArn;
    const base = { id: 'pull-permissions', section: SECTION, title: 'Node role can pull' } as const;
    if (!roleArn) return [{ ...base, status: 'skipped', expected: 'verify.nodeRoleArn configured', found: 'no node role configured' }];
    const region = context.registry.region;
    const account = context.registry.registryId ?? (await context.stack.accountId({ signal: context.signal }));
    const repositories = [...new Set(mirrorTargets(context.config.mirror).map((target) => target.repository))];
    const resources = (repositories.length > 0 ? repositories : ['*']).map((name) => ({ name, arn: `arn:aws:ecr:${region}:${account}:repository/${name}` }));
    const [repositoryDecisions, tokenDecisions] = await Promise.all([
      context.stack.simulate(roleArn, REPOSITORY_ACTIONS, resources.map((resource) => resource.arn), { signal: context.signal }),
      context.stack.simulate(roleArn, [TOKEN_ACTION], ['*'], { signal: context.signal }),
    ]);
    const decisionOf = (decisions: readonly SimulatedPermission[], action: string, arn: string): PermissionDecision =>
      // A simulation that leaves an action or resource out allowed nothing.
      decisions.find((entry) => entry.action === action && entry.resource === arn)?.decision ?? 'implicitDeny';
    const result = (id: string, title: string, action: string, arn: string, decision: PermissionDecision): CheckResult => {
      if (decision === 'allowed') return { ...base, id, title, status: 'pass', expected: 'allowed', found: 'allowed' };
      const on = arn === '*' ? '' : ` on ${arn}`;
      const fix =
        decision === 'explicitDeny'
          ? `remove the statement that denies ${action}${on} from the policies of ${roleArn} (or its permissions boundary, or a service control policy)`
          : `attach arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly (or a policy allowing ${action}${on}) to ${roleArn}`;
      return { ...base, id, title, status: 'fail', expected: 'allowed', found: decision, fix };
    };
    return PULL_ACTIONS.flatMap((action): CheckResult[] =>
      action === TOKEN_ACTION
        ? [result(`permission:${action}`, action, action, '*', decisionOf(tokenDecisions, action, '*'))]
        : resources.map((resource) => result(`permission:${action}:${resource.name}`, `${action} on ${resource.name}`, action, resource.arn, decisionOf(repositoryDecisions, action, resource.arn))),
    );
  },
};

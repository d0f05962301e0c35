import { mirrorTargets } from '../../mirror/mirrorTargets';
import type { CheckResult, LabCheck } from '../types';

const SECTION = 'Pull permissions' as const;

/** The four actions the seed lab grants nodes for pulling (its "필수 IAM 권한"). */
export const PULL_ACTIONS = ['ecr:BatchCheckLayerAvailability', 'ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer', 'ecr:GetAuthorizationToken'] as const;

/**
 * The configured node role may pull the mirrored images: IAM policy simulation of the lab's four
 * actions (GetAuthorizationToken on `*`, the others on the mirrored repositories). Skipped when no
 * role is configured (`verify.nodeRoleArn`).
 */
export const pullPermissionsCheck: LabCheck = {
  id: 'pull-permissions',
  section: SECTION,
  async run(context) {
    const roleArn = context.config.verify?.nodeRoleArn;
    const base = { id: 'pull-permissions', section: SECTION, title: 'Node role can pull' } as const;
    if (!roleArn) return [{ ...base, status: 'skipped', expected: 'verify.nodeRoleArn configured', found: 'no node role configured' }];
    const region = context.registry.region;
    const account = context.registry.registryId ?? '*';
    const repositories = [...new Set(mirrorTargets(context.config.mirror).map((t) => t.repository))];
    const resources = repositories.length > 0 ? repositories.map((name) => `arn:aws:ecr:${region}:${account}:repository/${name}`) : [`arn:aws:ecr:${region}:${account}:repository/*`];
    const [repositoryDecisions, tokenDecisions] = await Promise.all([
      context.stack.simulate(roleArn, PULL_ACTIONS.filter((action) => action !== 'ecr:GetAuthorizationToken'), resources, { signal: context.signal }),
      context.stack.simulate(roleArn, ['ecr:GetAuthorizationToken'], ['*'], { signal: context.signal }),
    ]);
    const decisions = { ...repositoryDecisions, ...tokenDecisions };
    return PULL_ACTIONS.map((action): CheckResult => {
      const decision = decisions[action] ?? 'implicitDeny';
      return decision === 'allowed'
        ? { ...base, id: `permission:${action}`, title: action, status: 'pass', expected: 'allowed', found: 'allowed' }
        : {
            ...base,
            id: `permission:${action}`,
            title: action,
            status: 'fail',
            expected: 'allowed',
            found: decision,
            fix: `attach arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly (or a policy allowing ${action}) to ${roleArn}`,
          };
    });
  },
};

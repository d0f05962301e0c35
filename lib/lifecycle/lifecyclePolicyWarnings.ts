/**
 * What ECR accepts in a lifecycle policy but probably does not mean: said by `lifecycle check` and
 * `config` as warnings, never as errors.
 */
import type { LifecyclePolicyIssue } from './validateLifecyclePolicy';
import type { LifecyclePolicy } from './types';

function quoteList(values: readonly string[]): string {
  return values.map((value) => `"${value}"`).join(', ');
}

/**
 * Lists the warnings for a valid policy, each with its rule, field and fix.
 *
 * A rule with several entries in `tagPrefixList` or `tagPatternList` selects only images with tags
 * matching ALL of them (LifecyclePolicies.html, "Lifecycle policy evaluation rules": "an image is
 * successfully matched if all of the tags in the tagPrefixList value are matched against any of the
 * image's tags"; aws-ecr-facts §2.5). Written as `["release-", "prod-"]` to protect both kinds, it
 * protects neither: `release-0` alone does not match.
 *
 * @example
 * lifecyclePolicyWarnings(parseLifecyclePolicy(text))[0]?.message
 * // 'selects only images that have tags matching ALL of "release-", "prod-"'
 */
export function lifecyclePolicyWarnings(policy: LifecyclePolicy): LifecyclePolicyIssue[] {
  const warnings: LifecyclePolicyIssue[] = [];
  policy.document.rules.forEach((rule, index) => {
    for (const key of ['tagPrefixList', 'tagPatternList'] as const) {
      const entries = rule.selection[key] ?? [];
      if (entries.length < 2) continue;
      const field = `selection.${key}`;
      warnings.push({
        path: `rules[${index}].${field}`,
        rule: `rules[${index}] (rulePriority ${rule.rulePriority})`,
        field,
        message: `selects only images that have tags matching ALL of ${quoteList(entries)}`,
        fix: `to protect or expire each ${key === 'tagPrefixList' ? 'prefix' : 'pattern'} on its own, use one rule per ${key === 'tagPrefixList' ? 'prefix' : 'pattern'}`,
      });
    }
  });
  return warnings;
}

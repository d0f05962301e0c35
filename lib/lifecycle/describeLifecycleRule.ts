import type { LifecyclePolicyRule } from './types';

/**
 * The images a rule selects, as a noun phrase: `images tagged prod* and eu-*`, `untagged images`.
 * The storage class needs no word: only sinceImageTransitioned selects archived images (§2.1),
 * and its phrase already says "archived".
 */
function describeSelection(rule: LifecyclePolicyRule, noun = 'images'): string {
  if (rule.tagStatus === 'untagged') return `untagged ${noun}`;
  if (rule.tagStatus === 'any') return noun;
  // A prefix `prod` selects what the pattern `prod*` does, so both read the same.
  const filters = [...rule.tagPatternList, ...rule.tagPrefixList.map((prefix) => `${prefix}*`)];
  return `${noun} tagged ${filters.join(' and ')}`;
}

function plural(count: number, unit: string): string {
  return `${count} ${unit}${count === 1 ? '' : 's'}`;
}

/**
 * Describes what a rule selects, in one phrase for ledgers and plan output.
 *
 * @example
 * describeLifecycleRule(rule); // 'more than 5 images tagged prod*'
 * describeLifecycleRule(untaggedAgeRule); // 'untagged images pushed more than 14 days ago'
 */
export function describeLifecycleRule(rule: LifecyclePolicyRule): string {
  const selection = describeSelection(rule);
  switch (rule.countType) {
    case 'imageCountMoreThan':
      return `more than ${rule.countNumber} ${describeSelection(rule, rule.countNumber === 1 ? 'image' : 'images')}`;
    case 'sinceImagePushed':
      return `${selection} pushed more than ${plural(rule.countNumber, 'day')} ago`;
    case 'sinceImagePulled':
      return `${selection} not pulled for more than ${plural(rule.countNumber, 'day')}`;
    case 'sinceImageTransitioned':
      return `${selection} archived more than ${plural(rule.countNumber, 'day')} ago`;
  }
}

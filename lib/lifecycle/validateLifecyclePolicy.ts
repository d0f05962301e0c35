/**
 * Checks a lifecycle policy document against every rule ECR enforces at PutLifecyclePolicy
 * (aws-ecr-facts.md §2.1, §2.2), and reports all problems at once, each with the rule, the field
 * and what to change.
 */
import { AutopilotError, type ValidationIssue } from '../errors';
import { countWildcards, TAG_WILDCARD } from './tagPattern';
import {
  COUNT_TYPES,
  COUNT_UNITS,
  RULE_ACTION_TYPES,
  RULE_STORAGE_CLASSES,
  TAG_STATUSES,
  TARGET_STORAGE_CLASSES,
  type CountType,
  type LifecyclePolicy,
  type LifecyclePolicyDocument,
  type LifecyclePolicyRule,
  type RuleActionType,
  type RuleStorageClass,
  type TagStatus,
} from './types';

export const MAX_RULES = 50; // QUOTAS: rules per lifecycle policy, not adjustable
export const MAX_POLICY_TEXT_LENGTH = 30_720; // QUOTAS and MODEL: lifecyclePolicyText maximum
export const MIN_POLICY_TEXT_LENGTH = 100; // MODEL: lifecyclePolicyText minimum
export const MAX_WILDCARDS_PER_PATTERN = 4; // LP-PROPS: at most four `*` per tagPatternList entry
export const DEFAULT_RULE_STORAGE_CLASS: RuleStorageClass = 'standard'; // §2.1 default

const POLICY_KEYS = ['rules'] as const;
const RULE_KEYS = ['rulePriority', 'description', 'selection', 'action'] as const;
const SELECTION_KEYS = [
  'tagStatus',
  'tagPatternList',
  'tagPrefixList',
  'storageClass',
  'countType',
  'countUnit',
  'countNumber',
] as const;
const ACTION_KEYS = ['type', 'targetStorageClass'] as const;

/** A `ValidationIssue` that also says which rule it is about, for readers that group by rule. */
export interface LifecyclePolicyIssue extends ValidationIssue {
  /** `rules[2] (rulePriority 3)`; absent for problems with the policy as a whole. */
  rule?: string;
  /** The field inside the rule, e.g. `selection.countUnit` (`''` for the rule itself); for a policy-level issue, its path. */
  field: string;
  fix: string;
}

/** Renders an issue as one line: `rules[2] (rulePriority 3) selection.countUnit: … (fix: …)`. */
export function formatLifecyclePolicyIssue(issue: LifecyclePolicyIssue): string {
  const where = issue.rule === undefined ? issue.path || '(policy)' : `${issue.rule}${issue.field ? ` ${issue.field}` : ''}`;
  return `${where}: ${issue.message} (fix: ${issue.fix})`;
}

/** A lifecycle policy ECR would reject. `issues` holds every problem, not just the first. */
export class LifecyclePolicyError extends AutopilotError {
  readonly issues: readonly LifecyclePolicyIssue[];

  constructor(issues: readonly LifecyclePolicyIssue[]) {
    const lines = issues.map((issue) => `  - ${formatLifecyclePolicyIssue(issue)}`).join('\n');
    super('LIFECYCLE_POLICY_INVALID', `Invalid lifecycle policy (${issues.length} problem${issues.length === 1 ? '' : 's'}):\n${lines}`);
    this.name = 'LifecyclePolicyError';
    this.issues = issues;
  }
}

type JsonObject = Record<string, unknown>;

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isOneOf<T extends string>(values: readonly T[], value: unknown): value is T {
  return typeof value === 'string' && (values as readonly string[]).includes(value);
}

function quoteList(values: readonly string[]): string {
  return values.map((value) => `"${value}"`).join(', ');
}

/** What the cross-rule checks need from one rule; fields are undefined when they were invalid. */
interface RuleFacts {
  index: number;
  label: string;
  rulePriority: number | undefined;
  tagStatus: TagStatus | undefined;
  tagPrefixList: readonly string[];
  storageClass: RuleStorageClass;
}

/** Collects issues for one rule, prefixing paths with `rules[i]` and naming the rule. */
class RuleIssues {
  constructor(
    private readonly out: LifecyclePolicyIssue[],
    private readonly index: number,
    readonly label: string,
  ) {}

  add(field: string, message: string, fix: string): void {
    const path = field === '' ? `rules[${this.index}]` : `rules[${this.index}].${field}`;
    this.out.push({ path, rule: this.label, field, message, fix });
  }
}

function ruleLabel(index: number, rule: unknown): string {
  const priority = isObject(rule) ? rule['rulePriority'] : undefined;
  const shown = typeof priority === 'number' || typeof priority === 'string' ? String(priority) : 'missing';
  return `rules[${index}] (rulePriority ${shown})`;
}

function rejectUnknownKeys(object: JsonObject, allowed: readonly string[], prefix: string, issues: RuleIssues): void {
  for (const key of Object.keys(object)) {
    if (allowed.includes(key)) continue;
    const sameIgnoringCase = allowed.find((name) => name.toLowerCase() === key.toLowerCase());
    issues.add(
      `${prefix}${key}`,
      `unknown field "${key}"`,
      sameIgnoringCase ? `rename it to "${sameIgnoringCase}" (field names are case-sensitive)` : `remove it; allowed fields here are ${quoteList(allowed)}`,
    );
  }
}

function readEnum<T extends string>(
  object: JsonObject,
  key: string,
  values: readonly T[],
  field: string,
  issues: RuleIssues,
  required: boolean,
): T | undefined {
  const value = object[key];
  if (value === undefined) {
    if (required) issues.add(field, `${key} is required`, `add "${key}" with one of ${quoteList(values)}`);
    return undefined;
  }
  if (isOneOf(values, value)) return value;
  const sameIgnoringCase = typeof value === 'string' ? values.find((v) => v.toLowerCase() === value.toLowerCase()) : undefined;
  issues.add(
    field,
    `${key} must be one of ${quoteList(values)}, got ${JSON.stringify(value)}`,
    sameIgnoringCase ? `write "${sameIgnoringCase}" (values are case-sensitive)` : `set ${key} to one of ${quoteList(values)}`,
  );
  return undefined;
}

/** Validates a tag list; returns its entries when it is a non-empty list of non-empty strings. */
function readTagList(selection: JsonObject, key: 'tagPatternList' | 'tagPrefixList', issues: RuleIssues): string[] | undefined {
  const value = selection[key];
  if (value === undefined) return undefined;
  const field = `selection.${key}`;
  if (!Array.isArray(value)) {
    issues.add(field, `${key} must be a list of strings`, `write it as a JSON array, e.g. "${key}": ["prod"]`);
    return undefined;
  }
  if (value.length === 0) {
    issues.add(field, `${key} is empty`, `list at least one tag ${key === 'tagPatternList' ? 'pattern' : 'prefix'}, or remove ${key}`);
    return undefined;
  }
  let valid = true;
  value.forEach((entry: unknown, i) => {
    if (typeof entry !== 'string' || entry === '') {
      issues.add(`${field}[${i}]`, `entries must be non-empty strings, got ${JSON.stringify(entry)}`, 'remove this entry or write the tag text');
      valid = false;
      return;
    }
    if (key === 'tagPatternList' && countWildcards(entry) > MAX_WILDCARDS_PER_PATTERN) {
      issues.add(
        `${field}[${i}]`,
        `pattern "${entry}" has ${countWildcards(entry)} wildcards; ECR allows at most ${MAX_WILDCARDS_PER_PATTERN}`,
        `use at most ${MAX_WILDCARDS_PER_PATTERN} "${TAG_WILDCARD}" in this pattern`,
      );
      valid = false;
    }
  });
  return valid ? (value as string[]) : undefined;
}

/** tagStatus and the tag lists (§2.1); records tagStatus and prefixes for the cross-rule checks. */
function checkTagSelection(selection: JsonObject, issues: RuleIssues, facts: RuleFacts): void {
  facts.tagStatus = readEnum(selection, 'tagStatus', TAG_STATUSES, 'selection.tagStatus', issues, true);
  readTagList(selection, 'tagPatternList', issues);
  facts.tagPrefixList = readTagList(selection, 'tagPrefixList', issues) ?? [];
  const hasPatterns = selection['tagPatternList'] !== undefined;
  const hasPrefixes = selection['tagPrefixList'] !== undefined;
  if (hasPatterns && hasPrefixes) {
    issues.add(
      'selection.tagPrefixList',
      'a rule may use tagPatternList or tagPrefixList, not both',
      'keep only one of them; a prefix "prod" selects the same tags as the pattern "prod*"',
    );
  }
  if (facts.tagStatus === 'tagged' && !hasPatterns && !hasPrefixes) {
    issues.add(
      'selection.tagStatus',
      'tagStatus "tagged" needs a tagPatternList or a tagPrefixList',
      'add "tagPatternList": ["prod*"] (or "tagPrefixList": ["prod"]) naming the tags to select, or set tagStatus to "any"',
    );
  }
  if (facts.tagStatus !== undefined && facts.tagStatus !== 'tagged') {
    for (const key of ['tagPatternList', 'tagPrefixList'] as const) {
      if (selection[key] === undefined) continue;
      issues.add(`selection.${key}`, `${key} is only allowed with tagStatus "tagged", not "${facts.tagStatus}"`, `remove ${key}, or set tagStatus to "tagged"`);
    }
  }
}

/** countType, countUnit, countNumber and storageClass (§2.1); returns the count type when valid. */
function checkCountAndStorage(selection: JsonObject, issues: RuleIssues, facts: RuleFacts): CountType | undefined {
  const countType = readEnum(selection, 'countType', COUNT_TYPES, 'selection.countType', issues, true);
  const storageClass = readEnum(selection, 'storageClass', RULE_STORAGE_CLASSES, 'selection.storageClass', issues, false);
  const storageClassValid = selection['storageClass'] === undefined || storageClass !== undefined;
  facts.storageClass = storageClass ?? DEFAULT_RULE_STORAGE_CLASS;

  const countUnit = selection['countUnit'];
  if (countType === 'imageCountMoreThan' && countUnit !== undefined) {
    issues.add('selection.countUnit', 'countUnit is not allowed with countType "imageCountMoreThan"', 'remove countUnit; countNumber is a number of images here');
  } else if (countType !== undefined && countType !== 'imageCountMoreThan') {
    if (countUnit === undefined) {
      issues.add('selection.countUnit', `countUnit is required with countType "${countType}"`, 'add "countUnit": "days"');
    } else {
      readEnum(selection, 'countUnit', COUNT_UNITS, 'selection.countUnit', issues, true);
    }
  }

  const countNumber = selection['countNumber'];
  if (countNumber === undefined) {
    issues.add('selection.countNumber', 'countNumber is required', 'add "countNumber" with a whole number ≥ 1');
  } else if (typeof countNumber !== 'number' || !Number.isSafeInteger(countNumber) || countNumber < 1) {
    issues.add('selection.countNumber', `countNumber must be a whole number ≥ 1, got ${JSON.stringify(countNumber)}`, 'set countNumber to a whole number ≥ 1 (0 is not allowed)');
  }

  if (countType === undefined || !storageClassValid) return countType;
  if (countType === 'sinceImageTransitioned' && storageClass !== 'archive') {
    issues.add(
      'selection.storageClass',
      'countType "sinceImageTransitioned" selects archived images and requires storageClass "archive"',
      'add "storageClass": "archive"',
    );
  } else if (countType !== 'sinceImageTransitioned' && storageClass === 'archive') {
    issues.add(
      'selection.storageClass',
      `storageClass "archive" is only allowed with countType "sinceImageTransitioned", not "${countType}"`,
      'remove storageClass (or set "standard"), or use countType "sinceImageTransitioned" to select archived images',
    );
  }
  return countType;
}

/** action.type and action.targetStorageClass (§2.1); returns the action type when valid. */
function checkAction(action: unknown, issues: RuleIssues): RuleActionType | undefined {
  if (action === undefined) {
    issues.add('action', 'action is required', 'add "action": {"type": "expire"}');
    return undefined;
  }
  if (!isObject(action)) {
    issues.add('action', 'action must be a JSON object', 'write action as {"type": "expire"} or {"type": "transition", "targetStorageClass": "archive"}');
    return undefined;
  }
  rejectUnknownKeys(action, ACTION_KEYS, 'action.', issues);
  const actionType = readEnum(action, 'type', RULE_ACTION_TYPES, 'action.type', issues, true);
  const target = action['targetStorageClass'];
  if (actionType === 'transition') {
    if (target === undefined) {
      issues.add('action.targetStorageClass', 'action "transition" requires targetStorageClass', 'add "targetStorageClass": "archive"');
    } else {
      readEnum(action, 'targetStorageClass', TARGET_STORAGE_CLASSES, 'action.targetStorageClass', issues, true);
    }
  } else if (actionType === 'expire' && target !== undefined) {
    issues.add('action.targetStorageClass', 'targetStorageClass is not allowed with action "expire"', 'remove targetStorageClass, or set the action type to "transition"');
  }
  return actionType;
}

/** Every check that concerns one rule alone; returns what the cross-rule checks need. */
function checkRule(rule: unknown, index: number, out: LifecyclePolicyIssue[]): RuleFacts {
  const label = ruleLabel(index, rule);
  const issues = new RuleIssues(out, index, label);
  const facts: RuleFacts = { index, label, rulePriority: undefined, tagStatus: undefined, tagPrefixList: [], storageClass: DEFAULT_RULE_STORAGE_CLASS };
  if (!isObject(rule)) {
    issues.add('', 'each rule must be a JSON object', 'write the rule as {"rulePriority": …, "selection": {…}, "action": {…}}');
    return facts;
  }
  rejectUnknownKeys(rule, RULE_KEYS, '', issues);

  const priority = rule['rulePriority'];
  if (priority === undefined) {
    issues.add('rulePriority', 'rulePriority is required', 'add "rulePriority" with a whole number ≥ 1 that no other rule uses');
  } else if (typeof priority !== 'number' || !Number.isSafeInteger(priority) || priority < 1) {
    issues.add('rulePriority', `rulePriority must be a whole number ≥ 1, got ${JSON.stringify(priority)}`, 'set rulePriority to a whole number ≥ 1 that no other rule uses');
  } else {
    facts.rulePriority = priority;
  }

  const description = rule['description'];
  if (description !== undefined && typeof description !== 'string') {
    issues.add('description', 'description must be a string', 'write the description in quotes, or remove it');
  }

  const selection = rule['selection'];
  let countType: CountType | undefined;
  if (selection === undefined) {
    issues.add('selection', 'selection is required', 'add "selection": {"tagStatus": …, "countType": …, "countNumber": …}');
  } else if (!isObject(selection)) {
    issues.add('selection', 'selection must be a JSON object', 'write selection as {"tagStatus": …, "countType": …, "countNumber": …}');
  } else {
    rejectUnknownKeys(selection, SELECTION_KEYS, 'selection.', issues);
    checkTagSelection(selection, issues, facts);
    countType = checkCountAndStorage(selection, issues, facts);
  }
  const actionType = checkAction(rule['action'], issues);

  // §2.1: which count types go with which action.
  if (countType === 'sinceImagePulled' && actionType === 'expire') {
    issues.add(
      'selection.countType',
      'countType "sinceImagePulled" can only be used with action "transition"',
      'set "action": {"type": "transition", "targetStorageClass": "archive"}, or use countType "sinceImagePushed" to expire',
    );
  }
  if (countType === 'sinceImageTransitioned' && actionType === 'transition') {
    issues.add(
      'action.type',
      'countType "sinceImageTransitioned" can only be used with action "expire" (the images are already archived)',
      'set "action": {"type": "expire"}',
    );
  }
  return facts;
}

/** Cross-rule checks of §2.1/§2.2: unique priorities, `any` last, one untagged rule, unique prefixes. */
function checkRuleSet(all: readonly RuleFacts[], out: LifecyclePolicyIssue[]): void {
  const add = (facts: RuleFacts, field: string, message: string, fix: string): void => {
    out.push({ path: field === '' ? `rules[${facts.index}]` : `rules[${facts.index}].${field}`, rule: facts.label, field, message, fix });
  };
  const prioritized = all.filter((facts): facts is RuleFacts & { rulePriority: number } => facts.rulePriority !== undefined);
  const highest = prioritized.reduce((max, facts) => Math.max(max, facts.rulePriority), 0);

  const byPriority = new Map<number, RuleFacts>();
  for (const facts of prioritized) {
    const first = byPriority.get(facts.rulePriority);
    if (first === undefined) {
      byPriority.set(facts.rulePriority, facts);
      continue;
    }
    add(facts, 'rulePriority', `rulePriority ${facts.rulePriority} is also used by rules[${first.index}]`, `give each rule its own rulePriority, e.g. ${highest + 1}`);
  }

  for (const storageClass of RULE_STORAGE_CLASSES) {
    const inClass = prioritized.filter((facts) => facts.storageClass === storageClass);
    // §2.2: "a rule with tagStatus any must have the highest rulePriority". AWS's own
    // archive-plus-expire example (§2.3) has `any` rules at priorities 1 and 2 with different
    // storage classes, so the constraint is checked per storage class; the global reading would
    // reject a documented policy.
    for (const anyRule of inClass.filter((facts) => facts.tagStatus === 'any')) {
      const later = inClass.filter((facts) => facts.rulePriority > anyRule.rulePriority);
      if (later.length === 0) continue;
      const above = Math.max(...later.map((facts) => facts.rulePriority));
      add(
        anyRule,
        'rulePriority',
        `a rule with tagStatus "any" must have the highest rulePriority among the ${storageClass} rules, but ${later
          .map((facts) => facts.label)
          .join(', ')} come${later.length === 1 ? 's' : ''} after it`,
        `give this rule a rulePriority above ${above}, or lower the others`,
      );
    }

    // §2.2: only one rule per storage class may select untagged images.
    const untagged = inClass.filter((facts) => facts.tagStatus === 'untagged');
    for (const extra of untagged.slice(1)) {
      add(
        extra,
        'selection.tagStatus',
        `only one ${storageClass} rule may have tagStatus "untagged"; ${untagged[0]?.label} already does`,
        'merge the untagged rules into one, or remove this one',
      );
    }
  }

  // §2.2: "the rules selecting one storage class must use a unique set of prefixes". Read as: a
  // prefix may appear in only one rule per storage class (UNCONFIRMED whether ECR only rejects
  // identical sets; the stricter reading never accepts a policy ECR would reject).
  for (const storageClass of RULE_STORAGE_CLASSES) {
    const owner = new Map<string, RuleFacts>();
    for (const facts of all) {
      if (facts.storageClass !== storageClass) continue;
      facts.tagPrefixList.forEach((prefix, i) => {
        const first = owner.get(prefix);
        if (first === undefined) {
          owner.set(prefix, facts);
          return;
        }
        if (first === facts) return;
        add(
          facts,
          `selection.tagPrefixList[${i}]`,
          `prefix "${prefix}" is already used by ${first.label} for ${storageClass} images`,
          `use each prefix in one ${storageClass} rule only, e.g. merge the two rules or use a tagPatternList`,
        );
      });
    }
  }
}

function policyIssue(path: string, message: string, fix: string): LifecyclePolicyIssue {
  return { path, field: path, message, fix };
}

/**
 * Lists every reason ECR would reject a lifecycle policy, each with its rule, field and fix.
 * Accepts the policy text (a JSON string) or the parsed document. An empty list means valid.
 *
 * @example
 * validateLifecyclePolicy({
 *   rules: [{ rulePriority: 1, selection: { tagStatus: 'untagged', countType: 'imageCountMoreThan', countUnit: 'days', countNumber: 1 }, action: { type: 'expire' } }],
 * });
 * // → [{ path: 'rules[0].selection.countUnit', rule: 'rules[0] (rulePriority 1)', field: 'selection.countUnit',
 * //      message: 'countUnit is not allowed with countType "imageCountMoreThan"', fix: 'remove countUnit; …' }]
 */
export function validateLifecyclePolicy(doc: unknown): LifecyclePolicyIssue[] {
  const issues: LifecyclePolicyIssue[] = [];
  let document = doc;
  let textLength: number;
  if (typeof doc === 'string') {
    textLength = doc.length;
    try {
      document = JSON.parse(doc) as unknown;
    } catch (error) {
      return [policyIssue('', `the policy is not valid JSON (${error instanceof Error ? error.message : String(error)})`, 'fix the JSON syntax')];
    }
  } else {
    // For a parsed document we measure its compact JSON, the shortest text ECR could receive.
    textLength = JSON.stringify(doc)?.length ?? 0;
  }

  if (textLength > MAX_POLICY_TEXT_LENGTH) {
    issues.push(policyIssue('', `the policy text is ${textLength} characters; ECR allows at most ${MAX_POLICY_TEXT_LENGTH}`, 'shorten descriptions, merge rules or remove rules'));
  } else if (typeof doc === 'string' && textLength < MIN_POLICY_TEXT_LENGTH) {
    issues.push(policyIssue('', `the policy text is ${textLength} characters; ECR requires at least ${MIN_POLICY_TEXT_LENGTH}`, 'write at least one complete rule'));
  }

  if (!isObject(document)) {
    issues.push(policyIssue('', 'the policy must be a JSON object with a "rules" list', 'write it as {"rules": [ … ]}'));
    return issues;
  }
  for (const key of Object.keys(document)) {
    if ((POLICY_KEYS as readonly string[]).includes(key)) continue;
    issues.push(policyIssue(key, `unknown field "${key}"`, 'remove it; a lifecycle policy has only "rules"'));
  }
  const rules = document['rules'];
  if (rules === undefined) {
    issues.push(policyIssue('rules', '"rules" is required', 'add "rules": [ … ] with at least one rule'));
    return issues;
  }
  if (!Array.isArray(rules)) {
    issues.push(policyIssue('rules', '"rules" must be a list', 'write "rules" as a JSON array of rule objects'));
    return issues;
  }
  if (rules.length === 0) {
    issues.push(policyIssue('rules', 'the policy has no rules', 'add at least one rule'));
    return issues;
  }
  if (rules.length > MAX_RULES) {
    issues.push(policyIssue('rules', `the policy has ${rules.length} rules; ECR allows at most ${MAX_RULES}`, `merge or remove ${rules.length - MAX_RULES} rules`));
  }
  const facts = rules.map((rule: unknown, index) => checkRule(rule, index, issues));
  checkRuleSet(facts, issues);
  return issues;
}

function normalizeRule(rule: LifecyclePolicyDocument['rules'][number]): LifecyclePolicyRule {
  const { selection } = rule;
  return {
    rulePriority: rule.rulePriority,
    description: rule.description,
    tagStatus: selection.tagStatus,
    tagPatternList: selection.tagPatternList ?? [],
    tagPrefixList: selection.tagPrefixList ?? [],
    storageClass: selection.storageClass ?? DEFAULT_RULE_STORAGE_CLASS,
    countType: selection.countType,
    countNumber: selection.countNumber,
    action: rule.action.type,
  };
}

/**
 * Parses and validates a lifecycle policy (text or parsed JSON) into the form the evaluator uses.
 * Throws `LifecyclePolicyError` (code `LIFECYCLE_POLICY_INVALID`) listing every problem.
 *
 * @example
 * const policy = parseLifecyclePolicy('{"rules":[{"rulePriority":1,"selection":{"tagStatus":"untagged",' +
 *   '"countType":"imageCountMoreThan","countNumber":1},"action":{"type":"expire"}}]}');
 * policy.rules[0]?.storageClass; // 'standard'
 */
export function parseLifecyclePolicy(textOrObject: string | unknown): LifecyclePolicy {
  const issues = validateLifecyclePolicy(textOrObject);
  if (issues.length > 0) throw new LifecyclePolicyError(issues);
  // Validation has checked every field the document type declares.
  const document = (typeof textOrObject === 'string' ? JSON.parse(textOrObject) : textOrObject) as LifecyclePolicyDocument;
  const rules = document.rules.map(normalizeRule).sort((a, b) => a.rulePriority - b.rulePriority);
  return { rules, document };
}

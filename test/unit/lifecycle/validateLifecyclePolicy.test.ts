import { describe, expect, it } from 'vitest';
import {
  formatLifecyclePolicyIssue,
  LifecyclePolicyError,
  MAX_POLICY_TEXT_LENGTH,
  MAX_RULES,
  parseLifecyclePolicy,
  validateLifecyclePolicy,
} from '../../../lib/lifecycle';
import { AutopilotError } from '../../../lib/errors';

type Json = Record<string, unknown>;

/** A valid tagged count rule; cases override parts of it. */
function baseRule(rulePriority = 1): Json {
  return {
    rulePriority,
    description: 'keep five prod images',
    selection: { tagStatus: 'tagged', tagPatternList: ['prod*'], countType: 'imageCountMoreThan', countNumber: 5 },
    action: { type: 'expire' },
  };
}

function withSelection(selection: Json, action: Json = { type: 'expire' }, rulePriority = 1): Json {
  return { rulePriority, selection, action };
}

function policy(...rules: unknown[]): Json {
  return { rules };
}

const transition = { type: 'transition', targetStorageClass: 'archive' };
const archiveExpire = { tagStatus: 'any', storageClass: 'archive', countType: 'sinceImageTransitioned', countUnit: 'days', countNumber: 365 };

interface InvalidCase {
  name: string;
  doc: unknown;
  path: string;
  message: RegExp;
}

describe('validateLifecyclePolicy', () => {
  it.each<InvalidCase>([
    // The document as a whole.
    { name: 'text that is not JSON', doc: '{"rules": [', path: '', message: /not valid JSON/ },
    { name: 'a list instead of an object', doc: [], path: '', message: /JSON object with a "rules" list/ },
    { name: 'an unknown top-level field', doc: { rules: [baseRule()], version: 1 }, path: 'version', message: /unknown field "version"/ },
    { name: 'no rules field', doc: {}, path: 'rules', message: /"rules" is required/ },
    { name: 'rules that are not a list', doc: { rules: {} }, path: 'rules', message: /must be a list/ },
    { name: 'an empty rules list', doc: { rules: [] }, path: 'rules', message: /no rules/ },
    {
      name: `more than ${MAX_RULES} rules`,
      doc: policy(...Array.from({ length: MAX_RULES + 1 }, (_, i) => withSelection({ tagStatus: 'tagged', tagPatternList: [`t${i}*`], countType: 'imageCountMoreThan', countNumber: 1 }, undefined, i + 1))),
      path: 'rules',
      message: /51 rules; ECR allows at most 50/,
    },
    {
      name: `policy text longer than ${MAX_POLICY_TEXT_LENGTH} characters`,
      doc: policy({ ...baseRule(), description: 'x'.repeat(MAX_POLICY_TEXT_LENGTH) }),
      path: '',
      message: /ECR allows at most 30720/,
    },
    { name: 'policy text shorter than 100 characters', doc: '{"rules":[]}', path: '', message: /at least 100/ },
    // One rule's own fields.
    { name: 'a rule that is not an object', doc: policy('expire everything'), path: 'rules[0]', message: /must be a JSON object/ },
    { name: 'an unknown rule field', doc: policy({ ...baseRule(), priority: 2 }), path: 'rules[0].priority', message: /unknown field "priority"/ },
    { name: 'a missing rulePriority', doc: policy({ selection: baseRule()['selection'], action: { type: 'expire' } }), path: 'rules[0].rulePriority', message: /rulePriority is required/ },
    { name: 'rulePriority 0', doc: policy(baseRule(0)), path: 'rules[0].rulePriority', message: /whole number ≥ 1, got 0/ },
    { name: 'a fractional rulePriority', doc: policy(baseRule(1.5)), path: 'rules[0].rulePriority', message: /got 1.5/ },
    { name: 'a rulePriority written as a string', doc: policy({ ...baseRule(), rulePriority: '1' }), path: 'rules[0].rulePriority', message: /got "1"/ },
    { name: 'a description that is not a string', doc: policy({ ...baseRule(), description: 7 }), path: 'rules[0].description', message: /must be a string/ },
    { name: 'a missing selection', doc: policy({ rulePriority: 1, action: { type: 'expire' } }), path: 'rules[0].selection', message: /selection is required/ },
    { name: 'a selection that is not an object', doc: policy({ ...baseRule(), selection: 'prod' }), path: 'rules[0].selection', message: /must be a JSON object/ },
    {
      name: 'an unknown selection field',
      doc: policy(withSelection({ tagStatus: 'untagged', countType: 'imageCountMoreThan', countNumber: 1, tagList: ['x'] })),
      path: 'rules[0].selection.tagList',
      message: /unknown field "tagList"/,
    },
    { name: 'a missing tagStatus', doc: policy(withSelection({ countType: 'imageCountMoreThan', countNumber: 1 })), path: 'rules[0].selection.tagStatus', message: /tagStatus is required/ },
    {
      name: 'an upper-case tagStatus',
      doc: policy(withSelection({ tagStatus: 'UNTAGGED', countType: 'imageCountMoreThan', countNumber: 1 })),
      path: 'rules[0].selection.tagStatus',
      message: /must be one of "tagged", "untagged", "any", got "UNTAGGED"/,
    },
    {
      name: 'tagged without a tag list',
      doc: policy(withSelection({ tagStatus: 'tagged', countType: 'imageCountMoreThan', countNumber: 1 })),
      path: 'rules[0].selection.tagStatus',
      message: /needs a tagPatternList or a tagPrefixList/,
    },
    {
      name: 'both tagPatternList and tagPrefixList in one rule',
      doc: policy(withSelection({ tagStatus: 'tagged', tagPatternList: ['prod*'], tagPrefixList: ['prod'], countType: 'imageCountMoreThan', countNumber: 1 })),
      path: 'rules[0].selection.tagPrefixList',
      message: /not both/,
    },
    {
      name: 'untagged with a tagPatternList',
      doc: policy(withSelection({ tagStatus: 'untagged', tagPatternList: ['prod*'], countType: 'imageCountMoreThan', countNumber: 1 })),
      path: 'rules[0].selection.tagPatternList',
      message: /only allowed with tagStatus "tagged", not "untagged"/,
    },
    {
      name: 'any with a tagPrefixList',
      doc: policy(withSelection({ tagStatus: 'any', tagPrefixList: ['prod'], countType: 'imageCountMoreThan', countNumber: 1 })),
      path: 'rules[0].selection.tagPrefixList',
      message: /only allowed with tagStatus "tagged", not "any"/,
    },
    {
      name: 'a tagPatternList that is a string',
      doc: policy(withSelection({ tagStatus: 'tagged', tagPatternList: 'prod*', countType: 'imageCountMoreThan', countNumber: 1 })),
      path: 'rules[0].selection.tagPatternList',
      message: /must be a list of strings/,
    },
    {
      name: 'an empty tagPrefixList',
      doc: policy(withSelection({ tagStatus: 'tagged', tagPrefixList: [], countType: 'imageCountMoreThan', countNumber: 1 })),
      path: 'rules[0].selection.tagPrefixList',
      message: /tagPrefixList is empty/,
    },
    {
      name: 'an empty pattern string',
      doc: policy(withSelection({ tagStatus: 'tagged', tagPatternList: ['prod*', ''], countType: 'imageCountMoreThan', countNumber: 1 })),
      path: 'rules[0].selection.tagPatternList[1]',
      message: /non-empty strings/,
    },
    {
      name: 'the documented invalid pattern test*1*2*3*4*5*6 (six wildcards)',
      doc: policy(withSelection({ tagStatus: 'tagged', tagPatternList: ['test*1*2*3*4*5*6'], countType: 'imageCountMoreThan', countNumber: 1 })),
      path: 'rules[0].selection.tagPatternList[0]',
      message: /has 6 wildcards; ECR allows at most 4/,
    },
    {
      name: 'a pattern with five wildcards',
      doc: policy(withSelection({ tagStatus: 'tagged', tagPatternList: ['ok*', '*a*b*c*d*'], countType: 'imageCountMoreThan', countNumber: 1 })),
      path: 'rules[0].selection.tagPatternList[1]',
      message: /has 5 wildcards/,
    },
    { name: 'a missing countType', doc: policy(withSelection({ tagStatus: 'any', countNumber: 1 })), path: 'rules[0].selection.countType', message: /countType is required/ },
    {
      name: 'an unknown countType',
      doc: policy(withSelection({ tagStatus: 'any', countType: 'sinceImageCreated', countUnit: 'days', countNumber: 1 })),
      path: 'rules[0].selection.countType',
      message: /got "sinceImageCreated"/,
    },
    {
      name: 'countUnit with imageCountMoreThan',
      doc: policy(withSelection({ tagStatus: 'any', countType: 'imageCountMoreThan', countUnit: 'days', countNumber: 1 })),
      path: 'rules[0].selection.countUnit',
      message: /not allowed with countType "imageCountMoreThan"/,
    },
    {
      name: 'sinceImagePushed without countUnit',
      doc: policy(withSelection({ tagStatus: 'any', countType: 'sinceImagePushed', countNumber: 14 })),
      path: 'rules[0].selection.countUnit',
      message: /countUnit is required with countType "sinceImagePushed"/,
    },
    {
      name: 'countUnit hours',
      doc: policy(withSelection({ tagStatus: 'any', countType: 'sinceImagePushed', countUnit: 'hours', countNumber: 14 })),
      path: 'rules[0].selection.countUnit',
      message: /must be one of "days", got "hours"/,
    },
    { name: 'a missing countNumber', doc: policy(withSelection({ tagStatus: 'any', countType: 'imageCountMoreThan' })), path: 'rules[0].selection.countNumber', message: /countNumber is required/ },
    ...[0, -3, 2.5, '5'].map((countNumber) => ({
      name: `countNumber ${JSON.stringify(countNumber)}`,
      doc: policy(withSelection({ tagStatus: 'any', countType: 'imageCountMoreThan', countNumber })),
      path: 'rules[0].selection.countNumber',
      message: /countNumber must be a whole number ≥ 1/,
    })),
    {
      name: 'an unknown storageClass',
      doc: policy(withSelection({ tagStatus: 'any', storageClass: 'glacier', countType: 'imageCountMoreThan', countNumber: 1 })),
      path: 'rules[0].selection.storageClass',
      message: /must be one of "standard", "archive"/,
    },
    ...(['imageCountMoreThan', 'sinceImagePushed'] as const).map((countType) => ({
      name: `storageClass archive with ${countType}`,
      doc: policy(withSelection({ tagStatus: 'any', storageClass: 'archive', countType, ...(countType === 'imageCountMoreThan' ? {} : { countUnit: 'days' }), countNumber: 1 })),
      path: 'rules[0].selection.storageClass',
      message: new RegExp(`only allowed with countType "sinceImageTransitioned", not "${countType}"`),
    })),
    {
      name: 'storageClass archive with sinceImagePulled',
      doc: policy(withSelection({ tagStatus: 'any', storageClass: 'archive', countType: 'sinceImagePulled', countUnit: 'days', countNumber: 90 }, transition)),
      path: 'rules[0].selection.storageClass',
      message: /not "sinceImagePulled"/,
    },
    {
      name: 'sinceImageTransitioned without storageClass',
      doc: policy(withSelection({ tagStatus: 'any', countType: 'sinceImageTransitioned', countUnit: 'days', countNumber: 365 })),
      path: 'rules[0].selection.storageClass',
      message: /requires storageClass "archive"/,
    },
    {
      name: 'sinceImageTransitioned with storageClass standard',
      doc: policy(withSelection({ tagStatus: 'any', storageClass: 'standard', countType: 'sinceImageTransitioned', countUnit: 'days', countNumber: 365 })),
      path: 'rules[0].selection.storageClass',
      message: /requires storageClass "archive"/,
    },
    {
      name: 'sinceImagePulled with expire',
      doc: policy(withSelection({ tagStatus: 'any', countType: 'sinceImagePulled', countUnit: 'days', countNumber: 90 })),
      path: 'rules[0].selection.countType',
      message: /"sinceImagePulled" can only be used with action "transition"/,
    },
    {
      name: 'sinceImageTransitioned with transition',
      doc: policy(withSelection(archiveExpire, transition)),
      path: 'rules[0].action.type',
      message: /"sinceImageTransitioned" can only be used with action "expire"/,
    },
    // The action.
    { name: 'a missing action', doc: policy({ rulePriority: 1, selection: baseRule()['selection'] }), path: 'rules[0].action', message: /action is required/ },
    { name: 'an action that is a string', doc: policy({ ...baseRule(), action: 'expire' }), path: 'rules[0].action', message: /must be a JSON object/ },
    { name: 'an unknown action field', doc: policy({ ...baseRule(), action: { type: 'expire', dryRun: true } }), path: 'rules[0].action.dryRun', message: /unknown field "dryRun"/ },
    { name: 'a missing action type', doc: policy({ ...baseRule(), action: {} }), path: 'rules[0].action.type', message: /type is required/ },
    { name: 'action type delete', doc: policy({ ...baseRule(), action: { type: 'delete' } }), path: 'rules[0].action.type', message: /got "delete"/ },
    {
      name: 'transition without targetStorageClass',
      doc: policy({ ...baseRule(), action: { type: 'transition' } }),
      path: 'rules[0].action.targetStorageClass',
      message: /requires targetStorageClass/,
    },
    {
      name: 'transition to standard',
      doc: policy({ ...baseRule(), action: { type: 'transition', targetStorageClass: 'standard' } }),
      path: 'rules[0].action.targetStorageClass',
      message: /must be one of "archive", got "standard"/,
    },
    {
      name: 'expire with a targetStorageClass',
      doc: policy({ ...baseRule(), action: { type: 'expire', targetStorageClass: 'archive' } }),
      path: 'rules[0].action.targetStorageClass',
      message: /not allowed with action "expire"/,
    },
    // Rules against each other.
    { name: 'two rules with the same rulePriority', doc: policy(baseRule(3), { ...baseRule(3), selection: { tagStatus: 'untagged', countType: 'imageCountMoreThan', countNumber: 1 } }), path: 'rules[1].rulePriority', message: /rulePriority 3 is also used by rules\[0\]/ },
    {
      name: 'an any rule before a tagged rule',
      doc: policy(withSelection({ tagStatus: 'any', countType: 'imageCountMoreThan', countNumber: 9 }, undefined, 1), baseRule(2)),
      path: 'rules[0].rulePriority',
      message: /"any" must have the highest rulePriority among the standard rules, but rules\[1\] \(rulePriority 2\) comes after it/,
    },
    {
      name: 'two any rules in the standard class',
      doc: policy(
        withSelection({ tagStatus: 'any', countType: 'imageCountMoreThan', countNumber: 9 }, undefined, 5),
        withSelection({ tagStatus: 'any', countType: 'sinceImagePushed', countUnit: 'days', countNumber: 9 }, undefined, 6),
      ),
      path: 'rules[0].rulePriority',
      message: /must have the highest rulePriority/,
    },
    {
      name: 'two untagged rules in the standard class',
      doc: policy(
        withSelection({ tagStatus: 'untagged', countType: 'imageCountMoreThan', countNumber: 9 }, undefined, 1),
        withSelection({ tagStatus: 'untagged', countType: 'sinceImagePushed', countUnit: 'days', countNumber: 9 }, undefined, 2),
      ),
      path: 'rules[1].selection.tagStatus',
      message: /only one standard rule may have tagStatus "untagged"; rules\[0\] \(rulePriority 1\) already does/,
    },
    {
      name: 'two untagged rules in the archive class',
      doc: policy(
        withSelection({ ...archiveExpire, tagStatus: 'untagged' }, undefined, 1),
        withSelection({ ...archiveExpire, tagStatus: 'untagged', countNumber: 500 }, undefined, 2),
      ),
      path: 'rules[1].selection.tagStatus',
      message: /only one archive rule may have tagStatus "untagged"/,
    },
    {
      name: 'the same prefix in two standard rules',
      doc: policy(
        withSelection({ tagStatus: 'tagged', tagPrefixList: ['prod'], countType: 'imageCountMoreThan', countNumber: 9 }, undefined, 1),
        withSelection({ tagStatus: 'tagged', tagPrefixList: ['eu', 'prod'], countType: 'sinceImagePushed', countUnit: 'days', countNumber: 9 }, undefined, 2),
      ),
      path: 'rules[1].selection.tagPrefixList[1]',
      message: /prefix "prod" is already used by rules\[0\] \(rulePriority 1\) for standard images/,
    },
  ])('rejects $name, naming the field and a fix', ({ doc, path, message }) => {
    // Act
    const issues = validateLifecyclePolicy(doc);

    // Assess
    const issue = issues.find((candidate) => candidate.path === path && message.test(candidate.message));
    expect(issue, `no issue at ${path} matching ${message}; got ${JSON.stringify(issues, null, 1)}`).toBeDefined();
    expect(issue?.fix).toMatch(/\w/);
    if (path.startsWith('rules[')) {
      expect(issue?.rule).toMatch(/^rules\[\d+\] \(rulePriority [^)]+\)$/);
      expect(path).toBe(issue?.field === '' ? path : `${path.slice(0, path.indexOf(']') + 1)}.${issue?.field}`);
    }
  });

  it.each<{ name: string; doc: unknown }>([
    { name: 'a tagged count rule', doc: policy(baseRule()) },
    {
      name: 'the age-filter example (prod*, 14 days)',
      doc: policy(withSelection({ tagStatus: 'tagged', tagPatternList: ['prod*'], countType: 'sinceImagePushed', countUnit: 'days', countNumber: 14 })),
    },
    { name: 'the count-filter example (untagged, 1)', doc: policy(withSelection({ tagStatus: 'untagged', countType: 'imageCountMoreThan', countNumber: 1 })) },
    {
      name: 'the last-pulled example (any, 90 days, transition)',
      doc: policy(withSelection({ tagStatus: 'any', countType: 'sinceImagePulled', countUnit: 'days', countNumber: 90 }, transition)),
    },
    { name: 'the archive-age example (any archive, 365 days)', doc: policy(withSelection(archiveExpire)) },
    {
      name: 'the archive-plus-expire example (any at priorities 1 and 2, different storage classes)',
      doc: policy(withSelection({ tagStatus: 'any', countType: 'sinceImagePushed', countUnit: 'days', countNumber: 30 }, transition, 1), withSelection(archiveExpire, undefined, 2)),
    },
    {
      name: 'the all-images Example B (alpha*, untagged, any)',
      doc: policy(
        withSelection({ tagStatus: 'tagged', tagPatternList: ['alpha*'], countType: 'imageCountMoreThan', countNumber: 1 }, undefined, 1),
        withSelection({ tagStatus: 'untagged', countType: 'sinceImagePushed', countUnit: 'days', countNumber: 1 }, undefined, 2),
        withSelection({ tagStatus: 'any', countType: 'imageCountMoreThan', countNumber: 1 }, undefined, 3),
      ),
    },
    { name: 'the documented valid patterns *test*1*2*3 and test*1*2*3*', doc: policy(withSelection({ tagStatus: 'tagged', tagPatternList: ['*test*1*2*3', 'test*1*2*3*'], countType: 'imageCountMoreThan', countNumber: 1 })) },
    {
      name: 'non-contiguous priorities given out of order',
      doc: policy(
        withSelection({ tagStatus: 'any', countType: 'sinceImagePushed', countUnit: 'days', countNumber: 15 }, undefined, 1000),
        withSelection({ tagStatus: 'tagged', tagPrefixList: ['latest'], countType: 'imageCountMoreThan', countNumber: 5 }, undefined, 10),
        withSelection({ tagStatus: 'untagged', countType: 'sinceImagePushed', countUnit: 'days', countNumber: 7 }, undefined, 990),
      ),
    },
    {
      name: 'one untagged rule per storage class',
      doc: policy(withSelection({ tagStatus: 'untagged', countType: 'imageCountMoreThan', countNumber: 1 }, undefined, 1), withSelection({ ...archiveExpire, tagStatus: 'untagged' }, undefined, 2)),
    },
    {
      name: 'the same prefix in a standard and an archive rule',
      doc: policy(
        withSelection({ tagStatus: 'tagged', tagPrefixList: ['prod'], countType: 'imageCountMoreThan', countNumber: 1 }, undefined, 1),
        withSelection({ ...archiveExpire, tagStatus: 'tagged', tagPrefixList: ['prod'] }, undefined, 2),
      ),
    },
    {
      name: 'tagPatternList and tagPrefixList in different rules',
      doc: policy(
        withSelection({ tagStatus: 'tagged', tagPrefixList: ['prod'], countType: 'imageCountMoreThan', countNumber: 1 }, undefined, 1),
        withSelection({ tagStatus: 'tagged', tagPatternList: ['prod*'], countType: 'sinceImagePushed', countUnit: 'days', countNumber: 30 }, undefined, 2),
      ),
    },
    {
      name: `exactly ${MAX_RULES} rules`,
      doc: policy(...Array.from({ length: MAX_RULES }, (_, i) => withSelection({ tagStatus: 'tagged', tagPatternList: [`t${i}*`], countType: 'imageCountMoreThan', countNumber: 1 }, undefined, i + 1))),
    },
    {
      name: 'a sinceImageTransitioned rule shorter than the 90-day archive minimum',
      doc: policy(withSelection({ ...archiveExpire, countNumber: 30 })),
    },
    { name: 'the policy as text', doc: JSON.stringify(policy(baseRule()), null, 2) },
  ])('accepts $name', ({ doc }) => {
    // Act
    const issues = validateLifecyclePolicy(doc);

    // Assess
    expect(issues).toEqual([]);
  });

  it('reports every problem at once, not just the first', () => {
    // Prepare
    const doc = policy(
      withSelection({ tagStatus: 'tagged', countType: 'imageCountMoreThan', countUnit: 'days', countNumber: 0 }, { type: 'expire', targetStorageClass: 'archive' }, 2),
      withSelection({ tagStatus: 'any', countType: 'imageCountMoreThan', countNumber: 1 }, undefined, 1),
    );

    // Act
    const issues = validateLifecyclePolicy(doc);

    // Assess
    expect(issues.map((issue) => issue.path).sort()).toEqual([
      'rules[0].action.targetStorageClass',
      'rules[0].selection.countNumber',
      'rules[0].selection.countUnit',
      'rules[0].selection.tagStatus',
      'rules[1].rulePriority',
    ]);
  });

  it('suggests the right spelling for a field written in the wrong case', () => {
    // Act
    const issues = validateLifecyclePolicy(policy({ ...baseRule(), RulePriority: 1 }));

    // Assess
    expect(issues.find((issue) => issue.path === 'rules[0].RulePriority')?.fix).toMatch(/rename it to "rulePriority"/);
  });
});

describe('parseLifecyclePolicy', () => {
  it('fills in defaults and orders rules by priority', () => {
    // Prepare
    const text = JSON.stringify(
      policy(
        withSelection({ tagStatus: 'any', countType: 'imageCountMoreThan', countNumber: 3 }, undefined, 20),
        withSelection({ tagStatus: 'tagged', tagPrefixList: ['prod'], countType: 'sinceImagePushed', countUnit: 'days', countNumber: 14 }, undefined, 5),
      ),
    );

    // Act
    const parsed = parseLifecyclePolicy(text);

    // Assess
    expect(parsed.rules).toEqual([
      { rulePriority: 5, description: undefined, tagStatus: 'tagged', tagPatternList: [], tagPrefixList: ['prod'], storageClass: 'standard', countType: 'sinceImagePushed', countNumber: 14, action: 'expire' },
      { rulePriority: 20, description: undefined, tagStatus: 'any', tagPatternList: [], tagPrefixList: [], storageClass: 'standard', countType: 'imageCountMoreThan', countNumber: 3, action: 'expire' },
    ]);
    expect(parsed.document).toEqual(JSON.parse(text));
  });

  it('throws a LifecyclePolicyError with every issue and code LIFECYCLE_POLICY_INVALID', () => {
    // Prepare
    const doc = policy(withSelection({ tagStatus: 'any', countType: 'imageCountMoreThan', countUnit: 'days', countNumber: 1 }, undefined, 4), baseRule(4));

    // Act
    let caught: unknown;
    try {
      parseLifecyclePolicy(doc);
    } catch (error) {
      caught = error;
    }

    // Assess
    expect(caught).toBeInstanceOf(LifecyclePolicyError);
    expect(caught).toBeInstanceOf(AutopilotError);
    const error = caught as LifecyclePolicyError;
    expect(error.code).toBe('LIFECYCLE_POLICY_INVALID');
    expect(error.source).toBe('user');
    expect(error.issues.map((issue) => issue.path)).toEqual(['rules[0].selection.countUnit', 'rules[1].rulePriority']);
    expect(error.message).toContain('rules[0] (rulePriority 4) selection.countUnit: countUnit is not allowed with countType "imageCountMoreThan" (fix: remove countUnit');
  });

  it('formats a policy-level issue with its path', () => {
    // Act
    const [issue] = validateLifecyclePolicy({ rules: [] });

    // Assess
    expect(issue && formatLifecyclePolicyIssue(issue)).toBe('rules: the policy has no rules (fix: add at least one rule)');
  });
});

import type { CheckResult, LabCheck } from '../types';

const SECTION = 'Event rules' as const;

/**
 * The EventBridge rules this stack deploys (serverless.yml and infra/resources/*.yml), by name
 * relative to the stack (`<service>-<stage>-…`), and the function or state machine (also relative
 * to the stack) each must target. test/stack/template.test.ts checks this list against the packaged
 * template.
 */
export type ExpectedRule = { rule: string; trigger: string } & ({ function: string; stateMachine?: never } | { stateMachine: string; function?: never });

export const EXPECTED_RULES: readonly ExpectedRule[] = [
  { rule: 'onImagePush-rule-1', function: 'onImagePush', trigger: 'ECR Image Action (PUSH)' },
  { rule: 'onImageScan-rule-1', function: 'onImageScan', trigger: 'ECR Image Scan' },
  { rule: 'onImageScan-rule-2', function: 'onImageScan', trigger: 'Inspector2 Scan' },
  { rule: 'onPullThroughCache-rule-1', function: 'onPullThroughCache', trigger: 'ECR Pull Through Cache Action (failed sync)' },
  { rule: 'pull-through-cache-miss', function: 'onPullThroughCache', trigger: 'CloudTrail: pull through an unknown prefix' },
  { rule: 'syncPullThroughCache-rule-1', function: 'syncPullThroughCache', trigger: 'daily schedule' },
  // The daily sweep and mirror run as fleet state machines (infra/resources/fleet.yml).
  { rule: 'fleet-sweep-schedule', stateMachine: 'fleet-sweep', trigger: 'daily schedule' },
  { rule: 'fleet-mirror-schedule', stateMachine: 'fleet-mirror', trigger: 'daily schedule' },
];

/** Every rule of the stack exists, is enabled, and targets its function. */
export const eventRulesCheck: LabCheck = {
  id: 'event-rules',
  section: SECTION,
  async run(context) {
    const rules = await context.stack.rulesWithPrefix(`${context.stackName}-`, { signal: context.signal });
    return EXPECTED_RULES.map((expected): CheckResult => {
      const name = `${context.stackName}-${expected.rule}`;
      const targetName = expected.function ?? expected.stateMachine;
      const resourceName = `${context.stackName}-${targetName}`;
      const arnPart = expected.function !== undefined ? ':function:' : ':stateMachine:';
      const base = { id: `rule:${expected.rule}`, section: SECTION, title: `${expected.trigger} → ${targetName}` } as const;
      const fix = 'redeploy the stack: npx osls deploy';
      const rule = rules.find((candidate) => candidate.name === name);
      if (!rule) return { ...base, status: 'fail', expected: `rule ${name}`, found: 'no such rule', fix };
      const enabled = rule.state === 'ENABLED' || rule.state === 'ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS';
      const targeted = rule.targets.some((arn) => arn.endsWith(`${arnPart}${resourceName}`) || arn.includes(`${arnPart}${resourceName}:`));
      if (!enabled) return { ...base, status: 'fail', expected: 'enabled', found: `state ${rule.state}`, fix: `aws events enable-rule --name ${name}` };
      if (!targeted) return { ...base, status: 'fail', expected: `targets ${resourceName}`, found: rule.targets.length > 0 ? `targets ${rule.targets.join(', ')}` : 'no targets', fix };
      return { ...base, status: 'pass', expected: `enabled, targets ${targetName}`, found: `${rule.state}, targets ${targetName}` };
    });
  },
};

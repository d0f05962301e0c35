import { executionConsoleUrl, redriveCommand } from '../../fleet/executionLinks';
import { FLEET_JOBS } from '../../fleet/types';
import type { CheckResult, LabCheck } from '../types';

const SECTION = 'Fleet runs' as const;

/**
 * The fleet's state machines (infra/resources/fleet.yml) exist and their last run succeeded. The
 * state machine ARNs are built from the notification topic's partition, region and account: the
 * same stack deploys both.
 */
export const fleetRunsCheck: LabCheck = {
  id: 'fleet-runs',
  section: SECTION,
  async run(context) {
    const [, partition, , region, account] = context.topicArn.split(':');
    const results: CheckResult[] = [];
    for (const job of FLEET_JOBS) {
      const name = `${context.stackName}-fleet-${job}`;
      const arn = `arn:${partition}:states:${region}:${account}:stateMachine:${name}`;
      const base = { id: `fleet:${job}`, section: SECTION, title: `Fleet ${job} state machine (${name})`, expected: 'exists, last run SUCCEEDED' } as const;
      const runs = await context.stack.stateMachineRuns(arn, { signal: context.signal });
      if (!runs.exists) {
        results.push({ ...base, status: 'fail', found: 'no such state machine', fix: 'redeploy the stack: npx osls deploy' });
      } else if (!runs.lastExecution) {
        results.push({ ...base, status: 'warn', found: 'no run yet (the daily schedule starts it)', fix: `start one now: aws stepfunctions start-execution --state-machine-arn ${arn}` });
      } else {
        const { status, executionArn, startDate } = runs.lastExecution;
        const found = `last run ${status} (started ${startDate}): ${executionConsoleUrl(executionArn)}`;
        if (status === 'SUCCEEDED' || status === 'RUNNING') results.push({ ...base, status: 'pass', found });
        else results.push({ ...base, status: 'fail', found, fix: `look at the failed batches in the execution, fix the cause, then ${redriveCommand(executionArn)}` });
      }
    }
    return results;
  },
};

import { DescribeStateMachineCommand, ListExecutionsCommand } from '@aws-sdk/client-sfn';
import { beforeEach, describe, expect, it } from 'vitest';
import { fleetRunsCheck } from '../../../lib/verify/checks/fleetRuns';
import { account, ACCOUNT, liveContext, REGION, serveHealthyLab, STACK, type StackState } from './verifyFixtures';

let stackState: StackState;

beforeEach(() => {
  ({ stackState } = serveHealthyLab());
});

const machineArn = (job: string) => `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:${STACK}-fleet-${job}`;

describe('fleetRunsCheck', () => {
  it('passes both state machines when they exist and their last run succeeded, asking for one execution each', async () => {
    // Act
    const results = await fleetRunsCheck.run(liveContext());

    // Assess
    expect(results.map((result) => [result.id, result.status])).toEqual([
      ['fleet:sweep', 'pass'],
      ['fleet:mirror', 'pass'],
    ]);
    expect(results[0]?.found).toContain(`https://${REGION}.console.aws.amazon.com/states/home?region=${REGION}#/v2/executions/details/`);
    expect(account.sfn).toHaveReceivedCommandWith(ListExecutionsCommand, { stateMachineArn: machineArn('sweep'), maxResults: 1 });
    expect(account.sfn).toHaveReceivedCommandWith(DescribeStateMachineCommand, { stateMachineArn: machineArn('mirror') });
  });

  it('fails a state machine whose last run failed, with the redrive command as the fix', async () => {
    // Prepare
    stackState.stateMachines['fleet-sweep'] = 'FAILED';

    // Act
    const [sweep] = await fleetRunsCheck.run(liveContext());

    // Assess
    expect(sweep).toMatchObject({ status: 'fail', found: expect.stringMatching(/^last run FAILED/) });
    expect(sweep?.fix).toContain(`aws stepfunctions redrive-execution --execution-arn arn:aws:states:${REGION}:${ACCOUNT}:execution:${STACK}-fleet-sweep:run-1`);
  });

  it('fails a missing state machine and warns about one that never ran', async () => {
    // Prepare
    delete stackState.stateMachines['fleet-sweep'];
    stackState.stateMachines['fleet-mirror'] = null;

    // Act
    const results = await fleetRunsCheck.run(liveContext());

    // Assess
    expect(results).toEqual([
      expect.objectContaining({ id: 'fleet:sweep', status: 'fail', found: 'no such state machine', fix: 'redeploy the stack: npx osls deploy' }),
      expect.objectContaining({ id: 'fleet:mirror', status: 'warn', fix: `start one now: aws stepfunctions start-execution --state-machine-arn ${machineArn('mirror')}` }),
    ]);
  });
});

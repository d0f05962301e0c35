import type { FleetPlan } from './planFleet';

/**
 * The Amazon States Language definition of a fleet run: List → Distributed Map → Aggregate.
 *
 * Placeholders (`${ListFunctionArn}`, `${BatchFunctionArn}`, `${AggregateFunctionArn}`,
 * `${FleetBucket}`) are filled by CloudFormation's `DefinitionSubstitutions`
 * (infra/resources/fleet.yml). Batching, concurrency and tolerated failures come from `planFleet`.
 *
 * - List writes the work items to S3 and returns the batches' common input (`run`).
 * - The Map reads the items with `ItemReader`, groups them with `ItemBatcher`, runs at most
 *   `MaxConcurrency` child executions (STANDARD, so a failed run can be redriven), tolerates
 *   `ToleratedFailurePercentage` failed batches, and writes every child's result to S3 with
 *   `ResultWriter`. Above the tolerance the Map Run fails, the execution fails at the Map, and a
 *   redrive (`aws stepfunctions redrive-execution`) reruns only the failed and unfinished batches.
 * - Aggregate reads the results and publishes one ledger (or mirror report) for the run.
 *
 * https://docs.aws.amazon.com/step-functions/latest/dg/state-map-distributed.html
 */
export type StateMachineDefinition = Record<string, unknown>;

/** Lambda's transient invoke errors, retried as AWS recommends for the optimized integration. */
const LAMBDA_TRANSIENT_ERRORS = ['Lambda.ServiceException', 'Lambda.AWSLambdaException', 'Lambda.SdkClientException', 'Lambda.TooManyRequestsException'];
const RETRY_TRANSIENT = [{ ErrorEquals: LAMBDA_TRANSIENT_ERRORS, IntervalSeconds: 2, MaxAttempts: 6, BackoffRate: 2, JitterStrategy: 'FULL' }];

/** The S3 key prefix of a run: `runs/<job>/<execution name>/`. */
export function runPrefix(job: string, runId: string): string {
  return `runs/${job}/${runId}`;
}

/**
 * @example
 * JSON.stringify(fleetStateMachineDefinition(planFleet(config.fleet, 'sweep')))
 */
export function fleetStateMachineDefinition(plan: FleetPlan): StateMachineDefinition {
  const what = plan.job === 'sweep' ? 'lifecycle sweep of every governed repository' : 'mirror of every configured image';
  return {
    Comment: `ecr-autopilot fleet ${plan.job}: the ${what}, fanned out in batches of ${plan.maxItemsPerBatch}, at most ${plan.maxConcurrency} at once (${plan.callsPerSecondPerBatch} ECR calls/s each).`,
    StartAt: 'List',
    States: {
      List: {
        Type: 'Task',
        Comment: 'Lists the work items into S3.',
        Resource: 'arn:aws:states:::lambda:invoke',
        Parameters: {
          FunctionName: '${ListFunctionArn}',
          Payload: {
            job: plan.job,
            'executionArn.$': '$$.Execution.Id',
            'executionName.$': '$$.Execution.Name',
            'startedAt.$': '$$.Execution.StartTime',
          },
        },
        ResultSelector: { 'listing.$': '$.Payload.listing' },
        ResultPath: '$.list',
        Retry: RETRY_TRANSIENT,
        Next: 'Batches',
      },
      Batches: {
        Type: 'Map',
        Comment: 'One child execution per batch of work items.',
        ItemReader: {
          Resource: 'arn:aws:states:::s3:getObject',
          ReaderConfig: { InputType: 'JSON' },
          Parameters: { Bucket: '${FleetBucket}', 'Key.$': '$.list.listing.itemsKey' },
        },
        ItemBatcher: {
          MaxItemsPerBatch: plan.maxItemsPerBatch,
          BatchInput: { 'run.$': '$.list.listing.run' },
        },
        MaxConcurrency: plan.maxConcurrency,
        ToleratedFailurePercentage: plan.toleratedFailurePercentage,
        ItemProcessor: {
          ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' },
          StartAt: 'Batch',
          States: {
            Batch: {
              Type: 'Task',
              Resource: 'arn:aws:states:::lambda:invoke',
              Parameters: { FunctionName: '${BatchFunctionArn}', 'Payload.$': '$' },
              OutputPath: '$.Payload',
              // The function stops itself before its own timeout; this is only a backstop.
              TimeoutSeconds: plan.batchTimeoutSeconds + 60,
              Retry: RETRY_TRANSIENT,
              End: true,
            },
          },
        },
        ResultWriter: {
          Resource: 'arn:aws:states:::s3:putObject',
          Parameters: { Bucket: '${FleetBucket}', 'Prefix.$': '$.list.listing.resultsPrefix' },
        },
        ResultPath: '$.results',
        Next: 'Aggregate',
      },
      Aggregate: {
        Type: 'Task',
        Comment: 'Publishes one ledger (or mirror report) for the run, naming failed batches.',
        Resource: 'arn:aws:states:::lambda:invoke',
        Parameters: {
          FunctionName: '${AggregateFunctionArn}',
          Payload: {
            'run.$': '$.list.listing.run',
            'results.$': '$.results',
          },
        },
        OutputPath: '$.Payload',
        Retry: RETRY_TRANSIENT,
        End: true,
      },
    },
  };
}

import * as z from 'zod/mini';
import { eventBridgeEvent } from './envelope';

/**
 * `Step Functions Execution Status Change` (source `aws.states`), sent to the default bus for every
 * status change of a STANDARD execution. The `detail` carries what DescribeExecution returns
 * (https://docs.aws.amazon.com/step-functions/latest/dg/cw-events.html; samples in
 * `events/step-functions/aws-doc-*.json`). Step Functions added fields over time: the documented
 * samples have only executionArn … output, today's events also carry `inputDetails`,
 * `outputDetails`, `error`, `cause`, the redrive fields and the version/alias ARNs, some as `null`.
 * So everything after `status` and `startDate` is optional and may be `null`; `status` is a plain
 * string (PENDING_REDRIVE was added with redrive), and the use case decides what it acts on.
 */
const nullableString = z.optional(z.nullable(z.string()));

/** `arn:<partition>:states:<region>:<account>:execution:<state machine>:<execution name>`. */
const ExecutionArn = z.string().check(z.regex(/^arn:[a-z-]+:states:[a-z0-9-]+:\d{12}:execution:[^:]+:[^:]+$/, 'must be a Step Functions execution ARN'));
/** `arn:<partition>:states:<region>:<account>:stateMachine:<name>`. */
const StateMachineArn = z.string().check(z.regex(/^arn:[a-z-]+:states:[a-z0-9-]+:\d{12}:stateMachine:[^:]+$/, 'must be a Step Functions state machine ARN'));

export const StepFunctionsExecutionStatusChangeDetail = z.looseObject({
  executionArn: ExecutionArn,
  stateMachineArn: StateMachineArn,
  name: z.string().check(z.minLength(1), z.maxLength(80)),
  status: z.string().check(z.minLength(1)),
  /** Epoch milliseconds. */
  startDate: z.number(),
  stopDate: z.optional(z.nullable(z.number())),
  error: nullableString,
  cause: nullableString,
  /** Redrives so far (0 before the first); absent from the older documented samples. */
  redriveCount: z.optional(z.nullable(z.int().check(z.gte(0)))),
  /** `REDRIVABLE` or `NOT_REDRIVABLE` (with `redriveStatusReason`). */
  redriveStatus: nullableString,
  redriveStatusReason: nullableString,
});
export type StepFunctionsExecutionStatusChangeDetail = z.output<typeof StepFunctionsExecutionStatusChangeDetail>;

export const StepFunctionsExecutionStatusChangeEvent = eventBridgeEvent('aws.states', 'Step Functions Execution Status Change', StepFunctionsExecutionStatusChangeDetail);
export type StepFunctionsExecutionStatusChangeEvent = z.output<typeof StepFunctionsExecutionStatusChangeEvent>;

/**
 * Console links of Step Functions executions, including the child executions of a Map Run
 * (`arn:aws:states:<region>:<account>:execution:<machine>/<map run label>:<id>`).
 *
 * @example
 * executionConsoleUrl('arn:aws:states:ap-northeast-2:123456789012:execution:ecr-autopilot-dev-sweep:abc')
 * // 'https://ap-northeast-2.console.aws.amazon.com/states/home?region=ap-northeast-2#/v2/executions/details/arn:aws:states:...'
 */
export function executionConsoleUrl(executionArn: string): string {
  const region = executionArn.split(':')[3] ?? '';
  return `https://${region}.console.aws.amazon.com/states/home?region=${region}#/v2/executions/details/${executionArn}`;
}

/** The AWS CLI command that redrives a failed execution (its failed and unfinished batches only). */
export function redriveCommand(executionArn: string): string {
  return `aws stepfunctions redrive-execution --execution-arn ${executionArn}`;
}

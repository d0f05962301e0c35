/**
 * What a mocked AWS client's `send` received besides the command. aws-sdk-client-mock records the
 * SDK options (`abortSignal`) but types calls as `[command]`, and ignores the options: tests that
 * check a signal reached the SDK read it here.
 *
 * @example
 * expect(abortSignalOf(ecr.commandCalls(DescribeImagesCommand)[0])).toBe(signal);
 */
export function abortSignalOf(call: { args: readonly unknown[] } | undefined): AbortSignal | undefined {
  const options = call?.args[1] as { abortSignal?: AbortSignal } | undefined;
  return options?.abortSignal;
}

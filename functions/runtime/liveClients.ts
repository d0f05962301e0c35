import { type AwsClientOptions, awsClientOptions } from '../../lib/runtime/awsClientOptions';
import { readEnv } from '../../lib/runtime/env';

/**
 * Client options shared by every AWS client of the functions: the region Lambda runs in, the SDK's
 * own short retry (`callAws` adds bounded throttling retries on top, and the signal), and connect and
 * idle limits so a silent endpoint fails in seconds, named, instead of using up the invocation.
 */
export function clientOptions(): AwsClientOptions & { region: string } {
  const region = readEnv({ key: 'AWS_REGION', fix: 'Lambda sets it; locally, export AWS_REGION=us-east-1' });
  return { ...awsClientOptions({ region }), region };
}

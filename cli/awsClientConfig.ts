import type { AwsOptions } from './flags';

/**
 * What every AWS SDK client the CLI builds gets: `--region` and `--profile` when given; otherwise
 * the SDK's own chain decides (AWS_REGION, AWS_PROFILE, ~/.aws/config).
 *
 * @example
 * new ECRClient({ ...awsClientConfig({ profile: 'lab' }), maxAttempts: 3 });
 */
export function awsClientConfig(options: AwsOptions = {}): { region?: string; profile?: string } {
  return { ...(options.region ? { region: options.region } : {}), ...(options.profile ? { profile: options.profile } : {}) };
}

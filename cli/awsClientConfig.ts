/**
 * How the CLI reaches AWS: one set of client options for every SDK client of a run (`--region`,
 * `--profile`, `--timeout`, with connect and idle limits), and a check, before any work, that a
 * region and credentials are there — failing with what to set instead of the SDK's "Region is
 * missing" halfway through.
 */
import { AutopilotError, describeError } from '../lib/errors';
import { type AwsClientOptions, awsClientOptions } from '../lib/runtime/awsClientOptions';
import type { AwsOptions } from './flags';

/** The way around AWS for commands with a plan mode. */
const WORK_OFFLINE = 'or work offline with --plan --snapshot <file>';

/**
 * What every AWS SDK client the CLI builds gets: `--region` and `--profile` when given (otherwise the
 * SDK's own chain decides: AWS_REGION, AWS_PROFILE, ~/.aws/config), three attempts, and the connect
 * and idle limits (`--timeout` seconds of silence, default 30 s).
 *
 * @example
 * new ECRClient(awsClientConfig({ profile: 'lab', timeout: 10 }));
 */
export function awsClientConfig(options: AwsOptions = {}, overrides: { region?: string; maxAttempts?: number } = {}): AwsClientOptions {
  // On Node < 22 the SDK warns, on every process, that its 2027 releases need Node 22. The README
  // states which Node is supported; a command's output is no place to repeat it each time.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const region = overrides.region ?? options.region;
  return awsClientOptions({
    ...(region ? { region } : {}),
    ...(options.profile ? { profile: options.profile } : {}),
    ...(options.timeout !== undefined ? { timeoutMs: options.timeout * 1000 } : {}),
    ...(overrides.maxAttempts !== undefined ? { maxAttempts: overrides.maxAttempts } : {}),
    longerWaitHint: 'or allow longer with --timeout <seconds>',
  });
}

/** The parts of an SDK client's resolved configuration we check. */
export interface AwsClientConfigProbe {
  config: { region: () => Promise<string>; credentials: () => Promise<unknown>; profile?: string | undefined };
}

/**
 * Resolves the region and the credentials the way the client will, and fails with what to set when
 * either is missing. `instead` is the way around AWS the command offers (plan mode by default).
 * Returns the region.
 *
 * @example
 * const region = await requireAwsSession(new ECRClient(awsClientConfig(options)));
 */
export async function requireAwsSession(client: AwsClientConfigProbe, options: { instead?: string } = {}): Promise<string> {
  const instead = options.instead ?? WORK_OFFLINE;
  // A named profile that does not exist (a typo) fails like no configuration at all: say which was used.
  const profile = client.config.profile ? { name: client.config.profile, from: '--profile' } : process.env.AWS_PROFILE ? { name: process.env.AWS_PROFILE, from: 'AWS_PROFILE' } : undefined;
  const profileHint = profile ? `profile "${profile.name}" (${profile.from}) is used: check its name (\`aws configure list-profiles\`) and its settings; ` : '';
  let region: string;
  try {
    region = await client.config.region();
  } catch (error) {
    throw new AutopilotError('AWS_NOT_CONFIGURED', `No AWS region is configured: ${profileHint}set AWS_REGION (or a region in your AWS profile), pass --region <region>, ${instead}`, { cause: error });
  }
  try {
    await client.config.credentials();
  } catch (error) {
    throw new AutopilotError(
      'AWS_NOT_CONFIGURED',
      profile
        ? `No AWS credentials (${describeError(error).replace(/\.$/, '')}): ${profileHint}log in again if it uses SSO (\`aws sso login --profile ${profile.name}\`), ${instead}`
        : `No AWS credentials (${describeError(error).replace(/\.$/, '')}): set AWS_PROFILE or pass --profile <name> (a profile from \`aws configure\` or \`aws sso login\`), export AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, ${instead}`,
      { cause: error },
    );
  }
  return region;
}

/**
 * An AWS environment with nothing configured: no region, no credentials, no shared config files,
 * no instance metadata — whatever the calling shell or machine has. Call in a `beforeEach`; undo
 * with `vi.unstubAllEnvs()`.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { vi } from 'vitest';

const AWS_VARIABLES = [
  'AWS_REGION',
  'AWS_DEFAULT_REGION',
  'AWS_PROFILE',
  'AWS_DEFAULT_PROFILE',
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
  'AWS_ENDPOINT_URL',
  'AWS_ENDPOINT_URL_ECR',
  'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI',
  'AWS_CONTAINER_CREDENTIALS_FULL_URI',
  'AWS_WEB_IDENTITY_TOKEN_FILE',
  'AWS_ROLE_ARN',
] as const;

/**
 * Stubs every variable the SDK reads for region and credentials away, points the shared files at
 * an empty directory and turns instance metadata off. Returns that directory.
 *
 * @example
 * beforeEach(() => { withoutAwsConfiguration(); vi.stubEnv('AWS_REGION', 'eu-west-1'); });
 */
export function withoutAwsConfiguration(): string {
  const dir = mkdtempSync(join(tmpdir(), 'ecr-autopilot-no-aws-'));
  for (const key of AWS_VARIABLES) vi.stubEnv(key, undefined);
  vi.stubEnv('AWS_CONFIG_FILE', join(dir, 'config'));
  vi.stubEnv('AWS_SHARED_CREDENTIALS_FILE', join(dir, 'credentials'));
  vi.stubEnv('AWS_EC2_METADATA_DISABLED', 'true');
  return dir;
}

import { join } from 'node:path';
import { ECRClient } from '@aws-sdk/client-ecr';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { awsClientConfig, requireAwsSession } from '../../../cli/awsClientConfig';
import { withoutAwsConfiguration } from '../../support/awsEnvironment';
import { captureCliOutput, cliStderr, cliStdout, runCli } from '../../support/cli';
import { runCliProcess } from '../../support/cliProcess';
import { type SilentServer, startSilentServer } from '../../support/silentServer';

function occurrences(text: string, part: string): number {
  return text.split(part).length - 1;
}

beforeEach(() => {
  withoutAwsConfiguration();
  vi.stubEnv('AUTOPILOT_CONFIG', '');
  captureCliOutput();
});

afterEach(() => {
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
});

describe('requireAwsSession', () => {
  it('says how to give a region when none is configured', async () => {
    await expect(requireAwsSession(new ECRClient(awsClientConfig()))).rejects.toMatchObject({
      code: 'AWS_NOT_CONFIGURED',
      source: 'user',
      message: 'No AWS region is configured: set AWS_REGION (or a region in your AWS profile), pass --region <region>, or work offline with --plan --snapshot <file>',
    });
  });

  it.each([
    ['--profile', () => awsClientConfig({ profile: 'nosuch' })],
    ['AWS_PROFILE', () => (vi.stubEnv('AWS_PROFILE', 'nosuch'), awsClientConfig())],
  ])('names the profile %s chose when it gives no credentials (a typo, an expired SSO login)', async (from, config) => {
    // Prepare: no configuration files, so no such profile
    vi.stubEnv('AWS_REGION', 'eu-west-1');

    // Act
    const failure = requireAwsSession(new ECRClient(config()));

    // Assess
    await expect(failure).rejects.toMatchObject({ code: 'AWS_NOT_CONFIGURED', source: 'user' });
    await expect(failure).rejects.toThrow(`profile "nosuch" (${from}) is used: check its name (\`aws configure list-profiles\`) and its settings; log in again if it uses SSO (\`aws sso login --profile nosuch\`), or work offline with --plan --snapshot <file>`);
  });

  it('names the profile when it gives no region', async () => {
    // Act
    const failure = requireAwsSession(new ECRClient(awsClientConfig({ profile: 'nosuch' })));

    // Assess
    await expect(failure).rejects.toThrow('No AWS region is configured: profile "nosuch" (--profile) is used: check its name (`aws configure list-profiles`) and its settings; set AWS_REGION');
  });

  it('says how to give credentials when none are found', async () => {
    vi.stubEnv('AWS_REGION', 'eu-west-1');

    const failure = requireAwsSession(new ECRClient(awsClientConfig()));

    await expect(failure).rejects.toMatchObject({ code: 'AWS_NOT_CONFIGURED', message: expect.stringMatching(/^No AWS credentials \(.+\): set AWS_PROFILE or pass --profile <name>/) });
    await expect(failure).rejects.toThrow('or work offline with --plan --snapshot <file>');
  });

  it('returns the region when both are there', async () => {
    vi.stubEnv('AWS_REGION', 'ap-northeast-2');
    vi.stubEnv('AWS_ACCESS_KEY_ID', 'AKIDEXAMPLE');
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'secret');

    await expect(requireAwsSession(new ECRClient(awsClientConfig()))).resolves.toBe('ap-northeast-2');
    await expect(requireAwsSession(new ECRClient(awsClientConfig({ region: 'us-west-2' })))).resolves.toBe('us-west-2');
  });
});

describe('live commands without AWS configuration', () => {
  it('ptc status without a region exits 2 and names AWS_REGION, --region and plan mode, once', async () => {
    const code = await runCli('ptc', 'status');

    expect(code).toBe(2);
    expect(cliStdout()).toBe('');
    expect(cliStderr()).toContain('AWS_REGION');
    expect(cliStderr()).toContain('--region <region>');
    expect(cliStderr()).toContain('--plan --snapshot <file>');
    expect(occurrences(cliStderr(), 'No AWS region')).toBe(1);
  });

  it('verify without credentials says credentials, not permissions, before running any check', async () => {
    vi.stubEnv('AWS_REGION', 'eu-west-1');

    const code = await runCli('verify', '--no-notify');

    expect(code).toBe(2);
    expect(cliStderr()).toContain('No AWS credentials');
    expect(cliStderr()).toContain('AWS_PROFILE');
    expect(cliStderr()).toContain('--profile <name>');
    expect(cliStderr()).not.toContain('permissions');
    expect(cliStdout()).not.toContain('[FAIL]');
  });
});

describe('a silent AWS endpoint', () => {
  let silent: SilentServer;

  beforeEach(async () => {
    silent = await startSilentServer();
  });

  afterEach(async () => {
    await silent.stop();
  });

  it('ptc status gives up on an endpoint that accepts and says nothing, naming it; --timeout sets the wait', async () => {
    // Prepare: AWS configured, its endpoint (AWS_ENDPOINT_URL) silent
    vi.stubEnv('AWS_REGION', 'eu-west-1');
    vi.stubEnv('AWS_ACCESS_KEY_ID', 'AKIDEXAMPLE');
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY');
    vi.stubEnv('AWS_ENDPOINT_URL', `http://${silent.host}`);

    // Act
    const code = await runCli('ptc', 'status', '--timeout', '1');

    // Assess
    expect(code).toBe(3);
    expect(cliStderr()).toContain(`The AWS endpoint ${silent.host} did not answer within 1 s; check the network (and AWS_ENDPOINT_URL, if set), or allow longer with --timeout <seconds>`);
    expect(silent.received()).toMatch(/^POST \/ HTTP\/1\.1/);
  });
});

describe('the whole command', () => {
  it("does not print the AWS SDK's Node-version warning", async () => {
    // Prepare: no AWS configuration at all, in a real process
    const dir = withoutAwsConfiguration();

    // Act
    const result = runCliProcess(['ptc', 'status'], { env: { HOME: dir, AWS_CONFIG_FILE: join(dir, 'config'), AWS_SHARED_CREDENTIALS_FILE: join(dir, 'credentials'), AWS_EC2_METADATA_DISABLED: 'true' } });
    const stderr = result.stderr;
    const code = result.status;

    // Assess
    expect(code).toBe(2);
    expect(stderr).toContain('No AWS region is configured');
    expect(stderr).not.toContain('NodeVersionSupportWarning');
    expect(stderr).not.toContain('Warning:');
  });
});

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DescribeImagesCommand, ECRClient } from '@aws-sdk/client-ecr';
import { mockClient } from 'aws-sdk-client-mock';
import { Option } from 'commander';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { COMMANDS } from '../../../cli/commandTable';
import { FLAGS, type FlagName, PLAN_FLAGS } from '../../../cli/flags';
import { captureCliOutput, cliStderr, cliStdout, runCli } from '../../support/cli';

const ROOT = resolve(fileURLToPath(new URL('../../..', import.meta.url)));
const POLICY = join(ROOT, 'infra/lifecycle/services.json');
const ecr = mockClient(ECRClient);

beforeEach(() => {
  captureCliOutput();
  ecr.reset();
  for (const name of ['AWS_REGION', 'AWS_DEFAULT_REGION', 'AWS_PROFILE', 'AWS_CONFIG_FILE', 'AWS_SHARED_CREDENTIALS_FILE', 'AWS_ENDPOINT_URL']) vi.stubEnv(name, undefined);
  // Live commands check for credentials before any work; the calls themselves go to the mock.
  vi.stubEnv('AWS_ACCESS_KEY_ID', 'AKIDEXAMPLE');
  vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY');
});

afterEach(() => {
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
});

describe('the flag table', () => {
  it.each(Object.keys(FLAGS) as FlagName[])('names %s as commander does', (name) => {
    // Act
    const attribute = new Option(FLAGS[name].syntax).attributeName();

    // Assess
    expect(attribute).toBe(name);
  });

  it('gives every command that takes --plan all of --snapshot, --json, --verbose, --region and --profile', async () => {
    // Prepare
    const planned = COMMANDS.filter((command) => (command.flags as readonly FlagName[]).includes('plan'));

    // Act / Assess
    expect(planned.map((command) => command.path.join(' '))).toEqual(['invoke', 'lifecycle preview', 'lifecycle sweep', 'mirror', 'verify', 'teardown', 'ptc sync', 'ptc status']);
    for (const command of planned) {
      captureCliOutput();
      expect(await runCli(...command.path, '--help')).toBe(0);
      for (const flag of PLAN_FLAGS) expect(cliStdout(), `${command.path.join(' ')} --help`).toContain(FLAGS[flag].syntax);
    }
  });
});

describe('shared flags', () => {
  it('ptc status --plan reads the bundled snapshot', async () => {
    // Act
    const code = await runCli('ptc', 'status', '--plan', '--json');

    // Assess
    expect(code).toBe(1);
    const status = JSON.parse(cliStdout()) as { mode: string; source: string; region: string; ok: boolean };
    expect(status).toMatchObject({ mode: 'plan', region: 'ap-northeast-2', ok: false });
    expect(status.source).toMatch(/events\/registry-snapshot\.json$/);
    expect(ecr.calls()).toHaveLength(0);
  });

  it('verify takes --plan, --verbose, --region and --profile together', async () => {
    // Act
    const code = await runCli('verify', '--plan', '--verbose', '--region', 'eu-west-1', '--profile', 'lab', '--no-notify');

    // Assess
    expect(code).toBe(1);
    expect(cliStdout()).toContain('FAILED:');
    expect(cliStderr()).not.toContain('unknown option');
  });

  it('--region chooses the region of the AWS clients', async () => {
    // Prepare
    ecr.on(DescribeImagesCommand).resolves({ imageDetails: [] });

    // Act
    const code = await runCli('lifecycle', 'preview', '--policy', POLICY, '--repository', 'team-a/api', '--region', 'eu-west-3', '--json');

    // Assess
    expect(code).toBe(0);
    const client = ecr.call(0).thisValue as ECRClient;
    expect(await client.config.region()).toBe('eu-west-3');
  });

  it('--profile chooses the profile of the AWS clients (its region here)', async () => {
    // Prepare
    const dir = mkdtempSync(join(tmpdir(), 'ecr-autopilot-aws-config-'));
    writeFileSync(join(dir, 'config'), '[default]\nregion = us-east-1\n\n[profile lab]\nregion = sa-east-1\n');
    writeFileSync(join(dir, 'credentials'), '[lab]\naws_access_key_id = AKIDLAB\naws_secret_access_key = lab-secret\n');
    vi.stubEnv('AWS_CONFIG_FILE', join(dir, 'config'));
    vi.stubEnv('AWS_SHARED_CREDENTIALS_FILE', join(dir, 'credentials'));
    vi.stubEnv('AWS_ACCESS_KEY_ID', undefined);
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', undefined);
    ecr.on(DescribeImagesCommand).resolves({ imageDetails: [] });

    // Act
    const code = await runCli('lifecycle', 'preview', '--policy', POLICY, '--repository', 'team-a/api', '--profile', 'lab', '--json');

    // Assess
    expect(code).toBe(0);
    const client = ecr.call(0).thisValue as ECRClient;
    expect(await client.config.region()).toBe('sa-east-1');
  });
});

import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DescribeImagesCommand, DescribeRepositoriesCommand, ECRClient, GetAuthorizationTokenCommand } from '@aws-sdk/client-ecr';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { captureCliOutput, cliStderr, cliStdout, runCli } from '../../support/cli';
import { type SilentServer, startSilentServer } from '../../support/silentServer';

const ROOT = new URL('../../../', import.meta.url).pathname;
const ecr = mockClient(ECRClient);

/** The project's configuration with one mirrored image, from `source`. */
function configMirroring(source: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'ecr-autopilot-mirror-timeout-'));
  const text = readFileSync(join(ROOT, 'infra/autopilot.yml'), 'utf8').replace(
    /  images:\n(?:    .*\n)+/,
    `  images:\n    - source: ${source}\n      tags: [v1]\n`,
  );
  writeFileSync(join(dir, 'autopilot.yml'), text);
  cpSync(join(ROOT, 'infra/lifecycle'), join(dir, 'lifecycle'), { recursive: true });
  return join(dir, 'autopilot.yml');
}

describe('ecr-autopilot mirror --timeout', () => {
  let silent: SilentServer;

  beforeEach(async () => {
    silent = await startSilentServer();
    captureCliOutput();
    ecr.reset();
    vi.stubEnv('AWS_REGION', 'eu-west-1');
    vi.stubEnv('AWS_ACCESS_KEY_ID', 'AKIDEXAMPLE');
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY');
    vi.stubEnv('NOTIFICATION_TOPIC_ARN', '');
  });

  afterEach(async () => {
    vi.restoreAllMocks();
    vi.unstubAllEnvs();
    await silent.stop();
  });

  it('gives up on an upstream registry that accepts the connection and says nothing, naming it', async () => {
    // Prepare: the only mirrored image lives on a silent registry
    vi.stubEnv('AUTOPILOT_CONFIG', configMirroring(`${silent.host}/team/app`));
    ecr.on(DescribeRepositoriesCommand).resolves({ repositories: [] });
    ecr.on(DescribeImagesCommand).resolves({ imageDetails: [] });
    ecr.on(GetAuthorizationTokenCommand).resolves({
      authorizationData: [{ authorizationToken: Buffer.from('AWS:token').toString('base64'), expiresAt: new Date(Date.now() + 3_600_000), proxyEndpoint: 'https://123456789012.dkr.ecr.eu-west-1.amazonaws.com' }],
    });

    // Act
    const code = await runCli('mirror', '--timeout', '1', '--json');

    // Assess: the report names the silent registry for the image it could not read
    const output = `${cliStdout()}${cliStderr()}`;
    expect(output).toContain(silent.host);
    expect(output).toContain('(no response within 1 s)');
    expect(silent.connections()).toBeGreaterThan(0);
    expect([1, 3]).toContain(code);
  });
});

import { DescribeRepositoriesCommand, ECRClient } from '@aws-sdk/client-ecr';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AutopilotError } from '../../../lib/errors';
import { AWS_CONNECT_TIMEOUT_MS, AWS_IDLE_TIMEOUT_MS, awsClientOptions } from '../../../lib/runtime/awsClientOptions';
import { clientOptions } from '../../../functions/runtime/liveClients';
import { type SilentServer, startSilentServer } from '../../support/silentServer';

const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' };

describe('awsClientOptions', () => {
  let silent: SilentServer;

  beforeEach(async () => {
    silent = await startSilentServer();
  });

  afterEach(async () => {
    await silent.stop();
  });

  it('limits connecting to 10 s and silence to 30 s by default; a shorter timeout shortens both', () => {
    const { requestHandler } = awsClientOptions();

    expect(requestHandler.limits).toMatchObject({ connectMs: AWS_CONNECT_TIMEOUT_MS, idleMs: AWS_IDLE_TIMEOUT_MS });
    expect([AWS_CONNECT_TIMEOUT_MS, AWS_IDLE_TIMEOUT_MS]).toEqual([10_000, 30_000]);
    expect(awsClientOptions({ timeoutMs: 5_000 }).requestHandler.limits).toMatchObject({ connectMs: 5_000, idleMs: 5_000 });
  });

  it('gives up on an endpoint that accepts the connection and says nothing, naming it, without retrying', async () => {
    // Prepare
    const client = new ECRClient({ ...awsClientOptions({ region: 'eu-west-1', timeoutMs: 300, longerWaitHint: 'or allow longer with --timeout <seconds>' }), endpoint: `http://${silent.host}`, credentials });

    // Act
    const failure = client.send(new DescribeRepositoriesCommand({}));

    // Assess
    await expect(failure).rejects.toBeInstanceOf(AutopilotError);
    await expect(failure).rejects.toMatchObject({
      code: 'AWS_ERROR',
      message: `The AWS endpoint ${silent.host} did not answer within 0.3 s; check the network (and AWS_ENDPOINT_URL, if set), or allow longer with --timeout <seconds>`,
    });
    expect(silent.received()).toContain('POST / HTTP/1.1');
    expect(silent.connections()).toBe(1);
  });

  it('honours AWS_ENDPOINT_URL, as the CLI and the functions are pointed at other endpoints', async () => {
    const saved = { endpoint: process.env.AWS_ENDPOINT_URL, region: process.env.AWS_REGION };
    process.env.AWS_ENDPOINT_URL = `http://${silent.host}`;
    process.env.AWS_REGION = 'ap-northeast-2';
    try {
      const client = new ECRClient({ ...awsClientOptions({ timeoutMs: 300 }), credentials });

      await expect(client.send(new DescribeRepositoriesCommand({}))).rejects.toThrow(`The AWS endpoint ${silent.host} did not answer`);
    } finally {
      for (const [key, value] of [['AWS_ENDPOINT_URL', saved.endpoint], ['AWS_REGION', saved.region]] as const) {
        if (value === undefined) delete process.env[key];
        else process.env[key] = value;
      }
    }
  });

  it('gives the functions the same limits', () => {
    const saved = process.env.AWS_REGION;
    process.env.AWS_REGION = 'eu-west-1';
    try {
      expect(clientOptions().requestHandler.limits).toMatchObject({ connectMs: 10_000, idleMs: 30_000 });
    } finally {
      if (saved === undefined) delete process.env.AWS_REGION;
      else process.env.AWS_REGION = saved;
    }
  });

  it('rejects a timeout that is not a positive number', () => {
    expect(() => awsClientOptions({ timeoutMs: 0 })).toThrow(expect.objectContaining({ code: 'USAGE' }));
    expect(() => awsClientOptions({ timeoutMs: Number.NaN })).toThrow(/positive number/);
  });
});

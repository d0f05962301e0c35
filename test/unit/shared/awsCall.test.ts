import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { DescribeRepositoriesCommand, ECRClient, ECRServiceException } from '@aws-sdk/client-ecr';
import { mockClient } from 'aws-sdk-client-mock';
import { abortSignalOf } from '../../support/sdkCalls';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { AutopilotError } from '../../../lib/errors';
import { callAws } from '../../../lib/shared/awsCall';

const ecr = mockClient(ECRClient);
const client = new ECRClient({ region: 'ap-northeast-2' });

afterEach(() => {
  ecr.reset();
});

function throttling(): ECRServiceException {
  return new ECRServiceException({ name: 'ThrottlingException', $fault: 'client', $metadata: { httpStatusCode: 400 }, message: 'Rate exceeded' });
}

describe('callAws', () => {
  it("hands the caller's signal to the SDK as abortSignal", async () => {
    // Prepare
    ecr.on(DescribeRepositoriesCommand).resolves({ repositories: [] });
    const controller = new AbortController();

    // Act
    await callAws('ecr:DescribeRepositories', (sdk) => client.send(new DescribeRepositoriesCommand({}), sdk), { signal: controller.signal });

    // Assess: aws-sdk-client-mock records the options but ignores them, so they are checked here.
    expect(abortSignalOf(ecr.commandCalls(DescribeRepositoriesCommand)[0])).toBe(controller.signal);
  });

  it('sends nothing once the signal fired (a mocked client, like SDK middleware, would not notice)', async () => {
    // Prepare
    ecr.on(DescribeRepositoriesCommand).resolves({ repositories: [] });
    const controller = new AbortController();
    controller.abort(new AutopilotError('ABORTED', 'the time budget ran out'));

    // Act & Assess
    await expect(callAws('ecr:DescribeRepositories', (sdk) => client.send(new DescribeRepositoriesCommand({}), sdk), { signal: controller.signal })).rejects.toMatchObject({
      code: 'ABORTED',
      message: 'the time budget ran out',
    });
    expect(ecr.commandCalls(DescribeRepositoriesCommand)).toHaveLength(0);
  });

  it('stops retrying throttling when the signal fires during the backoff, and calls no more', async () => {
    // Prepare
    ecr.on(DescribeRepositoriesCommand).rejects(throttling());
    const controller = new AbortController();
    const sleep = vi.fn(async () => {
      controller.abort();
    });

    // Act & Assess
    await expect(
      callAws('ecr:DescribeRepositories', (sdk) => client.send(new DescribeRepositoriesCommand({}), sdk), { signal: controller.signal, retry: { sleep } }),
    ).rejects.toMatchObject({ code: 'ABORTED' });
    expect(ecr.commandCalls(DescribeRepositoriesCommand)).toHaveLength(1);
  });

  it('does not wait for a call that ignores the signal (a mocked client, SDK middleware): it ends ABORTED when the signal fires', async () => {
    // Prepare: DescribeRepositories never answers.
    ecr.on(DescribeRepositoriesCommand).callsFake(() => new Promise(() => undefined));
    const controller = new AbortController();

    // Act
    const call = callAws('ecr:DescribeRepositories', (sdk) => client.send(new DescribeRepositoriesCommand({}), sdk), { signal: controller.signal });
    controller.abort(new AutopilotError('ABORTED', 'the time budget ran out'));

    // Assess: a call still awaited would time this test out.
    await expect(call).rejects.toMatchObject({ code: 'ABORTED', message: 'the time budget ran out' });
  });

  it('gives up on throttling after five attempts with THROTTLED', async () => {
    // Prepare
    ecr.on(DescribeRepositoriesCommand).rejects(throttling());

    // Act & Assess
    await expect(callAws('ecr:DescribeRepositories', (sdk) => client.send(new DescribeRepositoriesCommand({}), sdk), { retry: { sleep: async () => undefined } })).rejects.toMatchObject({
      code: 'THROTTLED',
      retryable: true,
    });
    expect(ecr.commandCalls(DescribeRepositoriesCommand)).toHaveLength(5);
  });
});

describe('callAws with the real SDK', () => {
  it('aborts a request in flight: the real SDK honours abortSignal and closes the connection', async () => {
    // Prepare: an endpoint that accepts the request and never answers.
    ecr.restore();
    const sockets = new Set<Socket>();
    let closed = 0;
    let received = 0;
    const server: Server = createServer(() => {
      received += 1;
    });
    server.on('connection', (socket) => {
      sockets.add(socket);
      socket.on('close', () => {
        closed += 1;
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const real = new ECRClient({
      region: 'ap-northeast-2',
      endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' },
      maxAttempts: 1,
    });
    const controller = new AbortController();

    try {
      // Act
      const call = callAws('ecr:DescribeRepositories', (sdk) => real.send(new DescribeRepositoriesCommand({}), sdk), { signal: controller.signal });
      await vi.waitFor(() => expect(received).toBe(1));
      controller.abort(new AutopilotError('ABORTED', 'interrupted'));

      // Assess: without the abort the call would hang until the test timed out.
      await expect(call).rejects.toMatchObject({ code: 'ABORTED', message: 'interrupted' });
      await vi.waitFor(() => expect(closed).toBe(1));
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      real.destroy();
      mockClient(ECRClient);
    }
  });
});

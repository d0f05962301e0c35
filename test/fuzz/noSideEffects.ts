/**
 * Everything a handler could change or publish through, mocked so that a fuzz test can assert it
 * was never touched: every AWS client the functions build (ECR, SNS, EventBridge, DynamoDB,
 * Secrets Manager, IAM), `fetch`, node:http/https, and node:net/tls (the OCI transport's own
 * HTTP/1.1 wire opens sockets directly). A network call fails loudly instead of leaving the machine.
 */
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import tls from 'node:tls';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ECRClient } from '@aws-sdk/client-ecr';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { IAMClient } from '@aws-sdk/client-iam';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { vi } from 'vitest';

export function mockAwsClients() {
  return {
    ecr: mockClient(ECRClient),
    sns: mockClient(SNSClient),
    events: mockClient(EventBridgeClient),
    dynamo: mockClient(DynamoDBClient),
    secrets: mockClient(SecretsManagerClient),
    iam: mockClient(IAMClient),
  };
}

export type AwsMocks = ReturnType<typeof mockAwsClients>;

/** The names of every command any mocked client received (`ECR DeleteRepositoryCommand`…). */
export function receivedCommands(mocks: AwsMocks): string[] {
  return Object.entries(mocks).flatMap(([service, mock]) => mock.calls().map((call) => `${service} ${(call.args[0] as { constructor: { name: string } }).constructor.name}`));
}

/** Spies on fetch, node:http/https and node:net/tls connections; every call throws. `calls()` lists what was attempted. */
export function blockNetwork(): { calls(): string[]; restore(): void } {
  const refuse = (what: string) => () => {
    throw new Error(`fuzz: ${what} must not be called for an invalid event`);
  };
  const spies = [
    ['fetch', vi.spyOn(globalThis, 'fetch').mockImplementation(refuse('fetch'))],
    ['http.request', vi.spyOn(http, 'request').mockImplementation(refuse('http.request'))],
    ['http.get', vi.spyOn(http, 'get').mockImplementation(refuse('http.get'))],
    ['https.request', vi.spyOn(https, 'request').mockImplementation(refuse('https.request'))],
    ['https.get', vi.spyOn(https, 'get').mockImplementation(refuse('https.get'))],
    ['net.connect', vi.spyOn(net, 'connect').mockImplementation(refuse('net.connect'))],
    ['tls.connect', vi.spyOn(tls, 'connect').mockImplementation(refuse('tls.connect'))],
  ] as const;
  return {
    calls: () => spies.flatMap(([name, spy]) => spy.mock.calls.map(() => name)),
    restore: () => {
      for (const [, spy] of spies) spy.mockRestore();
    },
  };
}

import { Readable } from 'node:stream';
import { CreatePullThroughCacheRuleCommand, ECRClient } from '@aws-sdk/client-ecr';
import { describe, expect, it } from 'vitest';
import { AutopilotError } from '../../../lib/errors';
import { PTC_SDK_MAX_ATTEMPTS } from '../../../lib/pull-through-cache/limits';
import { translatePtcError } from '../../../lib/pull-through-cache/EcrPullThroughCache';
import { setEnv } from '../../support/lambdaHarness';

/**
 * The SDK's real retry strategy (no client mock here): ECR answers every call with
 * LimitExceededException, as it does for the 51st pull-through cache rule (aws-ecr-facts §6).
 */
function limitedClient(maxAttempts?: number): { client: ECRClient; calls: () => number } {
  let calls = 0;
  const client = new ECRClient({
    region: 'ap-northeast-2',
    credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'example' },
    ...(maxAttempts === undefined ? {} : { maxAttempts }),
    requestHandler: {
      handle: async () => {
        calls += 1;
        const body = JSON.stringify({ __type: 'LimitExceededException', message: 'The maximum number of pull through cache rules has been reached' });
        return { response: { statusCode: 400, reason: 'Bad Request', headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-errortype': 'LimitExceededException' }, body: Readable.from([Buffer.from(body)]) } };
      },
    },
  });
  return { client, calls: () => calls };
}

const create = new CreatePullThroughCacheRuleCommand({ ecrRepositoryPrefix: 'docker-hub', upstreamRegistryUrl: 'registry-1.docker.io' });

describe('LimitExceededException and the SDK retry', () => {
  it('is retried as throttling by a default client (why the pull-through cache client is different)', async () => {
    // Prepare
    const { client, calls } = limitedClient(2);

    // Act
    const error = await client.send(create).catch((caught: unknown) => caught);

    // Assess
    expect((error as Error).name).toBe('LimitExceededException');
    expect(calls()).toBe(2);
  });

  it('surfaces after exactly one call with the pull-through cache client, as LIMIT_EXCEEDED', async () => {
    // Prepare
    const { client, calls } = limitedClient(PTC_SDK_MAX_ATTEMPTS);
    const started = Date.now();

    // Act
    const error = await client.send(create).catch((caught: unknown) => translatePtcError(caught, 'CreatePullThroughCacheRule', 'docker-hub', 'ap-northeast-2'));

    // Assess
    expect(calls()).toBe(1);
    expect(Date.now() - started).toBeLessThan(1000);
    expect(error).toBeInstanceOf(AutopilotError);
    expect(error).toMatchObject({ code: 'LIMIT_EXCEEDED', retryable: false });
  });

  it('is what the Lambda functions build (functions/runtime/livePullThroughCache)', async () => {
    // Prepare
    const restore = setEnv({ AWS_REGION: 'ap-northeast-2' });
    try {
      const { livePullThroughCache } = await import('../../../functions/runtime/livePullThroughCache');

      // Act
      const ecr = livePullThroughCache()['ecr'];

      // Assess
      expect(await ecr.config.maxAttempts()).toBe(1);
    } finally {
      restore();
    }
  });
});

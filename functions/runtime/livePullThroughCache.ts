import { ECRClient } from '@aws-sdk/client-ecr';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { EcrPullThroughCache } from '../../lib/pull-through-cache/EcrPullThroughCache';
import { PTC_SDK_MAX_ATTEMPTS } from '../../lib/pull-through-cache/limits';
import { clientOptions } from './liveClients';

/**
 * The live pull-through cache state of the account and region the function runs in. The ECR client
 * makes a single attempt per call, so ECR's LimitExceededException (which the SDK retries as
 * throttling, aws-ecr-facts §6) surfaces at once; throttling is retried by callAws.
 */
export function livePullThroughCache(): EcrPullThroughCache {
  const options = clientOptions();
  return new EcrPullThroughCache({
    ecr: new ECRClient({ ...options, maxAttempts: PTC_SDK_MAX_ATTEMPTS }),
    secrets: new SecretsManagerClient(options),
    region: options.region,
  });
}

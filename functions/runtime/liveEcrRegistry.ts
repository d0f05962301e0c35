import { ECRClient } from '@aws-sdk/client-ecr';
import { EcrRegistry } from '../../lib/ecr/EcrRegistry';
import { clientOptions } from './liveClients';

/** The live ECR registry of the account and region the function runs in. */
export function liveEcrRegistry(): EcrRegistry {
  const options = clientOptions();
  return new EcrRegistry({ client: new ECRClient(options), region: options.region });
}

import { ECRClient } from '@aws-sdk/client-ecr';
import { EcrRegistry } from '../lib/ecr/EcrRegistry';
import { EcrImageApiPacer } from '../lib/ecr/imageApiQuotas';
import { planFleet } from '../lib/fleet/planFleet';
import { mirrorFleetBatchFunction } from '../lib/fleet/runMirrorBatch';
import { ecrDestination } from '../lib/mirror/ecrDestination';
import { OciCopyWriter } from '../lib/mirror/OciCopyWriter';
import { OciUpstreamReader } from '../lib/mirror/OciUpstreamReader';
import { anonymousCredentials } from '../lib/oci/transport/credentials';
import { routeChanges } from '../lib/plan/routeChanges';
import { CallPacer } from '../lib/shared/callPacer';
import { bundledConfig } from './runtime/bundledConfig';
import { lambdaEntry } from './runtime/lambdaEntry';
import { clientOptions } from './runtime/liveClients';

/**
 * One child execution of the fleet mirror → copy its images, as `mirrorImages` does, without
 * publishing. Its ECR API calls are paced at its share of `fleet.ecrCallsPerSecond`, and its pushes
 * at its share of ECR's documented rate for each image action (PutImage, InitiateLayerUpload, …):
 * the same plan the state machine's MaxConcurrency comes from.
 */
export const handler = lambdaEntry(mirrorFleetBatchFunction, ({ logger }) => {
  const config = bundledConfig();
  const options = clientOptions();
  const client = new ECRClient(options);
  const plan = planFleet(config.fleet, 'mirror');
  const registry = new EcrRegistry({ client, region: options.region, pacer: new CallPacer(plan.callsPerSecondPerBatch) });
  const destination = ecrDestination(client);
  return {
    deps: {
      config,
      registry,
      writer: routeChanges({ ecr: registry, oci: new OciCopyWriter({ destination, ...(plan.imageApiCallsPerSecondPerBatch ? { destinationPacing: new EcrImageApiPacer(plan.imageApiCallsPerSecondPerBatch) } : {}) }) }),
      clock: () => new Date(),
      logger,
      upstream: new OciUpstreamReader({ credentials: () => anonymousCredentials }),
      destinationRegistry: (options) => destination.registry(options?.signal),
    },
  };
});

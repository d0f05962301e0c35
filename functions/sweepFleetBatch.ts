import { ECRClient } from '@aws-sdk/client-ecr';
import { EcrRegistry } from '../lib/ecr/EcrRegistry';
import { planFleet } from '../lib/fleet/planFleet';
import { sweepFleetBatchFunction } from '../lib/fleet/runSweepBatch';
import { routeChanges } from '../lib/plan/routeChanges';
import { CallPacer } from '../lib/shared/callPacer';
import { bundledConfig } from './runtime/bundledConfig';
import { lambdaEntry } from './runtime/lambdaEntry';
import { clientOptions } from './runtime/liveClients';
import { liveStateStore } from './runtime/liveStateStore';

/**
 * One child execution of the fleet sweep → govern and expire its repositories. Every ECR call is
 * paced at the batch's share of `fleet.ecrCallsPerSecond`, the same plan the state machine's
 * MaxConcurrency comes from (both embedded at package time). The run's deletion cap is shared by its
 * batches through the state table (STATE_TABLE_NAME).
 */
export const handler = lambdaEntry(sweepFleetBatchFunction, ({ logger }) => {
  const config = bundledConfig();
  const options = clientOptions();
  const registry = new EcrRegistry({ client: new ECRClient(options), region: options.region, pacer: new CallPacer(planFleet(config.fleet, 'sweep').callsPerSecondPerBatch) });
  return { deps: { config, registry, state: liveStateStore(), writer: routeChanges({ ecr: registry }), clock: () => new Date(), logger } };
});

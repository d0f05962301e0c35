import { ptcWriters } from '../lib/pull-through-cache/changes';
import { routeChanges } from '../lib/plan/routeChanges';
import { teardownLabFunction } from '../lib/verify/teardownLab';
import { bundledConfig } from './runtime/bundledConfig';
import { lambdaEntry } from './runtime/lambdaEntry';
import { liveEcrRegistry } from './runtime/liveEcrRegistry';
import { livePullThroughCache } from './runtime/livePullThroughCache';

/** Manual invoke → remove what the lab created (`{"apply": true}`; `{}` only plans). */
export const handler = lambdaEntry(teardownLabFunction, ({ logger }) => {
  const registry = liveEcrRegistry();
  const ptc = livePullThroughCache();
  return {
    deps: {
      config: bundledConfig(),
      registry,
      ptc,
      writer: routeChanges({ ...ptcWriters(ptc), ecr: registry }),
      clock: () => new Date(),
      logger,
    },
  };
});

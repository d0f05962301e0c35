import { listFleetWorkFunction } from '../lib/fleet/listFleetWork';
import { bundledConfig } from './runtime/bundledConfig';
import { lambdaEntry } from './runtime/lambdaEntry';
import { liveEcrRegistry } from './runtime/liveEcrRegistry';
import { liveFleetStore } from './runtime/liveFleetStore';

/** The List step of the fleet state machines → the run's work items, written to the fleet bucket. */
export const handler = lambdaEntry(listFleetWorkFunction, ({ logger }) => ({
  deps: { config: bundledConfig(), registry: liveEcrRegistry(), store: liveFleetStore(), logger },
}));

import { aggregateFleetRunFunction } from '../lib/fleet/aggregateFleetRun';
import { routeChanges } from '../lib/plan/routeChanges';
import { bundledConfig } from './runtime/bundledConfig';
import { lambdaEntry } from './runtime/lambdaEntry';
import { liveEcrRegistry } from './runtime/liveEcrRegistry';
import { liveFleetStore } from './runtime/liveFleetStore';
import { liveOncePerKey } from './runtime/liveOncePerKey';
import { liveSnsPublisher, notificationTopicArn } from './runtime/liveSnsPublisher';

/** The Aggregate step of the fleet state machines → one ledger or mirror report per run. */
export const handler = lambdaEntry(aggregateFleetRunFunction, ({ logger }) => {
  const config = bundledConfig();
  const once = liveOncePerKey();
  return {
    deps: {
      config,
      registry: liveEcrRegistry(),
      store: liveFleetStore(),
      writer: routeChanges({ sns: liveSnsPublisher(config.notifications, once) }),
      topicArn: notificationTopicArn(),
      clock: () => new Date(),
      logger,
    },
    onInvoke: (context) => once.registerLambdaContext(context),
  };
});

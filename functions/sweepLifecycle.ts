import { sweepLifecycleFunction } from '../lib/lifecycle/sweepLifecycle';
import { routeChanges } from '../lib/plan/routeChanges';
import { bundledConfig } from './runtime/bundledConfig';
import { lambdaEntry } from './runtime/lambdaEntry';
import { liveEcrRegistry } from './runtime/liveEcrRegistry';
import { liveOncePerKey } from './runtime/liveOncePerKey';
import { liveSnsPublisher, notificationTopicArn } from './runtime/liveSnsPublisher';
import { liveStateStore } from './runtime/liveStateStore';

/** Daily schedule (and manual invokes) → fix governance drift and expire, with the safety rules, in every repository. */
export const handler = lambdaEntry(sweepLifecycleFunction, ({ logger }) => {
  const config = bundledConfig();
  const registry = liveEcrRegistry();
  const once = liveOncePerKey();
  return {
    deps: {
      config,
      registry,
      writer: routeChanges({ ecr: registry, sns: liveSnsPublisher(config.notifications, once) }),
      topicArn: notificationTopicArn(),
      state: liveStateStore(),
      clock: () => new Date(),
      logger,
    },
    onInvoke: (context) => once.registerLambdaContext(context),
  };
});

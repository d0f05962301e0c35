import { ptcWriters } from '../lib/pull-through-cache/changes';
import { syncPullThroughCache } from '../lib/pull-through-cache/syncPullThroughCache';
import { routeChanges } from '../lib/plan/routeChanges';
import { bundledConfig } from './runtime/bundledConfig';
import { lambdaEntry } from './runtime/lambdaEntry';
import { liveOncePerKey } from './runtime/liveOncePerKey';
import { livePullThroughCache } from './runtime/livePullThroughCache';
import { liveSnsPublisher, notificationTopicArn } from './runtime/liveSnsPublisher';

/** Daily schedule or manual invoke (`{}`, `{"prune": true}`) → reconcile the declared pull-through cache rules and templates. */
export const handler = lambdaEntry(syncPullThroughCache, ({ logger }) => {
  const config = bundledConfig();
  const ptc = livePullThroughCache();
  const once = liveOncePerKey();
  return {
    deps: {
      config,
      ptc,
      writer: routeChanges({ ...ptcWriters(ptc), sns: liveSnsPublisher(config.notifications, once) }),
      topicArn: notificationTopicArn(),
      clock: () => new Date(),
      logger,
    },
    onInvoke: (context) => once.registerLambdaContext(context),
  };
});

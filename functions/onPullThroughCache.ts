import { ptcWriters } from '../lib/pull-through-cache/changes';
import { onPullThroughCache } from '../lib/pull-through-cache/onPullThroughCache';
import { routeChanges } from '../lib/plan/routeChanges';
import { bundledConfig } from './runtime/bundledConfig';
import { lambdaEntry } from './runtime/lambdaEntry';
import { liveOncePerKey } from './runtime/liveOncePerKey';
import { livePullThroughCache } from './runtime/livePullThroughCache';
import { liveStateStore } from './runtime/liveStateStore';
import { liveSnsPublisher, notificationTopicArn } from './runtime/liveSnsPublisher';

/**
 * `ECR Pull Through Cache Action` (failed sync → cause and fix) and CloudTrail BatchGetImage /
 * GetDownloadUrlForLayer with RepositoryNotFoundException (→ create the missing declared rule, tell the
 * user to pull again).
 */
export const handler = lambdaEntry(onPullThroughCache, ({ logger }) => {
  const config = bundledConfig();
  const ptc = livePullThroughCache();
  const once = liveOncePerKey();
  return {
    deps: {
      config,
      ptc,
      // Which undeclared prefixes were reported already (once per prefix, across invocations).
      state: liveStateStore(),
      writer: routeChanges({ ...ptcWriters(ptc), sns: liveSnsPublisher(config.notifications, once) }),
      topicArn: notificationTopicArn(),
      clock: () => new Date(),
      logger,
    },
    onInvoke: (context) => once.registerLambdaContext(context),
  };
});

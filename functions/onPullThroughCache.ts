import { withRepeatWindows } from '../lib/notify/repeatWindows';
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
  const clock = () => new Date();
  // Storms of failed pulls and syncs are told once per window per prefix and cause, across invocations.
  const sns = withRepeatWindows(liveSnsPublisher(config.notifications, once), { state: liveStateStore(), clock });
  return {
    deps: {
      config,
      ptc,
      writer: routeChanges({ ...ptcWriters(ptc), sns }),
      topicArn: notificationTopicArn(),
      clock,
      logger,
    },
    onInvoke: (context) => once.registerLambdaContext(context),
  };
});

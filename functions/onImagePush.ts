import { withRepeatWindows } from '../lib/notify/repeatWindows';
import { routeChanges } from '../lib/plan/routeChanges';
import { onImagePush } from '../lib/push/onImagePush';
import { bundledConfig } from './runtime/bundledConfig';
import { lambdaEntry } from './runtime/lambdaEntry';
import { liveEcrRegistry } from './runtime/liveEcrRegistry';
import { liveOncePerKey } from './runtime/liveOncePerKey';
import { liveSnsPublisher, notificationTopicArn } from './runtime/liveSnsPublisher';
import { liveStateStore } from './runtime/liveStateStore';

/** EventBridge `aws.ecr` / `ECR Image Action` (PUSH, SUCCESS) → govern the repository, report the push. */
export const handler = lambdaEntry(onImagePush, ({ logger }) => {
  const config = bundledConfig();
  const registry = liveEcrRegistry();
  const once = liveOncePerKey();
  // The expire-on-push deletion cap shared by concurrent pushes, and its repeated failures' windows.
  const state = liveStateStore();
  const clock = () => new Date();
  return {
    deps: {
      config,
      registry,
      writer: routeChanges({ ecr: registry, sns: withRepeatWindows(liveSnsPublisher(config.notifications, once), { state, clock }) }),
      topicArn: notificationTopicArn(),
      state,
      clock,
      logger,
    },
    onInvoke: (context) => once.registerLambdaContext(context),
  };
});

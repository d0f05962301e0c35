import { routeChanges } from '../lib/plan/routeChanges';
import { onImagePush } from '../lib/push/onImagePush';
import { bundledConfig } from './runtime/bundledConfig';
import { lambdaEntry } from './runtime/lambdaEntry';
import { liveEcrRegistry } from './runtime/liveEcrRegistry';
import { liveOncePerKey } from './runtime/liveOncePerKey';
import { liveSnsPublisher, notificationTopicArn } from './runtime/liveSnsPublisher';

/** EventBridge `aws.ecr` / `ECR Image Action` (PUSH, SUCCESS) → govern the repository, report the push. */
export const handler = lambdaEntry(onImagePush, ({ logger }) => {
  const config = bundledConfig();
  const registry = liveEcrRegistry();
  const once = liveOncePerKey();
  return {
    deps: {
      config,
      registry,
      writer: routeChanges({ ecr: registry, sns: liveSnsPublisher(config.notifications, once) }),
      topicArn: notificationTopicArn(),
      clock: () => new Date(),
      logger,
    },
    onInvoke: (context) => once.registerLambdaContext(context),
  };
});

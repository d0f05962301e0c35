import { routeChanges } from '../lib/plan/routeChanges';
import { onImageScan } from '../lib/scan/onImageScan';
import { bundledConfig } from './runtime/bundledConfig';
import { lambdaEntry } from './runtime/lambdaEntry';
import { liveEcrRegistry } from './runtime/liveEcrRegistry';
import { liveOncePerKey } from './runtime/liveOncePerKey';
import { liveSnsPublisher, notificationTopicArn } from './runtime/liveSnsPublisher';
import { eventBusName, liveVerdictPublisher } from './runtime/liveVerdictPublisher';

/** `ECR Image Scan` / `Inspector2 Scan` → summary, new vs fixed findings, verdict event, notification. */
export const handler = lambdaEntry(onImageScan, ({ logger }) => {
  const config = bundledConfig();
  const registry = liveEcrRegistry();
  const once = liveOncePerKey();
  return {
    deps: {
      config,
      registry,
      writer: routeChanges({ sns: liveSnsPublisher(config.notifications, once), events: liveVerdictPublisher() }),
      topicArn: notificationTopicArn(),
      eventBusName: eventBusName(),
      clock: () => new Date(),
      logger,
    },
    onInvoke: (context) => once.registerLambdaContext(context),
  };
});

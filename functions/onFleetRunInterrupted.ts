import { onFleetRunInterrupted } from '../lib/fleet/reportInterruptedFleetRun';
import { routeChanges } from '../lib/plan/routeChanges';
import { readEnv } from '../lib/runtime/env';
import { bundledConfig } from './runtime/bundledConfig';
import { lambdaEntry } from './runtime/lambdaEntry';
import { liveFleetStore } from './runtime/liveFleetStore';
import { liveOncePerKey } from './runtime/liveOncePerKey';
import { liveSnsPublisher, notificationTopicArn } from './runtime/liveSnsPublisher';

/**
 * EventBridge `aws.states` / `Step Functions Execution Status Change` (FAILED, TIMED_OUT, ABORTED) of
 * the two fleet state machines → one ledger or mirror report of what the interrupted run did.
 */
export const handler = lambdaEntry(onFleetRunInterrupted, ({ logger }) => {
  const config = bundledConfig();
  const once = liveOncePerKey();
  return {
    deps: {
      config,
      store: liveFleetStore(),
      stackName: readEnv({ key: 'STACK_NAME', fix: 'set it to <service>-<stage> (serverless.yml sets it)' }),
      writer: routeChanges({ sns: liveSnsPublisher(config.notifications, once) }),
      topicArn: notificationTopicArn(),
      clock: () => new Date(),
      logger,
    },
    onInvoke: (context) => once.registerLambdaContext(context),
  };
});

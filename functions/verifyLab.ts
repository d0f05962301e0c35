import { ECRClient } from '@aws-sdk/client-ecr';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { IAMClient } from '@aws-sdk/client-iam';
import { SFNClient } from '@aws-sdk/client-sfn';
import { SNSClient } from '@aws-sdk/client-sns';
import { STSClient } from '@aws-sdk/client-sts';
import { EcrRegistry } from '../lib/ecr/EcrRegistry';
import { OciUpstreamReader } from '../lib/mirror/OciUpstreamReader';
import { anonymousCredentials } from '../lib/oci/transport/credentials';
import { routeChanges } from '../lib/plan/routeChanges';
import { readEnv } from '../lib/runtime/env';
import { AwsStackReader } from '../lib/verify/AwsStackReader';
import { verifyLabFunction } from '../lib/verify/verifyLab';
import { bundledConfig } from './runtime/bundledConfig';
import { lambdaEntry } from './runtime/lambdaEntry';
import { clientOptions } from './runtime/liveClients';
import { liveOncePerKey } from './runtime/liveOncePerKey';
import { livePullThroughCache } from './runtime/livePullThroughCache';
import { liveSnsPublisher, notificationTopicArn } from './runtime/liveSnsPublisher';

/** Manual invoke → the lab checklist (pass/fail per lab step), published as one notification. */
export const handler = lambdaEntry(verifyLabFunction, ({ logger }) => {
  const config = bundledConfig();
  const options = clientOptions();
  const ecr = new ECRClient(options);
  const once = liveOncePerKey();
  return {
    deps: {
      config,
      registry: new EcrRegistry({ client: ecr, region: options.region }),
      ptc: livePullThroughCache(),
      upstream: new OciUpstreamReader({ credentials: () => anonymousCredentials }),
      stack: new AwsStackReader({ ecr, events: new EventBridgeClient(options), sns: new SNSClient(options), iam: new IAMClient(options), sfn: new SFNClient(options), sts: new STSClient(options) }),
      stackName: readEnv({ key: 'STACK_NAME', fix: 'set it to <service>-<stage> (serverless.yml sets it)' }),
      writer: routeChanges({ sns: liveSnsPublisher(config.notifications, once) }),
      topicArn: notificationTopicArn(),
      clock: () => new Date(),
      logger,
    },
    onInvoke: (context) => once.registerLambdaContext(context),
  };
});

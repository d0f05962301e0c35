import { ECRClient } from '@aws-sdk/client-ecr';
import { ecrDestination } from '../lib/mirror/ecrDestination';
import { mirrorImagesFunction } from '../lib/mirror/mirrorImages';
import { OciCopyWriter } from '../lib/mirror/OciCopyWriter';
import { OciUpstreamReader } from '../lib/mirror/OciUpstreamReader';
import { EcrRegistry } from '../lib/ecr/EcrRegistry';
import { anonymousCredentials } from '../lib/oci/transport/credentials';
import { routeChanges } from '../lib/plan/routeChanges';
import { bundledConfig } from './runtime/bundledConfig';
import { lambdaEntry } from './runtime/lambdaEntry';
import { clientOptions } from './runtime/liveClients';
import { liveOncePerKey } from './runtime/liveOncePerKey';
import { liveSnsPublisher, notificationTopicArn } from './runtime/liveSnsPublisher';

/** Daily schedule (and manual invokes) → keep the configured public images in private ECR. */
export const handler = lambdaEntry(mirrorImagesFunction, ({ logger }) => {
  // Told once each: upload sessions a stopped copy could not close (see BlobClient.cancelUpload).
  const reportedLeftOpen = new Set<string>();
  const config = bundledConfig();
  const options = clientOptions();
  const client = new ECRClient(options);
  const registry = new EcrRegistry({ client, region: options.region });
  const destination = ecrDestination(client);
  const once = liveOncePerKey();
  return {
    deps: {
      config,
      registry,
      writer: routeChanges({
        ecr: registry,
        sns: liveSnsPublisher(config.notifications, once),
        oci: new OciCopyWriter({
          destination,
          onProgress: (change, progress) => {
            if (progress.phase === 'done') logger.info('copied', { image: change.target, bytes: progress.bytesDone, blobs: progress.blobsDone });
            for (const session of progress.uploadSessionsLeftOpen ?? []) {
              if (reportedLeftOpen.has(session)) continue;
              reportedLeftOpen.add(session);
              logger.warn('An abandoned upload session could not be deleted; the registry removes it itself after its upload purging age', { image: change.target, session });
            }
          },
        }),
      }),
      topicArn: notificationTopicArn(),
      clock: () => new Date(),
      logger,
      upstream: new OciUpstreamReader({ credentials: () => anonymousCredentials }),
      destinationRegistry: (options) => destination.registry(options?.signal),
    },
    onInvoke: (context) => once.registerLambdaContext(context),
  };
});

import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ECRClient } from '@aws-sdk/client-ecr';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { IAMClient } from '@aws-sdk/client-iam';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SFNClient } from '@aws-sdk/client-sfn';
import { S3Client } from '@aws-sdk/client-s3';
import { SNSClient } from '@aws-sdk/client-sns';
import { STSClient } from '@aws-sdk/client-sts';
import { loadConfig } from '../lib/config/loadConfig';
import type { AutopilotConfig } from '../lib/config/types';
import { EcrRegistry } from '../lib/ecr/EcrRegistry';
import { AutopilotError } from '../lib/errors';
import { type FleetStore, S3FleetStore } from '../lib/fleet/FleetStore';
import { ecrDestination } from '../lib/mirror/ecrDestination';
import { OciCopyWriter } from '../lib/mirror/OciCopyWriter';
import { OciUpstreamReader } from '../lib/mirror/OciUpstreamReader';
import { powertoolsOncePerKey } from '../lib/notify/publish/powertoolsOncePerKey';
import { slackWebhookUrlFromSecret } from '../lib/notify/publish/slackWebhookSecret';
import { SlackWebhook } from '../lib/notify/publish/SlackWebhook';
import { SlackWriter } from '../lib/notify/publish/SlackWriter';
import { SnsPublisher } from '../lib/notify/publish/SnsPublisher';
import { withRepeatWindows } from '../lib/notify/repeatWindows';
import { anonymousCredentials } from '../lib/oci/transport/credentials';
import { routeChanges } from '../lib/plan/routeChanges';
import type { ChangeWriter } from '../lib/plan/types';
import { ptcWriters } from '../lib/pull-through-cache/changes';
import { EcrPullThroughCache } from '../lib/pull-through-cache/EcrPullThroughCache';
import { PTC_SDK_MAX_ATTEMPTS } from '../lib/pull-through-cache/limits';
import { readOptionalEnv } from '../lib/runtime/env';
import { EventBridgeVerdictPublisher } from '../lib/scan/publish/EventBridgeVerdictPublisher';
import { DynamoStateStore } from '../lib/state/DynamoStateStore';
import { MemoryStateStore } from '../lib/state/MemoryStateStore';
import { AwsStackReader } from '../lib/verify/AwsStackReader';
import { awsClientConfig, requireAwsSession } from './awsClientConfig';
import { type CliDeps, cliLogger, stackName } from './deps';
import type { AwsOptions } from './flags';
import type { CommandIo } from './io';

/** A writer for a service the environment does not configure: applying a change says what to set. */
function unavailable(message: string): ChangeWriter<never> {
  return {
    async apply() {
      throw new AutopilotError('ENV_INVALID', message);
    },
  };
}

/** A fleet bucket the environment does not name: reading it says what to set. */
function unavailableFleetStore(): FleetStore {
  const fail = async (): Promise<never> => {
    throw new AutopilotError('ENV_INVALID', 'FLEET_BUCKET is not set: set it to the fleet bucket (FleetBucketName in `npx osls info --verbose`), or use --plan');
  };
  return { bucket: '', putJson: fail, getJson: fail, list: fail };
}

/**
 * ECR in the region `--region`, AWS_REGION or the profile names; fails before any work, saying what
 * to set, when no region or no credentials are found.
 */
export async function liveEcrRegistry(aws?: AwsOptions): Promise<{ registry: EcrRegistry; ecr: ECRClient }> {
  const ecr = new ECRClient(awsClientConfig(aws));
  return { registry: new EcrRegistry({ client: ecr, region: await requireAwsSession(ecr) }), ecr };
}

/**
 * Live mode: `--region`/`--profile`, else the AWS SDK's default credential chain and region
 * (AWS_PROFILE, AWS_REGION, …), and any endpoint the SDK's own `AWS_ENDPOINT_URL` names; every
 * endpoint held to `--timeout`. Notifications need NOTIFICATION_TOPIC_ARN; Slack needs
 * SLACK_WEBHOOK_SECRET_ID; duplicate suppression uses IDEMPOTENCY_TABLE_NAME when set, a
 * stopped sweep's cursor STATE_TABLE_NAME (shared with the deployed sweep), and the report of an
 * interrupted fleet run FLEET_BUCKET.
 */
export async function liveDeps(options: { config?: AutopilotConfig; io: CommandIo; verbose?: boolean; aws?: AwsOptions }): Promise<CliDeps> {
  const { registry, ecr } = await liveEcrRegistry(options.aws);
  const region = registry.region;
  // Every client of the run shares the region and the credentials resolved once.
  const client = { ...awsClientConfig(options.aws, { region }), credentials: ecr.config.credentials };
  const config = options.config ?? loadConfig().config;
  const secrets = new SecretsManagerClient(client);
  // One SDK attempt for pull-through cache calls, so LimitExceededException surfaces at once (lib/pull-through-cache/limits.ts).
  const ptc = new EcrPullThroughCache({ ecr: new ECRClient({ ...client, maxAttempts: PTC_SDK_MAX_ATTEMPTS }), secrets, region });
  const tableName = readOptionalEnv('IDEMPOTENCY_TABLE_NAME');
  const stateTableName = readOptionalEnv('STATE_TABLE_NAME');
  const fleetBucket = readOptionalEnv('FLEET_BUCKET');
  const once = tableName ? powertoolsOncePerKey({ tableName, client: new DynamoDBClient(client) }) : undefined;
  const state = stateTableName ? new DynamoStateStore({ client: new DynamoDBClient(client), tableName: stateTableName }) : new MemoryStateStore();
  const clock = () => new Date();
  const destination = ecrDestination(ecr);
  // `--timeout` holds registries to the same wait as AWS endpoints.
  const registryTimeout = options.aws?.timeout !== undefined ? { timeoutMs: options.aws.timeout * 1000 } : {};
  const writers: Record<string, ChangeWriter<never>> = {
    ecr: registry,
    oci: new OciCopyWriter({
      destination,
      ...registryTimeout,
      onProgress: (change, progress) =>
        options.io.progress(`${change.target}: ${progress.phase} · blobs ${progress.blobsDone}/${progress.blobsTotal} · ${(progress.bytesDone / 1048576).toFixed(1)}/${(progress.bytesTotal / 1048576).toFixed(1)} MB`),
    }),
    // Storms of repeated notices are told once a window, counted in the same state table as the deployed functions.
    sns: withRepeatWindows(new SnsPublisher({ client: new SNSClient(client), settings: config.notifications, ...(once ? { once } : {}) }), { state, clock }),
    events: new EventBridgeVerdictPublisher({ client: new EventBridgeClient(client) }),
    ...ptcWriters(ptc),
  };
  const slackSecret = readOptionalEnv('SLACK_WEBHOOK_SECRET_ID');
  writers.slack = slackSecret
    ? new SlackWriter({ webhook: new SlackWebhook({ url: () => slackWebhookUrlFromSecret(slackSecret, secrets) }), ...(once ? { once } : {}) })
    : unavailable('SLACK_WEBHOOK_SECRET_ID is not set: set it to the secret holding the Slack webhook URL, or use --plan');
  const topicArn = readOptionalEnv('NOTIFICATION_TOPIC_ARN');
  if (!topicArn) writers.sns = unavailable('NOTIFICATION_TOPIC_ARN is not set: set it to the notification topic ARN (see `npx osls info`), or use --plan');
  return {
    mode: 'live',
    config,
    registry,
    ptc,
    state,
    store: fleetBucket ? new S3FleetStore({ client: new S3Client(client), bucket: fleetBucket }) : unavailableFleetStore(),
    upstream: new OciUpstreamReader({ credentials: () => anonymousCredentials, ...registryTimeout }),
    stack: new AwsStackReader({ ecr, events: new EventBridgeClient(client), sns: new SNSClient(client), iam: new IAMClient(client), sfn: new SFNClient(client), sts: new STSClient(client) }),
    stackName: stackName(),
    destinationRegistry: (options) => destination.registry(options?.signal),
    writer: routeChanges(writers),
    topicArn: topicArn ?? '',
    eventBusName: readOptionalEnv('EVENT_BUS_NAME') ?? 'default',
    clock,
    logger: cliLogger(options.io, options.verbose),
  };
}

import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ECRClient } from '@aws-sdk/client-ecr';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SNSClient } from '@aws-sdk/client-sns';
import { IAMClient } from '@aws-sdk/client-iam';
import { loadConfig } from '../lib/config/loadConfig';
import { AwsStackReader } from '../lib/verify/AwsStackReader';
import { SnapshotStackReader } from '../lib/verify/SnapshotStackReader';
import type { VerifyDeps } from '../lib/verify/verifyLab';
import { ecrDestination } from '../lib/mirror/ecrDestination';
import type { MirrorDeps } from '../lib/mirror/mirrorImages';
import { OciCopyWriter } from '../lib/mirror/OciCopyWriter';
import { OciUpstreamReader } from '../lib/mirror/OciUpstreamReader';
import { SnapshotUpstreamReader } from '../lib/mirror/UpstreamReader';
import { anonymousCredentials } from '../lib/oci/transport/credentials';
import type { AutopilotConfig } from '../lib/config/types';
import { EcrRegistry } from '../lib/ecr/EcrRegistry';
import { SnapshotRegistry } from '../lib/ecr/SnapshotRegistry';
import { powertoolsOncePerKey } from '../lib/notify/publish/powertoolsOncePerKey';
import { slackWebhookUrlFromSecret } from '../lib/notify/publish/slackWebhookSecret';
import { SlackWebhook } from '../lib/notify/publish/SlackWebhook';
import { SlackWriter } from '../lib/notify/publish/SlackWriter';
import { SnsPublisher } from '../lib/notify/publish/SnsPublisher';
import { PlanningWriter } from '../lib/plan/PlanningWriter';
import { ptcWriters } from '../lib/pull-through-cache/changes';
import { EcrPullThroughCache } from '../lib/pull-through-cache/EcrPullThroughCache';
import { PTC_SDK_MAX_ATTEMPTS } from '../lib/pull-through-cache/limits';
import type { PtcStateReader } from '../lib/pull-through-cache/PtcStateReader';
import { SnapshotPtcReader } from '../lib/pull-through-cache/SnapshotPtcReader';
import { routeChanges } from '../lib/plan/routeChanges';
import type { ChangeWriter } from '../lib/plan/types';
import { readOptionalEnv } from '../lib/runtime/env';
import type { AutopilotDeps, LoggerPort } from '../lib/runtime/types';
import { EventBridgeVerdictPublisher } from '../lib/scan/publish/EventBridgeVerdictPublisher';
import { AutopilotError } from '../lib/errors';
import type { CommandIo } from './io';

/** A writer for a service the environment does not configure: applying a change says what to set. */
function unavailable(message: string): ChangeWriter<never> {
  return {
    async apply() {
      throw new AutopilotError('ENV_INVALID', message);
    },
  };
}

/** The deployed stack to verify: STACK_NAME, or the `dev` stage's name. */
export function stackName(): string {
  return readOptionalEnv('STACK_NAME') ?? 'ecr-autopilot-dev';
}

/** The bundled sample registry, used by `--plan` without `--snapshot` and by the demo. */
export const DEFAULT_SNAPSHOT = new URL('../events/registry-snapshot.json', import.meta.url).pathname;

export interface CliDeps extends AutopilotDeps, Pick<MirrorDeps, 'upstream' | 'destinationRegistry'>, Pick<VerifyDeps, 'stack' | 'stackName'> {
  mode: 'live' | 'plan';
  /** In plan mode: every change the run would have made. */
  planned?: PlanningWriter;
  /** Pull-through cache rules, templates and secret metadata (the snapshot's sections in plan mode). */
  ptc: PtcStateReader;
}

/** Logs to stderr, so stdout stays clean for results. */
export function cliLogger(io: CommandIo, verbose = false): LoggerPort {
  const write = (level: string) => (message: string, ...extra: Record<string, unknown>[]) =>
    io.err(`${level} ${message}${extra.length > 0 ? ` ${JSON.stringify(Object.assign({}, ...extra))}` : ''}`);
  return { debug: verbose ? write('debug') : () => undefined, info: verbose ? write('info') : () => undefined, warn: write('warn'), error: write('error') };
}

/**
 * Plan mode: reads come from a registry snapshot, every change is recorded instead of made, and the
 * clock is the snapshot's capture time (so a plan is reproducible).
 */
export function planDeps(options: { snapshot?: string; config?: AutopilotConfig; io: CommandIo; verbose?: boolean }): CliDeps {
  const registry = SnapshotRegistry.fromFile(options.snapshot ?? DEFAULT_SNAPSHOT);
  const planned = new PlanningWriter();
  const captured = registry.snapshot.capturedAt ? new Date(registry.snapshot.capturedAt) : new Date();
  return {
    mode: 'plan',
    planned,
    config: options.config ?? loadConfig().config,
    registry,
    ptc: new SnapshotPtcReader(registry.snapshot),
    upstream: new SnapshotUpstreamReader(registry.snapshot.upstreamImages),
    stack: new SnapshotStackReader(registry.snapshot.stack),
    stackName: registry.snapshot.stack?.name ?? stackName(),
    destinationRegistry: async () => `${registry.registryId}.dkr.ecr.${registry.region}.amazonaws.com`,
    writer: planned,
    topicArn: readOptionalEnv('NOTIFICATION_TOPIC_ARN') ?? registry.snapshot.stack?.topic?.arn ?? `arn:aws:sns:${registry.region}:${registry.registryId}:${stackName()}-notifications`,
    eventBusName: readOptionalEnv('EVENT_BUS_NAME') ?? 'default',
    clock: () => captured,
    logger: cliLogger(options.io, options.verbose),
  };
}

/**
 * Live mode: the AWS SDK's default credential chain and region (AWS_PROFILE, AWS_REGION, …), and any
 * endpoint the SDK's own `AWS_ENDPOINT_URL` names. Notifications need NOTIFICATION_TOPIC_ARN; Slack
 * needs SLACK_WEBHOOK_SECRET_ID; duplicate suppression uses IDEMPOTENCY_TABLE_NAME when set.
 */
export async function liveDeps(options: { config?: AutopilotConfig; io: CommandIo; verbose?: boolean }): Promise<CliDeps> {
  const ecr = new ECRClient({ maxAttempts: 3 });
  const region = await ecr.config.region();
  const config = options.config ?? loadConfig().config;
  const registry = new EcrRegistry({ client: ecr, region });
  // One SDK attempt for pull-through cache calls, so LimitExceededException surfaces at once (lib/pull-through-cache/limits.ts).
  const ptc = new EcrPullThroughCache({ ecr: new ECRClient({ maxAttempts: PTC_SDK_MAX_ATTEMPTS }), secrets: new SecretsManagerClient({}), region });
  const tableName = readOptionalEnv('IDEMPOTENCY_TABLE_NAME');
  const once = tableName ? powertoolsOncePerKey({ tableName, client: new DynamoDBClient({}) }) : undefined;
  const destination = ecrDestination(ecr);
  const writers: Record<string, ChangeWriter<never>> = {
    ecr: registry,
    oci: new OciCopyWriter({
      destination,
      onProgress: (change, progress) =>
        options.io.progress(`${change.target}: ${progress.phase} · blobs ${progress.blobsDone}/${progress.blobsTotal} · ${(progress.bytesDone / 1048576).toFixed(1)}/${(progress.bytesTotal / 1048576).toFixed(1)} MB`),
    }),
    sns: new SnsPublisher({ client: new SNSClient({}), settings: config.notifications, ...(once ? { once } : {}) }),
    events: new EventBridgeVerdictPublisher({ client: new EventBridgeClient({}) }),
    ...ptcWriters(ptc),
  };
  const slackSecret = readOptionalEnv('SLACK_WEBHOOK_SECRET_ID');
  writers.slack = slackSecret
    ? new SlackWriter({ webhook: new SlackWebhook({ url: () => slackWebhookUrlFromSecret(slackSecret) }), ...(once ? { once } : {}) })
    : unavailable('SLACK_WEBHOOK_SECRET_ID is not set: set it to the secret holding the Slack webhook URL, or use --plan');
  const topicArn = readOptionalEnv('NOTIFICATION_TOPIC_ARN');
  if (!topicArn) writers.sns = unavailable('NOTIFICATION_TOPIC_ARN is not set: set it to the notification topic ARN (see `npx osls info`), or use --plan');
  return {
    mode: 'live',
    config,
    registry,
    ptc,
    upstream: new OciUpstreamReader({ credentials: () => anonymousCredentials }),
    stack: new AwsStackReader({ ecr, events: new EventBridgeClient({}), sns: new SNSClient({}), iam: new IAMClient({}) }),
    stackName: stackName(),
    destinationRegistry: () => destination.registry(),
    writer: routeChanges(writers),
    topicArn: topicArn ?? '',
    eventBusName: readOptionalEnv('EVENT_BUS_NAME') ?? 'default',
    clock: () => new Date(),
    logger: cliLogger(options.io, options.verbose),
  };
}

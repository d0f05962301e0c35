import { MemoryStateStore } from '../../../lib/state/MemoryStateStore';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import {
  BatchGetImageCommand,
  DescribeImagesCommand,
  DescribeRepositoriesCommand,
  ECRClient,
  ECRServiceException,
  GetLifecyclePolicyCommand,
  PutImageScanningConfigurationCommand,
  PutImageTagMutabilityCommand,
  PutLifecyclePolicyCommand,
  RepositoryNotFoundException,
  type DescribeImagesCommandInput,
  type Repository as SdkRepository,
} from '@aws-sdk/client-ecr';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG_PATH, loadConfig, type AutopilotConfig } from '../../../lib/config';
import { EcrRegistry } from '../../../lib/ecr/EcrRegistry';
import { EcrImageActionEvent, parseEvent } from '../../../lib/events';
import { memoryOncePerKey } from '../../../lib/notify/publish/oncePerKey';
import { SnsPublisher } from '../../../lib/notify/publish/SnsPublisher';
import type { PushSummaryNotice } from '../../../lib/notify/notices';
import { routeChanges } from '../../../lib/plan/routeChanges';
import { handleImagePush } from '../../../lib/push/handleImagePush';
import type { FunctionReport, LoggerPort } from '../../../lib/runtime/types';
import { digestOf, imageActionEvent, indexManifest, loadEvent, MEDIA_TYPES, REGION, SAMPLE_EVENTS, sdkImage, sdkRepository, TOPIC_ARN, type EventJson } from '../../support/events';

const ecr = mockClient(ECRClient);
const sns = mockClient(SNSClient);

const CONFIG = loadConfig(DEFAULT_CONFIG_PATH).config;
const SERVICES_POLICY_FILE = readFileSync(resolve(DEFAULT_CONFIG_PATH, '../lifecycle/services.json'), 'utf8');
/** What ECR returns: the same policy, compacted and in another key order. */
const SERVICES_POLICY_AS_STORED = JSON.stringify({ rules: (JSON.parse(SERVICES_POLICY_FILE) as { rules: Array<Record<string, unknown>> }).rules.map((rule) => Object.fromEntries(Object.entries(rule).reverse())) });

const silent: LoggerPort = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

/** A services-class repository that already has every setting right. */
function governedRepository(name: string, settings: Partial<SdkRepository> = {}): SdkRepository {
  return sdkRepository(name, {
    imageTagMutability: 'IMMUTABLE_WITH_EXCLUSION',
    imageTagMutabilityExclusionFilters: ['latest', 'main', 'dev-*'].map((filter) => ({ filterType: 'WILDCARD' as const, filter })),
    imageScanningConfiguration: { scanOnPush: true },
    ...settings,
  });
}

function givenRepository(repository: SdkRepository, policyText: string | undefined = SERVICES_POLICY_AS_STORED): void {
  ecr.on(DescribeRepositoriesCommand).resolves({ repositories: [repository] });
  ecr.on(GetLifecyclePolicyCommand).resolves({ repositoryName: repository.repositoryName, lifecyclePolicyText: policyText });
  ecr.on(PutLifecyclePolicyCommand).resolves({});
  ecr.on(PutImageScanningConfigurationCommand).resolves({});
  ecr.on(PutImageTagMutabilityCommand).resolves({});
}

async function push(raw: EventJson, config: AutopilotConfig = CONFIG): Promise<FunctionReport> {
  const registry = new EcrRegistry({ client: new ECRClient({ region: REGION }), region: REGION, retry: { sleep: async () => undefined } });
  const publisher = new SnsPublisher({ client: new SNSClient({ region: REGION }), settings: config.notifications, once: memoryOncePerKey() });
  return handleImagePush(parseEvent(EcrImageActionEvent, raw, 'ECR Image Action event'), {
    config,
    registry,
    writer: routeChanges({ ecr: registry, sns: publisher }),
    topicArn: TOPIC_ARN,
    state: new MemoryStateStore(),
    logger: silent,
  });
}

function publishedNotice(): PushSummaryNotice {
  const input = sns.commandCalls(PublishCommand)[0]?.args[0].input;
  if (!input?.Message) throw new Error('nothing was published');
  return JSON.parse((JSON.parse(input.Message) as { lambda: string }).lambda) as PushSummaryNotice;
}

const TAGGED = loadEvent(SAMPLE_EVENTS.pushTagged);
const TAGGED_DIGEST: string = TAGGED.detail['image-digest'];

beforeEach(() => {
  ecr.reset();
  sns.reset();
  sns.on(PublishCommand).resolves({ MessageId: 'message-1' });
  ecr.on(DescribeImagesCommand).resolves({ imageDetails: [sdkImage('api', { digest: TAGGED_DIGEST, imageTags: ['v1.4.0'], imageSizeInBytes: 50331648 })] });
});

describe('handleImagePush', () => {
  it('makes exactly 2 governance calls and puts nothing when the repository is already right', async () => {
    // Prepare
    givenRepository(governedRepository('team-a/api'));

    // Act
    const report = await push(TAGGED);

    // Assess
    expect(ecr).toHaveReceivedCommandTimes(DescribeRepositoriesCommand, 1);
    expect(ecr).toHaveReceivedCommandTimes(GetLifecyclePolicyCommand, 1);
    expect(ecr).not.toHaveReceivedCommand(PutLifecyclePolicyCommand);
    expect(ecr).not.toHaveReceivedCommand(PutImageScanningConfigurationCommand);
    expect(ecr).not.toHaveReceivedCommand(PutImageTagMutabilityCommand);
    expect(report.decision).toMatch(/^team-a\/api already matches class services\./);
    expect(report.outcome).toBe('done');
  });

  it('makes only the 2 governance reads for an untagged push to a repository that is already right', async () => {
    // Prepare
    givenRepository(governedRepository('team-a/web'));

    // Act
    await push(loadEvent(SAMPLE_EVENTS.pushPlatformUntagged));

    // Assess
    expect(ecr.calls()).toHaveLength(2);
    expect(sns.calls()).toHaveLength(0);
  });

  it('puts only the setting that drifted, with the exact input', async () => {
    // Prepare
    givenRepository(governedRepository('team-a/api', { imageScanningConfiguration: { scanOnPush: false } }));

    // Act
    const report = await push(TAGGED);

    // Assess
    expect(ecr).toHaveReceivedCommandExactlyOnceWith(PutImageScanningConfigurationCommand, { repositoryName: 'team-a/api', imageScanningConfiguration: { scanOnPush: true } });
    expect(ecr).not.toHaveReceivedCommand(PutLifecyclePolicyCommand);
    expect(ecr).not.toHaveReceivedCommand(PutImageTagMutabilityCommand);
    expect(report.changes.map(({ change, outcome }) => [change.action, outcome.status])).toEqual([
      ['ecr:PutImageScanningConfiguration', 'applied'],
      ['sns:Publish', 'applied'],
    ]);
    expect(publishedNotice().data.governance).toEqual([
      { action: 'ecr:PutImageScanningConfiguration', target: 'team-a/api', reason: 'scan on push is off; class services requires on', status: 'applied' },
    ]);
  });

  it('fixes a repository that drifted everywhere with three puts (the sample team-a/api)', async () => {
    // Prepare
    givenRepository(sdkRepository('team-a/api'), undefined);
    ecr.on(GetLifecyclePolicyCommand).rejects(new ECRServiceException({ name: 'LifecyclePolicyNotFoundException', $fault: 'client', $metadata: {}, message: 'none' }));

    // Act
    const report = await push(TAGGED);

    // Assess
    expect(ecr).toHaveReceivedCommandExactlyOnceWith(PutLifecyclePolicyCommand, { repositoryName: 'team-a/api', lifecyclePolicyText: CONFIG.repositoryClasses[2]?.lifecyclePolicy?.text });
    expect(ecr).toHaveReceivedCommandExactlyOnceWith(PutImageScanningConfigurationCommand, { repositoryName: 'team-a/api', imageScanningConfiguration: { scanOnPush: true } });
    expect(ecr).toHaveReceivedCommandExactlyOnceWith(PutImageTagMutabilityCommand, {
      repositoryName: 'team-a/api',
      imageTagMutability: 'IMMUTABLE_WITH_EXCLUSION',
      imageTagMutabilityExclusionFilters: ['latest', 'main', 'dev-*'].map((filter) => ({ filterType: 'WILDCARD', filter })),
    });
    expect(report.decision).toMatch(/^team-a\/api \(class services\): fixed 3 settings\./);
  });

  it('publishes one summary for an index push, with both platforms and their summed size', async () => {
    // Prepare
    const event = loadEvent(SAMPLE_EVENTS.pushIndex);
    const indexDigest: string = event.detail['image-digest'];
    const [amd64, arm64] = [digestOf('web-amd64'), digestOf('web-arm64')];
    givenRepository(governedRepository('team-a/web'));
    ecr.on(DescribeImagesCommand).callsFake((input: DescribeImagesCommandInput) => ({
      imageDetails: (input.imageIds ?? []).map(({ imageDigest }) =>
        imageDigest === indexDigest
          ? sdkImage('index', { digest: indexDigest, imageTags: ['v2.0.0', 'latest'], imageSizeInBytes: 1566, imageManifestMediaType: MEDIA_TYPES.ociIndex })
          : sdkImage('child', { digest: imageDigest, imageSizeInBytes: imageDigest === amd64 ? 62914560 : 60817408, imageManifestMediaType: MEDIA_TYPES.ociManifest }),
      ),
    }));
    ecr.on(BatchGetImageCommand).resolves({
      images: [{ imageId: { imageDigest: indexDigest }, imageManifest: indexManifest([{ digest: amd64, platform: 'linux/amd64' }, { digest: arm64, platform: 'linux/arm64/v8' }], { attestation: true }), imageManifestMediaType: MEDIA_TYPES.ociIndex }],
    });

    // Act
    const report = await push(event);

    // Assess
    expect(sns).toHaveReceivedCommandTimes(PublishCommand, 1);
    const notice = publishedNotice();
    expect(notice.data.platforms).toEqual([
      { platform: 'linux/amd64', digest: amd64, sizeInBytes: 62914560 },
      { platform: 'linux/arm64/v8', digest: arm64, sizeInBytes: 60817408 },
    ]);
    expect(notice.data.sizeInBytes).toBe(62914560 + 60817408);
    expect(notice.data.tags).toEqual(['v2.0.0', 'latest']);
    expect(notice.data.imageUri).toBe(`123456789012.dkr.ecr.${REGION}.amazonaws.com/team-a/web:v2.0.0`);
    expect(ecr).toHaveReceivedCommandTimes(DescribeImagesCommand, 2);
    expect(ecr).toHaveReceivedNthCommandWith(DescribeImagesCommand, 1, { repositoryName: 'team-a/web', imageIds: [{ imageDigest: indexDigest }] });
    expect(ecr).toHaveReceivedNthCommandWith(DescribeImagesCommand, 2, { repositoryName: 'team-a/web', imageIds: [{ imageDigest: amd64 }, { imageDigest: arm64 }] });
    expect(ecr).toHaveReceivedCommandExactlyOnceWith(BatchGetImageCommand, { repositoryName: 'team-a/web', imageIds: [{ imageDigest: indexDigest }] });
    expect(report.decision).toContain('Published the push summary for team-a/web:v2.0.0 (2 platforms).');
  });

  it('governs an untagged push silently: nothing is published', async () => {
    // Prepare
    givenRepository(governedRepository('team-a/web', { imageTagMutability: 'MUTABLE', imageTagMutabilityExclusionFilters: [] }));

    // Act
    const report = await push(loadEvent(SAMPLE_EVENTS.pushPlatformUntagged));

    // Assess
    expect(ecr).toHaveReceivedCommandTimes(PutImageTagMutabilityCommand, 1);
    expect(ecr).not.toHaveReceivedCommand(DescribeImagesCommand);
    expect(sns).not.toHaveReceivedAnyCommand();
    expect(report.decision).toContain('Untagged push (a platform manifest of an index, or a push by digest): no summary.');
  });

  it.each([
    ['a DELETE', loadEvent(SAMPLE_EVENTS.delete)],
    ['a failed push', imageActionEvent({ result: 'FAILURE' })],
    ['a storage class change', imageActionEvent({ 'action-type': 'UPDATE_STORAGE_CLASS', 'target-storage-class': 'ARCHIVE' })],
  ])('ignores %s without any AWS call', async (_what, event) => {
    // Act
    const report = await push(event);

    // Assess
    expect(report.outcome).toBe('ignored');
    expect(report.changes).toEqual([]);
    expect(ecr).not.toHaveReceivedAnyCommand();
    expect(sns).not.toHaveReceivedAnyCommand();
  });

  it('ignores a push to a repository deleted since, with the reason, publishing nothing', async () => {
    // Prepare
    ecr.on(DescribeRepositoriesCommand).rejects(new RepositoryNotFoundException({ message: 'The repository with name team-a/api does not exist', $metadata: {} }));

    // Act
    const report = await push(TAGGED);

    // Assess: an event AWS sent is never dead-lettered; there is nothing left to govern.
    expect(report.outcome).toBe('ignored');
    expect(report.decision).toMatch(/^Ignored PUSH SUCCESS of team-a\/api: .*team-a\/api.* does not exist/);
    expect(report.changes).toEqual([]);
    expect(sns).not.toHaveReceivedAnyCommand();
  });

  it('retries a throttled DescribeRepositories and carries on', async () => {
    // Prepare
    givenRepository(governedRepository('team-a/api'));
    const throttled = new ECRServiceException({ name: 'ThrottlingException', $fault: 'client', $metadata: { httpStatusCode: 400 }, message: 'Rate exceeded' });
    ecr.on(DescribeRepositoriesCommand).rejectsOnce(throttled).rejectsOnce(throttled).resolves({ repositories: [governedRepository('team-a/api')] });

    // Act
    const report = await push(TAGGED);

    // Assess
    expect(ecr).toHaveReceivedCommandTimes(DescribeRepositoriesCommand, 3);
    expect(report.outcome).toBe('done');
    expect(sns).toHaveReceivedCommandTimes(PublishCommand, 1);
  });

  it('reports a failed put in the summary and the outcome, and still publishes', async () => {
    // Prepare
    givenRepository(governedRepository('team-a/api', { imageScanningConfiguration: { scanOnPush: false } }));
    ecr.on(PutImageScanningConfigurationCommand).rejects(new ECRServiceException({ name: 'AccessDeniedException', $fault: 'client', $metadata: { httpStatusCode: 403 }, message: 'not authorized' }));

    // Act
    const report = await push(TAGGED);

    // Assess
    expect(report.outcome).toBe('failed');
    const notice = publishedNotice();
    expect(notice.severity).toBe('warning');
    expect(notice.data.governance[0]).toMatchObject({ action: 'ecr:PutImageScanningConfiguration', status: 'failed', message: expect.stringContaining('was denied') });
  });

  it('says the repository is not governed when no class matches, and changes nothing', async () => {
    // Prepare
    const config: AutopilotConfig = { ...CONFIG, repositoryClasses: CONFIG.repositoryClasses.filter((repositoryClass) => repositoryClass.name === 'mirrors') };

    // Act
    const report = await push(TAGGED, config);

    // Assess
    expect(ecr).not.toHaveReceivedCommand(DescribeRepositoriesCommand);
    expect(report.decision).toMatch(/^team-a\/api matches no repository class: not governed\./);
    const notice = publishedNotice();
    expect(notice.data.repositoryClass).toBeUndefined();
    expect(notice.data.governance).toEqual([]);
    const text = (JSON.parse(sns.commandCalls(PublishCommand)[0]?.args[0].input.Message ?? '{}') as { default: string }).default;
    expect(text).toContain('No repository class matches this repository, so it is not governed.');
  });

  it('publishes nothing when push summaries are off', async () => {
    // Prepare
    givenRepository(governedRepository('team-a/api'));
    const config: AutopilotConfig = { ...CONFIG, notifications: { ...CONFIG.notifications, pushSummaries: 'none' } };

    // Act
    const report = await push(TAGGED, config);

    // Assess
    expect(sns).not.toHaveReceivedAnyCommand();
    expect(report.decision).toContain('Push summaries are off');
  });

  describe('the SNS message', () => {
    it('uses MessageStructure json with a body per protocol and filterable attributes', async () => {
      // Prepare
      givenRepository(governedRepository('team-a/api'));

      // Act
      await push(TAGGED);

      // Assess
      const input = sns.commandCalls(PublishCommand)[0]?.args[0].input;
      expect(input).toMatchObject({ TopicArn: TOPIC_ARN, MessageStructure: 'json' });
      const bodies = JSON.parse(input?.Message ?? '{}') as Record<string, string>;
      expect(Object.keys(bodies)).toEqual(expect.arrayContaining(['default', 'email', 'lambda', 'sqs', 'https']));
      expect(bodies.default).toMatch(/^team-a\/api:v1\.4\.0 was pushed: 48\.0 MB\./);
      expect(bodies.email).toBe(bodies.default);
      expect(JSON.parse(bodies.lambda ?? '')).toMatchObject({ id: `${TAGGED.id}:push.summary`, kind: 'push.summary', repository: 'team-a/api' });
      expect(bodies.sqs).toBe(bodies.lambda);
      expect(JSON.parse(bodies.https ?? '')).toMatchObject({ version: '1.0', source: 'custom' });
      expect(input?.MessageAttributes).toEqual({
        kind: { DataType: 'String', StringValue: 'push.summary' },
        severity: { DataType: 'String', StringValue: 'info' },
        repository: { DataType: 'String', StringValue: 'team-a/api' },
      });
      expect(input?.Subject).toBe('[ecr-autopilot] Pushed team-a/api:v1.4.0');
    });

    it('keeps the subject within 99 characters and on one line', async () => {
      // Prepare
      const tag = `release-${'x'.repeat(150)}\nsecond-line`;
      givenRepository(governedRepository('team-a/api'));
      ecr.on(DescribeImagesCommand).resolves({ imageDetails: [sdkImage('api', { digest: TAGGED_DIGEST, imageTags: [tag] })] });

      // Act
      await push(imageActionEvent({ 'image-tag': tag }));

      // Assess
      const subject = sns.commandCalls(PublishCommand)[0]?.args[0].input.Subject ?? '';
      expect(subject.length).toBeLessThanOrEqual(99);
      expect(subject).not.toMatch(/[\r\n]/);
      expect(subject.startsWith('[ecr-autopilot] Pushed team-a/api:release-xxx')).toBe(true);
      expect(subject.endsWith('…')).toBe(true);
    });
  });
});

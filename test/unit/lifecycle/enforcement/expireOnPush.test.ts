import {
  BatchDeleteImageCommand,
  BatchGetImageCommand,
  DescribeImagesCommand,
  ECRClient,
  GetLifecyclePolicyCommand,
  PutImageScanningConfigurationCommand,
  type BatchDeleteImageCommandInput,
} from '@aws-sdk/client-ecr';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG_PATH, loadConfig, type AutopilotConfig } from '../../../../lib/config';
import type { RepositoryClass } from '../../../../lib/config/types';
import { EcrImageActionEvent, parseEvent } from '../../../../lib/events';
import type { Notice } from '../../../../lib/notify/notices';
import { memoryOncePerKey } from '../../../../lib/notify/publish/oncePerKey';
import { SnsPublisher } from '../../../../lib/notify/publish/SnsPublisher';
import { routeChanges } from '../../../../lib/plan/routeChanges';
import { handleImagePush } from '../../../../lib/push/handleImagePush';
import type { FunctionReport } from '../../../../lib/runtime/types';
import { imageActionEvent, TOPIC_ARN, type EventJson } from '../../../support/events';
import { deleteCalls, digestOf, ecrRegistry, NOW, POLICY_TEXT, REGION, serveImages, serveRepositories, servicesClass, silentLogger, type TestImage } from './enforcementFixtures';

const ecr = mockClient(ECRClient);
const sns = mockClient(SNSClient);

const BASE_CONFIG = loadConfig(DEFAULT_CONFIG_PATH).config;
const REPO = 'team-a/api';
const PUSHED: TestImage = { name: 'pushed', tags: ['v9.0.0'], pushedDaysAgo: 0 };
const EVENT: EventJson = imageActionEvent({ 'image-digest': digestOf('pushed'), 'image-tag': 'v9.0.0' });

function configWith(repositoryClass: RepositoryClass, maxDeletionsPerRun = 200): AutopilotConfig {
  return { ...BASE_CONFIG, repositoryClasses: [repositoryClass], lifecycle: { maxDeletionsPerRun, notifyWhenUnchanged: false } };
}

async function push(config: AutopilotConfig): Promise<FunctionReport> {
  const registry = ecrRegistry();
  const publisher = new SnsPublisher({ client: new SNSClient({ region: REGION }), settings: config.notifications, once: memoryOncePerKey() });
  return handleImagePush(parseEvent(EcrImageActionEvent, EVENT, 'ECR Image Action event'), {
    config,
    registry,
    writer: routeChanges({ ecr: registry, sns: publisher }),
    topicArn: TOPIC_ARN,
    logger: silentLogger,
    clock: () => NOW,
  });
}

function published(): Notice[] {
  return sns.commandCalls(PublishCommand).map((call) => JSON.parse((JSON.parse(call.args[0].input.Message ?? '{}') as { lambda: string }).lambda) as Notice);
}

/** The name of every ECR command sent, in order (a listing DescribeImages is marked as such). */
function ecrCommandOrder(): string[] {
  return ecr.calls().map((call) => {
    const command = call.args[0] as { constructor: { name: string }; input: { imageIds?: unknown } };
    const name = command.constructor.name.replace(/Command$/, '');
    return name === 'DescribeImages' && command.input.imageIds === undefined ? 'DescribeImages(list)' : name;
  });
}

beforeEach(() => {
  ecr.reset();
  sns.reset();
  sns.on(PublishCommand).resolves({ MessageId: 'message-1' });
  serveRepositories(ecr, [REPO]);
  ecr.on(GetLifecyclePolicyCommand).resolves({ repositoryName: REPO, lifecyclePolicyText: POLICY_TEXT });
  ecr.on(PutImageScanningConfigurationCommand).resolves({});
  ecr.on(BatchDeleteImageCommand).callsFake((input: BatchDeleteImageCommandInput) => ({ imageIds: (input.imageIds ?? []).map((id) => ({ imageDigest: id.imageDigest })), failures: [] }));
});

describe('expireOnPush (through handleImagePush)', () => {
  it('expires after governance, then publishes the expiry ledger and the push summary', async () => {
    // Prepare: scan on push drifted; two untagged images are older than 7 days.
    serveImages(ecr, { [REPO]: [PUSHED, { name: 'old-1', pushedDaysAgo: 10, size: 300 }, { name: 'old-2', pushedDaysAgo: 12, size: 500 }] });

    // Act
    const report = await push(configWith(servicesClass({ expireOnPush: true, scanOnPush: true })));

    // Assess
    expect(ecrCommandOrder()).toEqual([
      'DescribeRepositories',
      'GetLifecyclePolicy',
      'PutImageScanningConfiguration',
      'DescribeImages(list)',
      // The batch described again just before its deletion, then the push summary's own read.
      'DescribeImages',
      'BatchDeleteImage',
      'DescribeImages',
    ]);
    expect(deleteCalls(ecr).map((ids) => [...ids].sort())).toEqual([[digestOf('old-1'), digestOf('old-2')].sort()]);
    expect(report.changes.map(({ change, outcome }) => [change.action, outcome.status])).toEqual([
      ['ecr:PutImageScanningConfiguration', 'applied'],
      ['ecr:BatchDeleteImage', 'applied'],
      ['sns:Publish', 'applied'],
      ['sns:Publish', 'applied'],
    ]);
    expect(report.decision).toContain('Applied 2 expiry changes.');
    const [ledger, summary] = published();
    expect(published()).toHaveLength(2);
    expect(summary?.kind).toBe('push.summary');
    expect(ledger?.kind).toBe('lifecycle.ledger');
    if (ledger?.kind !== 'lifecycle.ledger') throw new Error('the first notice is not the ledger');
    expect(ledger.id).toBe(`${EVENT.id}:lifecycle.ledger`);
    expect(ledger.repository).toBe(REPO);
    expect(ledger.data).toMatchObject({ trigger: 'push', dryRun: false, repositoriesScanned: 1, totals: { imagesExpired: 2, bytesReclaimed: 800, capReached: false } });
    expect(ledger.data.repositories[0]?.expired.map((image) => image.imageDigest).sort()).toEqual([digestOf('old-1'), digestOf('old-2')].sort());
  });

  it('applies lifecycle.maxDeletionsPerRun on push', async () => {
    // Prepare
    serveImages(ecr, { [REPO]: [PUSHED, { name: 'old-1', pushedDaysAgo: 10 }, { name: 'old-2', pushedDaysAgo: 12 }] });

    // Act
    await push(configWith(servicesClass({ expireOnPush: true }), 1));

    // Assess
    expect(deleteCalls(ecr)).toEqual([[digestOf('old-2')]]);
    const ledger = published().find((notice) => notice.kind === 'lifecycle.ledger');
    expect(ledger?.kind === 'lifecycle.ledger' && ledger.data.totals.capReached).toBe(true);
  });

  it('publishes no ledger (only the push summary) when nothing expires', async () => {
    // Prepare
    serveImages(ecr, { [REPO]: [PUSHED, { name: 'recent', pushedDaysAgo: 2 }, { name: 'index', tags: ['v8'], pushedDaysAgo: 3, children: ['amd64'] }, { name: 'amd64', pushedDaysAgo: 3 }] });

    // Act
    const report = await push(configWith(servicesClass({ expireOnPush: true })));

    // Assess
    expect(ecr).toHaveReceivedCommandWith(DescribeImagesCommand, { repositoryName: REPO, filter: { imageStatus: 'ANY' }, maxResults: 1000 });
    expect(ecr).not.toHaveReceivedCommand(BatchGetImageCommand);
    expect(ecr).not.toHaveReceivedCommand(BatchDeleteImageCommand);
    expect(published().map((notice) => notice.kind)).toEqual(['push.summary']);
    expect(report.decision).not.toContain('expiry change');
  });

  it('lists no images when the class does not expire on push', async () => {
    // Prepare
    serveImages(ecr, { [REPO]: [PUSHED, { name: 'old-1', pushedDaysAgo: 10 }] });

    // Act
    await push(configWith(servicesClass({ expireOnPush: false })));

    // Assess
    expect(ecrCommandOrder()).not.toContain('DescribeImages(list)');
    expect(ecr).not.toHaveReceivedCommand(BatchDeleteImageCommand);
    expect(published().map((notice) => notice.kind)).toEqual(['push.summary']);
  });
});

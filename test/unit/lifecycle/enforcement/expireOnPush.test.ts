import { MemoryStateStore } from '../../../../lib/state/MemoryStateStore';
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
import { withRepeatWindows } from '../../../../lib/notify/repeatWindows';
import type { StateStore } from '../../../../lib/state/StateStore';
import { routeChanges } from '../../../../lib/plan/routeChanges';
import { handleImagePush, PUSH_STOP_MARGIN_MS } from '../../../../lib/push/handleImagePush';
import type { Deadline } from '../../../../lib/runtime/deadline';
import { anHourLater, runFor, useFakeTime } from '../../../support/fakeTime';
import type { FunctionReport } from '../../../../lib/runtime/types';
import { imageActionEvent, TOPIC_ARN, type EventJson } from '../../../support/events';
import { deleteCalls, digestOf, ecrError, ecrRegistry, NOW, POLICY_TEXT, REGION, sdkImageOf, serveImages, serveRepositories, servicesClass, silentLogger, untaggedImages, type TestImage } from './enforcementFixtures';

const ecr = mockClient(ECRClient);
const sns = mockClient(SNSClient);

const BASE_CONFIG = loadConfig(DEFAULT_CONFIG_PATH).config;
const REPO = 'team-a/api';
const PUSHED: TestImage = { name: 'pushed', tags: ['v9.0.0'], pushedDaysAgo: 0 };
const EVENT: EventJson = imageActionEvent({ 'image-digest': digestOf('pushed'), 'image-tag': 'v9.0.0' });

function configWith(repositoryClass: RepositoryClass, maxDeletionsPerRun = 200): AutopilotConfig {
  return { ...BASE_CONFIG, repositoryClasses: [repositoryClass], lifecycle: { maxDeletionsPerRun, notifyWhenUnchanged: false } };
}

/** One push through handleImagePush, wired as the Lambda is: notices through the repeat windows, both over `state`. */
async function push(config: AutopilotConfig, options: { event?: EventJson; state?: StateStore; deadline?: Deadline } = {}): Promise<FunctionReport> {
  const registry = ecrRegistry();
  const state = options.state ?? new MemoryStateStore({ now: () => NOW.getTime() });
  const publisher = new SnsPublisher({ client: new SNSClient({ region: REGION }), settings: config.notifications, once: memoryOncePerKey() });
  return handleImagePush(parseEvent(EcrImageActionEvent, options.event ?? EVENT, 'ECR Image Action event'), {
    config,
    registry,
    writer: routeChanges({ ecr: registry, sns: withRepeatWindows(publisher, { state, clock: () => NOW }) }),
    topicArn: TOPIC_ARN,
    state,
    logger: silentLogger,
    clock: () => NOW,
    ...(options.deadline ? { deadline: options.deadline } : {}),
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

  it('shares the deletion cap between a burst of concurrent pushes: never more than lifecycle.maxDeletionsPerRun in the hour', async () => {
    // Prepare: six repositories, each with three old untagged images (18), a cap of 5.
    const repositories = Array.from({ length: 6 }, (_, i) => `team-a/svc-${i}`);
    serveRepositories(ecr, repositories);
    serveImages(ecr, Object.fromEntries(repositories.map((name) => [name, [PUSHED, ...[10, 11, 12].map((age) => ({ name: `${name}-old-${age}`, pushedDaysAgo: age }))]])));
    const state = new MemoryStateStore({ now: () => NOW.getTime() });
    const config = configWith(servicesClass({ expireOnPush: true }), 5);

    // Act: the burst, then one more push later in the same hour.
    const reports = await Promise.all(
      repositories.map((name, i) => push(config, { state, event: imageActionEvent({ 'repository-name': name, 'image-digest': digestOf('pushed'), 'image-tag': 'v9.0.0' }, { id: `burst-${i}` }) })),
    );
    await push(config, { state, event: imageActionEvent({ 'repository-name': repositories[0], 'image-digest': digestOf('pushed'), 'image-tag': 'v9.0.0' }, { id: 'later' }) });

    // Assess
    expect(reports.every((report) => report.outcome === 'done')).toBe(true);
    expect(deleteCalls(ecr).flat()).toHaveLength(5);
    const ledgers = published().filter((notice): notice is Extract<Notice, { kind: 'lifecycle.ledger' }> => notice.kind === 'lifecycle.ledger');
    expect(ledgers.reduce((sum, ledger) => sum + ledger.data.totals.imagesExpired, 0)).toBe(5);
    expect(ledgers.some((ledger) => ledger.data.totals.capReached)).toBe(true);
  });

  it('gives back to the shared cap what a push reserved but did not delete', async () => {
    // Prepare: the first push's deletion is denied, so its two reserved deletions return to the cap.
    const state = new MemoryStateStore({ now: () => NOW.getTime() });
    const config = configWith(servicesClass({ expireOnPush: true }), 2);
    serveImages(ecr, { [REPO]: [PUSHED, { name: 'old-1', pushedDaysAgo: 10 }, { name: 'old-2', pushedDaysAgo: 12 }] });
    ecr
      .on(BatchDeleteImageCommand)
      .rejectsOnce(ecrError('AccessDeniedException', 'not authorized to perform: ecr:BatchDeleteImage'))
      .callsFake((input: BatchDeleteImageCommandInput) => ({ imageIds: (input.imageIds ?? []).map((id) => ({ imageDigest: id.imageDigest })), failures: [] }));
    await push(config, { state });

    // Act
    await push(config, { state, event: imageActionEvent({ 'image-digest': digestOf('pushed'), 'image-tag': 'v9.0.0' }, { id: 'second' }) });

    // Assess
    expect(deleteCalls(ecr).map((ids) => [...ids].sort())).toEqual([
      [digestOf('old-1'), digestOf('old-2')].sort(),
      [digestOf('old-1'), digestOf('old-2')].sort(),
    ]);
  });

  it('publishes the ledger of a push whose expiry only failed once an hour, and the next one counts the repeats', async () => {
    // Prepare: every BatchDeleteImage is denied; five pushes in the hour, one after it.
    const state = new MemoryStateStore({ now: () => NOW.getTime() });
    const config = configWith(servicesClass({ expireOnPush: true }));
    serveImages(ecr, { [REPO]: [PUSHED, { name: 'old-1', pushedDaysAgo: 10 }] });
    ecr.on(BatchDeleteImageCommand).rejects(ecrError('AccessDeniedException', 'not authorized to perform: ecr:BatchDeleteImage'));

    // Act
    const reports: FunctionReport[] = [];
    for (let i = 0; i < 5; i += 1) reports.push(await push(config, { state, event: imageActionEvent({ 'image-digest': digestOf('pushed'), 'image-tag': 'v9.0.0' }, { id: `push-${i}` }) }));

    // Assess: five push summaries, one failure ledger; the others were suppressed, and say so.
    expect(published().filter((notice) => notice.kind === 'push.summary')).toHaveLength(5);
    expect(published().filter((notice) => notice.kind === 'lifecycle.ledger').map((notice) => notice.origin.eventId)).toEqual(['push-0']);
    expect(reports[1]?.changes.find(({ change }) => change.reason.startsWith('expiry ledger'))?.outcome.message).toMatch(/^suppressed: a lifecycle.ledger notice for team-a\/api \(DeleteFailed\) was published at /);
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

describe('expireOnPush past its deadline (fake time)', () => {
  useFakeTime(NOW);

  it('starts no ECR call after its stop line, lets the deletion in flight finish, publishes the ledger and the push summary after it, and calls nothing once it returned', async () => {
    // Prepare: 250 old untagged images expire in three batches; each batch's check before deletion
    // (DescribeImages by id) takes 20 s of fake time. The invocation has 60 s, so the stop line is at
    // 50 s, while the third batch's check (40 s → 60 s) is in flight.
    const images = [PUSHED, ...untaggedImages('old', 250, 10)];
    ecr.on(DescribeImagesCommand).callsFake((input: { repositoryName: string; imageIds?: Array<{ imageDigest?: string }> }) => {
      const details = images.map((image) => sdkImageOf(input.repositoryName, image));
      if (!input.imageIds) return { imageDetails: details };
      const wanted = new Set(input.imageIds.map((id) => id.imageDigest));
      return new Promise((resolve) => setTimeout(() => resolve({ imageDetails: details.filter((detail) => wanted.has(detail.imageDigest)) }), 20_000));
    });
    let callsAtStop = -1;
    setTimeout(() => {
      callsAtStop = ecr.calls().length;
    }, 60_000 - PUSH_STOP_MARGIN_MS + 1);

    // Act
    const running = push(configWith(servicesClass({ expireOnPush: true }), 1000), { deadline: { at: Date.now() + 60_000 } });
    const report = await runFor(running, 70_000);
    const callsWhenReturned = ecr.calls().length;
    await anHourLater();

    // Assess: two batches deleted, the third held; nothing sent to ECR after the stop line.
    expect(deleteCalls(ecr).map((ids) => ids.length)).toEqual([100, 100]);
    expect(callsAtStop).toBeGreaterThan(0);
    expect(callsWhenReturned).toBe(callsAtStop);
    expect(ecr.calls()).toHaveLength(callsAtStop);
    expect(report.stoppedEarly).toMatch(/^the time budget ran out: the run stopped 10 s before its deadline/);
    expect(report.decision).toContain('Stopped early (the time budget ran out');
    const notices = published();
    const ledgers = notices.flatMap((notice) => (notice.kind === 'lifecycle.ledger' ? [notice] : []));
    expect(ledgers.length).toBeGreaterThan(0);
    for (const ledger of ledgers) {
      expect(ledger.data.stoppedEarly).toMatch(/^the time budget ran out/);
      expect(ledger.data.totals.imagesExpired).toBe(200);
    }
    expect(ledgers.flatMap((ledger) => ledger.data.repositories.flatMap((repository) => repository.expired))).toHaveLength(200);
    expect(ledgers.flatMap((ledger) => ledger.data.repositories.flatMap((repository) => repository.kept)).some((kept) => kept.reason === 'run-stopped')).toBe(true);
    // The summary's reads came after the stop: it says what the event says.
    expect(notices.at(-1)).toMatchObject({ kind: 'push.summary', data: { imageDigest: digestOf('pushed'), tags: ['v9.0.0'], platforms: [] } });
  });

  it('reads and changes nothing when its stop line has passed, and still publishes the push summary from the event', async () => {
    // Prepare
    serveImages(ecr, { [REPO]: [PUSHED, ...untaggedImages('old', 3, 10)] });

    // Act
    const report = await push(configWith(servicesClass({ expireOnPush: true, scanOnPush: true })), { deadline: { at: Date.now() } });

    // Assess
    expect(ecr.calls()).toEqual([]);
    expect(report.stoppedEarly).toMatch(/^the time budget ran out/);
    expect(published().map((notice) => notice.kind)).toEqual(['push.summary']);
  });
});

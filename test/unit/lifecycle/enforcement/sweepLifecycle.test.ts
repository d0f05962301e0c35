import { readFileSync } from 'node:fs';
import {
  BatchDeleteImageCommand,
  DescribeImagesCommand,
  DescribeRepositoriesCommand,
  ECRClient,
  GetLifecyclePolicyCommand,
  PutLifecyclePolicyCommand,
  type BatchDeleteImageCommandInput,
} from '@aws-sdk/client-ecr';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG_PATH, loadConfig, type AutopilotConfig } from '../../../../lib/config';
import type { BatchDeleteImageChange } from '../../../../lib/ecr/changes';
import { SnapshotRegistry } from '../../../../lib/ecr/SnapshotRegistry';
import { parseEvent } from '../../../../lib/events/parseEvent';
import type { EventValidationError } from '../../../../lib/errors';
import { SWEEP_STOP_MARGIN_MS, sweepLifecycle, SweepLifecycleEvent, type SweepReport } from '../../../../lib/lifecycle/sweepLifecycle';
import { sweepCursorKey, type SweepCursor } from '../../../../lib/lifecycle/sweepCursor';
import type { PublishNoticeChange } from '../../../../lib/notify/changes';
import type { LifecycleLedgerNotice } from '../../../../lib/notify/notices';
import { memoryOncePerKey } from '../../../../lib/notify/publish/oncePerKey';
import { SnsPublisher } from '../../../../lib/notify/publish/SnsPublisher';
import { PlanningWriter } from '../../../../lib/plan/PlanningWriter';
import { routeChanges } from '../../../../lib/plan/routeChanges';
import type { Deadline } from '../../../../lib/runtime/deadline';
import { MemoryStateStore } from '../../../../lib/state/MemoryStateStore';
import { anHourLater, runFor, useFakeTime } from '../../../support/fakeTime';
import { EVENTS_DIR, loadEvent, TOPIC_ARN } from '../../../support/events';
import {
  deleteCalls,
  digestOf,
  ecrError,
  ecrRegistry,
  NOW,
  POLICY_TEXT,
  serveImages,
  sdkImageOf,
  serveRepositories,
  servicesClass,
  silentLogger,
  untaggedImages,
  type TestImage,
} from './enforcementFixtures';

const ecr = mockClient(ECRClient);
const sns = mockClient(SNSClient);

const BASE_CONFIG = loadConfig(DEFAULT_CONFIG_PATH).config;

/** One class, `services`, for `team-*` repositories; everything else is not governed. */
function testConfig(lifecycle: { maxDeletionsPerRun?: number; notifyWhenUnchanged?: boolean } = {}): AutopilotConfig {
  return { ...BASE_CONFIG, repositoryClasses: [servicesClass()], lifecycle: { maxDeletionsPerRun: 200, notifyWhenUnchanged: false, ...lifecycle } };
}

/** Where stopped sweeps of this test leave their cursor; each test starts with none. */
let state: MemoryStateStore;

async function sweep(event: unknown, options: { config?: AutopilotConfig; signal?: AbortSignal; deadline?: Deadline; clock?: () => Date } = {}): Promise<SweepReport> {
  const config = options.config ?? testConfig();
  const registry = ecrRegistry();
  const publisher = new SnsPublisher({ client: new SNSClient({ region: 'ap-northeast-2' }), settings: config.notifications, once: memoryOncePerKey() });
  return sweepLifecycle(parseEvent(SweepLifecycleEvent, event, 'lifecycle sweep event'), {
    config,
    registry,
    writer: routeChanges({ ecr: registry, sns: publisher }),
    topicArn: TOPIC_ARN,
    state,
    clock: options.clock ?? (() => NOW),
    logger: silentLogger,
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.deadline ? { deadline: options.deadline } : {}),
  });
}

/** Every ledger published on the topic (the notice JSON, as the `lambda` key carries it). */
function publishedLedgers(): LifecycleLedgerNotice[] {
  return sns.commandCalls(PublishCommand).map((call) => {
    expect(call.args[0].input.TopicArn).toBe(TOPIC_ARN);
    return JSON.parse((JSON.parse(call.args[0].input.Message ?? '{}') as { lambda: string }).lambda) as LifecycleLedgerNotice;
  });
}

function onlyLedger(): LifecycleLedgerNotice {
  const ledgers = publishedLedgers();
  expect(ledgers).toHaveLength(1);
  return ledgers[0] as LifecycleLedgerNotice;
}

/** The repositories each DescribeImages listing asked for, in order. */
/** The repositories whose images were listed (DescribeImages by page, not the re-description of a batch before its deletion). */
function listedRepositories(): string[] {
  return ecr
    .commandCalls(DescribeImagesCommand)
    .filter((call) => call.args[0].input.imageIds === undefined)
    .map((call) => call.args[0].input.repositoryName as string);
}

function policyReads(): string[] {
  return ecr.commandCalls(GetLifecyclePolicyCommand).map((call) => call.args[0].input.repositoryName as string);
}

function deletesFor(repositoryName: string): string[][] {
  return ecr
    .commandCalls(BatchDeleteImageCommand)
    .filter((call) => call.args[0].input.repositoryName === repositoryName)
    .map((call) => (call.args[0].input.imageIds ?? []).map((id) => id.imageDigest as string));
}

function given(repositories: Record<string, TestImage[]>, names: string[] = Object.keys(repositories), pageSize = 1000): void {
  serveRepositories(ecr, names, pageSize);
  serveImages(ecr, repositories);
}

beforeEach(() => {
  state = new MemoryStateStore({ now: () => NOW.getTime() });
  ecr.reset();
  sns.reset();
  sns.on(PublishCommand).resolves({ MessageId: 'message-1' });
  ecr.on(GetLifecyclePolicyCommand).callsFake((input: { repositoryName: string }) => ({ repositoryName: input.repositoryName, lifecyclePolicyText: POLICY_TEXT }));
  ecr.on(PutLifecyclePolicyCommand).resolves({});
  ecr.on(BatchDeleteImageCommand).callsFake((input: BatchDeleteImageCommandInput) => ({ imageIds: (input.imageIds ?? []).map((id) => ({ imageDigest: id.imageDigest })), failures: [] }));
});

describe('sweepLifecycle', () => {
  describe('which repositories it sweeps', () => {
    it('lists every page of DescribeRepositories, and skips but counts the repositories no class governs', async () => {
      // Prepare
      const scheduled = loadEvent('scheduled/sweep-lifecycle');
      given(
        { 'team-a/api': untaggedImages('api-old', 2, 10), 'team-a/web': [], 'ops/tools': untaggedImages('tools-old', 2, 10), 'team-b/svc': [], 'ops/ci': [] },
        ['team-a/api', 'team-a/web', 'ops/tools', 'team-b/svc', 'ops/ci'],
        2,
      );

      // Act
      const report = await sweep(scheduled);

      // Assess
      expect(ecr.commandCalls(DescribeRepositoriesCommand).map((call) => call.args[0].input.nextToken)).toEqual([undefined, 'token-1', 'token-2']);
      expect(policyReads()).toEqual(['team-a/api', 'team-a/web', 'team-b/svc']);
      expect(listedRepositories()).toEqual(['team-a/api', 'team-a/web', 'team-b/svc']);
      expect(deletesFor('ops/tools')).toEqual([]);
      expect(report.eventId).toBe(scheduled.id);
      expect(report.decision).toBe('Swept 5 repositories (2 not governed by any class): fixed 0 settings, expired 2 images; published the ledger.');
      const ledger = onlyLedger();
      expect(ledger.id).toBe(`${scheduled.id}:lifecycle.ledger`);
      expect(ledger.data.repositoriesScanned).toBe(5);
      expect(ledger.data.repositories.map((repository) => repository.repositoryName)).toEqual(['team-a/api', 'team-a/web', 'team-b/svc']);
    });

    it('sweeps only the repositories a manual { repositories } names', async () => {
      // Prepare
      given({ 'team-a/api': untaggedImages('api-old', 2, 10), 'team-a/web': untaggedImages('web-old', 1, 10), 'team-b/svc': untaggedImages('svc-old', 3, 10) });

      // Act
      const report = await sweep({ repositories: ['team-a/**'] });

      // Assess
      expect(policyReads()).toEqual(['team-a/api', 'team-a/web']);
      expect(listedRepositories()).toEqual(['team-a/api', 'team-a/web']);
      expect(deletesFor('team-b/svc')).toEqual([]);
      expect(deletesFor('team-a/api').flat()).toHaveLength(2);
      expect(deletesFor('team-a/web').flat()).toHaveLength(1);
      expect(report.eventId).toBe(`manual-sweep-${NOW.toISOString()}`);
      expect(report.decision).toMatch(/^Swept 2 repositories \(0 not governed by any class\): fixed 0 settings, expired 3 images;/);
    });
  });

  describe('the deletion cap', () => {
    it('shares the cap across repositories: the second repository gets only the remainder', async () => {
      // Prepare: 3 expiring images in the first repository, 4 in the second, a cap of 5.
      given({ 'team-a/api': untaggedImages('api-old', 3, 10), 'team-a/web': untaggedImages('web-old', 4, 10) });

      // Act
      const report = await sweep({ maxDeletions: 5 });

      // Assess
      expect(deletesFor('team-a/api').flat()).toHaveLength(3);
      expect(deletesFor('team-a/web').map((ids) => [...ids].sort())).toEqual([['web-old-2', 'web-old-3'].map(digestOf).sort()]);
      expect(report.decision).toContain('expired 5 images, deletion cap reached');
      const ledger = onlyLedger();
      expect(ledger.data.totals).toMatchObject({ imagesExpired: 5, capReached: true, keptBySafety: 0 });
    });

    it('takes the cap from lifecycle.maxDeletionsPerRun for a scheduled sweep', async () => {
      // Prepare
      given({ 'team-a/api': untaggedImages('api-old', 3, 10), 'team-a/web': untaggedImages('web-old', 4, 10) });

      // Act
      await sweep(loadEvent('scheduled/sweep-lifecycle'), { config: testConfig({ maxDeletionsPerRun: 4 }) });

      // Assess
      expect(deleteCalls(ecr).flat()).toHaveLength(4);
      expect(deletesFor('team-a/web').flat()).toEqual([digestOf('web-old-3')]);
    });
  });

  describe('failures', () => {
    it('records a repository that throws with its error, sweeps the next one, and reports the run as failed', async () => {
      // Prepare
      given({ 'team-a/api': untaggedImages('api-old', 2, 10), 'team-a/web': untaggedImages('web-old', 2, 10) });
      ecr.on(GetLifecyclePolicyCommand).callsFake((input: { repositoryName: string }) => {
        if (input.repositoryName === 'team-a/api') throw ecrError('AccessDeniedException', 'not authorized to perform: ecr:GetLifecyclePolicy');
        return { repositoryName: input.repositoryName, lifecyclePolicyText: POLICY_TEXT };
      });

      // Act
      const report = await sweep({});

      // Assess
      expect(report.outcome).toBe('failed');
      expect(report.decision).toContain('1 repositories failed');
      expect(deletesFor('team-a/api')).toEqual([]);
      expect(deletesFor('team-a/web').flat()).toHaveLength(2);
      const ledger = onlyLedger();
      const failed = ledger.data.repositories.find((repository) => repository.repositoryName === 'team-a/api');
      expect(failed?.error).toContain('GetLifecyclePolicy on repository team-a/api (ap-northeast-2) was denied');
      expect(ledger.data.totals.failures).toBe(1);
      expect(ledger.severity).toBe('warning');
      expect(ledger.data.repositories.find((repository) => repository.repositoryName === 'team-a/web')?.expired).toHaveLength(2);
    });
  });

  describe('its deadline', () => {
    it('starts nothing when its deadline is already within its margin, and still publishes the ledger that says so', async () => {
      // Prepare
      given({ 'team-a/api': untaggedImages('api-old', 2, 10), 'team-a/web': untaggedImages('web-old', 2, 10) });

      // Act
      const report = await sweep({}, { deadline: { at: Date.now() } });

      // Assess
      expect(ecr).not.toHaveReceivedCommand(GetLifecyclePolicyCommand);
      expect(ecr).not.toHaveReceivedCommand(DescribeImagesCommand);
      expect(ecr).not.toHaveReceivedCommand(BatchDeleteImageCommand);
      expect(report.decision).toContain('Swept 0 repositories');
      expect(report.decision).toContain('stopped early (the time budget ran out');
      expect(report.stoppedEarly).toMatch(/^the time budget ran out/);
      const ledger = onlyLedger();
      expect(ledger.data.stoppedEarly).toMatch(/^the time budget ran out: the run stopped \d+ s before its deadline/);
      expect(ledger.data.repositories).toEqual([]);
    });

    it('lets the deletion in flight at the stop finish, starts no other, records where the next run starts and publishes the ledger', async () => {
      // Prepare: the stop (an interrupt, as Ctrl-C) comes while team-a/api's deletion is in flight.
      given({ 'team-a/api': untaggedImages('api-old', 2, 10), 'team-a/web': untaggedImages('web-old', 2, 10), 'team-b/svc': untaggedImages('svc-old', 1, 10) });
      const interrupt = new AbortController();
      ecr.on(BatchDeleteImageCommand).callsFake((input: BatchDeleteImageCommandInput) => {
        interrupt.abort();
        return { imageIds: (input.imageIds ?? []).map((id) => ({ imageDigest: id.imageDigest })), failures: [] };
      });

      // Act
      const report = await sweep({}, { deadline: { interrupted: interrupt.signal } });

      // Assess
      expect(policyReads()).toEqual(['team-a/api']);
      expect(deletesFor('team-a/api').flat()).toHaveLength(2);
      expect(deletesFor('team-a/web')).toEqual([]);
      expect(report.resume).toEqual({ nextRepository: 'team-a/web', notFinished: 2 });
      const cursor = await state.get<SweepCursor>(sweepCursorKey(undefined));
      expect(cursor?.data).toMatchObject({ nextRepository: 'team-a/web', stoppedRunId: `manual-sweep-${NOW.toISOString()}`, reason: 'interrupted' });
      const ledger = onlyLedger();
      expect(ledger.data.stoppedEarly).toBe('interrupted');
      expect(ledger.data.resume).toEqual({ nextRepository: 'team-a/web', notFinished: 2 });
      expect(ledger.data.repositories.map((repository) => [repository.repositoryName, repository.expired.length])).toEqual([['team-a/api', 2]]);
    });

    it('does not start the next deletion batch after the stop: the rest of the repository is reported as not done, and the next run starts with it', async () => {
      // Prepare: an index and its two children expire in two passes; the stop comes during the first.
      given({ 'team-a/api': [{ name: 'old-index', pushedDaysAgo: 20, children: ['child-1', 'child-2'] }, { name: 'child-1', pushedDaysAgo: 20 }, { name: 'child-2', pushedDaysAgo: 20 }], 'team-a/web': [] });
      const interrupt = new AbortController();
      ecr.on(BatchDeleteImageCommand).callsFake((input: BatchDeleteImageCommandInput) => {
        interrupt.abort();
        return { imageIds: (input.imageIds ?? []).map((id) => ({ imageDigest: id.imageDigest })), failures: [] };
      });

      // Act
      const report = await sweep({}, { deadline: { interrupted: interrupt.signal } });

      // Assess
      expect(deleteCalls(ecr)).toEqual([[digestOf('old-index')]]);
      expect(report.resume).toEqual({ nextRepository: 'team-a/api', notFinished: 2 });
      const ledger = onlyLedger();
      const api = ledger.data.repositories.find((repository) => repository.repositoryName === 'team-a/api');
      expect(api?.expired.map((image) => image.imageDigest)).toEqual([digestOf('old-index')]);
      expect(api?.kept.filter((kept) => kept.reason === 'run-stopped').map((kept) => kept.imageDigest).sort()).toEqual([digestOf('child-1'), digestOf('child-2')].sort());
      expect(ledger.data.totals.keptBySafety).toBe(0);
    });

    it('continues where the stopped run stopped, goes round to where it began, says so, and clears the cursor', async () => {
      // Prepare: a previous run stopped before team-a/web.
      given({ 'team-a/api': untaggedImages('api-old', 1, 10), 'team-a/web': untaggedImages('web-old', 1, 10), 'team-b/svc': untaggedImages('svc-old', 1, 10) });
      await state.put(sweepCursorKey(undefined), { nextRepository: 'team-a/web', stoppedRunId: 'sweep-of-yesterday', stoppedAt: '2026-11-19T09:14:30.000Z', reason: 'the time budget ran out' });

      // Act
      const report = await sweep(loadEvent('scheduled/sweep-lifecycle'));

      // Assess
      expect(policyReads()).toEqual(['team-a/web', 'team-b/svc', 'team-a/api']);
      expect(report.continuedFrom).toBe('continued from team-a/web, where run sweep-of-yesterday stopped at 2026-11-19T09:14:30.000Z (the time budget ran out)');
      expect(report.decision).toMatch(/^Continued a stopped sweep \(continued from team-a\/web, /);
      expect(report.resume).toBeUndefined();
      expect(await state.get(sweepCursorKey(undefined))).toBeUndefined();
      expect(onlyLedger().data.continuedFrom).toBe(report.continuedFrom);
    });

    it('keeps one cursor per scope: a manual sweep of some repositories neither reads nor moves the full sweep\'s', async () => {
      // Prepare
      given({ 'team-a/api': untaggedImages('api-old', 1, 10), 'team-b/svc': untaggedImages('svc-old', 1, 10) });
      await state.put(sweepCursorKey(undefined), { nextRepository: 'team-b/svc', stoppedRunId: 'r', stoppedAt: 't', reason: 'x' });

      // Act
      const report = await sweep({ repositories: ['team-a/**', 'team-b/**'] });

      // Assess
      expect(policyReads()).toEqual(['team-a/api', 'team-b/svc']);
      expect(report.continuedFrom).toBeUndefined();
      expect((await state.get<SweepCursor>(sweepCursorKey(undefined)))?.data.nextRepository).toBe('team-b/svc');
      expect(sweepCursorKey(['team-b/**', 'team-a/**'])).toEqual(sweepCursorKey(['team-a/**', 'team-b/**']));
      expect(sweepCursorKey(['team-a/**'])).not.toEqual(sweepCursorKey(undefined));
    });

    it('starts at the next name when the repository it was to resume at is gone', async () => {
      // Prepare
      given({ 'team-a/api': untaggedImages('api-old', 1, 10), 'team-b/svc': untaggedImages('svc-old', 1, 10) });
      await state.put(sweepCursorKey(undefined), { nextRepository: 'team-a/web', stoppedRunId: 'r', stoppedAt: 't', reason: 'x' });

      // Act
      await sweep({});

      // Assess
      expect(policyReads()).toEqual(['team-b/svc', 'team-a/api']);
    });
  });

  describe('nothing runs after a stop (fake time past the deadline)', () => {
    useFakeTime(NOW);

    it('starts no ECR call after its stop line, publishes its ledger after it, and calls nothing once it returned', async () => {
      // Prepare: listing a repository's images takes 25 s (of fake time); the invocation has 90 s, so
      // the stop line is at 60 s, while team-b/svc's listing (50 s → 75 s) is in flight.
      given({ 'team-a/api': untaggedImages('api-old', 1, 10), 'team-a/web': untaggedImages('web-old', 1, 10), 'team-b/svc': untaggedImages('svc-old', 1, 10) });
      const images = { 'team-a/api': untaggedImages('api-old', 1, 10), 'team-a/web': untaggedImages('web-old', 1, 10), 'team-b/svc': untaggedImages('svc-old', 1, 10) } as Record<string, TestImage[]>;
      ecr.on(DescribeImagesCommand).callsFake((input: { repositoryName: string; imageIds?: Array<{ imageDigest?: string }> }) => {
        const details = (images[input.repositoryName] ?? []).map((image) => sdkImageOf(input.repositoryName, image));
        if (input.imageIds) return { imageDetails: details.filter((detail) => input.imageIds?.some((id) => id.imageDigest === detail.imageDigest)) };
        return new Promise((resolve) => setTimeout(() => resolve({ imageDetails: details }), 25_000));
      });
      const deadline = { at: Date.now() + 90_000 };
      let callsAtStop = -1;
      setTimeout(() => {
        callsAtStop = ecr.calls().length;
      }, 90_000 - SWEEP_STOP_MARGIN_MS + 1);

      // Act
      const running = sweep({}, { deadline, clock: () => new Date() });
      const report = await runFor(running, 100_000);
      const callsWhenReturned = ecr.calls().length;
      await anHourLater();

      // Assess: team-b/svc's listing came back after the stop, and nothing followed it.
      expect(deletesFor('team-a/api').flat()).toHaveLength(1);
      expect(deletesFor('team-a/web').flat()).toHaveLength(1);
      expect(deletesFor('team-b/svc')).toEqual([]);
      expect(callsAtStop).toBeGreaterThan(0);
      expect(callsWhenReturned).toBe(callsAtStop);
      expect(ecr.calls()).toHaveLength(callsAtStop);
      expect(report.stoppedEarly).toMatch(/^the time budget ran out: the run stopped 30 s before its deadline/);
      expect(report.resume).toEqual({ nextRepository: 'team-b/svc', notFinished: 1 });
      expect((await state.get<SweepCursor>(sweepCursorKey(undefined)))?.data.nextRepository).toBe('team-b/svc');
      expect(onlyLedger().data.resume).toEqual(report.resume);
    });

    it('is continued by the next run where it stopped (the memory state store): "continued from …", then round to where it began', async () => {
      // Prepare: as above, the first run stops while team-b/svc is listed.
      const images = { 'team-a/api': untaggedImages('api-old', 1, 10), 'team-a/web': untaggedImages('web-old', 1, 10), 'team-b/svc': untaggedImages('svc-old', 1, 10) } as Record<string, TestImage[]>;
      given(images);
      let listingMs = 25_000;
      ecr.on(DescribeImagesCommand).callsFake((input: { repositoryName: string; imageIds?: Array<{ imageDigest?: string }> }) => {
        const details = (images[input.repositoryName] ?? []).map((image) => sdkImageOf(input.repositoryName, image));
        if (input.imageIds) return { imageDetails: details.filter((detail) => input.imageIds?.some((id) => id.imageDigest === detail.imageDigest)) };
        return new Promise((resolve) => setTimeout(() => resolve({ imageDetails: details }), listingMs));
      });
      const first = await runFor(sweep({}, { deadline: { at: Date.now() + 90_000 }, clock: () => new Date() }), 100_000);
      const listedFirst = listedRepositories().length;

      // Act: the next run, with time enough.
      listingMs = 0;
      const second = await runFor(sweep({}, { deadline: { at: Date.now() + 900_000 }, clock: () => new Date() }), 1_000);

      // Assess
      expect(first.resume).toEqual({ nextRepository: 'team-b/svc', notFinished: 1 });
      expect(listedRepositories().slice(listedFirst)).toEqual(['team-b/svc', 'team-a/api', 'team-a/web']);
      expect(second.continuedFrom).toBe(`continued from team-b/svc, where run manual-sweep-${NOW.toISOString()} stopped at ${new Date(NOW.getTime() + 60_000).toISOString()} (${first.stoppedEarly})`);
      expect(publishedLedgers()[1]?.data.continuedFrom).toBe(second.continuedFrom);
      expect(deletesFor('team-b/svc').flat()).toHaveLength(1);
      expect(await state.get(sweepCursorKey(undefined))).toBeUndefined();
    });
  });

  describe('the ledger', () => {
    it('publishes exactly one ledger for the whole sweep, listing every repository that changed', async () => {
      // Prepare: two repositories expire images, one also has a drifted lifecycle policy.
      given({ 'team-a/api': untaggedImages('api-old', 3, 10), 'team-a/web': untaggedImages('web-old', 2, 10), 'team-b/svc': [] });
      ecr.on(GetLifecyclePolicyCommand).callsFake((input: { repositoryName: string }) => ({
        repositoryName: input.repositoryName,
        lifecyclePolicyText: input.repositoryName === 'team-b/svc' ? '{"rules":[]}' : POLICY_TEXT,
      }));

      // Act
      const report = await sweep({});

      // Assess
      expect(sns).toHaveReceivedCommandTimes(PublishCommand, 1);
      const ledger = onlyLedger();
      expect(ledger.data.part).toBeUndefined();
      expect(ledger.data.totals).toEqual({ governanceChanges: 1, imagesExpired: 5, bytesReclaimed: 1000 + 1001 + 1002 + 1000 + 1001, failures: 0, keptBySafety: 0, capReached: false });
      expect(ledger.data.repositories.map((repository) => [repository.repositoryName, repository.expired.length, repository.governance.length])).toEqual([
        ['team-a/api', 3, 0],
        ['team-a/web', 2, 0],
        ['team-b/svc', 0, 1],
      ]);
      expect(ecr).toHaveReceivedCommandExactlyOnceWith(PutLifecyclePolicyCommand, { repositoryName: 'team-b/svc', lifecyclePolicyText: POLICY_TEXT });
      expect(report.changes.filter(({ change }) => change.action === 'sns:Publish')).toHaveLength(1);
      expect(report.outcome).toBe('done');
    });

    it('publishes nothing when nothing changed', async () => {
      // Prepare
      given({ 'team-a/api': untaggedImages('api-new', 3, 1), 'team-a/web': [] });

      // Act
      const report = await sweep({});

      // Assess
      expect(sns).not.toHaveReceivedCommand(PublishCommand);
      expect(report.decision).toBe('Swept 2 repositories (0 not governed by any class): fixed 0 settings, expired 0 images; nothing changed, no ledger.');
      expect(report.changes).toEqual([]);
    });

    it('publishes the ledger of an unchanged sweep when lifecycle.notifyWhenUnchanged is on', async () => {
      // Prepare
      given({ 'team-a/api': untaggedImages('api-new', 3, 1) });

      // Act
      await sweep({}, { config: testConfig({ notifyWhenUnchanged: true }) });

      // Assess
      const ledger = onlyLedger();
      expect(ledger.data.totals.imagesExpired).toBe(0);
      expect(ledger.severity).toBe('info');
    });
  });

  describe('plan mode against the sample snapshot', () => {
    it('plans the team-a/api governance fixes and the deletion of its two untagged images, and changes nothing', async () => {
      // Prepare
      const file = `${EVENTS_DIR}registry-snapshot.json`;
      const registry = SnapshotRegistry.fromFile(file);
      const snapshot = JSON.parse(readFileSync(file, 'utf8')) as { capturedAt: string; repositories: Array<{ repositoryName: string; images: Array<{ imageDigest: string; imageTags?: string[] }> }> };
      const untagged = (snapshot.repositories.find((repository) => repository.repositoryName === 'team-a/api')?.images ?? [])
        .filter((image) => (image.imageTags ?? []).length === 0)
        .map((image) => image.imageDigest);
      const writer = new PlanningWriter();

      // Act
      const report = await sweepLifecycle(
        {},
        { config: loadConfig(DEFAULT_CONFIG_PATH).config, registry, writer, topicArn: TOPIC_ARN, state: new MemoryStateStore(), clock: () => new Date(snapshot.capturedAt), logger: silentLogger },
      );

      // Assess
      expect(untagged).toHaveLength(2);
      const forApi = writer.changes.filter((change) => change.target === 'team-a/api');
      expect(forApi.map((change) => change.action)).toEqual(['ecr:PutLifecyclePolicy', 'ecr:PutImageScanningConfiguration', 'ecr:PutImageTagMutability', 'ecr:BatchDeleteImage']);
      const deletion = forApi[3] as BatchDeleteImageChange;
      expect(deletion.images.map((image) => image.imageDigest).sort()).toEqual([...untagged].sort());
      expect(deletion.images.every((image) => image.reason === 'rule 3: untagged images pushed more than 7 days ago')).toBe(true);
      expect(writer.changes.filter((change) => change.action === 'ecr:BatchDeleteImage' && change.target === 'team-a/web')).toEqual([]);
      const ledgers = writer.changes.filter((change): change is PublishNoticeChange => change.action === 'sns:Publish');
      expect(ledgers).toHaveLength(1);
      const ledger = ledgers[0]?.notice as LifecycleLedgerNotice;
      expect(ledger.data.dryRun).toBe(true);
      expect(ledger.data.repositories.find((repository) => repository.repositoryName === 'team-a/web')?.kept.map((kept) => kept.reason)).toEqual(['index-child', 'index-child']);
      expect(report.changes.every(({ outcome }) => outcome.status === 'planned')).toBe(true);
      expect(report.decision).toContain('would fix 7 settings, would expire 2 images; would publish the ledger.');
      expect(ecr.calls()).toHaveLength(0);
      expect(sns.calls()).toHaveLength(0);
    });
  });
});

describe('SweepLifecycleEvent', () => {
  it('rejects a manual sweep of globs no ECR repository name can match, naming the fix, before anything is read', () => {
    // Act
    let issues: ReadonlyArray<{ path: string; fix?: string }> = [];
    try {
      parseEvent(SweepLifecycleEvent, { repositories: ['team-a/**', 'Team-B/**'] }, 'lifecycle sweep event');
    } catch (error) {
      issues = (error as EventValidationError).issues;
    }

    // Assess: `Team-B/**` would silently sweep nothing.
    expect(issues).toEqual([expect.objectContaining({ path: 'repositories[1]', fix: 'write "team-b/**"' })]);
  });
});

import { AuthorizationErrorException, PublishCommand, SNSClient, type PublishCommandInput } from '@aws-sdk/client-sns';
import { ListTargetsByRuleCommand } from '@aws-sdk/client-eventbridge';
import { SimulatePrincipalPolicyCommand } from '@aws-sdk/client-iam';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { AutopilotError } from '../../../lib/errors';
import type { RegistryReader } from '../../../lib/ecr/RegistryReader';
import type { UpstreamReader } from '../../../lib/mirror/UpstreamReader';
import { SnsPublisher } from '../../../lib/notify/publish/SnsPublisher';
import { routeChanges } from '../../../lib/plan/routeChanges';
import type { PtcStateReader } from '../../../lib/pull-through-cache/PtcStateReader';
import type { StackReader } from '../../../lib/verify/StackReader';
import { CHECKLIST_SECTIONS } from '../../../lib/verify/types';
import { LAB_CHECKS, VERIFY_STOP_MARGIN_MS, verifyLab, VerifyLabEvent, type VerifyDeps } from '../../../lib/verify/verifyLab';
import { anHourLater, runFor, useFakeTime } from '../../support/fakeTime';
import {
  ACCOUNT,
  ALB,
  CA,
  deferred,
  labConfig,
  liveContext,
  NODE_ROLE,
  NOW,
  REGION,
  silentLogger,
  STACK,
  TOPIC_ARN,
  type EcrState,
  type StackState,
  account,
  serveHealthyLab,
} from './verifyFixtures';

const { sns } = account;

let ecrState: EcrState;
let stackState: StackState;

beforeEach(() => {
  ({ ecrState, stackState } = serveHealthyLab());
  sns.on(PublishCommand).resolvesOnce({ MessageId: 'msg-test' }).resolvesOnce({ MessageId: 'msg-checklist' });
});

/** verifyLab's dependencies: the live adapters on the mocked clients, SNS publishing through SnsPublisher. */
function liveDeps(): VerifyDeps {
  const context = liveContext();
  const publisher = new SnsPublisher({ client: new SNSClient({ region: REGION }), settings: { httpsFormat: 'amazon-q' }, retry: { sleep: async () => undefined } });
  return { ...context, writer: routeChanges({ sns: publisher }), clock: () => NOW, logger: silentLogger };
}

function published(): PublishCommandInput[] {
  return sns.commandCalls(PublishCommand).map((call) => call.args[0].input);
}

describe('verifyLab', () => {
  it('reports every item with a status, what was expected and what was found, and a fix on every failure', async () => {
    // Prepare
    const repository = ecrState.repositories.find((candidate) => candidate.name === CA.repository);
    if (repository) repository.scanOnPush = false;
    stackState.rules = stackState.rules.map((rule) => (rule.rule === 'onImagePush-rule-1' ? { ...rule, state: 'DISABLED' } : rule));
    stackState.subscriptions = [{ protocol: 'email', endpoint: 'student@example.com', arn: 'PendingConfirmation' }];
    stackState.decisions['ecr:BatchGetImage'] = 'implicitDeny';

    // Act
    const report = await verifyLab({ notify: false }, liveDeps());

    // Assess
    const items = report.checklist.items;
    expect(items.length).toBeGreaterThan(20);
    for (const item of items) {
      expect(['pass', 'fail', 'warn', 'skipped']).toContain(item.status);
      expect(item.expected, item.id).not.toBe('');
      expect(item.found, item.id).not.toBe('');
      if (item.status === 'fail') expect(item.fix, item.id).toMatch(/\S/);
    }
    expect(items.filter((item) => item.status === 'fail').map((item) => item.id)).toEqual([
      `repository:${CA.repository}`,
      'rule:onImagePush-rule-1',
      'subscriptions',
      `permission:ecr:BatchGetImage:${ALB.repository}`,
      `permission:ecr:BatchGetImage:${CA.repository}`,
    ]);
    expect(report.outcome).toBe('failed');
    expect(report.checklist.passed).toBe(false);
    expect(report.decision).toBe('Lab check failed: 21 pass, 5 fail, 2 warn, 1 skipped.');
  });

  it('publishes exactly two SNS messages, the test message then the checklist, and passes the notification path with the message id', async () => {
    // Act
    const report = await verifyLab({ notify: true }, liveDeps());

    // Assess
    const messages = published();
    expect(messages).toHaveLength(2);
    expect(messages.map((message) => message.MessageAttributes?.kind?.StringValue)).toEqual(['verify.test', 'verify.checklist']);
    expect(messages.every((message) => message.TopicArn === TOPIC_ARN)).toBe(true);
    expect(messages[0]?.Subject).toBe(`[ecr-autopilot] Notification test from ${STACK}`);
    const path = report.checklist.items.find((item) => item.id === 'notification-path');
    expect(path).toMatchObject({ section: 'Notifications', status: 'pass', found: 'accepted (message msg-test)' });
    expect(report.changes.map((applied) => [applied.change.reason, applied.outcome.status, applied.outcome.message])).toEqual([
      ['notification path test', 'applied', 'message msg-test'],
      ['lab checklist', 'applied', 'message msg-checklist'],
    ]);
    expect(report.outcome).toBe('done');
  });

  it('publishes the checklist with every item, including the notification path, and a warning severity when only warnings remain', async () => {
    // Act
    const report = await verifyLab({ notify: true }, liveDeps());

    // Assess
    const checklist = published()[1];
    expect(checklist?.MessageAttributes?.severity?.StringValue).toBe('warning');
    const lambdaBody = JSON.parse(JSON.parse(checklist?.Message ?? '{}').lambda as string) as { kind: string; data: { items: Array<{ id: string }>; passed: boolean } };
    expect(lambdaBody.kind).toBe('verify.checklist');
    expect(lambdaBody.data.passed).toBe(true);
    expect(lambdaBody.data.items.map((item) => item.id)).toEqual(report.checklist.items.map((item) => item.id));
    expect(lambdaBody.data.items.map((item) => item.id)).toContain('notification-path');
  });

  it('publishes nothing and skips the notification path with notify: false', async () => {
    // Act
    const report = await verifyLab({ notify: false }, liveDeps());

    // Assess
    expect(sns).not.toHaveReceivedCommand(PublishCommand);
    expect(report.changes).toEqual([]);
    expect(report.checklist.items.find((item) => item.id === 'notification-path')).toMatchObject({ status: 'skipped', found: 'not tested (--no-notify)' });
    expect(report.checklist.counts.skipped).toBe(1);
  });

  it('fails the notification path item when Publish fails, and still returns the checklist', async () => {
    // Prepare
    sns.on(PublishCommand).rejects(new AuthorizationErrorException({ $metadata: {}, message: 'User is not authorized to perform: SNS:Publish' }));

    // Act
    const report = await verifyLab({ notify: true }, liveDeps());

    // Assess
    const path = report.checklist.items.find((item) => item.id === 'notification-path');
    expect(path).toMatchObject({ status: 'fail', found: expect.stringContaining('not authorized to perform: SNS:Publish') });
    expect(path?.fix).toBe('check NOTIFICATION_TOPIC_ARN and the sns:Publish permission');
    expect(report.outcome).toBe('failed');
    expect(report.checklist.passed).toBe(false);
    expect(report.changes.map((applied) => [applied.change.reason, applied.outcome.status])).toEqual([
      ['notification path test', 'failed'],
      ['lab checklist', 'failed'],
    ]);
  });

  it("reports outcome failed and publishes a critical checklist when a single item fails", async () => {
    // Prepare
    stackState.rules = stackState.rules.map((rule) => (rule.rule === 'fleet-mirror-schedule' ? { ...rule, state: 'DISABLED' } : rule));

    // Act
    const report = await verifyLab({ notify: true }, liveDeps());

    // Assess
    expect(report.checklist.counts.fail).toBe(1);
    expect(report.outcome).toBe('failed');
    expect(published()[1]?.MessageAttributes?.severity?.StringValue).toBe('critical');
  });

  it('runs the checks concurrently: every check has started before the first one finishes', async () => {
    // Prepare
    const gate = deferred<void>();
    const started = new Set<string>();
    let startedWhenFirstFinished: number | undefined;
    const enter = async <T>(check: string, value: T): Promise<T> => {
      started.add(check);
      await gate.promise;
      startedWhenFirstFinished ??= started.size;
      return value;
    };
    const unused = (): never => {
      throw new Error('not used by this test');
    };
    const registry: RegistryReader = {
      registryId: ACCOUNT,
      region: REGION,
      describeRepository: async (name) => {
        await enter('mirrored images', undefined);
        throw new AutopilotError('REPOSITORY_NOT_FOUND', `${name} does not exist`);
      },
      listRepositories: unused,
      getLifecyclePolicyText: unused,
      describeImages: unused,
      describeImageByTag: unused,
      listImages: unused,
      getManifests: unused,
      getImageScan: unused,
    };
    const ptc: PtcStateReader = { region: REGION, listRules: () => enter('pull-through cache', []), listTemplates: () => enter('pull-through cache', []), describeSecret: unused, validateRule: unused };
    const stack: StackReader = {
      registryScanning: () => enter('scanning', { scanType: 'ENHANCED', rules: [] }),
      rulesWithPrefix: () => enter('event rules', []),
      topic: () => enter('notifications', undefined),
      simulate: () => enter('pull permissions', []),
      accountId: () => enter('pull permissions', ACCOUNT),
      stateMachineRuns: () => enter('fleet runs', { exists: true }),
    };
    const upstream: UpstreamReader = { resolve: unused };
    const deps: VerifyDeps = {
      config: labConfig({ nodeRoleArn: NODE_ROLE }),
      registry,
      ptc,
      upstream,
      stack,
      stackName: STACK,
      topicArn: TOPIC_ARN,
      writer: routeChanges({}),
      clock: () => NOW,
      logger: silentLogger,
    };

    // Act
    const running = verifyLab({ notify: false }, deps);
    await new Promise<void>((resolve) => setImmediate(resolve)); // let every check that is going to start, start
    gate.resolve();
    const report = await running;

    // Assess
    expect(startedWhenFirstFinished).toBe(LAB_CHECKS.length);
    expect(started).toEqual(new Set(['mirrored images', 'pull-through cache', 'scanning', 'event rules', 'notifications', 'pull permissions', 'fleet runs']));
    expect(new Set(report.checklist.items.map((item) => item.section))).toEqual(new Set(CHECKLIST_SECTIONS));
  });
});

describe('VerifyLabEvent', () => {
  it('notifies by default and rejects unknown fields', () => {
    // Act
    const empty = VerifyLabEvent.parse({});
    const unknown = VerifyLabEvent.safeParse({ notify: false, dryRun: true });

    // Assess
    expect(empty).toEqual({ notify: true });
    expect(unknown.success).toBe(false);
  });
});

describe('verifyLab and its deadline', () => {
  it('reports the checks its stop cut short as skipped, still publishes the checklist, and waits for nothing once it returned', async () => {
    // Prepare: IAM never answers (a call the SDK cannot cancel, as a mocked client); the run is interrupted.
    account.iam.on(SimulatePrincipalPolicyCommand).callsFake(() => new Promise(() => undefined));
    const interrupt = new AbortController();
    const deps: VerifyDeps = { ...liveDeps(), deadline: { interrupted: interrupt.signal } };
    const simulated = () => account.iam.commandCalls(SimulatePrincipalPolicyCommand).length;

    // Act
    const running = verifyLab({ notify: true }, deps);
    await vi.waitFor(() => {
      expect(simulated()).toBeGreaterThan(0);
      expect(account.events.commandCalls(ListTargetsByRuleCommand)).toHaveLength(stackState.rules.length);
    });
    interrupt.abort(new AutopilotError('ABORTED', 'interrupted'));
    const report = await running;

    // Assess: the pull-permission check did not finish, the others did, and the checklist went out.
    const permissions = report.checklist.items.filter((item) => item.section === 'Pull permissions');
    expect(permissions).toEqual([expect.objectContaining({ status: 'skipped', found: 'not checked: the run stopped first (interrupted)' })]);
    expect(report.checklist.items.filter((item) => item.section === 'Event rules').every((item) => item.status === 'pass')).toBe(true);
    expect(report.stoppedEarly).toBe('interrupted');
    expect(report.decision).toContain('(stopped early: interrupted)');
    expect(published().map((input) => JSON.parse(input.Message ?? '{}').lambda && JSON.parse(JSON.parse(input.Message ?? '{}').lambda).kind)).toEqual(['verify.test', 'verify.checklist']);
    expect(simulated()).toBeLessThanOrEqual(2);
  });

  it('checks nothing when its deadline is within its margin, and still publishes the checklist that says so', async () => {
    // Act
    const report = await verifyLab({ notify: true }, { ...liveDeps(), deadline: { at: Date.now() } });

    // Assess
    expect(report.checklist.items.filter((item) => item.id !== 'notification-path').every((item) => item.status === 'skipped')).toBe(true);
    expect(account.ecr.calls()).toHaveLength(0);
    expect(account.iam.calls()).toHaveLength(0);
    expect(published()).toHaveLength(2);
  });
});

describe('verifyLab past its deadline (fake time)', () => {
  useFakeTime(NOW);

  /** Every call the checks sent (everything but SNS, which publishes the report). */
  const checkCalls = (): number => [account.ecr, account.secrets, account.events, account.iam, account.sfn, account.sts].reduce((sum, stub) => sum + stub.calls().length, 0);

  it('starts no check call after its stop line, publishes the test message and the checklist after it, and calls nothing once it returned', async () => {
    // Prepare: each page of IAM simulation takes 40 s of fake time; the invocation has 60 s, so the stop
    // line is at 50 s, while the second page (40 s → 80 s) is in flight.
    account.iam.on(SimulatePrincipalPolicyCommand).callsFake(() => new Promise((resolve) => setTimeout(() => resolve({ EvaluationResults: [], IsTruncated: true, Marker: 'next' }), 40_000)));
    const deps: VerifyDeps = { ...liveDeps(), clock: () => new Date(), deadline: { at: Date.now() + 60_000 } };
    // Just before the stop line (nothing is scheduled between then and the line itself).
    let atStop = { checks: -1, publishes: -1 };
    setTimeout(() => {
      atStop = { checks: checkCalls(), publishes: published().length };
    }, 60_000 - VERIFY_STOP_MARGIN_MS - 1);

    // Act
    const report = await runFor(verifyLab({ notify: true }, deps), 70_000);
    const whenReturned = { checks: checkCalls(), publishes: published().length };
    await anHourLater();

    // Assess
    expect(atStop.checks).toBeGreaterThan(0);
    expect(atStop.publishes).toBe(0);
    expect(whenReturned).toEqual({ checks: atStop.checks, publishes: 2 });
    expect({ checks: checkCalls(), publishes: published().length }).toEqual(whenReturned);
    expect(report.stoppedEarly).toBe('the time budget ran out: the run stopped 10 s before its deadline to report what it did');
    expect(report.checklist.items.filter((item) => item.section === 'Pull permissions').every((item) => item.status === 'skipped')).toBe(true);
    expect(report.checklist.items.find((item) => item.id === 'notification-path')?.status).toBe('pass');
  });
});

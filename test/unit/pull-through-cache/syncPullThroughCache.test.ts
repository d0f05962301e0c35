import { describe, expect, it } from 'vitest';
import { SnapshotRegistry } from '../../../lib/ecr/SnapshotRegistry';
import { AutopilotError, EventValidationError } from '../../../lib/errors';
import { parseEvent } from '../../../lib/events/parseEvent';
import type { PublishNoticeChange } from '../../../lib/notify/changes';
import { Notice, type PtcSyncNotice } from '../../../lib/notify/notices';
import { PlanningWriter } from '../../../lib/plan/PlanningWriter';
import { routeChanges } from '../../../lib/plan/routeChanges';
import type { ChangeOutcome, ChangeWriter } from '../../../lib/plan/types';
import { ptcWriters, type PtcChange, type PtcChangeOutcome } from '../../../lib/pull-through-cache/changes';
import { SnapshotPtcReader } from '../../../lib/pull-through-cache/SnapshotPtcReader';
import { syncPullThroughCache, SyncPtcEvent } from '../../../lib/pull-through-cache/syncPullThroughCache';
import type { PtcStateReader } from '../../../lib/pull-through-cache/PtcStateReader';
import type { PtcDeps } from '../../../lib/pull-through-cache/types';
import { loadEvent } from '../../support/events';
import { InMemoryPtcRegistry, NOW, ptcConfig, secretArn, TOPIC_ARN } from './ptcFixtures';
import { anHourLater, runFor, useFakeTime } from '../../support/fakeTime';

const SNAPSHOT = new URL('../../../events/registry-snapshot.json', import.meta.url).pathname;
const SCHEDULED = parseEvent(SyncPtcEvent, loadEvent('scheduled/sync-pull-through-cache'), 'sync event');
const DOCKER_SECRET = { name: 'ecr-pullthroughcache/docker-hub', arn: secretArn('ecr-pullthroughcache/docker-hub') };
const GITHUB_SECRET = { name: 'ecr-pullthroughcache/github', arn: secretArn('ecr-pullthroughcache/github') };

class NoticeRecorder implements ChangeWriter<PublishNoticeChange> {
  readonly notices: Notice[] = [];
  async apply(change: PublishNoticeChange): Promise<ChangeOutcome> {
    this.notices.push(change.notice);
    return { status: 'applied' };
  }
}

function deps(reader: PtcStateReader, writer: ChangeWriter<PtcChange>, config = ptcConfig()) {
  const sns = new NoticeRecorder();
  const value: PtcDeps = {
    config,
    ptc: reader,
    writer: routeChanges({ ...ptcWriters(writer), sns }),
    topicArn: TOPIC_ARN,
    clock: () => NOW,
    logger: { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined },
  };
  return { deps: value, sns };
}

describe('syncPullThroughCache event', () => {
  it.each([{}, { prune: false }, { prune: true }])('accepts a manual invoke %j', (raw) => {
    // Act / Assess
    expect(parseEvent(SyncPtcEvent, raw, 'sync event')).toEqual(raw);
  });

  it('accepts the scheduled event', () => {
    // Act / Assess
    expect(SCHEDULED).toMatchObject({ 'detail-type': 'Scheduled Event', source: 'aws.events' });
  });

  it.each([{ prune: 'yes' }, { prun: true }, null])('rejects %j, naming the field', (raw) => {
    // Act / Assess
    expect(() => parseEvent(SyncPtcEvent, raw, 'sync event')).toThrow(EventValidationError);
  });
});

describe('syncPullThroughCache', () => {
  it('plans the lab against the sample snapshot: creates k8s, quay and github templates, reports the missing github secret', async () => {
    // Prepare
    const reader = new SnapshotPtcReader(SnapshotRegistry.fromFile(SNAPSHOT).snapshot);
    const planned = new PlanningWriter();
    const { deps: d } = deps(reader, planned);

    // Act
    const report = await syncPullThroughCache.run(SCHEDULED, { ...d, writer: planned });

    // Assess
    expect(report.changes.map(({ change }) => `${change.action} ${change.target}`)).toEqual([
      'ecr:CreateRepositoryCreationTemplate k8s',
      'ecr:CreatePullThroughCacheRule k8s',
      'ecr:CreateRepositoryCreationTemplate quay',
      'ecr:UpdateRepositoryCreationTemplate github',
      `sns:Publish ${TOPIC_ARN}`,
    ]);
    expect(report.rules.map((rule) => [rule.prefix, rule.status])).toEqual([
      ['ecr-public', 'in-sync'],
      ['k8s', 'create'],
      ['quay', 'update'],
      ['docker-hub', 'on-demand'],
      ['github', 'blocked'],
      ['old-cache', 'unmanaged'],
    ]);
    const github = report.rules.find((rule) => rule.prefix === 'github');
    expect(github?.problems.map((problem) => problem.code)).toEqual(['SECRET_MISSING', 'VALIDATION_FAILED']);
    expect(github?.problems[0]?.command).toContain('aws secretsmanager create-secret --name ecr-pullthroughcache/github');
    const notice = (report.changes.at(-1)?.change as PublishNoticeChange).notice as PtcSyncNotice;
    expect(notice).toMatchObject({ id: '2f9d7a61-8c4b-4b0e-a5d3-6e1f0c9b8a72:ptc.sync', kind: 'ptc.sync', severity: 'critical' });
    expect(Notice.safeParse(notice).success).toBe(true);
  });

  it('is idempotent: applied to a registry, the second run changes nothing and stays quiet', async () => {
    // Prepare
    const registry = new InMemoryPtcRegistry({ secrets: [DOCKER_SECRET, GITHUB_SECRET], rules: [{ prefix: 'old-cache', upstreamRegistryUrl: 'public.ecr.aws' }] });
    const first = deps(registry, registry);
    const second = deps(registry, registry);

    // Act
    const one = await syncPullThroughCache.run({}, first.deps);
    const two = await syncPullThroughCache.run({}, second.deps);

    // Assess
    expect(one.changes.filter(({ change }) => change.action !== 'sns:Publish')).toHaveLength(6);
    expect(first.sns.notices).toHaveLength(1);
    expect(two.changes).toEqual([]);
    expect(second.sns.notices).toEqual([]);
    expect(two.decision).toContain('Nothing to report');
    expect(registry.rules.map((rule) => rule.prefix).sort()).toEqual(['ecr-public', 'k8s', 'old-cache', 'quay']);
  });

  it('deletes undeclared rules only with prune, and a manual prune overrides the configuration', async () => {
    // Prepare
    const registry = new InMemoryPtcRegistry({ rules: [{ prefix: 'old-cache', upstreamRegistryUrl: 'public.ecr.aws' }] });

    // Act
    const kept = await syncPullThroughCache.run({}, deps(registry, new PlanningWriter()).deps);
    const pruned = await syncPullThroughCache.run({ prune: true }, deps(registry, registry).deps);

    // Assess
    expect(kept.rules.find((rule) => rule.prefix === 'old-cache')?.status).toBe('unmanaged');
    expect(kept.changes.some(({ change }) => change.action === 'ecr:DeletePullThroughCacheRule')).toBe(false);
    expect(pruned.prune).toBe(true);
    expect(pruned.changes[0]?.change).toMatchObject({ action: 'ecr:DeletePullThroughCacheRule', target: 'old-cache' });
    expect(registry.rules.some((rule) => rule.prefix === 'old-cache')).toBe(false);
  });

  it('validates an authenticated rule it just created (live)', async () => {
    // Prepare: docker-hub is declared without autoCreate here.
    const config = ptcConfig(`pullThroughCache:
  template: { lifecyclePolicy: lifecycle/pull-through-cache.json }
  rules:
    - { prefix: docker-hub, upstream: docker-hub, credentialSecret: ecr-pullthroughcache/docker-hub }`);
    const registry = new InMemoryPtcRegistry({ secrets: [DOCKER_SECRET], validations: { 'docker-hub': { isValid: false, failure: 'Invalid username or password' } } });

    // Act
    const report = await syncPullThroughCache.run({}, deps(registry, registry, config).deps);

    // Assess
    expect(registry.calls).toContain('ValidatePullThroughCacheRule docker-hub');
    expect(report.rules[0]).toMatchObject({ status: 'create', validation: { isValid: false, failure: 'Invalid username or password' } });
    expect(report.rules[0]?.problems[0]).toMatchObject({ code: 'VALIDATION_FAILED', fix: expect.stringContaining('valid user name and access token') });
  });

  it('marks validation of a rule it would create as pending in plan mode', async () => {
    // Prepare
    const config = ptcConfig(`pullThroughCache:
  rules:
    - { prefix: docker-hub, upstream: docker-hub, credentialSecret: ecr-pullthroughcache/docker-hub }`);
    const registry = new InMemoryPtcRegistry({ secrets: [DOCKER_SECRET] });

    // Act
    const report = await syncPullThroughCache.run({}, deps(registry, new PlanningWriter(), config).deps);

    // Assess
    expect(report.rules[0]?.validation).toBe('pending');
    expect(registry.calls).not.toContain('ValidatePullThroughCacheRule docker-hub');
  });

  it('reports a change that fails (the 51st rule) on its rule and goes on', async () => {
    // Prepare
    // 47 rules exist: the plan's three creates fit, but another creator takes the last slot first.
    const registry = new InMemoryPtcRegistry({ rules: Array.from({ length: 47 }, (_, index) => ({ prefix: `old-${index}`, upstreamRegistryUrl: 'quay.io' })) });
    const racing: ChangeWriter<PtcChange> = {
      apply: async (change) => {
        if (change.action === 'ecr:CreatePullThroughCacheRule' && change.target === 'k8s') {
          throw new AutopilotError('LIMIT_EXCEEDED', 'CreatePullThroughCacheRule k8s: the registry already has 50 pull-through cache rules, ECR\'s quota (not adjustable)', { retryable: false });
        }
        return registry.apply(change);
      },
    };
    const { deps: d, sns } = deps(registry, racing);

    // Act
    const report = await syncPullThroughCache.run({}, d);

    // Assess
    expect(report.outcome).toBe('failed');
    expect(report.rules.find((rule) => rule.prefix === 'k8s')?.problems).toContainEqual(expect.objectContaining({ code: 'CHANGE_FAILED', message: expect.stringContaining('quota') }));
    expect((sns.notices[0] as PtcSyncNotice).data.counts.failedChanges).toBe(1);
  });

  it('rethrows throttling so the invocation is retried', async () => {
    // Prepare
    const registry = new InMemoryPtcRegistry();
    registry.listTemplates = async () => {
      throw new AutopilotError('THROTTLED', 'DescribeRepositoryCreationTemplates was throttled', { retryable: true });
    };

    // Act / Assess
    await expect(syncPullThroughCache.run({}, deps(registry, registry).deps)).rejects.toMatchObject({ code: 'THROTTLED' });
  });
});

/** ECR in memory where every change takes 20 s (of fake time). */
class SlowPtcRegistry extends InMemoryPtcRegistry {
  override async apply(change: PtcChange): Promise<PtcChangeOutcome> {
    await new Promise((resolve) => setTimeout(resolve, 20_000));
    return super.apply(change);
  }
}

describe('syncPullThroughCache and its deadline (fake time past it)', () => {
  useFakeTime(NOW);

  it('starts no change after its stop line, validates nothing after it, publishes the summary saying so, and calls nothing once it returned', async () => {
    // Prepare: an empty registry, so the lab's rules and templates all need creating; 60 s to do it.
    const registry = new SlowPtcRegistry({ secrets: [DOCKER_SECRET, GITHUB_SECRET] });
    const { deps: d, sns } = deps(registry, registry);

    // Act
    const running = syncPullThroughCache.run({}, { ...d, deadline: { at: Date.now() + 60_000 } });
    const report = await runFor(running, 120_000);
    const calls = registry.calls.length;
    await anHourLater();

    // Assess: changes started at 0, 20 and 40 s; the stop line is at 50 s.
    const made = report.changes.filter(({ change, outcome }) => change.action !== 'sns:Publish' && outcome.status === 'applied');
    const notMade = report.changes.filter(({ outcome }) => outcome.status === 'stopped');
    expect(made).toHaveLength(3);
    expect(notMade.length).toBeGreaterThan(0);
    expect(notMade.every(({ outcome }) => outcome.message === 'not started: the time budget ran out: the run stopped 10 s before its deadline to report what it did')).toBe(true);
    expect(registry.calls.filter((call) => call.startsWith('ValidatePullThroughCacheRule'))).toEqual([]);
    expect(registry.calls).toHaveLength(calls);
    expect(report.stoppedEarly).toMatch(/^the time budget ran out/);
    expect(report.decision).toContain(`Stopped early (${report.stoppedEarly}): ${notMade.length} change(s) not made`);
    const [notice] = sns.notices as PtcSyncNotice[];
    expect(notice?.data.stoppedEarly).toBe(report.stoppedEarly);
    expect(notice?.data.changes.filter((change) => change.status === 'stopped')).toHaveLength(notMade.length);
  });
});

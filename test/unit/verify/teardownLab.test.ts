import {
  DeletePullThroughCacheRuleCommand,
  DeleteRepositoryCommand,
  DeleteRepositoryCreationTemplateCommand,
  DescribeRepositoryCreationTemplatesCommand,
  ECRClient,
  ECRServiceException,
  PullThroughCacheRuleNotFoundException,
  RepositoryNotFoundException,
  TemplateNotFoundException,
} from '@aws-sdk/client-ecr';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { EcrRegistry } from '../../../lib/ecr/EcrRegistry';
import { routeChanges } from '../../../lib/plan/routeChanges';
import { ptcWriters } from '../../../lib/pull-through-cache/changes';
import { EcrPullThroughCache } from '../../../lib/pull-through-cache/EcrPullThroughCache';
import { planTeardown, teardownLab, TeardownLabEvent, type TeardownDeps } from '../../../lib/verify/teardownLab';
import { anHourLater, runFor, useFakeTime } from '../../support/fakeTime';
import {
  ACCOUNT,
  ALB,
  CA,
  healthyEcr,
  labConfig,
  NOW,
  REGION,
  serveEcr,
  silentLogger,
  type EcrState,
  type FakeRepository,
} from './verifyFixtures';

const ecr = mockClient(ECRClient);
const secrets = mockClient(SecretsManagerClient);

let state: EcrState;

function plain(name: string): FakeRepository {
  return { name, scanOnPush: false, mutability: 'MUTABLE', images: [] };
}

/**
 * The lab after a workshop, plus what it does not own: an undeclared rule (old-cache) with its
 * template and repository, a team repository, a repository under mirror/ that is not configured and
 * one whose name only starts like a declared prefix (k8s-tools). Listed with the mirrored
 * repositories first, so the listing order is not the teardown order.
 */
function labAfterWorkshop(): EcrState {
  const lab = healthyEcr();
  const [alb, ca] = lab.repositories;
  if (!alb || !ca) throw new Error('healthyEcr has two mirrored repositories');
  return {
    ...lab,
    rules: [...lab.rules, { prefix: 'old-cache', url: 'public.ecr.aws' }],
    templates: [...lab.templates, 'old-cache'],
    repositories: [alb, plain('team-a/api'), plain('ecr-public/nginx/nginx'), plain('old-cache/library/alpine'), plain('k8s/pause'), ca, plain('mirror/other/tool'), plain('k8s-tools/kubectl'), plain('github/org/app')],
  };
}

function deps(): TeardownDeps {
  const client = new ECRClient({ region: REGION });
  const registry = new EcrRegistry({ client, region: REGION, registryId: ACCOUNT });
  const ptc = new EcrPullThroughCache({ ecr: client, secrets: new SecretsManagerClient({ region: REGION }), region: REGION, registryId: ACCOUNT });
  return { config: labConfig(), registry, ptc, writer: routeChanges({ ecr: registry, ...ptcWriters(ptc) }), clock: () => NOW, logger: silentLogger };
}

/** Every delete command ECR received, in order, as `Command target`. */
function deletesSent(): string[] {
  return ecr.calls().flatMap((call) => {
    const command: unknown = call.args[0];
    if (command instanceof DeletePullThroughCacheRuleCommand) return [`DeletePullThroughCacheRule ${command.input.ecrRepositoryPrefix}`];
    if (command instanceof DeleteRepositoryCreationTemplateCommand) return [`DeleteRepositoryCreationTemplate ${command.input.prefix}`];
    if (command instanceof DeleteRepositoryCommand) return [`DeleteRepository ${command.input.repositoryName}`];
    return [];
  });
}

beforeEach(() => {
  ecr.reset();
  secrets.reset();
  state = labAfterWorkshop();
  serveEcr(ecr, state);
});

describe('teardownLab (EcrRegistry + EcrPullThroughCache against the ECR mock)', () => {
  it('deletes in an order that always works: declared rules, their templates, the repositories they created, then the mirrored repositories', async () => {
    // Act
    const report = await teardownLab({ apply: true }, deps());

    // Assess
    expect(deletesSent()).toEqual([
      'DeletePullThroughCacheRule ecr-public',
      'DeletePullThroughCacheRule k8s',
      'DeletePullThroughCacheRule github',
      'DeleteRepositoryCreationTemplate ecr-public',
      'DeleteRepositoryCreationTemplate k8s',
      'DeleteRepositoryCreationTemplate github',
      'DeleteRepository ecr-public/nginx/nginx',
      'DeleteRepository k8s/pause',
      'DeleteRepository github/org/app',
      `DeleteRepository ${ALB.repository}`,
      `DeleteRepository ${CA.repository}`,
    ]);
    expect(report.outcome).toBe('done');
    expect(report.decision).toBe('Removed 3 pull-through cache rule(s), 3 template(s) and 5 repositories.');
    expect(report.changes.every((applied) => applied.outcome.status === 'applied')).toBe(true);
  });

  it('never touches an undeclared rule, its template and repositories, or repositories outside the owned prefixes and mirror destinations', async () => {
    // Act
    await teardownLab({ apply: true }, deps());

    // Assess
    const touched = deletesSent().join('\n');
    for (const untouched of ['old-cache', 'team-a/api', 'mirror/other/tool', 'k8s-tools/kubectl']) expect(touched).not.toContain(untouched);
    expect(state.rules.map((rule) => rule.prefix)).toEqual(['old-cache']);
    expect(state.templates).toEqual(['old-cache']);
    expect(state.repositories.map((repository) => repository.name)).toEqual(['team-a/api', 'old-cache/library/alpine', 'mirror/other/tool', 'k8s-tools/kubectl']);
  });

  it('deletes every repository with force, images included', async () => {
    // Act
    await teardownLab({ apply: true }, deps());

    // Assess
    const repositoryDeletes = ecr.commandCalls(DeleteRepositoryCommand).map((call) => call.args[0].input);
    expect(repositoryDeletes).toHaveLength(5);
    expect(repositoryDeletes.every((input) => input.force === true && input.registryId === ACCOUNT)).toBe(true);
  });

  it('is idempotent: a second run finds nothing it owns, removes nothing and succeeds', async () => {
    // Prepare
    await teardownLab({ apply: true }, deps());
    ecr.resetHistory();

    // Act
    const second = await teardownLab({ apply: true }, deps());

    // Assess
    expect(second.outcome).toBe('ignored');
    expect(second.decision).toBe('Nothing to tear down: the lab is already gone.');
    expect(second.changes).toEqual([]);
    expect(ecr).not.toHaveReceivedCommand(DeletePullThroughCacheRuleCommand);
    expect(ecr).not.toHaveReceivedCommand(DeleteRepositoryCreationTemplateCommand);
    expect(ecr).not.toHaveReceivedCommand(DeleteRepositoryCommand);
    expect(deletesSent()).toEqual([]);
  });

  it('succeeds with nothing to do on an empty registry', async () => {
    // Prepare
    state.rules = [];
    state.templates = [];
    state.repositories = [];

    // Act
    const report = await teardownLab({ apply: true }, deps());

    // Assess
    expect(report.outcome).toBe('ignored');
    expect(report.changes).toEqual([]);
    expect(deletesSent()).toEqual([]);
  });

  it('treats resources that vanished between listing and deleting (not-found races) as removed', async () => {
    // Prepare
    ecr.on(DeletePullThroughCacheRuleCommand).rejects(new PullThroughCacheRuleNotFoundException({ $metadata: {}, message: 'The pull through cache rule does not exist' }));
    ecr.on(DeleteRepositoryCreationTemplateCommand).rejects(new TemplateNotFoundException({ $metadata: {}, message: 'The template does not exist' }));
    ecr.on(DeleteRepositoryCommand).rejects(new RepositoryNotFoundException({ $metadata: {}, message: 'The repository does not exist' }));

    // Act
    const report = await teardownLab({ apply: true }, deps());

    // Assess
    expect(report.outcome).toBe('done');
    expect(report.changes).toHaveLength(11);
    const byAction = (action: string) => report.changes.filter((applied) => applied.change.action === action).map((applied) => applied.outcome);
    expect(byAction('ecr:DeletePullThroughCacheRule')).toEqual(Array(3).fill({ status: 'applied', message: 'the rule was already gone' }));
    expect(byAction('ecr:DeleteRepositoryCreationTemplate')).toEqual(Array(3).fill({ status: 'applied', message: 'the template was already gone' }));
    expect(byAction('ecr:DeleteRepository')).toEqual(Array(5).fill({ status: 'applied', message: 'already gone' }));
  });

  it('reports a delete that is denied as failed and still removes the rest', async () => {
    // Prepare
    ecr.on(DeleteRepositoryCommand, { repositoryName: 'k8s/pause' }).rejects(new ECRServiceException({ name: 'AccessDeniedException', $fault: 'client', $metadata: {}, message: 'not authorized to perform: ecr:DeleteRepository' }));

    // Act
    const report = await teardownLab({ apply: true }, deps());

    // Assess
    expect(report.outcome).toBe('failed');
    const failed = report.changes.filter((applied) => applied.outcome.status === 'failed');
    expect(failed.map((applied) => applied.change.target)).toEqual(['k8s/pause']);
    expect(deletesSent()).toContain(`DeleteRepository ${CA.repository}`);
  });

  it('goes on item by item through errors the SDK raises untranslated, and reports each with its fix, never the raw error', async () => {
    // Prepare: expired credentials on one repository, an unexpected client error on a template.
    const expired = new ECRServiceException({ name: 'ExpiredTokenException', $fault: 'client', $metadata: { httpStatusCode: 400 }, message: 'The security token included in the request is expired' });
    ecr.on(DeleteRepositoryCommand, { repositoryName: 'k8s/pause' }).rejects(expired);
    ecr.on(DeleteRepositoryCreationTemplateCommand, { prefix: 'k8s' }).rejects(new ECRServiceException({ name: 'KmsException', $fault: 'client', $metadata: { httpStatusCode: 400 }, message: 'key disabled' }));

    // Act
    const report = await teardownLab({ apply: true }, deps());

    // Assess: every other change ran; each failure says what to do.
    expect(report.outcome).toBe('failed');
    const failed = Object.fromEntries(report.changes.filter((applied) => applied.outcome.status === 'failed').map((applied) => [applied.change.target, applied.outcome.message]));
    expect(failed).toEqual({
      k8s: 'ecr:DeleteRepositoryCreationTemplate k8s failed: KmsException: key disabled; check that the resource and the region are the ones meant, then run it again',
      'k8s/pause':
        'ecr:DeleteRepository k8s/pause: the AWS credentials have expired (The security token included in the request is expired); refresh them (aws sso login, or new session credentials) and run it again',
    });
    expect(report.changes.filter((applied) => applied.outcome.status === 'applied')).toHaveLength(9);
    expect(deletesSent()).toContain(`DeleteRepository ${CA.repository}`);
    expect(report.decision).toMatch(/2 removals failed: fix what each says and run the teardown again \(it is idempotent\)\.$/);
  });

  it('starts nothing more once AWS is out of reach: the change that failed says why, the rest are stopped', async () => {
    // Prepare: the endpoint stops answering at the first template.
    ecr.on(DeleteRepositoryCreationTemplateCommand).rejects(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }));

    // Act
    const report = await teardownLab({ apply: true }, deps());

    // Assess: the three rules went, the first template failed, nothing after it was sent.
    const statuses = report.changes.map((applied) => `${applied.outcome.status} ${applied.change.target}`);
    expect(statuses.slice(0, 4)).toEqual(['applied ecr-public', 'applied k8s', 'applied github', 'failed ecr-public']);
    expect(report.changes.slice(4).every((applied) => applied.outcome.status === 'stopped' && applied.outcome.message === 'not started: AWS did not answer ecr:DeleteRepositoryCreationTemplate ecr-public; run the teardown again')).toBe(true);
    expect(report.changes[3]?.outcome.message).toBe(
      'ecr:DeleteRepositoryCreationTemplate ecr-public: the AWS endpoint could not be reached (ECONNRESET); check the network, AWS_REGION and AWS_ENDPOINT_URL, then run it again',
    );
    expect(deletesSent().filter((sent) => sent.startsWith('DeleteRepository '))).toEqual([]);
  });

  it('goes on when a listing fails: removes what the others found, and reports the failed step with its fix', async () => {
    // Prepare: no permission to list the templates.
    ecr.on(DescribeRepositoryCreationTemplatesCommand).rejects(new ECRServiceException({ name: 'AccessDeniedException', $fault: 'client', $metadata: {}, message: 'not authorized to perform: ecr:DescribeRepositoryCreationTemplates' }));

    // Act
    const report = await teardownLab({ apply: true }, deps());

    // Assess
    expect(report.outcome).toBe('failed');
    expect(report.problems).toEqual([
      {
        step: 'list the repository creation templates (ecr:DescribeRepositoryCreationTemplates)',
        message: "DescribeRepositoryCreationTemplates was denied: not authorized to perform: ecr:DescribeRepositoryCreationTemplates; grant the function's role ecr:DescribeRepositoryCreationTemplates",
      },
    ]);
    expect(deletesSent().filter((sent) => sent.startsWith('DeleteRepositoryCreationTemplate'))).toEqual([]);
    expect(deletesSent()).toContain(`DeleteRepository ${CA.repository}`);
    expect(deletesSent()).toContain('DeletePullThroughCacheRule k8s');
    expect(report.decision).toContain('1 step failed (list the repository creation templates (ecr:DescribeRepositoryCreationTemplates)), so what it would have found is not removed');
  });

  it('only plans with apply: false (the default event): no Delete call, the same changes, planned', async () => {
    // Act
    const report = await teardownLab(TeardownLabEvent.parse({}), deps());

    // Assess
    expect(deletesSent()).toEqual([]);
    expect(report.changes).toHaveLength(11);
    expect(report.changes.every((applied) => applied.outcome.status === 'planned')).toBe(true);
    expect(report.decision).toBe('Would remove 3 pull-through cache rule(s), 3 template(s) and 5 repositories (plan only: invoke with {"apply": true} to delete).');
    expect(state.repositories).toHaveLength(9);
  });
});

describe('teardownLab and its deadline (fake time past it)', () => {
  useFakeTime(NOW);

  it('starts no removal after its stop line, lets the one in flight finish, lists what is left, and calls nothing once it returned', async () => {
    // Prepare: every removal takes 20 s; 100 s to go, so the stop line is at 90 s (five removals started).
    ecr.on(DeletePullThroughCacheRuleCommand).callsFake(() => new Promise((resolve) => setTimeout(() => resolve({}), 20_000)));
    ecr.on(DeleteRepositoryCreationTemplateCommand).callsFake(() => new Promise((resolve) => setTimeout(() => resolve({}), 20_000)));
    ecr.on(DeleteRepositoryCommand).callsFake(() => new Promise((resolve) => setTimeout(() => resolve({}), 20_000)));

    // Act
    const running = teardownLab({ apply: true }, { ...deps(), deadline: { at: Date.now() + 100_000 } });
    const report = await runFor(running, 200_000);
    const calls = ecr.calls().length;
    await anHourLater();

    // Assess
    expect(deletesSent()).toHaveLength(5);
    expect(report.changes.filter(({ outcome }) => outcome.status === 'applied')).toHaveLength(5);
    expect(report.changes.filter(({ outcome }) => outcome.status === 'stopped')).toHaveLength(6);
    expect(report.decision).toBe(
      'Removed 3 pull-through cache rule(s), 2 template(s) and 0 repositories; stopped early (the time budget ran out: the run stopped 10 s before its deadline to report what it did): 6 removal(s) not done, run it again to finish.',
    );
    expect(ecr.calls()).toHaveLength(calls);
  });
});

describe('planTeardown', () => {
  it('plans only what exists: a declared rule that was never created has no delete', async () => {
    // Prepare
    state.rules = state.rules.filter((rule) => rule.prefix !== 'k8s');
    state.templates = state.templates.filter((prefix) => prefix !== 'k8s');

    // Act
    const { changes, problems } = await planTeardown(deps());

    // Assess
    expect(problems).toEqual([]);
    expect(changes.filter((change) => change.target === 'k8s')).toEqual([]);
    expect(changes.map((change) => change.target)).toContain('k8s/pause');
    expect(changes.some((change) => change.target === 'docker-hub')).toBe(false);
  });
});

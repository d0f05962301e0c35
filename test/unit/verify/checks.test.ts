import { ECRServiceException, ValidatePullThroughCacheRuleCommand } from '@aws-sdk/client-ecr';
import { AccessDeniedException, ListRulesCommand } from '@aws-sdk/client-eventbridge';
import { SimulatePrincipalPolicyCommand } from '@aws-sdk/client-iam';
import { GetTopicAttributesCommand } from '@aws-sdk/client-sns';
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { beforeEach, describe, expect, it } from 'vitest';
import { eventRulesCheck } from '../../../lib/verify/checks/eventRules';
import { mirroredImagesCheck } from '../../../lib/verify/checks/mirroredImages';
import { notificationTopicCheck } from '../../../lib/verify/checks/notifications';
import { PULL_ACTIONS, pullPermissionsCheck } from '../../../lib/verify/checks/pullPermissions';
import { pullThroughCacheCheck } from '../../../lib/verify/checks/pullThroughCache';
import { registryScanningCheck } from '../../../lib/verify/checks/registryScanning';
import { runLabChecklist } from '../../../lib/verify/runLabChecklist';
import { CHECKLIST_SECTIONS, type CheckResult } from '../../../lib/verify/types';
import { LAB_CHECKS } from '../../../lib/verify/verifyLab';
import {
  ACCOUNT,
  ALB,
  CA,
  digest,
  functionArn,
  indexManifest,
  labConfig,
  liveContext,
  NODE_ROLE,
  REGION,
  STACK,
  TOPIC_ARN,
  upstreamImages,
  type EcrState,
  type StackState,
  account,
  serveHealthyLab,
} from './verifyFixtures';

const { ecr, events, sns, iam } = account;

let ecrState: EcrState;
let stackState: StackState;

beforeEach(() => {
  ({ ecrState, stackState } = serveHealthyLab());
});

function item(results: readonly CheckResult[], id: string): CheckResult {
  const found = results.find((result) => result.id === id);
  if (!found) throw new Error(`no item ${id} in ${results.map((result) => result.id).join(', ')}`);
  return found;
}

function repositoryOf(name: string) {
  const repository = ecrState.repositories.find((candidate) => candidate.name === name);
  if (!repository) throw new Error(`no repository ${name} in the test state`);
  return repository;
}

describe('mirroredImagesCheck (EcrRegistry against the ECR mock)', () => {
  it('passes governed repositories whose tags hold the upstream index with every upstream platform', async () => {
    // Act
    const results = await mirroredImagesCheck.run(liveContext());

    // Assess
    expect(results.map((result) => [result.id, result.status])).toEqual([
      [`repository:${ALB.repository}`, 'pass'],
      [`repository:${CA.repository}`, 'pass'],
      [`image:${ALB.repository}:${ALB.tag}`, 'pass'],
      [`image:${CA.repository}:${CA.tag}`, 'pass'],
    ]);
    expect(item(results, `image:${CA.repository}:${CA.tag}`).found).toBe('sha256:cccccccccccc with linux/amd64, linux/arm64, linux/s390x');
    expect(item(results, `repository:${ALB.repository}`).expected).toBe('governed by class mirrors');
  });

  it('fails a partially mirrored index (linux/arm64 missing), naming the platform and the fix', async () => {
    // Prepare
    const image = repositoryOf(ALB.repository).images[0];
    if (!image) throw new Error('test state has no image');
    image.manifest = indexManifest(['linux/amd64']);

    // Act
    const results = await mirroredImagesCheck.run(liveContext());

    // Assess
    const result = item(results, `image:${ALB.repository}:${ALB.tag}`);
    expect(result.status).toBe('fail');
    expect(result.expected).toBe('sha256:aaaaaaaaaaaa with linux/amd64, linux/arm64');
    expect(result.found).toBe('sha256:aaaaaaaaaaaa with linux/amd64: missing linux/arm64 (partially mirrored)');
    expect(result.fix).toBe(`ecr-autopilot mirror --source ${ALB.source}`);
    expect(item(results, `image:${CA.repository}:${CA.tag}`).status).toBe('pass');
  });

  it('fails a tag that holds a single-platform manifest (what docker pull/push leaves) for a multi-platform upstream', async () => {
    // Prepare
    repositoryOf(ALB.repository).images = [{ digest: digest('d'), tags: [ALB.tag], mediaType: 'application/vnd.oci.image.manifest.v1+json' }];

    // Act
    const results = await mirroredImagesCheck.run(liveContext());

    // Assess
    const result = item(results, `image:${ALB.repository}:${ALB.tag}`);
    expect(result.status).toBe('fail');
    expect(result.found).toContain('missing linux/arm64 (partially mirrored)');
  });

  it('fails a tag whose upstream digest has moved on', async () => {
    // Act
    const results = await mirroredImagesCheck.run(liveContext({ upstream: upstreamImages({ alb: { digest: digest('b') } }) }));

    // Assess
    const result = item(results, `image:${ALB.repository}:${ALB.tag}`);
    expect(result.status).toBe('fail');
    expect(result.expected).toBe('sha256:bbbbbbbbbbbb with linux/amd64, linux/arm64');
    expect(result.found).toBe('sha256:aaaaaaaaaaaa with linux/amd64, linux/arm64: upstream has moved on');
    expect(result.fix).toBe(`ecr-autopilot mirror --source ${ALB.source}`);
  });

  it('fails a mirrored repository that drifted from its class (scan on push off), with the sweep as the fix', async () => {
    // Prepare
    repositoryOf(CA.repository).scanOnPush = false;

    // Act
    const results = await mirroredImagesCheck.run(liveContext());

    // Assess
    const result = item(results, `repository:${CA.repository}`);
    expect(result.status).toBe('fail');
    expect(result.found).toBe('scan on push is off; class mirrors requires on');
    expect(result.fix).toBe(`ecr-autopilot lifecycle sweep --repository ${CA.repository}`);
    expect(item(results, `repository:${ALB.repository}`).status).toBe('pass');
  });

  it('fails a mirrored repository without its lifecycle policy', async () => {
    // Prepare
    delete repositoryOf(ALB.repository).lifecyclePolicyText;

    // Act
    const results = await mirroredImagesCheck.run(liveContext());

    // Assess
    const result = item(results, `repository:${ALB.repository}`);
    expect(result.status).toBe('fail');
    expect(result.found).toContain('no lifecycle policy; class mirrors requires');
  });

  it('fails a repository that does not exist, and its images without reading them', async () => {
    // Prepare
    ecrState.repositories = ecrState.repositories.filter((repository) => repository.name !== CA.repository);

    // Act
    const results = await mirroredImagesCheck.run(liveContext());

    // Assess
    expect(item(results, `repository:${CA.repository}`)).toMatchObject({ status: 'fail', found: 'no repository', fix: 'run mirrorImages (ecr-autopilot mirror)' });
    expect(item(results, `image:${CA.repository}:${CA.tag}`)).toMatchObject({ status: 'fail', found: 'the repository does not exist', fix: `ecr-autopilot mirror --source ${CA.source}` });
  });

  it('fails a configured tag that is missing from its repository', async () => {
    // Prepare
    repositoryOf(ALB.repository).images = [];

    // Act
    const results = await mirroredImagesCheck.run(liveContext());

    // Assess
    expect(item(results, `image:${ALB.repository}:${ALB.tag}`)).toMatchObject({ status: 'fail', found: 'tag missing' });
  });
});

describe('pullThroughCacheCheck (EcrPullThroughCache against the ECR mock)', () => {
  it('passes rules that exist, match their upstream, validate and have a template; warns an autoCreate rule not created yet', async () => {
    // Act
    const results = await pullThroughCacheCheck.run(liveContext());

    // Assess
    expect(results.map((result) => [result.id, result.status])).toEqual([
      ['ptc:ecr-public', 'pass'],
      ['ptc:k8s', 'pass'],
      ['ptc:docker-hub', 'warn'],
      ['ptc:github', 'pass'],
    ]);
    expect(item(results, 'ptc:github').found).toBe('validated upstream; template present');
    expect(item(results, 'ptc:ecr-public').found).toBe('no credential needed; template present');
    expect(item(results, 'ptc:docker-hub')).toMatchObject({ found: 'not created yet', fix: 'pull any image through docker-hub/, or run: ecr-autopilot ptc sync' });
    expect(ecr).toHaveReceivedCommandTimes(ValidatePullThroughCacheRuleCommand, 1);
    expect(ecr).toHaveReceivedCommandWith(ValidatePullThroughCacheRuleCommand, { ecrRepositoryPrefix: 'github', registryId: ACCOUNT });
  });

  it('fails a rule that points at the wrong upstream', async () => {
    // Prepare
    ecrState.rules = ecrState.rules.map((rule) => (rule.prefix === 'k8s' ? { ...rule, url: 'k8s.gcr.io' } : rule));

    // Act
    const results = await pullThroughCacheCheck.run(liveContext());

    // Assess
    expect(item(results, 'ptc:k8s')).toMatchObject({ status: 'fail', expected: 'upstream registry.k8s.io', found: 'upstream k8s.gcr.io' });
    expect(item(results, 'ptc:k8s').fix).toContain('ptc sync');
  });

  it('fails an authenticated rule that ValidatePullThroughCacheRule finds invalid, with the failure text', async () => {
    // Prepare
    const failure = "Unable to retrieve the secret: Secrets Manager can't find the specified secret.";
    ecrState.rules = ecrState.rules.map((rule) => (rule.prefix === 'github' ? { ...rule, validation: { isValid: false, failure } } : rule));

    // Act
    const results = await pullThroughCacheCheck.run(liveContext());

    // Assess
    expect(item(results, 'ptc:github')).toMatchObject({
      status: 'fail',
      expected: 'ValidatePullThroughCacheRule: valid',
      found: `invalid: ${failure}`,
      fix: 'update the secret ecr-pullthroughcache/github with a working username and access token',
    });
  });

  it('fails a rule whose repository creation template is missing', async () => {
    // Prepare
    ecrState.templates = ecrState.templates.filter((prefix) => prefix !== 'k8s');

    // Act
    const results = await pullThroughCacheCheck.run(liveContext());

    // Assess
    expect(item(results, 'ptc:k8s')).toMatchObject({ status: 'fail', found: 'no credential needed; no repository creation template', fix: 'ecr-autopilot ptc sync' });
  });

  it('fails a declared rule (not autoCreate) that does not exist', async () => {
    // Prepare
    ecrState.rules = ecrState.rules.filter((rule) => rule.prefix !== 'ecr-public');

    // Act
    const results = await pullThroughCacheCheck.run(liveContext());

    // Assess
    expect(item(results, 'ptc:ecr-public')).toMatchObject({ status: 'fail', found: 'no rule', fix: 'ecr-autopilot ptc sync' });
  });

  it('passes an autoCreate rule once it exists like any other', async () => {
    // Prepare
    ecrState.rules.push({ prefix: 'docker-hub', url: 'registry-1.docker.io', credentialArn: 'arn:aws:secretsmanager:ap-northeast-2:123456789012:secret:ecr-pullthroughcache/docker-hub-AbC123' });
    ecrState.templates.push('docker-hub');

    // Act
    const results = await pullThroughCacheCheck.run(liveContext());

    // Assess
    expect(item(results, 'ptc:docker-hub')).toMatchObject({ status: 'pass', found: 'validated upstream; template present' });
  });
});

describe('registryScanningCheck (GetRegistryScanningConfiguration)', () => {
  it('passes enhanced scanning', async () => {
    // Prepare
    ecrState.scanning = { scanType: 'ENHANCED', rules: [{ scanFrequency: 'CONTINUOUS_SCAN', repositoryFilters: [{ filter: '*', filterType: 'WILDCARD' }] }] };

    // Act
    const results = await registryScanningCheck.run(liveContext({ config: labConfig({ servicesScanOnPush: false }) }));

    // Assess
    expect(results).toEqual([expect.objectContaining({ id: 'scanning', status: 'pass', found: 'enhanced scanning (Amazon Inspector)' })]);
  });

  it('passes basic scanning with a scan-on-push rule for every repository', async () => {
    // Act
    const results = await registryScanningCheck.run(liveContext({ config: labConfig({ servicesScanOnPush: false }) }));

    // Assess
    expect(results).toEqual([expect.objectContaining({ status: 'pass', found: 'basic scanning, scan on push for every repository' })]);
  });

  it('fails basic scanning without a wildcard scan-on-push rule when a class does not turn scan on push on', async () => {
    // Prepare
    ecrState.scanning = { scanType: 'BASIC', rules: [{ scanFrequency: 'SCAN_ON_PUSH', repositoryFilters: [{ filter: 'prod-*', filterType: 'WILDCARD' }] }] };

    // Act
    const results = await registryScanningCheck.run(liveContext({ config: labConfig({ servicesScanOnPush: false }) }));

    // Assess
    expect(results).toHaveLength(1);
    expect(results[0]).toMatchObject({ status: 'fail', found: 'basic scanning without a registry-wide scan-on-push rule; classes without scanOnPush: services' });
    expect(results[0]?.fix).toContain('aws ecr put-registry-scanning-configuration --scan-type BASIC');
  });

  it('passes basic scanning without rules when every class turns scan on push on', async () => {
    // Prepare
    ecrState.scanning = { scanType: 'BASIC', rules: [] };

    // Act
    const results = await registryScanningCheck.run(liveContext());

    // Assess
    expect(results).toEqual([expect.objectContaining({ status: 'pass', found: 'every repository class turns scan on push on (repository setting)' })]);
  });
});

describe('eventRulesCheck (EventBridge ListRules / ListTargetsByRule)', () => {
  it("passes every rule of the stack when enabled (the CloudTrail rule with all management events) and targeting its function", async () => {
    // Act
    const results = await eventRulesCheck.run(liveContext());

    // Assess
    expect(results).toHaveLength(8);
    expect(results.every((result) => result.status === 'pass')).toBe(true);
    expect(item(results, 'rule:pull-through-cache-miss').found).toBe('ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS, targets onPullThroughCache');
    expect(events).toHaveReceivedCommandWith(ListRulesCommand, { NamePrefix: `${STACK}-` });
  });

  it('fails a DISABLED rule with the enable-rule command as the fix', async () => {
    // Prepare
    stackState.rules = stackState.rules.map((rule) => (rule.rule === 'fleet-sweep-schedule' ? { ...rule, state: 'DISABLED' } : rule));

    // Act
    const results = await eventRulesCheck.run(liveContext());

    // Assess
    expect(item(results, 'rule:fleet-sweep-schedule')).toMatchObject({
      status: 'fail',
      expected: 'enabled',
      found: 'state DISABLED',
      fix: `aws events enable-rule --name ${STACK}-fleet-sweep-schedule`,
    });
    expect(results.filter((result) => result.status === 'fail')).toHaveLength(1);
  });

  it('fails a rule that targets the wrong function', async () => {
    // Prepare
    const wrong = functionArn('other-stack-syncPullThroughCache');
    stackState.rules = stackState.rules.map((rule) => (rule.rule === 'syncPullThroughCache-rule-1' ? { ...rule, target: wrong } : rule));

    // Act
    const results = await eventRulesCheck.run(liveContext());

    // Assess
    expect(item(results, 'rule:syncPullThroughCache-rule-1')).toMatchObject({ status: 'fail', expected: `targets ${STACK}-syncPullThroughCache`, found: `targets ${wrong}`, fix: 'redeploy the stack: npx osls deploy' });
  });

  it('fails a rule of the stack that does not exist', async () => {
    // Prepare
    stackState.rules = stackState.rules.filter((rule) => rule.rule !== 'onImageScan-rule-2');

    // Act
    const results = await eventRulesCheck.run(liveContext());

    // Assess
    expect(item(results, 'rule:onImageScan-rule-2')).toMatchObject({ status: 'fail', expected: `rule ${STACK}-onImageScan-rule-2`, found: 'no such rule' });
  });
});

describe('notificationTopicCheck (SNS GetTopicAttributes / ListSubscriptionsByTopic)', () => {
  it('passes a topic with a confirmed subscription and notifySlack subscribed', async () => {
    // Act
    const results = await notificationTopicCheck.run(liveContext());

    // Assess
    expect(item(results, 'subscriptions')).toMatchObject({ status: 'pass', found: '2 confirmed (lambda, email)' });
    expect(item(results, 'slack')).toMatchObject({ status: 'pass' });
    expect(sns).toHaveReceivedCommandWith(GetTopicAttributesCommand, { TopicArn: TOPIC_ARN });
  });

  it('fails when the topic does not exist (NotFoundException)', async () => {
    // Prepare
    stackState.subscriptions = undefined;

    // Act
    const results = await notificationTopicCheck.run(liveContext());

    // Assess
    expect(results).toEqual([expect.objectContaining({ id: 'topic', status: 'fail', expected: `topic ${TOPIC_ARN}`, found: 'no such topic' })]);
  });

  it('fails a topic whose only subscription is pending confirmation', async () => {
    // Prepare
    stackState.subscriptions = [{ protocol: 'email', endpoint: 'student@example.com', arn: 'PendingConfirmation' }];

    // Act
    const results = await notificationTopicCheck.run(liveContext());

    // Assess
    expect(item(results, 'subscriptions')).toMatchObject({ status: 'fail', found: '1 pending confirmation, none confirmed' });
    expect(item(results, 'subscriptions').fix).toContain(`aws sns subscribe --topic-arn ${TOPIC_ARN}`);
    expect(item(results, 'slack')).toMatchObject({ status: 'warn', found: 'not subscribed' });
  });

  it('warns when a confirmed subscription sits next to a pending one, naming the pending endpoint', async () => {
    // Prepare
    stackState.subscriptions?.push({ protocol: 'email', endpoint: 'student@example.com', arn: 'PendingConfirmation' });

    // Act
    const results = await notificationTopicCheck.run(liveContext());

    // Assess
    expect(item(results, 'subscriptions')).toMatchObject({
      status: 'warn',
      found: '2 confirmed (lambda, email), 1 pending confirmation',
      fix: 'confirm the pending subscription(s): student@example.com',
    });
  });
});

describe('pullPermissionsCheck (IAM SimulatePrincipalPolicy)', () => {
  const arn = (repository: string) => `arn:aws:ecr:${REGION}:${ACCOUNT}:repository/${repository}`;
  const REPOSITORY_ACTIONS = PULL_ACTIONS.filter((action) => action !== 'ecr:GetAuthorizationToken');
  /** Every result title: each repository action on each mirrored repository, then the token action. */
  const TITLES = [...REPOSITORY_ACTIONS.flatMap((action) => [`${action} on ${ALB.repository}`, `${action} on ${CA.repository}`]), 'ecr:GetAuthorizationToken'];

  it("passes when the node role is allowed the lab's four pull actions, simulated on each mirrored repository and *", async () => {
    // Act
    const results = await pullPermissionsCheck.run(liveContext());

    // Assess
    expect(results.map((result) => [result.title, result.status])).toEqual(TITLES.map((title) => [title, 'pass']));
    expect(iam).toHaveReceivedCommandTimes(SimulatePrincipalPolicyCommand, 2);
    expect(iam).toHaveReceivedCommandWith(SimulatePrincipalPolicyCommand, { PolicySourceArn: NODE_ROLE, ActionNames: REPOSITORY_ACTIONS, ResourceArns: [arn(ALB.repository), arn(CA.repository)] });
    expect(iam).toHaveReceivedCommandWith(SimulatePrincipalPolicyCommand, { PolicySourceArn: NODE_ROLE, ActionNames: ['ecr:GetAuthorizationToken'], ResourceArns: ['*'] });
  });

  it('simulates on the ARNs of the account STS names when the registry names none (a role scoped to the account passes)', async () => {
    // Prepare: as the deployed function runs: no registryId. A role allowed only in this account's repositories.
    stackState.decisions = { 'ecr:GetAuthorizationToken': 'allowed' };
    for (const action of REPOSITORY_ACTIONS) for (const repository of [ALB.repository, CA.repository]) stackState.decisions[`${action} ${arn(repository)}`] = 'allowed';

    // Act
    const results = await pullPermissionsCheck.run(liveContext({ registryId: undefined }));

    // Assess: no `arn:aws:ecr:<region>:*:…` reaches IAM.
    expect(results.map((result) => result.status)).toEqual(TITLES.map(() => 'pass'));
    expect(account.sts).toHaveReceivedCommandTimes(GetCallerIdentityCommand, 1);
    expect(iam).toHaveReceivedCommandWith(SimulatePrincipalPolicyCommand, { ResourceArns: [arn(ALB.repository), arn(CA.repository)] });
    expect(JSON.stringify(iam.commandCalls(SimulatePrincipalPolicyCommand).map((call) => call.args[0].input))).not.toContain(':*:repository');
  });

  it('reports each action on each repository: allowed on one, denied on the other, both said', async () => {
    // Prepare: the aggregate decision of the action is implicitDeny, the ALB repository's is allowed.
    stackState.decisions['ecr:BatchGetImage'] = 'allowed';
    stackState.decisions[`ecr:BatchGetImage ${arn(CA.repository)}`] = 'implicitDeny';

    // Act
    const results = await pullPermissionsCheck.run(liveContext());

    // Assess
    expect(item(results, `permission:ecr:BatchGetImage:${ALB.repository}`)).toMatchObject({ status: 'pass', found: 'allowed' });
    expect(item(results, `permission:ecr:BatchGetImage:${CA.repository}`)).toMatchObject({
      status: 'fail',
      found: 'implicitDeny',
      fix: `attach arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly (or a policy allowing ecr:BatchGetImage on ${arn(CA.repository)}) to ${NODE_ROLE}`,
    });
    expect(results.filter((result) => result.status === 'fail')).toHaveLength(1);
  });

  it('reads the decisions of the older answer too: one result per action and resource, without ResourceSpecificResults', async () => {
    // Prepare
    iam.on(SimulatePrincipalPolicyCommand).callsFake((input) => ({
      EvaluationResults: (input.ActionNames as string[]).flatMap((action) =>
        (input.ResourceArns as string[]).map((resource) => ({ EvalActionName: action, EvalResourceName: resource, EvalDecision: resource === arn(ALB.repository) && action === 'ecr:GetDownloadUrlForLayer' ? 'explicitDeny' : 'allowed' })),
      ),
    }));

    // Act
    const results = await pullPermissionsCheck.run(liveContext());

    // Assess: the last result for an action does not overwrite the others.
    expect(results.filter((result) => result.status === 'fail').map((result) => [result.id, result.found])).toEqual([[`permission:ecr:GetDownloadUrlForLayer:${ALB.repository}`, 'explicitDeny']]);
    expect(item(results, `permission:ecr:GetDownloadUrlForLayer:${ALB.repository}`).fix).toBe(
      `remove the statement that denies ecr:GetDownloadUrlForLayer on ${arn(ALB.repository)} from the policies of ${NODE_ROLE} (or its permissions boundary, or a service control policy)`,
    );
  });

  it('reads every page of the simulation', async () => {
    // Prepare: the token action on a second page.
    iam.on(SimulatePrincipalPolicyCommand).callsFake((input) =>
      input.Marker === undefined
        ? { EvaluationResults: [], IsTruncated: true, Marker: 'page-2' }
        : { EvaluationResults: (input.ActionNames as string[]).map((action) => ({ EvalActionName: action, EvalDecision: 'allowed', ResourceSpecificResults: (input.ResourceArns as string[]).map((resource) => ({ EvalResourceName: resource, EvalResourceDecision: 'allowed' })) })), IsTruncated: false },
    );

    // Act
    const results = await pullPermissionsCheck.run(liveContext());

    // Assess
    expect(results.every((result) => result.status === 'pass')).toBe(true);
    expect(iam).toHaveReceivedCommandTimes(SimulatePrincipalPolicyCommand, 4);
  });

  it('fails an action the simulation leaves out as implicitDeny', async () => {
    // Prepare
    iam.on(SimulatePrincipalPolicyCommand).callsFake((input) => ({
      EvaluationResults: (input.ActionNames as string[])
        .filter((action) => action !== 'ecr:BatchCheckLayerAvailability')
        .map((action) => ({ EvalActionName: action, EvalResourceName: '*', EvalDecision: 'allowed', ResourceSpecificResults: (input.ResourceArns as string[]).map((resource) => ({ EvalResourceName: resource, EvalResourceDecision: 'allowed' })) })),
    }));

    // Act
    const results = await pullPermissionsCheck.run(liveContext());

    // Assess
    expect(results.filter((result) => result.status === 'fail').map((result) => [result.title, result.found])).toEqual([
      [`ecr:BatchCheckLayerAvailability on ${ALB.repository}`, 'implicitDeny'],
      [`ecr:BatchCheckLayerAvailability on ${CA.repository}`, 'implicitDeny'],
    ]);
  });

  it('is skipped without calling IAM when no node role is configured', async () => {
    // Act
    const results = await pullPermissionsCheck.run(liveContext({ config: labConfig() }));

    // Assess
    expect(results).toEqual([expect.objectContaining({ status: 'skipped', found: 'no node role configured' })]);
    expect(iam).not.toHaveReceivedCommand(SimulatePrincipalPolicyCommand);
  });
});

describe('runLabChecklist (every check, live adapters)', () => {
  it('reports a healthy lab as passed, items in section order', async () => {
    // Act
    const report = await runLabChecklist(LAB_CHECKS, liveContext());

    // Assess
    expect(report.passed).toBe(true);
    expect(report.counts).toEqual({ pass: 27, fail: 0, warn: 1, skipped: 0 });
    const sections = report.items.map((result) => CHECKLIST_SECTIONS.indexOf(result.section));
    expect(sections).toEqual([...sections].sort((a, b) => a - b));
    expect(new Set(report.items.map((result) => result.section))).toEqual(new Set(CHECKLIST_SECTIONS));
  });

  it('turns a check that throws AccessDeniedException into one failed item while the other checks still report', async () => {
    // Prepare
    events.on(ListRulesCommand).rejects(new AccessDeniedException({ $metadata: {}, message: `User: arn:aws:sts::${ACCOUNT}:assumed-role/verify is not authorized to perform: events:ListRules` }));

    // Act
    const report = await runLabChecklist(LAB_CHECKS, liveContext());

    // Assess
    const ruleItems = report.items.filter((result) => result.section === 'Event rules');
    expect(ruleItems).toEqual([
      expect.objectContaining({ id: 'event-rules', status: 'fail', expected: 'the check to run', found: expect.stringContaining('not authorized to perform: events:ListRules') }),
    ]);
    expect(ruleItems[0]?.fix).toContain('permissions');
    expect(report.passed).toBe(false);
    expect(report.counts.fail).toBe(1);
    for (const section of CHECKLIST_SECTIONS.filter((name) => name !== 'Event rules')) {
      expect(report.items.some((result) => result.section === section && result.status === 'pass')).toBe(true);
    }
  });

  it('tells a caller whose credentials are missing or expired to fix the credentials, not the permissions', async () => {
    // Prepare
    const expired = Object.assign(new Error('The security token included in the request is expired'), { name: 'ExpiredTokenException' });
    const missing = Object.assign(new Error('Could not load credentials from any providers'), { name: 'CredentialsProviderError' });
    events.on(ListRulesCommand).rejects(expired);
    sns.on(GetTopicAttributesCommand).rejects(missing);

    // Act
    const report = await runLabChecklist(LAB_CHECKS, liveContext());

    // Assess
    const failed = report.items.filter((result) => result.status === 'fail');
    expect(failed.map((result) => result.id).sort()).toEqual(['event-rules', 'notifications']);
    for (const item of failed) {
      expect(item.fix).toContain('valid AWS credentials');
      expect(item.fix).toContain('AWS_PROFILE or --profile');
      expect(item.fix).not.toContain('permissions');
    }
  });

  it('points at the error itself when a check fails for another reason', async () => {
    events.on(ListRulesCommand).rejects(Object.assign(new Error('getaddrinfo ENOTFOUND events.eu-west-1.amazonaws.com'), { code: 'ENOTFOUND' }));

    const report = await runLabChecklist(LAB_CHECKS, liveContext());

    expect(report.items.find((result) => result.id === 'event-rules')).toMatchObject({ status: 'fail', found: expect.stringContaining('ENOTFOUND events.eu-west-1.amazonaws.com'), fix: 'fix the cause above and run the check again' });
  });

  it('turns an ECR AccessDeniedException of one check into a failed item of that check only', async () => {
    // Prepare
    ecr.on(ValidatePullThroughCacheRuleCommand).rejects(new ECRServiceException({ name: 'AccessDeniedException', $fault: 'client', $metadata: {}, message: 'not authorized to perform: ecr:ValidatePullThroughCacheRule' }));

    // Act
    const report = await runLabChecklist(LAB_CHECKS, liveContext());

    // Assess
    expect(report.items.filter((result) => result.status === 'fail')).toEqual([
      expect.objectContaining({ id: 'ptc:github', section: 'Pull-through cache', found: expect.stringContaining('ValidatePullThroughCacheRule github was denied') }),
    ]);
  });
});

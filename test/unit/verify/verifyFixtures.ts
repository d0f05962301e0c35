/**
 * Builders for the lab verification and teardown tests: a configuration (through the real loader,
 * inline policies so it does not depend on infra/), an in-memory ECR account served through
 * aws-sdk-client-mock (so the live adapters run: EcrRegistry, EcrPullThroughCache, AwsStackReader),
 * and EventBridge/SNS/IAM responses for the stack reader.
 */
import {
  DeletePullThroughCacheRuleCommand,
  DeleteRepositoryCommand,
  DeleteRepositoryCreationTemplateCommand,
  DescribeImagesCommand,
  DescribePullThroughCacheRulesCommand,
  DescribeRepositoriesCommand,
  DescribeRepositoryCreationTemplatesCommand,
  BatchGetImageCommand,
  ECRClient,
  GetLifecyclePolicyCommand,
  GetRegistryScanningConfigurationCommand,
  ImageNotFoundException,
  LifecyclePolicyNotFoundException,
  PullThroughCacheRuleNotFoundException,
  RepositoryNotFoundException,
  TemplateNotFoundException,
  ValidatePullThroughCacheRuleCommand,
  type RegistryScanningConfiguration,
} from '@aws-sdk/client-ecr';
import { EventBridgeClient, ListRulesCommand, ListTargetsByRuleCommand } from '@aws-sdk/client-eventbridge';
import { IAMClient, SimulatePrincipalPolicyCommand } from '@aws-sdk/client-iam';
import { DescribeStateMachineCommand, ListExecutionsCommand, SFNClient, StateMachineDoesNotExist } from '@aws-sdk/client-sfn';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { GetTopicAttributesCommand, ListSubscriptionsByTopicCommand, NotFoundException, SNSClient } from '@aws-sdk/client-sns';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient, type AwsClientStub } from 'aws-sdk-client-mock';
import { readConfig } from '../../../lib/config';
import type { AutopilotConfig } from '../../../lib/config/types';
import { EcrRegistry } from '../../../lib/ecr/EcrRegistry';
import type { SnapshotUpstreamImage } from '../../../lib/ecr/registrySnapshot';
import { SnapshotUpstreamReader } from '../../../lib/mirror/UpstreamReader';
import { EcrPullThroughCache } from '../../../lib/pull-through-cache/EcrPullThroughCache';
import type { LoggerPort } from '../../../lib/runtime/types';
import { AwsStackReader } from '../../../lib/verify/AwsStackReader';
import { EXPECTED_RULES } from '../../../lib/verify/checks/eventRules';
import type { CheckContext } from '../../../lib/verify/types';

export const REGION = 'ap-northeast-2';
export const ACCOUNT = '123456789012';
export const STACK = 'ecr-autopilot-test';
export const TOPIC_ARN = `arn:aws:sns:${REGION}:${ACCOUNT}:${STACK}-notifications`;
export const NODE_ROLE = `arn:aws:iam::${ACCOUNT}:role/eks-node-role`;
export const NOW = new Date('2026-11-20T09:00:00Z');

export const ALB = { source: 'public.ecr.aws/eks/aws-load-balancer-controller', tag: 'v2.9.2', repository: 'mirror/eks/aws-load-balancer-controller' } as const;
export const CA = { source: 'registry.k8s.io/autoscaling/cluster-autoscaler', tag: 'v1.32.0', repository: 'mirror/autoscaling/cluster-autoscaler' } as const;

export const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
export const DOCKER_LIST = 'application/vnd.docker.distribution.manifest.list.v2+json';

/** A well-formed digest made of one repeated hex character. */
export function digest(char: string): string {
  return `sha256:${char.repeat(64)}`;
}

export const ALB_DIGEST = digest('a');
export const CA_DIGEST = digest('c');

/** The mirror class's lifecycle policy, as the repositories hold it (any key order: compared as JSON). */
export const MIRROR_POLICY = {
  rules: [{ rulePriority: 1, description: 'Expire untagged images after 30 days', selection: { tagStatus: 'untagged', countType: 'sinceImagePushed', countUnit: 'days', countNumber: 30 }, action: { type: 'expire' } }],
};
export const MIRROR_POLICY_TEXT = JSON.stringify(MIRROR_POLICY);

export const silentLogger: LoggerPort = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

/**
 * The lab configuration: two mirrored images, five declared pull-through cache rules (docker-hub
 * created on demand), every class scanning on push unless `servicesScanOnPush: false`.
 */
export function labConfig(options: { nodeRoleArn?: string; servicesScanOnPush?: boolean } = {}): AutopilotConfig {
  const text = `
version: 1
repositoryClasses:
  - name: mirrors
    repositories: ["mirror/**"]
    lifecyclePolicy: ${MIRROR_POLICY_TEXT}
    scanOnPush: true
    tagMutability: IMMUTABLE
  - name: pull-through-cache
    repositories: ["ecr-public/**", "k8s/**", "quay/**", "docker-hub/**", "github/**"]
    scanOnPush: true
    tagMutability: MUTABLE
  - name: services
    repositories: ["**"]
${options.servicesScanOnPush === false ? '' : '    scanOnPush: true\n'}mirror:
  repositoryPrefix: mirror
  platforms: all
  images:
    - source: ${ALB.source}
      tags: [${ALB.tag}]
    - source: ${CA.source}
      tags: [${CA.tag}]
verify: {${options.nodeRoleArn ? ` nodeRoleArn: "${options.nodeRoleArn}" ` : ''}}
pullThroughCache:
  template: { tagMutability: MUTABLE }
  rules:
    - { prefix: ecr-public, upstream: ecr-public }
    - { prefix: k8s, upstream: k8s }
    - { prefix: docker-hub, upstream: docker-hub, credentialSecret: ecr-pullthroughcache/docker-hub }
    - { prefix: github, upstream: github-container-registry, credentialSecret: ecr-pullthroughcache/github }
  autoCreate: [docker-hub]
`;
  const result = readConfig(text, '/virtual/autopilot.yml', { today: NOW });
  if (!result.ok) throw new Error(`test configuration is invalid: ${JSON.stringify(result.issues)}`);
  return result.config;
}

/** An image index listing these platforms (plus a buildx attestation, which is not a platform). */
export function indexManifest(platforms: readonly string[], mediaType = OCI_INDEX): string {
  return JSON.stringify({
    schemaVersion: 2,
    mediaType,
    manifests: [
      ...platforms.map((platform, index) => {
        const [os, architecture] = platform.split('/');
        return { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: digest(String(index + 1)), size: 1025, platform: { os, architecture } };
      }),
      { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: digest('9'), size: 566, platform: { os: 'unknown', architecture: 'unknown' }, annotations: { 'vnd.docker.reference.type': 'attestation-manifest' } },
    ],
  });
}

export function upstreamImages(overrides: { alb?: Partial<SnapshotUpstreamImage>; ca?: Partial<SnapshotUpstreamImage> } = {}): SnapshotUpstreamImage[] {
  return [
    { reference: `${ALB.source}:${ALB.tag}`, digest: ALB_DIGEST, mediaType: OCI_INDEX, platforms: ['linux/amd64', 'linux/arm64'], subsetDigests: {}, ...overrides.alb },
    { reference: `${CA.source}:${CA.tag}`, digest: CA_DIGEST, mediaType: DOCKER_LIST, platforms: ['linux/amd64', 'linux/arm64', 'linux/s390x'], subsetDigests: {}, ...overrides.ca },
  ];
}

export interface FakeImage {
  digest: string;
  tags: string[];
  mediaType: string;
  manifest?: string;
}

export interface FakeRepository {
  name: string;
  scanOnPush: boolean;
  mutability: 'MUTABLE' | 'IMMUTABLE';
  lifecyclePolicyText?: string;
  images: FakeImage[];
}

export interface FakeRule {
  prefix: string;
  url: string;
  credentialArn?: string;
  validation?: { isValid: boolean; failure?: string };
}

/** An ECR account in memory: the ECR mock answers from it, and deletes change it. */
export interface EcrState {
  repositories: FakeRepository[];
  rules: FakeRule[];
  templates: string[];
  scanning: RegistryScanningConfiguration;
}

export function mirroredRepository(name: string, image: FakeImage, overrides: Partial<FakeRepository> = {}): FakeRepository {
  return { name, scanOnPush: true, mutability: 'IMMUTABLE', lifecyclePolicyText: MIRROR_POLICY_TEXT, images: [image], ...overrides };
}

export function secretArn(name: string): string {
  return `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:${name}-AbC123`;
}

/** A lab where every ECR-side check passes (docker-hub is created on demand, so it is absent). */
export function healthyEcr(): EcrState {
  return {
    repositories: [
      mirroredRepository(ALB.repository, { digest: ALB_DIGEST, tags: [ALB.tag], mediaType: OCI_INDEX, manifest: indexManifest(['linux/amd64', 'linux/arm64']) }),
      mirroredRepository(CA.repository, { digest: CA_DIGEST, tags: [CA.tag], mediaType: DOCKER_LIST, manifest: indexManifest(['linux/amd64', 'linux/arm64', 'linux/s390x'], DOCKER_LIST) }),
    ],
    rules: [
      { prefix: 'ecr-public', url: 'public.ecr.aws' },
      { prefix: 'k8s', url: 'registry.k8s.io' },
      { prefix: 'github', url: 'ghcr.io', credentialArn: secretArn('ecr-pullthroughcache/github'), validation: { isValid: true } },
    ],
    templates: ['ecr-public', 'k8s', 'github'],
    scanning: { scanType: 'BASIC', rules: [{ scanFrequency: 'SCAN_ON_PUSH', repositoryFilters: [{ filter: '*', filterType: 'WILDCARD' }] }] },
  };
}

const meta = { $metadata: {} };

/** Serves `state` through the ECR mock: reads from it, deletes from it (not-found errors as ECR raises them). */
export function serveEcr(ecr: AwsClientStub<ECRClient>, state: EcrState): void {
  const repository = (name: string | undefined) => {
    const found = state.repositories.find((candidate) => candidate.name === name);
    if (!found) throw new RepositoryNotFoundException({ ...meta, message: `The repository with name '${name}' does not exist in the registry with id '${ACCOUNT}'` });
    return found;
  };
  ecr.on(DescribeRepositoriesCommand).callsFake((input) => {
    const names: string[] | undefined = input.repositoryNames;
    const repositories = names ? names.map((name) => repository(name)) : state.repositories;
    return {
      repositories: repositories.map((r) => ({
        repositoryName: r.name,
        repositoryArn: `arn:aws:ecr:${REGION}:${ACCOUNT}:repository/${r.name}`,
        registryId: ACCOUNT,
        imageTagMutability: r.mutability,
        imageScanningConfiguration: { scanOnPush: r.scanOnPush },
      })),
    };
  });
  ecr.on(GetLifecyclePolicyCommand).callsFake((input) => {
    const text = repository(input.repositoryName).lifecyclePolicyText;
    if (text === undefined) throw new LifecyclePolicyNotFoundException({ ...meta, message: 'Lifecycle policy does not exist' });
    return { repositoryName: input.repositoryName, lifecyclePolicyText: text };
  });
  ecr.on(DescribeImagesCommand).callsFake((input) => {
    const images = repository(input.repositoryName).images;
    const tag: string | undefined = input.imageIds?.[0]?.imageTag;
    const found = tag === undefined ? images : images.filter((image) => image.tags.includes(tag));
    if (tag !== undefined && found.length === 0) throw new ImageNotFoundException({ ...meta, message: `The image with imageId {imageTag:'${tag}'} does not exist` });
    return { imageDetails: found.map((image) => ({ imageDigest: image.digest, imageTags: image.tags, imageManifestMediaType: image.mediaType, imagePushedAt: NOW })) };
  });
  ecr.on(BatchGetImageCommand).callsFake((input) => {
    const wanted = new Set((input.imageIds ?? []).map((id: { imageDigest?: string }) => id.imageDigest));
    const images = repository(input.repositoryName).images.filter((image) => wanted.has(image.digest) && image.manifest !== undefined);
    return { images: images.map((image) => ({ imageId: { imageDigest: image.digest }, imageManifest: image.manifest, imageManifestMediaType: image.mediaType })), failures: [] };
  });
  ecr.on(DescribePullThroughCacheRulesCommand).callsFake(() => ({
    pullThroughCacheRules: state.rules.map((rule) => ({ ecrRepositoryPrefix: rule.prefix, upstreamRegistryUrl: rule.url, registryId: ACCOUNT, ...(rule.credentialArn ? { credentialArn: rule.credentialArn } : {}) })),
  }));
  ecr.on(DescribeRepositoryCreationTemplatesCommand).callsFake(() => ({
    repositoryCreationTemplates: state.templates.map((prefix) => ({ prefix, appliedFor: ['PULL_THROUGH_CACHE'], imageTagMutability: 'MUTABLE' })),
  }));
  ecr.on(ValidatePullThroughCacheRuleCommand).callsFake((input) => {
    const rule = state.rules.find((candidate) => candidate.prefix === input.ecrRepositoryPrefix);
    if (!rule) throw new PullThroughCacheRuleNotFoundException({ ...meta, message: 'The pull through cache rule does not exist' });
    const validation = rule.validation ?? { isValid: true };
    return { ecrRepositoryPrefix: rule.prefix, isValid: validation.isValid, ...(validation.failure ? { failure: validation.failure } : {}) };
  });
  ecr.on(GetRegistryScanningConfigurationCommand).callsFake(() => ({ registryId: ACCOUNT, scanningConfiguration: state.scanning }));
  ecr.on(DeletePullThroughCacheRuleCommand).callsFake((input) => {
    const index = state.rules.findIndex((rule) => rule.prefix === input.ecrRepositoryPrefix);
    if (index === -1) throw new PullThroughCacheRuleNotFoundException({ ...meta, message: 'The pull through cache rule does not exist' });
    const [rule] = state.rules.splice(index, 1);
    return { ecrRepositoryPrefix: rule?.prefix, upstreamRegistryUrl: rule?.url };
  });
  ecr.on(DeleteRepositoryCreationTemplateCommand).callsFake((input) => {
    const index = state.templates.indexOf(input.prefix);
    if (index === -1) throw new TemplateNotFoundException({ ...meta, message: 'The template does not exist' });
    state.templates.splice(index, 1);
    return { registryId: ACCOUNT };
  });
  ecr.on(DeleteRepositoryCommand).callsFake((input) => {
    const found = repository(input.repositoryName);
    state.repositories.splice(state.repositories.indexOf(found), 1);
    return { repository: { repositoryName: found.name } };
  });
}

export interface StackState {
  /** Rule name relative to the stack → state and target function (relative to the stack, or a full ARN). */
  rules: Array<{ rule: string; state: string; target: string }>;
  /** Undefined: the topic does not exist. */
  subscriptions: Array<{ protocol: string; endpoint: string; arn: string }> | undefined;
  /** `action` or `action resource-arn` → decision (the second wins); anything absent is implicitDeny. */
  decisions: Record<string, string>;
  /** Fleet state machine name relative to the stack (`fleet-sweep`) → its last execution's status; absent: no such machine; null: never ran. */
  stateMachines: Record<string, string | null>;
}

export function functionArn(name: string): string {
  return `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${name}`;
}

/** Every rule of EXPECTED_RULES enabled (the CloudTrail one with all management events), a confirmed email and notifySlack, every pull action allowed. */
export function healthyStack(): StackState {
  return {
    rules: EXPECTED_RULES.map((expected) => ({
      rule: expected.rule,
      state: expected.rule === 'pull-through-cache-miss' ? 'ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS' : 'ENABLED',
      target: expected.function ?? `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:${STACK}-${expected.stateMachine}`,
    })),
    subscriptions: [
      { protocol: 'lambda', endpoint: functionArn(`${STACK}-notifySlack`), arn: `${TOPIC_ARN}:1111` },
      { protocol: 'email', endpoint: 'platform-team@example.com', arn: `${TOPIC_ARN}:2222` },
    ],
    decisions: { 'ecr:BatchCheckLayerAvailability': 'allowed', 'ecr:BatchGetImage': 'allowed', 'ecr:GetDownloadUrlForLayer': 'allowed', 'ecr:GetAuthorizationToken': 'allowed' },
    stateMachines: { 'fleet-sweep': 'SUCCEEDED', 'fleet-mirror': 'SUCCEEDED' },
  };
}

export interface StackMocks {
  events: AwsClientStub<EventBridgeClient>;
  sns: AwsClientStub<SNSClient>;
  iam: AwsClientStub<IAMClient>;
  sfn: AwsClientStub<SFNClient>;
  sts: AwsClientStub<STSClient>;
}

const RESTRICTIVENESS = ['allowed', 'implicitDeny', 'explicitDeny'];

/** Serves `state` through the EventBridge, SNS, IAM, Step Functions and STS mocks (read calls only). */
export function serveStack(mocks: StackMocks, state: StackState): void {
  const machineOf = (arn: string | undefined) => (arn ?? '').slice((arn ?? '').lastIndexOf(':') + 1).replace(`${STACK}-`, '');
  mocks.sfn.on(DescribeStateMachineCommand).callsFake((input) => {
    if (!(machineOf(input.stateMachineArn) in state.stateMachines)) throw new StateMachineDoesNotExist({ ...meta, message: `State Machine Does Not Exist: '${input.stateMachineArn}'` });
    return { stateMachineArn: input.stateMachineArn, name: machineOf(input.stateMachineArn) };
  });
  mocks.sfn.on(ListExecutionsCommand).callsFake((input) => {
    const status = state.stateMachines[machineOf(input.stateMachineArn)];
    const executionArn = `${String(input.stateMachineArn).replace(':stateMachine:', ':execution:')}:run-1`;
    return { executions: status ? [{ executionArn, stateMachineArn: input.stateMachineArn, name: 'run-1', status, startDate: new Date('2026-11-20T18:00:00Z') }] : [] };
  });
  const ruleName = (rule: string) => `${STACK}-${rule}`;
  mocks.events.on(ListRulesCommand).callsFake((input) => ({
    Rules: state.rules
      .map((rule) => ({ Name: ruleName(rule.rule), State: rule.state, EventBusName: 'default', Arn: `arn:aws:events:${REGION}:${ACCOUNT}:rule/${ruleName(rule.rule)}` }))
      .filter((rule) => rule.Name.startsWith(input.NamePrefix ?? '')),
  }));
  mocks.events.on(ListTargetsByRuleCommand).callsFake((input) => {
    const rule = state.rules.find((candidate) => ruleName(candidate.rule) === input.Rule);
    const arn = rule ? (rule.target.startsWith('arn:') ? rule.target : functionArn(`${STACK}-${rule.target}`)) : undefined;
    return { Targets: arn ? [{ Id: 'target-1', Arn: arn }] : [] };
  });
  mocks.sns.on(GetTopicAttributesCommand).callsFake((input) => {
    if (!state.subscriptions) throw new NotFoundException({ ...meta, message: 'Topic does not exist' });
    return { Attributes: { TopicArn: input.TopicArn } };
  });
  mocks.sns.on(ListSubscriptionsByTopicCommand).callsFake((input) => ({
    Subscriptions: (state.subscriptions ?? []).map((subscription) => ({ TopicArn: input.TopicArn, Protocol: subscription.protocol, Endpoint: subscription.endpoint, SubscriptionArn: subscription.arn })),
  }));
  // As IAM answers today: one result per action, its decision the most restrictive of the
  // resources', and each resource's own decision in ResourceSpecificResults.
  mocks.iam.on(SimulatePrincipalPolicyCommand).callsFake((input) => ({
    EvaluationResults: (input.ActionNames as string[]).map((action) => {
      const perResource = (input.ResourceArns as string[]).map((arn) => ({ EvalResourceName: arn, EvalResourceDecision: state.decisions[`${action} ${arn}`] ?? state.decisions[action] ?? 'implicitDeny' }));
      const aggregate = perResource.map((entry) => entry.EvalResourceDecision).reduce((worst, decision) => (RESTRICTIVENESS.indexOf(decision) > RESTRICTIVENESS.indexOf(worst) ? decision : worst), 'allowed');
      return { EvalActionName: action, EvalResourceName: '*', EvalDecision: aggregate, ResourceSpecificResults: perResource };
    }),
    IsTruncated: false,
  }));
  mocks.sts.on(GetCallerIdentityCommand).resolves({ Account: ACCOUNT, Arn: `arn:aws:sts::${ACCOUNT}:assumed-role/${STACK}-verifyLab/session`, UserId: 'AROAEXAMPLE:session' });
}

/** A check context whose readers are the live adapters, talking to the mocked clients. */
export function liveContext(options: { config?: AutopilotConfig; upstream?: SnapshotUpstreamImage[]; registryId?: string | undefined } = {}): CheckContext {
  const ecr = new ECRClient({ region: REGION });
  // The deployed function names no registry (the caller's); tests name it unless they pass registryId: undefined.
  const registryId = 'registryId' in options ? options.registryId : ACCOUNT;
  return {
    config: options.config ?? labConfig({ nodeRoleArn: NODE_ROLE }),
    registry: new EcrRegistry({ client: ecr, region: REGION, ...(registryId ? { registryId } : {}) }),
    ptc: new EcrPullThroughCache({ ecr, secrets: new SecretsManagerClient({ region: REGION }), region: REGION, registryId: ACCOUNT }),
    upstream: new SnapshotUpstreamReader(options.upstream ?? upstreamImages()),
    stack: new AwsStackReader({ ecr, events: new EventBridgeClient({ region: REGION }), sns: new SNSClient({ region: REGION }), iam: new IAMClient({ region: REGION }), sfn: new SFNClient({ region: REGION }), sts: new STSClient({ region: REGION }) }),
    stackName: STACK,
    topicArn: TOPIC_ARN,
  };
}

/** A promise resolved from outside. */
export function deferred<T>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

/** The mocked account every verify test works against: one stub per AWS client. */
export const account = {
  ecr: mockClient(ECRClient),
  secrets: mockClient(SecretsManagerClient),
  events: mockClient(EventBridgeClient),
  sns: mockClient(SNSClient),
  iam: mockClient(IAMClient),
  sfn: mockClient(SFNClient),
  sts: mockClient(STSClient),
};

/** Resets every stub and serves a healthy lab; returns its state for a test to break. */
export function serveHealthyLab(): { ecrState: EcrState; stackState: StackState } {
  for (const stub of Object.values(account)) stub.reset();
  const ecrState = healthyEcr();
  const stackState = healthyStack();
  serveEcr(account.ecr, ecrState);
  serveStack({ events: account.events, sns: account.sns, iam: account.iam, sfn: account.sfn, sts: account.sts }, stackState);
  return { ecrState, stackState };
}

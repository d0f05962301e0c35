import {
  BatchCheckLayerAvailabilityCommand,
  BatchGetImageCommand,
  CreateRepositoryCommand,
  DescribeImagesCommand,
  DescribeRepositoriesCommand,
  ECRClient,
  GetAuthorizationTokenCommand,
  GetDownloadUrlForLayerCommand,
  GetLifecyclePolicyCommand,
  ImageNotFoundException,
  LifecyclePolicyNotFoundException,
  PutImageCommand,
  PutImageScanningConfigurationCommand,
  PutImageTagMutabilityCommand,
  PutLifecyclePolicyCommand,
  RepositoryAlreadyExistsException,
  RepositoryNotFoundException,
  type Repository as SdkRepository,
} from '@aws-sdk/client-ecr';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import type { AutopilotConfig } from '../../../lib/config/types';
import { EcrRegistry } from '../../../lib/ecr/EcrRegistry';
import { AutopilotError } from '../../../lib/errors';
import { parseEvent } from '../../../lib/events/parseEvent';
import { mirrorImages, mirrorImagesFunction, MirrorImagesEvent, type MirrorDeps } from '../../../lib/mirror/mirrorImages';
import { MANAGED_BY_TAG } from '../../../lib/mirror/planMirror';
import { ecrDestination } from '../../../lib/mirror/ecrDestination';
import { Notice } from '../../../lib/notify/notices';
import { presentNotice } from '../../../lib/notify/present/presentNotice';
import { SnsPublisher } from '../../../lib/notify/publish/SnsPublisher';
import { renderText } from '../../../lib/notify/render/renderText';
import { PlanningWriter } from '../../../lib/plan/PlanningWriter';
import { routeChanges } from '../../../lib/plan/routeChanges';
import type { ChangeWriter } from '../../../lib/plan/types';
import { ACCOUNT, digestOf, loadEvent, REGION, sdkImage, sdkRepository, TOPIC_ARN } from '../../support/events';
import { ALB, ALB_REPOSITORY, CA, CA_REPOSITORY, CopyRecorder, FakeUpstream, mirrorConfig, NoticeRecorder, OCI_INDEX, silentLogger, SlowCopyWriter, upstreamImage } from './mirrorFixtures';
import { anHourLater, runFor, useFakeTime } from '../../support/fakeTime';

const ecr = mockClient(ECRClient);
const sns = mockClient(SNSClient);
const NOW = new Date('2026-11-20T09:00:00Z');
const DESTINATION = `${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com`;
const MANUAL = parseEvent(MirrorImagesEvent, {}, 'mirror event');
const SCHEDULED = parseEvent(MirrorImagesEvent, loadEvent('scheduled/mirror-images'), 'mirror event');

const config = mirrorConfig();
const POLICY = config.repositoryClasses[0]?.lifecyclePolicy?.text as string;
/** What the mirrors class asks for, as DescribeRepositories returns it. */
const GOVERNED: Partial<SdkRepository> = { imageTagMutability: 'IMMUTABLE', imageScanningConfiguration: { scanOnPush: true } };

const ALB_NOW = upstreamImage(`${ALB}:v2.9.2`, 'alb v2.9.2');
const CA_NOW = upstreamImage(`${CA}:v1.32.0`, 'ca v1.32.0', ['linux/amd64', 'linux/arm64', 'linux/s390x']);

/** Every ECR operation the mock received, in order. */
function operations(): string[] {
  return ecr.calls().map((call) => (call.args[0] as { constructor: { name: string } }).constructor.name.replace(/Command$/, ''));
}

function existing(repositoryName: string, settings: Partial<SdkRepository> = GOVERNED, lifecyclePolicyText: string | null = POLICY): void {
  ecr.on(DescribeRepositoriesCommand, { repositoryNames: [repositoryName] }).resolves({ repositories: [sdkRepository(repositoryName, settings)] });
  if (lifecyclePolicyText === null) {
    ecr.on(GetLifecyclePolicyCommand, { repositoryName }).rejects(new LifecyclePolicyNotFoundException({ message: 'no policy', $metadata: {} }));
  } else {
    ecr.on(GetLifecyclePolicyCommand, { repositoryName }).resolves({ repositoryName, lifecyclePolicyText });
  }
}

function missing(repositoryName: string): void {
  ecr.on(DescribeRepositoriesCommand, { repositoryNames: [repositoryName] }).rejects(new RepositoryNotFoundException({ message: `The repository with name '${repositoryName}' does not exist`, $metadata: {} }));
}

function tagAt(repositoryName: string, imageTag: string, digest: string): void {
  ecr.on(DescribeImagesCommand, { repositoryName, imageIds: [{ imageTag }] }).resolves({
    imageDetails: [sdkImage(imageTag, { digest, repositoryName, imageTags: [imageTag], imageManifestMediaType: OCI_INDEX })],
  });
}

function tagMissing(repositoryName: string, imageTag: string): void {
  ecr.on(DescribeImagesCommand, { repositoryName, imageIds: [{ imageTag }] }).rejects(new ImageNotFoundException({ message: `The image with imageId {imageTag:'${imageTag}'} does not exist`, $metadata: {} }));
}

function setup(options: { upstream?: FakeUpstream; copies?: CopyRecorder; config?: AutopilotConfig; sns?: ChangeWriter<never>; writer?: ChangeWriter } = {}) {
  const registry = new EcrRegistry({ client: new ECRClient({ region: REGION }), region: REGION, registryId: ACCOUNT, retry: { sleep: async () => undefined } });
  const upstream = options.upstream ?? new FakeUpstream({ [`${ALB}:v2.9.2`]: ALB_NOW, [`${CA}:v1.32.0`]: CA_NOW });
  const copies = options.copies ?? new CopyRecorder();
  const notices = new NoticeRecorder();
  const deps: MirrorDeps = {
    config: options.config ?? config,
    registry,
    writer: options.writer ?? routeChanges({ ecr: registry, oci: copies, sns: options.sns ?? notices }),
    upstream,
    destinationRegistry: async () => DESTINATION,
    topicArn: TOPIC_ARN,
    clock: () => NOW,
    logger: silentLogger,
  };
  return { deps, upstream, copies, notices };
}

beforeEach(() => {
  ecr.reset();
  sns.reset();
  ecr.on(CreateRepositoryCommand).resolves({});
  ecr.on(PutLifecyclePolicyCommand).resolves({});
  ecr.on(PutImageScanningConfigurationCommand).resolves({});
  ecr.on(PutImageTagMutabilityCommand).resolves({});
  sns.on(PublishCommand).resolves({ MessageId: 'message-1' });
});

describe('mirrorImages event', () => {
  it.each([{}, { sources: [ALB] }])('accepts a manual invoke %j', (raw) => {
    // Act / Assess
    expect(parseEvent(MirrorImagesEvent, raw, 'mirror event')).toEqual(raw);
  });

  it('accepts the scheduled event', () => {
    // Act / Assess
    expect(SCHEDULED).toMatchObject({ 'detail-type': 'Scheduled Event', id: 'e3a1c9f0-6b2d-4d8e-a7f1-2c3b4d5e6f70' });
  });

  it.each([{ sources: [] }, { sources: [''] }, { source: [ALB] }, { sources: ALB }])('rejects %j', (raw) => {
    // Act / Assess
    expect(() => parseEvent(MirrorImagesEvent, raw, 'mirror event')).toThrow(AutopilotError);
  });
});

describe('mirrorImages', () => {
  it('copies nothing, publishes nothing and never pulls when every destination tag already has the upstream digest', async () => {
    // Prepare
    existing(ALB_REPOSITORY);
    existing(CA_REPOSITORY);
    tagAt(ALB_REPOSITORY, 'v2.9.2', ALB_NOW.digest);
    tagAt(CA_REPOSITORY, 'v1.32.0', CA_NOW.digest);
    const { deps, copies, notices, upstream } = setup();

    // Act
    const report = await mirrorImages(MANUAL, deps);

    // Assess
    expect(copies.copies).toEqual([]);
    expect(notices.notices).toEqual([]);
    expect(report.changes).toEqual([]);
    expect(report.outcome).toBe('done');
    expect(report.decision).toBe(`Mirrored 2 image tags into ${DESTINATION}: 0 copied, 2 unchanged, 0 failed.`);
    expect(upstream.asked.map((target) => target.sourceReference)).toEqual([`${ALB}:v2.9.2`, `${CA}:v1.32.0`]);
    // Existence and digests come from metadata only: a manifest read (BatchGetImage) or a layer URL
    // would count as a pull and defeat sinceImagePulled lifecycle rules.
    expect([...operations()].sort()).toEqual(['DescribeImages', 'DescribeImages', 'DescribeRepositories', 'DescribeRepositories', 'GetLifecyclePolicy', 'GetLifecyclePolicy']);
    expect(ecr).not.toHaveReceivedCommand(BatchGetImageCommand);
    expect(ecr).not.toHaveReceivedCommand(GetDownloadUrlForLayerCommand);
    expect(ecr).not.toHaveReceivedCommand(BatchCheckLayerAvailabilityCommand);
    expect(ecr).not.toHaveReceivedCommand(PutImageCommand);
    expect(ecr).toHaveReceivedCommandWith(DescribeImagesCommand, { registryId: ACCOUNT, repositoryName: ALB_REPOSITORY, imageIds: [{ imageTag: 'v2.9.2' }] });
    expect(ecr).toHaveReceivedCommandWith(DescribeImagesCommand, { registryId: ACCOUNT, repositoryName: CA_REPOSITORY, imageIds: [{ imageTag: 'v1.32.0' }] });
  });

  it('creates a missing repository with the class settings and lifecycle policy, then copies into it', async () => {
    // Prepare
    existing(ALB_REPOSITORY);
    tagAt(ALB_REPOSITORY, 'v2.9.2', ALB_NOW.digest);
    missing(CA_REPOSITORY);
    const { deps, copies, notices } = setup();

    // Act
    const report = await mirrorImages(MANUAL, deps);

    // Assess
    expect(ecr).toHaveReceivedCommandExactlyOnceWith(CreateRepositoryCommand, {
      registryId: ACCOUNT,
      repositoryName: CA_REPOSITORY,
      imageScanningConfiguration: { scanOnPush: true },
      imageTagMutability: 'IMMUTABLE',
      tags: Object.entries(MANAGED_BY_TAG).map(([Key, Value]) => ({ Key, Value })),
    });
    expect(ecr).toHaveReceivedCommandExactlyOnceWith(PutLifecyclePolicyCommand, { registryId: ACCOUNT, repositoryName: CA_REPOSITORY, lifecyclePolicyText: POLICY });
    expect(ecr).not.toHaveReceivedCommandWith(DescribeImagesCommand, { repositoryName: CA_REPOSITORY });
    expect(operations().filter((operation) => operation === 'CreateRepository' || operation === 'PutLifecyclePolicy')).toEqual(['CreateRepository', 'PutLifecyclePolicy']);
    expect(copies.copies).toEqual([expect.objectContaining({ target: `${CA_REPOSITORY}:v1.32.0`, source: `${CA}:v1.32.0`, platforms: 'all', expectedDigest: CA_NOW.digest })]);
    expect(copies.copies[0]).not.toHaveProperty('previousDigest');
    expect(report.changes.map(({ change, outcome }) => `${change.action} ${change.target} ${outcome.status}`)).toEqual([
      `ecr:CreateRepository ${CA_REPOSITORY} applied`,
      `ecr:PutLifecyclePolicy ${CA_REPOSITORY} applied`,
      `oci:CopyImage ${CA_REPOSITORY}:v1.32.0 applied`,
      `sns:Publish ${TOPIC_ARN} applied`,
    ]);
    const notice = notices.sole();
    expect(notice.data.images).toEqual([
      expect.objectContaining({ repository: ALB_REPOSITORY, status: 'unchanged', digest: ALB_NOW.digest }),
      expect.objectContaining({ repository: CA_REPOSITORY, status: 'copied', digest: CA_NOW.digest, platforms: ['linux/amd64', 'linux/arm64', 'linux/s390x'] }),
    ]);
    expect(notice.data.governance.map((change) => `${change.action} ${change.target} ${change.status}`)).toEqual([
      `ecr:CreateRepository ${CA_REPOSITORY} applied`,
      `ecr:PutLifecyclePolicy ${CA_REPOSITORY} applied`,
    ]);
  });

  it('still copies when another run created the repository in the meantime (RepositoryAlreadyExistsException)', async () => {
    // Prepare
    missing(ALB_REPOSITORY);
    missing(CA_REPOSITORY);
    ecr.on(CreateRepositoryCommand, { repositoryName: CA_REPOSITORY }).rejects(new RepositoryAlreadyExistsException({ message: 'exists', $metadata: {} }));
    const { deps, copies } = setup();

    // Act
    const report = await mirrorImages(MANUAL, deps);

    // Assess
    expect(report.outcome).toBe('done');
    expect(report.changes.find(({ change }) => change.action === 'ecr:CreateRepository' && change.target === CA_REPOSITORY)?.outcome).toEqual({ status: 'applied', message: 'already existed' });
    expect(copies.copies.map((copy) => copy.target)).toEqual([`${ALB_REPOSITORY}:v2.9.2`, `${CA_REPOSITORY}:v1.32.0`]);
  });

  it('governs an existing destination repository that drifted from its class, and reports it even when no image changed', async () => {
    // Prepare
    existing(ALB_REPOSITORY, { imageTagMutability: 'MUTABLE', imageScanningConfiguration: { scanOnPush: false } }, null);
    existing(CA_REPOSITORY);
    tagAt(ALB_REPOSITORY, 'v2.9.2', ALB_NOW.digest);
    tagAt(CA_REPOSITORY, 'v1.32.0', CA_NOW.digest);
    const { deps, copies, notices } = setup();

    // Act
    const report = await mirrorImages(MANUAL, deps);

    // Assess
    expect(ecr).toHaveReceivedCommandExactlyOnceWith(PutLifecyclePolicyCommand, { repositoryName: ALB_REPOSITORY, lifecyclePolicyText: POLICY });
    expect(ecr).toHaveReceivedCommandExactlyOnceWith(PutImageScanningConfigurationCommand, { repositoryName: ALB_REPOSITORY, imageScanningConfiguration: { scanOnPush: true } });
    expect(ecr).toHaveReceivedCommandExactlyOnceWith(PutImageTagMutabilityCommand, { repositoryName: ALB_REPOSITORY, imageTagMutability: 'IMMUTABLE' });
    expect(ecr).not.toHaveReceivedCommand(CreateRepositoryCommand);
    expect(copies.copies).toEqual([]);
    expect(report.decision).toMatch(/0 copied, 2 unchanged, 0 failed; fixed 3 settings; published the report\.$/);
    const notice = notices.sole();
    expect(notice.data.images.map((image) => image.status)).toEqual(['unchanged', 'unchanged']);
    expect(notice.data.governance.map((change) => change.action).sort()).toEqual(['ecr:PutImageScanningConfiguration', 'ecr:PutImageTagMutability', 'ecr:PutLifecyclePolicy']);
  });

  it('copies a tag that moved upstream and the notice says old digest → new digest and the platforms', async () => {
    // Prepare
    const old = digestOf('alb v2.9.2 as first mirrored');
    existing(ALB_REPOSITORY);
    existing(CA_REPOSITORY);
    tagAt(ALB_REPOSITORY, 'v2.9.2', old);
    tagAt(CA_REPOSITORY, 'v1.32.0', CA_NOW.digest);
    const { deps, copies, notices } = setup();

    // Act
    const report = await mirrorImages(MANUAL, deps);

    // Assess
    expect(copies.copies).toEqual([expect.objectContaining({ target: `${ALB_REPOSITORY}:v2.9.2`, previousDigest: old, expectedDigest: ALB_NOW.digest })]);
    const notice = notices.sole();
    expect(notice.severity).toBe('info');
    expect(notice.data).toMatchObject({ dryRun: false, registry: DESTINATION });
    expect(notice.data.images[0]).toEqual({
      source: ALB,
      tag: 'v2.9.2',
      repository: ALB_REPOSITORY,
      status: 'copied',
      previousDigest: old,
      digest: ALB_NOW.digest,
      platforms: ['linux/amd64', 'linux/arm64'],
      bytesCopied: 2048,
      newIndex: false,
      reason: expect.stringMatching(/^upstream moved/),
    });
    expect(Notice.safeParse(notice).success).toBe(true);
    const text = renderText(presentNotice(notice));
    expect(text).toContain(`${old.slice(0, 19)} → ${ALB_NOW.digest.slice(0, 19)} · linux/amd64, linux/arm64`);
    expect(text).toContain(`(from ${ALB}:v2.9.2)`);
    expect(report.outcome).toBe('done');
  });

  it('reports the digest the copy produced, even when it was not known in advance (a subset offline)', async () => {
    // Prepare
    const subsetConfig = mirrorConfig({ images: [{ source: ALB, tags: ['v2.9.2'], platforms: ['linux/arm64'] }] });
    const produced = digestOf('arm64-only index');
    existing(ALB_REPOSITORY);
    tagAt(ALB_REPOSITORY, 'v2.9.2', digestOf('previous subset index'));
    const upstream = new FakeUpstream({ [`${ALB}:v2.9.2`]: upstreamImage(`${ALB}:v2.9.2`, 'alb v2.9.2', ['linux/amd64', 'linux/arm64'], null) });
    const copies = new CopyRecorder(() => ({ status: 'applied', data: { digest: produced, newIndex: true, bytesCopied: 10 } }));
    const { deps, notices } = setup({ upstream, copies, config: subsetConfig });

    // Act
    await mirrorImages(MANUAL, deps);

    // Assess
    expect(upstream.asked).toEqual([{ sourceReference: `${ALB}:v2.9.2`, platforms: ['linux/arm64'] }]);
    expect(copies.copies[0]).toMatchObject({ platforms: ['linux/arm64'] });
    expect(copies.copies[0]).not.toHaveProperty('expectedDigest');
    expect(notices.sole().data.images[0]).toMatchObject({ status: 'copied', digest: produced, platforms: ['linux/arm64'], newIndex: true });
    expect(renderText(presentNotice(notices.sole()))).toContain('linux/arm64 (new index: platform subset)');
  });

  it('reports a failed copy as failed, keeps going with the others, and the notice lists it under Failed', async () => {
    // Prepare
    missing(ALB_REPOSITORY);
    missing(CA_REPOSITORY);
    const copies = new CopyRecorder((change) =>
      change.repository === CA_REPOSITORY
        ? { status: 'failed', message: 'registry.k8s.io answered HTTP 500 three times; try again later' }
        : { status: 'applied', data: { digest: change.expectedDigest ?? '', bytesCopied: 1 } },
    );
    const { deps, notices } = setup({ copies });

    // Act
    const report = await mirrorImages(MANUAL, deps);

    // Assess
    expect(copies.copies.map((copy) => copy.target)).toEqual([`${ALB_REPOSITORY}:v2.9.2`, `${CA_REPOSITORY}:v1.32.0`]);
    expect(report.outcome).toBe('failed');
    expect(report.decision).toContain('1 copied, 0 unchanged, 1 failed');
    const notice = notices.sole();
    expect(notice.severity).toBe('warning');
    const failed = notice.data.images.find((image) => image.repository === CA_REPOSITORY);
    expect(failed).toMatchObject({ status: 'failed', reason: 'registry.k8s.io answered HTTP 500 three times; try again later' });
    expect(failed).not.toHaveProperty('digest');
    const text = renderText(presentNotice(notice));
    expect(text).toContain('Failed:');
    expect(text).toContain(`${CA_REPOSITORY}:v1.32.0 FAILED: registry.k8s.io answered HTTP 500 three times; try again later`);
  });

  it('reports an upstream that cannot be read as failed, without creating its repository, and still mirrors the rest', async () => {
    // Prepare
    existing(ALB_REPOSITORY);
    tagAt(ALB_REPOSITORY, 'v2.9.2', digestOf('old'));
    missing(CA_REPOSITORY);
    const upstream = new FakeUpstream({ [`${ALB}:v2.9.2`]: ALB_NOW, [`${CA}:v1.32.0`]: new AutopilotError('REGISTRY_ERROR', 'registry.k8s.io: connection reset') });
    const { deps, copies, notices } = setup({ upstream });

    // Act
    const report = await mirrorImages(MANUAL, deps);

    // Assess
    expect(ecr).not.toHaveReceivedCommand(CreateRepositoryCommand);
    expect(copies.copies.map((copy) => copy.target)).toEqual([`${ALB_REPOSITORY}:v2.9.2`]);
    expect(report.outcome).toBe('failed');
    expect(notices.sole().data.images.find((image) => image.repository === CA_REPOSITORY)).toMatchObject({
      status: 'failed',
      platforms: [],
      reason: expect.stringContaining('upstream registry.k8s.io/autoscaling/cluster-autoscaler:v1.32.0: registry.k8s.io: connection reset'),
    });
  });

  it('mirrors only the sources a manual invoke names', async () => {
    // Prepare
    existing(CA_REPOSITORY);
    tagAt(CA_REPOSITORY, 'v1.32.0', digestOf('old ca'));
    const { deps, copies, upstream } = setup();
    const event = parseEvent(MirrorImagesEvent, { sources: [CA] }, 'mirror event');

    // Act
    const report = await mirrorImages(event, deps);

    // Assess
    expect(upstream.asked.map((target) => target.sourceReference)).toEqual([`${CA}:v1.32.0`]);
    expect(ecr).not.toHaveReceivedCommandWith(DescribeRepositoriesCommand, { repositoryNames: [ALB_REPOSITORY] });
    expect(copies.copies.map((copy) => copy.target)).toEqual([`${CA_REPOSITORY}:v1.32.0`]);
    expect(report.decision).toMatch(/^Mirrored 1 image tag into /);
  });

  it('refuses a manual invoke naming a source that is not configured, before touching anything', async () => {
    // Prepare
    const { deps, upstream } = setup();
    const event = parseEvent(MirrorImagesEvent, { sources: [CA, 'quay.io/jetstack/cert-manager-controller'] }, 'mirror event');

    // Act
    const result = mirrorImages(event, deps);

    // Assess
    await expect(result).rejects.toMatchObject({ code: 'USAGE', message: expect.stringContaining('Not in mirror.images: quay.io/jetstack/cert-manager-controller') });
    expect(ecr.calls()).toHaveLength(0);
    expect(upstream.asked).toEqual([]);
  });

  it('uses the schedule event id for the report and the notice', async () => {
    // Prepare
    missing(ALB_REPOSITORY);
    missing(CA_REPOSITORY);
    const { deps, notices } = setup();

    // Act
    const report = await mirrorImagesFunction.run(SCHEDULED, deps);

    // Assess
    expect(report.eventId).toBe('e3a1c9f0-6b2d-4d8e-a7f1-2c3b4d5e6f70');
    expect(notices.sole()).toMatchObject({ id: 'e3a1c9f0-6b2d-4d8e-a7f1-2c3b4d5e6f70:mirror.report', origin: { eventId: 'e3a1c9f0-6b2d-4d8e-a7f1-2c3b4d5e6f70', region: REGION, account: ACCOUNT } });
  });

  it('is ignored, calling nothing, when no images are configured', async () => {
    // Prepare
    const { deps, upstream } = setup({ config: mirrorConfig({ images: [] }) });

    // Act
    const report = await mirrorImages(MANUAL, deps);

    // Assess
    expect(report).toMatchObject({ outcome: 'ignored', changes: [] });
    expect(ecr.calls()).toHaveLength(0);
    expect(upstream.asked).toEqual([]);
  });

  it('publishes exactly one SNS message through the real publisher when something changed', async () => {
    // Prepare
    existing(ALB_REPOSITORY);
    existing(CA_REPOSITORY);
    tagAt(ALB_REPOSITORY, 'v2.9.2', digestOf('old alb'));
    tagMissing(CA_REPOSITORY, 'v1.32.0');
    const publisher = new SnsPublisher({ client: new SNSClient({ region: REGION }), settings: { httpsFormat: 'notice' }, retry: { sleep: async () => undefined } });
    const { deps, copies } = setup({ sns: publisher });

    // Act
    const report = await mirrorImages(MANUAL, deps);

    // Assess
    expect(copies.copies.map((copy) => [copy.target, copy.reason.split(': ').at(-1)])).toEqual([
      [`${ALB_REPOSITORY}:v2.9.2`, expect.stringMatching(/^sha256:[0-9a-f]{12} → sha256:[0-9a-f]{12}$/)],
      [`${CA_REPOSITORY}:v1.32.0`, 'tag v1.32.0 is not in mirror/autoscaling/cluster-autoscaler yet'],
    ]);
    expect(sns).toHaveReceivedCommandTimes(PublishCommand, 1);
    expect(sns).toHaveReceivedCommandWith(PublishCommand, { TopicArn: TOPIC_ARN, Subject: '[ecr-autopilot] Mirror: 2 images copied, 0 unchanged' });
    const message = JSON.parse(sns.commandCalls(PublishCommand)[0]?.args[0].input.Message ?? '{}') as { default: string; lambda: string };
    expect(message.default).toContain(`${digestOf('old alb').slice(0, 19)} → ${ALB_NOW.digest.slice(0, 19)}`);
    expect(JSON.parse(message.lambda)).toMatchObject({ kind: 'mirror.report', data: { images: [{ previousDigest: digestOf('old alb') }, { status: 'copied' }] } });
    expect(report.changes.at(-1)).toMatchObject({ change: { action: 'sns:Publish' }, outcome: { status: 'applied', message: 'message message-1' } });
  });

  it('plans without changing anything: creations, copies and the notice are planned, and the notice says so', async () => {
    // Prepare
    existing(ALB_REPOSITORY);
    tagAt(ALB_REPOSITORY, 'v2.9.2', ALB_NOW.digest);
    missing(CA_REPOSITORY);
    const planned = new PlanningWriter();
    const { deps } = setup({ writer: planned });

    // Act
    const report = await mirrorImages(MANUAL, deps);

    // Assess
    expect(planned.changes.map((change) => `${change.action} ${change.target}`)).toEqual([
      `ecr:CreateRepository ${CA_REPOSITORY}`,
      `ecr:PutLifecyclePolicy ${CA_REPOSITORY}`,
      `oci:CopyImage ${CA_REPOSITORY}:v1.32.0`,
      `sns:Publish ${TOPIC_ARN}`,
    ]);
    expect(ecr).not.toHaveReceivedCommand(CreateRepositoryCommand);
    expect(ecr).not.toHaveReceivedCommand(PutLifecyclePolicyCommand);
    expect(report.decision).toContain('would copy 1, 1 unchanged, 0 failed; would publish the report.');
    const notice = (planned.changes.at(-1) as unknown as { notice: Notice }).notice;
    expect(notice).toMatchObject({ kind: 'mirror.report', data: { dryRun: true, images: [{ status: 'unchanged' }, { status: 'planned', digest: CA_NOW.digest }] } });
  });

  it('marks the notice as a plan when only governance fixes are planned', async () => {
    // Prepare
    existing(ALB_REPOSITORY, { imageTagMutability: 'MUTABLE', imageScanningConfiguration: { scanOnPush: true } });
    existing(CA_REPOSITORY);
    tagAt(ALB_REPOSITORY, 'v2.9.2', ALB_NOW.digest);
    tagAt(CA_REPOSITORY, 'v1.32.0', CA_NOW.digest);
    const planned = new PlanningWriter();
    const { deps } = setup({ writer: planned });

    // Act
    await mirrorImages(MANUAL, deps);

    // Assess
    expect(planned.changes.map((change) => change.action)).toEqual(['ecr:PutImageTagMutability', 'sns:Publish']);
    const notice = (planned.changes.at(-1) as unknown as { notice: Notice }).notice;
    expect(notice).toMatchObject({ kind: 'mirror.report', data: { dryRun: true, governance: [{ action: 'ecr:PutImageTagMutability', status: 'planned' }] } });
    expect(presentNotice(notice).subject).toBe('Mirror (plan): 0 images to copy, 2 unchanged');
  });
});

describe('mirrorImages and its deadline (fake time past it)', () => {
  useFakeTime(NOW);

  it('abandons the copy in flight at its stop line, starts no other, reports both as not copied, and calls nothing once it returned', async () => {
    // Prepare: two copies of 100 s each in an invocation of 150 s: the stop line is at 120 s.
    existing(ALB_REPOSITORY);
    existing(CA_REPOSITORY);
    tagMissing(ALB_REPOSITORY, 'v2.9.2');
    tagMissing(CA_REPOSITORY, 'v1.32.0');
    const copies = new SlowCopyWriter();
    const { deps, notices } = setup();
    const registry = deps.writer;
    deps.writer = routeChanges({ ecr: registry, oci: copies, sns: notices });
    deps.deadline = { at: Date.now() + 150_000 };

    // Act
    const running = mirrorImages(MANUAL, deps);
    const report = await runFor(running, 200_000);
    const ecrCalls = ecr.calls().length;
    await anHourLater();

    // Assess: the first copy finished at 100 s, the second started then and was abandoned at 120 s.
    expect(copies.finished).toEqual([`${ALB_REPOSITORY}:v2.9.2`]);
    expect(copies.abandoned).toEqual([`${CA_REPOSITORY}:v1.32.0`]);
    expect(copies.started.every((copy) => copy.at < NOW.getTime() + 120_000)).toBe(true);
    expect(report.stoppedEarly).toBe('the time budget ran out: the run stopped 30 s before its deadline to report what it did');
    expect(report.decision).toContain('1 copied, 0 unchanged, 0 failed, 1 not copied');
    const images = notices.sole().data.images;
    expect(images.find((image) => image.repository === CA_REPOSITORY)).toMatchObject({ status: 'stopped', reason: expect.stringContaining('cancelled while in progress') });
    expect(images.find((image) => image.repository === ALB_REPOSITORY)?.status).toBe('copied');
    expect(ecr.calls()).toHaveLength(ecrCalls);
    expect(copies.started).toHaveLength(2);
  });

  it('reads nothing and copies nothing when its stop came before it started, and says so', async () => {
    // Prepare
    const copies = new SlowCopyWriter();
    const { deps, notices, upstream } = setup();
    deps.writer = routeChanges({ ecr: deps.writer, oci: copies, sns: notices });
    deps.deadline = { at: Date.now() };

    // Act
    const report = await mirrorImages(MANUAL, deps);

    // Assess
    expect(operations()).toEqual([]);
    expect(upstream.asked).toEqual([]);
    expect(copies.started).toEqual([]);
    expect(notices.sole().data.images.map((image) => image.status)).toEqual(['stopped', 'stopped']);
    expect(report.stoppedEarly).toMatch(/^the time budget ran out/);
  });

  it('does not ask AWS for the destination\'s address after its stop: the report names the registry from the account and region', async () => {
    // Prepare: the live destination, whose address comes from GetAuthorizationToken; no copy ran to fetch it.
    const destination = ecrDestination(new ECRClient({ region: REGION }));
    ecr.on(GetAuthorizationTokenCommand).resolves({ authorizationData: [{ authorizationToken: Buffer.from('AWS:pw').toString('base64'), expiresAt: new Date(Date.now() + 3_600_000), proxyEndpoint: `https://${DESTINATION}` }] });
    const { deps, notices } = setup();
    deps.destinationRegistry = (options) => destination.registry(options?.signal);
    deps.deadline = { at: Date.now() };

    // Act
    const report = await runFor(mirrorImages(MANUAL, deps), 1_000);
    await anHourLater();

    // Assess
    expect(operations()).toEqual([]);
    expect(notices.sole().data.registry).toBe(DESTINATION);
    expect(report.decision).toContain(`into ${DESTINATION}`);
  });
});

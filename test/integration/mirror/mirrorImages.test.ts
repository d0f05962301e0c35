/**
 * mirrorImages end to end between real registries: an "upstream" docker-registry holding generated
 * images (behind a pass-through proxy that logs every request) and a "destination" docker-registry
 * standing in for ECR's data plane. ECR's control plane (repositories, settings, DescribeImages) is
 * a small in-memory double whose tag lookups ask the destination with a HEAD: fine for a test
 * double; the code under test itself never reads destination manifests.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { AutopilotConfig, TagMutability } from '../../../lib/config/types';
import type { RegistryChange } from '../../../lib/ecr/changes';
import type { RegistryReader } from '../../../lib/ecr/RegistryReader';
import type { ImageDetail, ImageScan, ManifestRead, Repository } from '../../../lib/ecr/types';
import { AutopilotError } from '../../../lib/errors';
import type { CopyImageChange } from '../../../lib/mirror/changes';
import { EcrImageApiPacer, ecrImageApisOf, type EcrImageApi } from '../../../lib/ecr/imageApiQuotas';
import { DEFAULT_FLEET_SETTINGS, planFleet } from '../../../lib/fleet/planFleet';
import { mirrorImages, type MirrorDeps } from '../../../lib/mirror/mirrorImages';
import { OciCopyWriter } from '../../../lib/mirror/OciCopyWriter';
import { OciUpstreamReader } from '../../../lib/mirror/OciUpstreamReader';
import type { IndexDocument } from '../../../lib/oci/types';
import { anonymousCredentials, staticCredentials, type CredentialProvider } from '../../../lib/oci/transport/credentials';
import { routeChanges } from '../../../lib/plan/routeChanges';
import type { ApplyOptions, ChangeOutcome, ChangeWriter } from '../../../lib/plan/types';
import type { Deadline } from '../../../lib/runtime/deadline';
import type { FunctionReport } from '../../../lib/runtime/types';
import { type FaultProxy, type ProxyLogEntry, startFaultProxy } from '../../support/faultProxy';
import { type RegistryServer, startRegistry } from '../../support/registryServer';
import { skopeoInspectRaw } from '../../support/skopeo';
import { buildTestImage, headManifestDigest, type TestImage } from '../../support/testImages';
import { openUploadSessions } from '../../support/registryServer';
import { mirrorConfig, NoticeRecorder, silentLogger } from '../../unit/mirror/mirrorFixtures';

const LAYERS = [2048, 300_000];
const TOPIC_ARN = 'arn:aws:sns:ap-northeast-2:123456789012:ecr-autopilot-notifications';

/** ECR's control plane in memory: repositories exist once created; tag lookups are metadata reads. */
class EcrDouble implements RegistryReader, ChangeWriter<RegistryChange> {
  readonly registryId = '123456789012';
  readonly region = 'ap-northeast-2';
  readonly applied: RegistryChange[] = [];
  readonly tagLookups: string[] = [];
  private readonly repositories = new Map<string, { scanOnPush: boolean; mutability: TagMutability; policy: string | undefined }>();

  constructor(private readonly dataPlaneUrl: string) {}

  async describeRepository(repositoryName: string): Promise<Repository> {
    const repository = this.repositories.get(repositoryName);
    if (!repository) throw new AutopilotError('REPOSITORY_NOT_FOUND', `repository ${repositoryName} does not exist`);
    return {
      repositoryName,
      repositoryArn: `arn:aws:ecr:${this.region}:${this.registryId}:repository/${repositoryName}`,
      registryId: this.registryId,
      imageTagMutability: repository.mutability,
      imageTagMutabilityExclusions: [],
      scanOnPush: repository.scanOnPush,
    };
  }

  async getLifecyclePolicyText(repositoryName: string): Promise<string | undefined> {
    return this.repositories.get(repositoryName)?.policy;
  }

  async describeImageByTag(repositoryName: string, imageTag: string): Promise<ImageDetail | undefined> {
    this.tagLookups.push(`${repositoryName}:${imageTag}`);
    const digest = await headManifestDigest(this.dataPlaneUrl, repositoryName, imageTag);
    return digest === undefined ? undefined : { imageDigest: digest, imageTags: [imageTag], imagePushedAt: new Date(), storageClass: 'STANDARD' };
  }

  async apply(change: RegistryChange): Promise<ChangeOutcome> {
    this.applied.push(change);
    const repository = this.repositories.get(change.target);
    switch (change.action) {
      case 'ecr:CreateRepository':
        if (!repository) this.repositories.set(change.target, { scanOnPush: change.scanOnPush ?? false, mutability: change.imageTagMutability ?? 'MUTABLE', policy: undefined });
        return { status: 'applied' };
      case 'ecr:PutLifecyclePolicy':
        if (!repository) throw new AutopilotError('REPOSITORY_NOT_FOUND', `repository ${change.target} does not exist`);
        repository.policy = change.lifecyclePolicyText;
        return { status: 'applied' };
      default:
        throw new Error(`mirrorImages should not ${change.action} here`);
    }
  }

  listRepositories(): AsyncIterable<Repository> {
    throw new Error('not used by mirrorImages');
  }
  describeImages(): Promise<ImageDetail[]> {
    throw new Error('not used by mirrorImages');
  }
  listImages(): AsyncIterable<ImageDetail> {
    throw new Error('not used by mirrorImages');
  }
  getManifests(): Promise<ManifestRead> {
    throw new Error('not used by mirrorImages (a manifest read would count as a pull)');
  }
  getImageScan(): Promise<ImageScan | undefined> {
    throw new Error('not used by mirrorImages');
  }
}

/** The real copy writer, counting what it is asked to copy. */
class CountingCopyWriter implements ChangeWriter<CopyImageChange> {
  readonly copies: CopyImageChange[] = [];
  constructor(private readonly inner: ChangeWriter<CopyImageChange>) {}
  async apply(change: CopyImageChange, options: ApplyOptions): Promise<ChangeOutcome> {
    this.copies.push(change);
    return this.inner.apply(change, options);
  }
}

function manifestRequests(entries: readonly ProxyLogEntry[], repository: string): ProxyLogEntry[] {
  return entries.filter((entry) => entry.path.startsWith(`/v2/${repository}/manifests/`));
}

function blobReads(entries: readonly ProxyLogEntry[]): ProxyLogEntry[] {
  return entries.filter((entry) => entry.method === 'GET' && entry.path.includes('/blobs/'));
}

describe('mirrorImages between real registries', () => {
  let upstream: RegistryServer;
  let destination: RegistryServer;
  /** Every request to the upstream registry goes through it (and is logged). */
  let upstreamProxy: FaultProxy;
  /** Every request the copy writer sends to the destination goes through it. */
  let destinationProxy: FaultProxy;
  let multi: TestImage;
  let single: TestImage;

  const source = (repository: string): string => `${upstreamProxy.host}/${repository}`;

  /** One run, as the Lambda would do it, against `ecr` (its state carries over between runs). */
  async function run(
    config: AutopilotConfig,
    ecr: EcrDouble,
    deadline?: Deadline,
  ): Promise<{ report: FunctionReport; copies: CopyImageChange[]; notices: NoticeRecorder; upstreamLog: ProxyLogEntry[]; destinationLog: ProxyLogEntry[] }> {
    const upstreamMark = upstreamProxy.log.length;
    const destinationMark = destinationProxy.log.length;
    const copier = new CountingCopyWriter(new OciCopyWriter({ destination: { registry: async () => destinationProxy.host, credentials: anonymousCredentials } }));
    const notices = new NoticeRecorder();
    const deps: MirrorDeps = {
      config,
      registry: ecr,
      writer: routeChanges({ ecr, oci: copier, sns: notices }),
      upstream: new OciUpstreamReader({ credentials: () => anonymousCredentials }),
      destinationRegistry: async () => destinationProxy.host,
      topicArn: TOPIC_ARN,
      clock: () => new Date(),
      logger: silentLogger,
      ...(deadline ? { deadline } : {}),
    };
    const report = await mirrorImages({}, deps);
    return { report, copies: copier.copies, notices, upstreamLog: upstreamProxy.log.slice(upstreamMark), destinationLog: destinationProxy.log.slice(destinationMark) };
  }

  beforeAll(async () => {
    [upstream, destination] = await Promise.all([startRegistry(), startRegistry()]);
    [upstreamProxy, destinationProxy] = await Promise.all([startFaultProxy(upstream.url), startFaultProxy(destination.url)]);
    [multi, single] = await Promise.all([
      buildTestImage({ url: upstream.url, repository: 'upstream/multi', tag: 'v1' }, { layers: LAYERS, platforms: ['linux/amd64', 'linux/arm64'], seed: 'mirror-multi' }),
      buildTestImage({ url: upstream.url, repository: 'upstream/single', tag: 'v1' }, { layers: LAYERS, seed: 'mirror-single' }),
    ]);
  });

  afterAll(async () => {
    await Promise.all([upstreamProxy?.stop(), destinationProxy?.stop()]);
    await Promise.all([upstream?.stop(), destination?.stop()]);
  });

  it('copies every platform of a two-platform index with the upstream digest into a repository it creates, and a second run copies nothing', async () => {
    // Prepare
    const ecr = new EcrDouble(destination.url);
    const config = mirrorConfig({ images: [{ source: source('upstream/multi'), tags: ['v1'] }] });

    // Act
    const first = await run(config, ecr);
    const second = await run(config, ecr);

    // Assess: the first run created the repository like its class says, then copied.
    expect(first.report.outcome).toBe('done');
    expect(ecr.applied.map((change) => `${change.action} ${change.target}`)).toEqual(['ecr:CreateRepository mirror/upstream/multi', 'ecr:PutLifecyclePolicy mirror/upstream/multi']);
    expect(ecr.applied[0]).toMatchObject({ scanOnPush: true, imageTagMutability: 'IMMUTABLE' });
    expect(first.copies).toHaveLength(1);
    expect(first.notices.sole().data.images).toEqual([
      expect.objectContaining({ repository: 'mirror/upstream/multi', status: 'copied', digest: multi.digest, platforms: ['linux/amd64', 'linux/arm64'], newIndex: false }),
    ]);
    const witnessed = await skopeoInspectRaw(`${destination.host}/mirror/upstream/multi:v1`);
    expect(witnessed.digest).toBe(multi.digest);
    expect(witnessed.bytes.equals(multi.bytes)).toBe(true);
    const index = JSON.parse(witnessed.bytes.toString('utf8')) as IndexDocument;
    expect(index.manifests.map((m) => `${m.platform?.os}/${m.platform?.architecture}`)).toEqual(['linux/amd64', 'linux/arm64']);
    for (const child of multi.manifests) expect((await skopeoInspectRaw(`${destination.host}/mirror/upstream/multi@${child.digest}`)).digest).toBe(child.digest);

    // Assess: the second run saw the same digest through metadata and did nothing.
    expect(second.copies).toEqual([]);
    expect(second.notices.notices).toEqual([]);
    expect(second.report.changes).toEqual([]);
    expect(second.report.decision).toContain('0 copied, 1 unchanged, 0 failed');
    expect(ecr.applied).toHaveLength(2);
    expect(ecr.tagLookups).toEqual(['mirror/upstream/multi:v1']);
    expect(second.destinationLog).toEqual([]);
    expect(manifestRequests(second.upstreamLog, 'upstream/multi').map((entry) => entry.method)).toEqual(['GET']);
    expect(blobReads(second.upstreamLog)).toEqual([]);
  });

  it('copies a platform subset as a new index whose digest is the one OciUpstreamReader predicted, and a second run is unchanged', async () => {
    // Prepare
    const ecr = new EcrDouble(destination.url);
    const config = mirrorConfig({ images: [{ source: source('upstream/multi'), tags: ['v1'], repository: 'mirror/subset/multi', platforms: ['linux/amd64'] }] });
    const predicted = await new OciUpstreamReader({ credentials: () => anonymousCredentials }).resolve({ sourceReference: `${source('upstream/multi')}:v1`, platforms: ['linux/amd64'] });
    const amd64 = multi.manifests.find((manifest) => manifest.platform === 'linux/amd64');

    // Act
    const first = await run(config, ecr);
    const second = await run(config, ecr);

    // Assess
    expect(predicted).toMatchObject({ digest: multi.digest, platforms: ['linux/amd64', 'linux/arm64'] });
    expect(predicted.destinationDigest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(predicted.destinationDigest).not.toBe(multi.digest);
    expect(first.copies[0]).toMatchObject({ repository: 'mirror/subset/multi', platforms: ['linux/amd64'], expectedDigest: predicted.destinationDigest });
    expect(first.notices.sole().data.images[0]).toMatchObject({ status: 'copied', digest: predicted.destinationDigest, platforms: ['linux/amd64'], newIndex: true });
    const witnessed = await skopeoInspectRaw(`${destination.host}/mirror/subset/multi:v1`);
    expect(witnessed.digest).toBe(predicted.destinationDigest);
    const index = JSON.parse(witnessed.bytes.toString('utf8')) as IndexDocument;
    expect(index.manifests.map((m) => m.digest)).toEqual([amd64?.digest]);
    expect(second.copies).toEqual([]);
    expect(second.notices.notices).toEqual([]);
    expect(second.report.decision).toContain('0 copied, 1 unchanged, 0 failed');
  });

  it('copies a tag that moved upstream and reports old digest → new digest', async () => {
    // Prepare
    const ecr = new EcrDouble(destination.url);
    const before = await buildTestImage({ url: upstream.url, repository: 'upstream/moving', tag: 'v1' }, { layers: LAYERS, platforms: ['linux/amd64', 'linux/arm64'], seed: 'moving-before' });
    const config = mirrorConfig({ images: [{ source: source('upstream/moving'), tags: ['v1'] }] });
    await run(config, ecr);
    const after = await buildTestImage({ url: upstream.url, repository: 'upstream/moving', tag: 'v1' }, { layers: LAYERS, platforms: ['linux/amd64', 'linux/arm64'], seed: 'moving-after' });

    // Act
    const moved = await run(config, ecr);
    const settled = await run(config, ecr);

    // Assess
    expect(moved.copies).toEqual([expect.objectContaining({ previousDigest: before.digest, expectedDigest: after.digest })]);
    expect(moved.notices.sole().data.images[0]).toMatchObject({ status: 'copied', previousDigest: before.digest, digest: after.digest, platforms: ['linux/amd64', 'linux/arm64'] });
    expect(moved.report.changes.map((change) => change.change.action)).toEqual(['oci:CopyImage', 'sns:Publish']);
    expect((await skopeoInspectRaw(`${destination.host}/mirror/upstream/moving:v1`)).digest).toBe(after.digest);
    expect(settled.copies).toEqual([]);
  });

  it('mirrors a single-platform image as it is, reading its upstream manifest once per run', async () => {
    // Prepare
    const ecr = new EcrDouble(destination.url);
    const config = mirrorConfig({ images: [{ source: source('upstream/single'), tags: ['v1'] }] });

    // Act
    const first = await run(config, ecr);
    const second = await run(config, ecr);

    // Assess
    expect(first.notices.sole().data.images[0]).toMatchObject({ status: 'copied', digest: single.digest, platforms: ['linux/amd64'] });
    expect((await skopeoInspectRaw(`${destination.host}/mirror/upstream/single:v1`)).digest).toBe(single.digest);
    expect(second.copies).toEqual([]);
    expect(manifestRequests(second.upstreamLog, 'upstream/single').map((entry) => entry.method)).toEqual(['GET']);
  });

  it('abandons the copy in flight at its stop: the tag is never pushed, the upload session is closed, the report says so, and nothing is left running', async () => {
    // Prepare: the big layer's download stalls before its first byte, so the stop finds its upload
    // session open and its PUT waiting for content.
    const ecr = new EcrDouble(destination.url);
    const image = await buildTestImage({ url: upstream.url, repository: 'upstream/interrupted', tag: 'v1' }, { layers: LAYERS, seed: 'mirror-interrupted' });
    const config = mirrorConfig({ images: [{ source: source('upstream/interrupted'), tags: ['v1'] }] });
    const bigLayer = image.manifests[0]?.layers.find((layer) => layer.size === 300_000);
    upstreamProxy.addFault({ method: 'GET', path: new RegExp(`/blobs/${bigLayer?.digest}`), action: { kind: 'stall', afterBytes: 0 } });
    const interrupt = new AbortController();
    const uploads = join(destination.directory, 'data/docker/registry/v2/repositories/mirror/upstream/interrupted/_uploads');
    const openSessions = (): Promise<string[]> => openUploadSessions(uploads);

    try {
      // Act
      const running = run(config, ecr, { interrupted: interrupt.signal });
      await vi.waitFor(async () => {
        expect(destinationProxy.inFlight().some((entry) => entry.method === 'PUT' && entry.path.includes(`digest=${encodeURIComponent(bigLayer?.digest ?? '?')}`))).toBe(true);
        expect(await openSessions()).not.toEqual([]);
      }, { timeout: 30_000 });
      interrupt.abort(new AutopilotError('ABORTED', 'interrupted'));
      const { report, notices, destinationLog } = await running;

      // Assess: nothing was tagged, the session is gone, the report tells why.
      expect(await headManifestDigest(destination.url, 'mirror/upstream/interrupted', 'v1')).toBeUndefined();
      expect(await openSessions()).toEqual([]);
      expect(destinationLog.filter((entry) => entry.method === 'PUT' && entry.path.includes('/manifests/'))).toEqual([]);
      expect(destinationLog.at(-1)?.method).toBe('DELETE');
      expect(report.stoppedEarly).toBe('interrupted');
      expect(report.decision).toContain('1 not copied');
      expect(notices.sole().data.images).toEqual([expect.objectContaining({ repository: 'mirror/upstream/interrupted', status: 'stopped', reason: expect.stringContaining('the tag was not changed') })]);
      expect(notices.sole().data.stoppedEarly).toBe('interrupted');
      // Nothing of the copy outlives the run: every exchange it started is over on both sides.
      const marks = [upstreamProxy.log.length, destinationProxy.log.length];
      await vi.waitFor(() => expect([...upstreamProxy.inFlight(), ...destinationProxy.inFlight()]).toEqual([]));
      expect([upstreamProxy.log.length, destinationProxy.log.length]).toEqual(marks);
    } finally {
      upstreamProxy.clearFaults();
    }
  });

  it('paces every request to the destination by the ECR image action it costs, at the mirror batch\'s planned share, and no upstream request', async () => {
    // Prepare: the shipped plan's per-batch rates, on a clock that only counts the waits.
    const rates = planFleet(DEFAULT_FLEET_SETTINGS, 'mirror').imageApiCallsPerSecondPerBatch;
    let waited = 0;
    const pacer = new EcrImageApiPacer(rates ?? ({} as never), { now: () => waited, sleep: async (ms) => void (waited += ms) });
    const paced: Array<{ registry: string; request: string; apis: EcrImageApi[] }> = [];
    const writer = new OciCopyWriter({
      destination: { registry: async () => destinationProxy.host, credentials: anonymousCredentials },
      destinationPacing: {
        pace: async (exchange, signal) => {
          paced.push({ registry: exchange.registry, request: `${exchange.method} ${exchange.url.pathname}`, apis: ecrImageApisOf(exchange) });
          await pacer.pace(exchange, signal);
        },
      },
    });
    const mark = destinationProxy.log.length;
    const copy: CopyImageChange = { action: 'oci:CopyImage', target: 'mirror/paced/multi:v1', reason: 'test', source: `${source('upstream/multi')}:v1`, repository: 'mirror/paced/multi', tag: 'v1', platforms: 'all', includeReferrers: false };

    // Act
    const outcome = await writer.apply(copy, {});

    // Assess: every destination request but the ping went through the pacer; nothing upstream did.
    expect(outcome).toMatchObject({ status: 'applied', data: { digest: multi.digest } });
    const sent = destinationProxy.log.slice(mark).filter((entry) => entry.path !== '/v2/').map((entry) => `${entry.method} ${entry.path.split('?')[0]}`);
    expect(paced.map((entry) => entry.request).sort()).toEqual(sent.sort());
    expect(new Set(paced.map((entry) => entry.registry))).toEqual(new Set([destinationProxy.host]));
    const costs = paced.flatMap((entry) => entry.apis);
    const count = (api: EcrImageApi) => costs.filter((cost) => cost === api).length;
    // The index and its two platform manifests, each put once; every new blob opened and completed.
    expect(count('PutImage')).toBe(3);
    expect(count('InitiateLayerUpload')).toBeGreaterThan(0);
    expect(count('CompleteLayerUpload')).toBe(count('InitiateLayerUpload'));
    expect(pacer.rates()).toEqual(rates);
    // At 1.25 PutImage/s the three puts alone needed 2.4 s of slots.
    expect(waited).toBeGreaterThanOrEqual(2400);
  });

  it('reports a copy that fails as failed, leaves the destination tag absent, and still mirrors the other image', async () => {
    // Prepare
    const ecr = new EcrDouble(destination.url);
    await buildTestImage({ url: upstream.url, repository: 'upstream/broken', tag: 'v1' }, { layers: LAYERS, platforms: ['linux/amd64', 'linux/arm64'], seed: 'broken' });
    const config = mirrorConfig({ images: [{ source: source('upstream/broken'), tags: ['v1'] }, { source: source('upstream/multi'), tags: ['v1'], repository: 'mirror/alongside/multi' }] });
    upstreamProxy.addFault({ method: 'GET', path: /^\/v2\/upstream\/broken\/blobs\//, action: { kind: 'status', status: 404, body: JSON.stringify({ errors: [{ code: 'BLOB_UNKNOWN', message: 'blob unknown to registry' }] }) } });

    // Act
    let result: Awaited<ReturnType<typeof run>>;
    try {
      result = await run(config, ecr);
    } finally {
      upstreamProxy.clearFaults();
    }

    // Assess
    expect(result.report.outcome).toBe('failed');
    expect(result.copies.map((copy) => copy.target)).toEqual(['mirror/upstream/broken:v1', 'mirror/alongside/multi:v1']);
    const images = result.notices.sole().data.images;
    expect(images[0]).toMatchObject({ repository: 'mirror/upstream/broken', status: 'failed' });
    expect(images[0]?.reason).not.toBe('');
    expect(images[1]).toMatchObject({ repository: 'mirror/alongside/multi', status: 'copied', digest: multi.digest });
    expect(result.notices.sole().severity).toBe('warning');
    expect(await headManifestDigest(destination.url, 'mirror/upstream/broken', 'v1')).toBeUndefined();
  });
});

describe('OciCopyWriter', () => {
  /** Both registries need credentials, and not the same ones: a credential sent to the wrong host fails the copy. */
  const UPSTREAM_USER = { user: 'reader', password: 'upstream-pass' };
  const DESTINATION_USER = { user: 'mirror', password: 'destination-pass' };
  let upstream: RegistryServer;
  let privateDestination: RegistryServer;

  beforeAll(async () => {
    [upstream, privateDestination] = await Promise.all([startRegistry({ auth: { htpasswd: UPSTREAM_USER } }), startRegistry({ auth: { htpasswd: DESTINATION_USER } })]);
    const authorization = `Basic ${Buffer.from(`${UPSTREAM_USER.user}:${UPSTREAM_USER.password}`).toString('base64')}`;
    await buildTestImage({ url: upstream.url, repository: 'upstream/app', tag: 'v1', authorization }, { layers: LAYERS, platforms: ['linux/amd64', 'linux/arm64'], seed: 'writer' });
  });

  afterAll(async () => {
    await Promise.all([upstream?.stop(), privateDestination?.stop()]);
  });

  function change(sourceReference: string, repository: string): CopyImageChange {
    return { action: 'oci:CopyImage', target: `${repository}:v1`, reason: 'test', source: sourceReference, repository, tag: 'v1', platforms: 'all', includeReferrers: false };
  }

  /** A provider that counts how often it hands out its credential. */
  function counted(user: { user: string; password: string }): CredentialProvider & { asked: number } {
    const inner = staticCredentials({ username: user.user, password: user.password });
    const provider = {
      asked: 0,
      description: inner.description,
      credential: (signal?: AbortSignal) => {
        provider.asked += 1;
        return inner.credential(signal);
      },
      invalidate: () => inner.invalidate(),
    };
    return provider;
  }

  it('sends the destination credentials to the destination host only, and upstream credentials only upstream', async () => {
    // Prepare
    const upstreamAsked: string[] = [];
    const destinationCredentials = counted(DESTINATION_USER);
    const upstreamCredentials = counted(UPSTREAM_USER);
    const writer = new OciCopyWriter({
      destination: { registry: async () => privateDestination.host, credentials: destinationCredentials },
      upstreamCredentials: (registry) => {
        upstreamAsked.push(registry);
        return upstreamCredentials;
      },
    });

    // Act
    const outcome = await writer.apply(change(`${upstream.host}/upstream/app:v1`, 'mirror/app'), {});

    // Assess
    expect(outcome).toMatchObject({ status: 'applied', data: { platforms: 'linux/amd64,linux/arm64', newIndex: false } });
    expect(destinationCredentials.asked).toBeGreaterThan(0);
    expect(upstreamCredentials.asked).toBeGreaterThan(0);
    expect(upstreamAsked.length).toBeGreaterThan(0);
    expect(new Set(upstreamAsked)).toEqual(new Set([upstream.host]));
    expect((await skopeoInspectRaw(`${privateDestination.host}/mirror/app:v1`, { creds: `${DESTINATION_USER.user}:${DESTINATION_USER.password}` })).digest).toBe(outcome.data?.digest);
  });

  it('returns a failed outcome instead of throwing when the source does not exist', async () => {
    // Prepare
    const writer = new OciCopyWriter({
      destination: { registry: async () => privateDestination.host, credentials: counted(DESTINATION_USER) },
      upstreamCredentials: () => counted(UPSTREAM_USER),
    });

    // Act
    const outcome = await writer.apply(change(`${upstream.host}/upstream/absent:v1`, 'mirror/absent'), {});

    // Assess
    expect(outcome.status).toBe('failed');
    expect(outcome.message).toMatch(/upstream\/absent/);
    expect(await headManifestDigest(privateDestination.url, 'mirror/absent', 'v1', `Basic ${Buffer.from(`${DESTINATION_USER.user}:${DESTINATION_USER.password}`).toString('base64')}`)).toBeUndefined();
  });
});

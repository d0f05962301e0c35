import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { copyImage } from '../../../lib/oci/copy/copyImage';
import type { CopyProgress } from '../../../lib/oci/copy/types';
import { parseImageReference } from '../../../lib/oci/reference';
import { anonymousCredentials } from '../../../lib/oci/transport/credentials';
import { type FaultProxy, startFaultProxy } from '../../support/faultProxy';
import { openUploadSessions, type RegistryServer, startRegistry } from '../../support/registryServer';
import { skopeoInspectRaw } from '../../support/skopeo';
import { buildTestImage, headManifestDigest, type TestImage } from '../../support/testImages';

const credentials = (): typeof anonymousCredentials => anonymousCredentials;
/** Real backoff is seconds long; these tests keep the attempts and shorten the waits. */
const fastRetry = { baseDelayMs: 5, maxDelayMs: 20 };

describe('copyImage through a faulty network', () => {
  let source: RegistryServer;
  let destination: RegistryServer;
  let sourceProxy: FaultProxy;
  let destinationProxy: FaultProxy;
  let image: TestImage;
  let previous: TestImage;

  const layerDigest = (): string => image.manifests[0]?.layers[1]?.digest ?? '';
  const blobPath = (digest: string): RegExp => new RegExp(`/blobs/${digest}$`);

  beforeAll(async () => {
    [source, destination] = await Promise.all([startRegistry(), startRegistry()]);
    [sourceProxy, destinationProxy] = await Promise.all([startFaultProxy(source.url), startFaultProxy(destination.url)]);
    [image, previous] = await Promise.all([
      buildTestImage({ url: source.url, repository: 'app', tag: 'v2' }, { layers: [100_000, 8_000_000], platforms: ['linux/amd64', 'linux/arm64'], seed: 'faults-v2' }),
      buildTestImage({ url: source.url, repository: 'app', tag: 'v1' }, { layers: [50_000], seed: 'faults-v1' }),
    ]);
  });

  afterEach(() => {
    sourceProxy.clearFaults();
    destinationProxy.clearFaults();
  });

  afterAll(async () => {
    await Promise.all([sourceProxy?.stop(), destinationProxy?.stop()]);
    await Promise.all([source?.stop(), destination?.stop()]);
  });

  it('resumes a blob download whose connection dropped mid-body, with identical digests', async () => {
    // Prepare: the first GET of the 8 MB layer is cut after 1 MB
    sourceProxy.addFault({ method: 'GET', path: blobPath(layerDigest()), on: [1], action: { kind: 'drop', afterBytes: 1_000_000 } });

    // Act
    const report = await copyImage(parseImageReference(`${sourceProxy.host}/app:v2`), parseImageReference(`${destination.host}/dropped:v2`), { credentials, retry: fastRetry });

    // Assess
    expect(report).toMatchObject({ destinationDigest: image.digest, blobsCopied: 6 });
    const gets = sourceProxy.log.filter((entry) => entry.method === 'GET' && blobPath(layerDigest()).test(entry.path));
    expect(gets.map((g) => g.fault ?? 'ok')).toEqual(['drop', 'ok']);
    expect(gets[1]?.range).toMatch(/^bytes=\d+-$/);
    expect((await skopeoInspectRaw(`${destination.host}/dropped:v2`)).digest).toBe(image.digest);
  });

  it('restarts an upload whose connection was reset, in a fresh session', async () => {
    destinationProxy.addFault({ method: 'PUT', path: /\/blobs\/uploads\//, on: [1], action: { kind: 'reset' } });

    const report = await copyImage(parseImageReference(`${source.host}/app:v2`), parseImageReference(`${destinationProxy.host}/reset:v2`), { credentials, retry: fastRetry });

    expect(report.destinationDigest).toBe(image.digest);
    expect(destinationProxy.log.filter((e) => e.fault === 'reset')).toHaveLength(1);
    expect((await skopeoInspectRaw(`${destination.host}/reset:v2`)).digest).toBe(image.digest);
  });

  it('waits for Retry-After on 429 and then succeeds', async () => {
    // Prepare
    sourceProxy.addFault({
      method: 'GET',
      path: /\/manifests\/v2$/,
      on: [1],
      action: { kind: 'status', status: 429, headers: { 'retry-after': '1' } },
    });

    // Act
    const report = await copyImage(parseImageReference(`${sourceProxy.host}/app:v2`), parseImageReference(`${destination.host}/throttled:v2`), { credentials });

    // Assess: the retry came no sooner than the registry asked
    expect(report.destinationDigest).toBe(image.digest);
    const attempts = sourceProxy.log.filter((e) => e.method === 'GET' && /\/manifests\/v2$/.test(e.path)).slice(-2);
    expect(attempts.map((a) => a.status)).toEqual([429, 200]);
    expect((attempts[1]?.at ?? 0) - (attempts[0]?.at ?? 0)).toBeGreaterThanOrEqual(990);
  });

  it('rides out a few 500s on blob and manifest uploads', async () => {
    destinationProxy.addFault({ method: 'PUT', path: /\/blobs\/uploads\//, on: [1, 2], action: { kind: 'status', status: 500 } });
    destinationProxy.addFault({ method: 'PUT', path: /\/manifests\//, on: [1, 2, 3], action: { kind: 'status', status: 503 } });

    const report = await copyImage(parseImageReference(`${source.host}/app:v2`), parseImageReference(`${destinationProxy.host}/flaky:v2`), { credentials, retry: fastRetry });

    expect(report).toMatchObject({ destinationDigest: image.digest, manifestsCopied: 3, blobsCopied: 6 });
    expect(destinationProxy.log.filter((e) => e.fault === 'status')).toHaveLength(5);
    // Each failed blob attempt cancelled its upload session instead of leaving it behind.
    expect(destinationProxy.log.filter((e) => e.method === 'DELETE' && e.path.startsWith('/v2/flaky/blobs/uploads/')).map((e) => e.status)).toEqual([204, 204]);
    expect((await skopeoInspectRaw(`${destination.host}/flaky:v2`)).digest).toBe(image.digest);
  });

  it('fails clearly when retries run out, leaving an existing tag where it was', async () => {
    // Prepare: the destination tag points at the previous image
    await copyImage(parseImageReference(`${source.host}/app:v1`), parseImageReference(`${destination.host}/stable:current`), { credentials });
    sourceProxy.addFault({ method: 'GET', path: blobPath(layerDigest()), action: { kind: 'status', status: 500 } });

    // Act
    const failure = copyImage(parseImageReference(`${sourceProxy.host}/app:v2`), parseImageReference(`${destination.host}/stable:current`), { credentials, retry: fastRetry });

    // Assess
    await expect(failure).rejects.toMatchObject({
      code: 'REGISTRY_ERROR',
      message: expect.stringMatching(new RegExp(`GET http://${sourceProxy.host}/v2/app/blobs/${layerDigest()} failed with HTTP 500.*gave up after 5 attempts`)),
    });
    expect(await headManifestDigest(destination.url, 'stable', 'current')).toBe(previous.digest);
    expect(await headManifestDigest(destination.url, 'stable', image.digest)).toBeUndefined();
  });

  it('never creates the tag when a download keeps dropping', async () => {
    sourceProxy.addFault({ method: 'GET', path: blobPath(layerDigest()), action: { kind: 'drop', afterBytes: 500_000 } });

    const failure = copyImage(parseImageReference(`${sourceProxy.host}/app:v2`), parseImageReference(`${destination.host}/never:v2`), { credentials, retry: fastRetry });

    await expect(failure).rejects.toMatchObject({ code: 'REGISTRY_ERROR', message: expect.stringMatching(/download kept failing.*gave up/) });
    expect(await headManifestDigest(destination.url, 'never', 'v2')).toBeUndefined();
  });

  it('gives up at once with THROTTLED when Retry-After is longer than we wait', async () => {
    sourceProxy.addFault({ method: 'GET', path: /\/manifests\/v2$/, action: { kind: 'status', status: 429, headers: { 'retry-after': '3600' } } });

    const failure = copyImage(parseImageReference(`${sourceProxy.host}/app:v2`), parseImageReference(`${destination.host}/later:v2`), { credentials });

    await expect(failure).rejects.toMatchObject({ code: 'THROTTLED', message: expect.stringContaining('asked to wait 3600 s') });
    expect(await headManifestDigest(destination.url, 'later', 'v2')).toBeUndefined();
  });

  it('stops with ABORTED when cancelled, without tagging', async () => {
    const controller = new AbortController();
    sourceProxy.addFault({ method: 'GET', path: blobPath(layerDigest()), action: { kind: 'status', status: 503, headers: { 'retry-after': '30' } } });

    const failure = copyImage(parseImageReference(`${sourceProxy.host}/app:v2`), parseImageReference(`${destination.host}/cancelled:v2`), {
      credentials,
      signal: controller.signal,
      onProgress: (progress) => {
        if (progress.phase === 'blobs') controller.abort();
      },
    });

    await expect(failure).rejects.toMatchObject({ code: 'ABORTED' });
    expect(await headManifestDigest(destination.url, 'cancelled', 'v2')).toBeUndefined();
  });

  it('reports the upload session docker-registry refuses to delete once its body was cut mid-request, naming where it is', async () => {
    // Prepare: the big layer's download stalls after 1 MB, so its upload has sent part of its body
    // when the copy is cancelled; after the grace the upload is cut mid-body.
    const controller = new AbortController();
    sourceProxy.addFault({ method: 'GET', path: blobPath(layerDigest()), action: { kind: 'stall', afterBytes: 1_000_000 } });
    const uploads = join(destination.directory, 'data/docker/registry/v2/repositories/cut/_uploads');
    const receivedBytes = async (): Promise<number> => {
      let total = 0;
      for (const session of await openUploadSessions(uploads)) total += (await stat(join(uploads, session, 'data')).catch(() => ({ size: 0 }))).size;
      return total;
    };
    let last: CopyProgress | undefined;

    // Act
    const failure = copyImage(parseImageReference(`${sourceProxy.host}/app:v2`), parseImageReference(`${destination.host}/cut:v2`), {
      credentials,
      signal: controller.signal,
      onProgress: (progress) => {
        last = progress;
      },
    });
    await vi.waitFor(async () => expect(await receivedBytes()).toBeGreaterThan(0), { timeout: 30_000 });
    controller.abort();

    // Assess: the session is still there, and the copy said so (its URL, no query).
    await expect(failure).rejects.toMatchObject({ code: 'ABORTED' });
    const open = await openUploadSessions(uploads);
    expect(open).toHaveLength(1);
    expect(last?.uploadSessionsLeftOpen).toEqual([`${destination.url}/v2/cut/blobs/uploads/${open[0]}`]);
    expect(await headManifestDigest(destination.url, 'cut', 'v2')).toBeUndefined();
  });

  it('sends no tag PUT when cancelled right after the last child manifest: the tag, pushed last, is gated on the signal', async () => {
    // Prepare: cancel the moment every platform manifest is in; only the index by tag is left.
    const controller = new AbortController();
    const mark = destinationProxy.log.length;

    // Act
    const failure = copyImage(parseImageReference(`${sourceProxy.host}/app:v2`), parseImageReference(`${destinationProxy.host}/gated:v2`), {
      credentials,
      signal: controller.signal,
      onProgress: (progress) => {
        if (progress.phase === 'manifests' && progress.manifestsDone === progress.manifestsTotal - 1) controller.abort();
      },
    });

    // Assess: both children are stored by digest, the tag was never asked for.
    await expect(failure).rejects.toMatchObject({ code: 'ABORTED' });
    const manifestPuts = destinationProxy.log.slice(mark).filter((entry) => entry.method === 'PUT' && entry.path.includes('/manifests/'));
    expect(manifestPuts.map((entry) => entry.path.slice(entry.path.lastIndexOf('/') + 1)).sort()).toEqual(image.manifests.map((manifest) => manifest.digest).sort());
    expect(await headManifestDigest(destination.url, 'gated', 'v2')).toBeUndefined();
  });
});

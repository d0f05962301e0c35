import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyImage } from '../../../lib/oci/copy/copyImage';
import type { CopyProgress } from '../../../lib/oci/copy/types';
import { parseImageReference } from '../../../lib/oci/reference';
import { anonymousCredentials } from '../../../lib/oci/transport/credentials';
import type { IndexDocument } from '../../../lib/oci/types';
import { type RegistryServer, startRegistry } from '../../support/registryServer';
import { skopeoInspectRaw } from '../../support/skopeo';
import { buildTestImage, headManifestDigest, rawRequest, type TestImage } from '../../support/testImages';
import { type PushedReferrer, pushTestReferrer } from '../../support/testReferrers';

const MB = 1_000_000;
const credentials = (): typeof anonymousCredentials => anonymousCredentials;

describe('copyImage between anonymous registries', () => {
  let source: RegistryServer;
  let destination: RegistryServer;
  let layered: TestImage;
  let multi: TestImage;
  let large: TestImage;
  let signature: PushedReferrer;

  const ref = (registry: RegistryServer, name: string): ReturnType<typeof parseImageReference> => parseImageReference(`${registry.host}/${name}`);

  beforeAll(async () => {
    [source, destination] = await Promise.all([startRegistry(), startRegistry()]);
    [layered, multi, large] = await Promise.all([
      buildTestImage({ url: source.url, repository: 'team/layered', tag: 'v1' }, { layers: [0, 1, 1000, 300_000, 2 * MB, 5 * MB], seed: 'layered' }),
      buildTestImage({ url: source.url, repository: 'team/multi', tag: 'v1' }, { layers: [200_000, 3 * MB], platforms: ['linux/amd64', 'linux/arm64'], seed: 'multi' }),
      buildTestImage({ url: source.url, repository: 'team/large', tag: 'v1' }, { layers: [100 * MB], seed: 'large' }),
    ]);
    signature = await pushTestReferrer({ url: source.url, repository: 'team/multi' }, { digest: multi.digest, mediaType: multi.mediaType, size: multi.bytes.length });
  });

  afterAll(async () => {
    await Promise.all([source?.stop(), destination?.stop()]);
  });

  it('copies a single-platform image with several layers (an empty one among them), digest unchanged (checked with skopeo)', async () => {
    // Act
    const report = await copyImage(ref(source, 'team/layered:v1'), ref(destination, 'mirror/layered:v1'), { credentials });

    // Assess
    expect(report).toMatchObject({
      sourceDigest: layered.digest,
      destinationDigest: layered.digest,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      platforms: ['linux/amd64'],
      manifestsCopied: 1,
      manifestsSkipped: 0,
      blobsCopied: 7,
      blobsSkipped: 0,
      blobsMounted: 0,
      bytesCopied: layered.blobs.reduce((sum, blob) => sum + blob.size, 0),
      newIndex: false,
    });
    const witnessed = await skopeoInspectRaw(`${destination.host}/mirror/layered:v1`);
    expect(witnessed.digest).toBe(layered.digest);
    expect(witnessed.bytes.equals(layered.bytes)).toBe(true);
  });

  it('copies every platform of a two-platform index by default, children by digest', async () => {
    const report = await copyImage(ref(source, 'team/multi:v1'), ref(destination, 'mirror/multi:v1'), { credentials });

    expect(report).toMatchObject({ destinationDigest: multi.digest, platforms: ['linux/amd64', 'linux/arm64'], manifestsCopied: 3, blobsCopied: 6, newIndex: false });
    expect((await skopeoInspectRaw(`${destination.host}/mirror/multi:v1`)).digest).toBe(multi.digest);
    for (const child of multi.manifests) {
      expect(await headManifestDigest(destination.url, 'mirror/multi', child.digest)).toBe(child.digest);
      expect((await skopeoInspectRaw(`${destination.host}/mirror/multi@${child.digest}`)).digest).toBe(child.digest);
    }
  });

  it('copies a platform subset as a new index and says so', async () => {
    // Act
    const report = await copyImage(ref(source, 'team/multi:v1'), ref(destination, 'mirror/multi-arm:v1'), { credentials, platforms: ['linux/arm64'] });

    // Assess
    const arm = multi.manifests.find((m) => m.platform === 'linux/arm64');
    expect(report).toMatchObject({ sourceDigest: multi.digest, platforms: ['linux/arm64'], newIndex: true, manifestsCopied: 2, blobsCopied: 3 });
    expect(report.destinationDigest).not.toBe(multi.digest);
    const witnessed = await skopeoInspectRaw(`${destination.host}/mirror/multi-arm:v1`);
    expect(witnessed.digest).toBe(report.destinationDigest);
    const index = JSON.parse(witnessed.bytes.toString()) as IndexDocument;
    expect(index.manifests.map((m) => m.digest)).toEqual([arm?.digest]);
    expect(await headManifestDigest(destination.url, 'mirror/multi-arm', multi.manifests.find((m) => m.platform === 'linux/amd64')?.digest ?? '')).toBeUndefined();
  });

  it('copies nothing on a second run', async () => {
    await copyImage(ref(source, 'team/multi:v1'), ref(destination, 'mirror/multi-again:v1'), { credentials });

    const second = await copyImage(ref(source, 'team/multi:v1'), ref(destination, 'mirror/multi-again:v1'), { credentials });

    expect(second).toMatchObject({ manifestsCopied: 0, manifestsSkipped: 3, blobsCopied: 0, blobsMounted: 0, bytesCopied: 0, destinationDigest: multi.digest });
  });

  it('skips blobs the destination already has and only moves the tag when the image is there', async () => {
    // Prepare: the same layers under another config (one more layer) share six blobs
    await copyImage(ref(source, 'team/layered:v1'), ref(destination, 'mirror/shared:v1'), { credentials });
    const grown = await buildTestImage({ url: source.url, repository: 'team/layered', tag: 'v2' }, { layers: [0, 1, 1000, 300_000, 2 * MB, 5 * MB, 4096], seed: 'layered' });

    // Act
    const report = await copyImage(ref(source, 'team/layered:v2'), ref(destination, 'mirror/shared:v2'), { credentials });
    const retag = await copyImage(ref(source, 'team/layered:v1'), ref(destination, 'mirror/shared:v2'), { credentials });

    // Assess
    expect(report).toMatchObject({ destinationDigest: grown.digest, blobsSkipped: 6, blobsCopied: 2, bytesCopied: 4096 + (grown.manifests[0]?.config.size ?? 0) });
    expect(retag).toMatchObject({ manifestsCopied: 1, manifestsSkipped: 0, blobsCopied: 0, blobsSkipped: 7 });
    expect(await headManifestDigest(destination.url, 'mirror/shared', 'v2')).toBe(layered.digest);
  });

  it('mounts blobs across repositories of the same registry instead of copying them', async () => {
    const report = await copyImage(ref(source, 'team/layered:v1'), ref(source, 'other/layered:v1'), { credentials });

    expect(report).toMatchObject({ destinationDigest: layered.digest, blobsMounted: 7, blobsCopied: 0, bytesCopied: 0, manifestsCopied: 1 });
    expect(await headManifestDigest(source.url, 'other/layered', 'v1')).toBe(layered.digest);
  });

  it('streams a 100 MB layer, monolithic and in PATCH chunks, with identical digests', async () => {
    // Act
    const monolithic = await copyImage(ref(source, 'team/large:v1'), ref(destination, 'mirror/large:v1'), { credentials });
    const chunked = await copyImage(ref(source, 'team/large:v1'), ref(destination, 'mirror/large-chunked:v1'), {
      credentials,
      chunkedUploadThreshold: 10 * MB,
      uploadChunkSize: 16 * 1024 * 1024,
    });

    // Assess
    for (const [report, repository] of [
      [monolithic, 'mirror/large'],
      [chunked, 'mirror/large-chunked'],
    ] as const) {
      expect(report).toMatchObject({ destinationDigest: large.digest, blobsCopied: 2 });
      expect(report.bytesCopied).toBeGreaterThan(100 * MB);
      const layer = large.manifests[0]?.layers[0];
      const head = await rawRequest('HEAD', `${destination.url}/v2/${repository}/blobs/${layer?.digest ?? ''}`);
      expect(head.headers['content-length']).toBe(String(100 * MB));
    }
  });

  it('reports progress ending with every byte done', async () => {
    const events: CopyProgress[] = [];

    await copyImage(ref(source, 'team/multi:v1'), ref(destination, 'mirror/progress:v1'), { credentials, onProgress: (p) => events.push(p) });

    expect(events[0]?.phase).toBe('planning');
    const last = events.at(-1);
    expect(last).toMatchObject({ phase: 'done', blobsDone: 6, blobsTotal: 6, manifestsDone: 3, manifestsTotal: 3 });
    expect(last?.bytesDone).toBe(last?.bytesTotal);
    expect(events.some((e) => e.phase === 'blobs')).toBe(true);
  });

  it('copies referrers through the fallback tag schema when asked', async () => {
    // Act
    const report = await copyImage(ref(source, 'team/multi:v1'), ref(destination, 'mirror/signed:v1'), { credentials, includeReferrers: true });

    // Assess: the signature, its blobs and a fallback index listing it
    expect(report.destinationDigest).toBe(multi.digest);
    expect(await headManifestDigest(destination.url, 'mirror/signed', signature.digest)).toBe(signature.digest);
    const fallback = await skopeoInspectRaw(`${destination.host}/mirror/signed:${signature.fallbackTag}`);
    const index = JSON.parse(fallback.bytes.toString()) as IndexDocument;
    expect(index.manifests).toEqual([expect.objectContaining({ digest: signature.digest, artifactType: signature.artifactType })]);
    const rerun = await copyImage(ref(source, 'team/multi:v1'), ref(destination, 'mirror/signed:v1'), { credentials, includeReferrers: true });
    expect(rerun.manifestsCopied).toBe(0);
  });

  it('leaves referrers out by default', async () => {
    await copyImage(ref(source, 'team/multi:v1'), ref(destination, 'mirror/unsigned:v1'), { credentials });
    expect(await headManifestDigest(destination.url, 'mirror/unsigned', signature.digest)).toBeUndefined();
  });

  it('copies by digest and pushes by digest only when the destination has no tag', async () => {
    const child = multi.manifests[0];
    const report = await copyImage(ref(source, `team/multi@${child?.digest ?? ''}`), ref(destination, 'mirror/by-digest'), { credentials });

    expect(report).toMatchObject({ destinationDigest: child?.digest, destination: `${destination.host}/mirror/by-digest@${child?.digest ?? ''}` });
    // distribution 2.8 answers NAME_UNKNOWN for tags/list of a repository that has no tag at all.
    const tags = await rawRequest('GET', `${destination.url}/v2/mirror/by-digest/tags/list`);
    expect((JSON.parse(tags.body) as { tags?: string[] | null }).tags ?? []).toEqual([]);
    expect(await headManifestDigest(destination.url, 'mirror/by-digest', child?.digest ?? '')).toBe(child?.digest);
  });

  it('keeps the source tag when the destination names only a repository', async () => {
    const report = await copyImage(ref(source, 'team/layered:v1'), ref(destination, 'mirror/same-tag'), { credentials });
    expect(report.destination).toBe(`${destination.host}/mirror/same-tag:v1`);
    expect(await headManifestDigest(destination.url, 'mirror/same-tag', 'v1')).toBe(layered.digest);
  });

  it('fails clearly for a missing tag, an unknown platform and a mismatched destination digest', async () => {
    await expect(copyImage(ref(source, 'team/multi:nope'), ref(destination, 'mirror/x:v1'), { credentials })).rejects.toMatchObject({
      code: 'IMAGE_NOT_FOUND',
      source: 'user',
      message: `${source.host}/team/multi:nope not found: ${source.host} has no tag nope in repository team/multi; check the reference (and the credentials: some registries answer "not found" to callers who may not see a private repository)`,
    });
    await expect(copyImage(ref(source, 'team/multi:v1'), ref(destination, 'mirror/x:v1'), { credentials, platforms: ['linux/s390x'] })).rejects.toMatchObject({
      code: 'USAGE',
      message: 'The source index has no linux/s390x image; it offers linux/amd64, linux/arm64',
    });
    const wrong = `sha256:${createHash('sha256').update('other').digest('hex')}`;
    await expect(copyImage(ref(source, 'team/multi:v1'), ref(destination, `mirror/x@${wrong}`), { credentials })).rejects.toMatchObject({ code: 'USAGE' });
    expect(await headManifestDigest(destination.url, 'mirror/x', 'v1')).toBeUndefined();
  });
});

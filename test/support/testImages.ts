/**
 * Deterministic test images, and a raw-HTTP pusher that is independent of the code under test.
 *
 * Layer content is an AES-128-CTR keystream seeded by (seed, platform, layer index): random-looking,
 * incompressible, reproducible, generated at GB/s and streamed, so a 1 GiB layer never sits in
 * memory. Layers use the OCI media type `application/vnd.oci.image.layer.v1.tar` (uncompressed, so
 * the layer digest is also its diff_id); the content is not a real tar, which registries and
 * copiers never look at. With `compression: 'gzip'` the keystream is wrapped in a real gzip stream
 * (stored blocks, so it stays fast) under `…tar+gzip`: use it whenever skopeo copies the image,
 * because skopeo gzips uncompressed layers on push and so changes their digests.
 *
 * @example
 * const image = await buildTestImage({ url: registry.url, repository: 'app', tag: 'v1' }, { layers: [1024, 4096], platforms: ['linux/amd64', 'linux/arm64'] });
 */
import { createCipheriv, createHash } from 'node:crypto';
import { request } from 'node:http';
import { Readable } from 'node:stream';
import { constants as zlibConstants, createGzip } from 'node:zlib';

export const TEST_LAYER_MEDIA_TYPE = 'application/vnd.oci.image.layer.v1.tar';
export const TEST_GZIP_LAYER_MEDIA_TYPE = 'application/vnd.oci.image.layer.v1.tar+gzip';
const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
const OCI_CONFIG = 'application/vnd.oci.image.config.v1+json';
/** Generation chunk: large enough for GB/s, small enough to stay flat in memory. */
const GENERATION_CHUNK = 1024 * 1024;
const ZEROES = Buffer.alloc(GENERATION_CHUNK);

export interface TestImageSpec {
  /** Layer sizes in bytes (per platform). */
  layers: number[];
  /** `os/arch[/variant]`; an index is built when given (even for one), a single manifest otherwise. */
  platforms?: string[];
  /** Changes every byte of content; different seeds give unrelated images. Default `test`. */
  seed?: string;
  /** Layer encoding; default `none` (plain tar media type). */
  compression?: 'none' | 'gzip';
}

export interface TestBlob {
  mediaType: string;
  digest: string;
  size: number;
  /** A fresh stream of the content. */
  open(): Readable;
}

export interface TestManifest {
  mediaType: string;
  digest: string;
  bytes: Buffer;
  platform: string;
  config: TestBlob;
  layers: TestBlob[];
}

export interface TestImage {
  /** The top digest (the index, or the only manifest). */
  digest: string;
  mediaType: string;
  bytes: Buffer;
  manifests: TestManifest[];
  /** Every distinct blob (configs and layers). */
  blobs: TestBlob[];
}

/** Where and how `pushTestImage` pushes. */
export interface PushTarget {
  /** `http://127.0.0.1:<port>`. */
  url: string;
  repository: string;
  tag?: string;
  /** The full `Authorization` header value (Basic or Bearer), when the registry needs one. */
  authorization?: string;
}

function sha256(bytes: Buffer): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

function keystream(seed: string, size: number): Readable {
  const key = createHash('sha256').update(seed).digest().subarray(0, 16);
  const cipher = createCipheriv('aes-128-ctr', key, Buffer.alloc(16));
  let remaining = size;
  return new Readable({
    highWaterMark: GENERATION_CHUNK,
    read() {
      if (remaining <= 0) {
        this.push(null);
        return;
      }
      const length = Math.min(remaining, GENERATION_CHUNK);
      remaining -= length;
      this.push(cipher.update(length === GENERATION_CHUNK ? ZEROES : ZEROES.subarray(0, length)));
    },
  });
}

async function streamDigest(stream: Readable): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of stream) hash.update(chunk as Buffer);
  return `sha256:${hash.digest('hex')}`;
}

function bytesBlob(mediaType: string, bytes: Buffer): TestBlob {
  return { mediaType, digest: sha256(bytes), size: bytes.length, open: () => Readable.from([bytes]) };
}

/** gzip level 0 (stored blocks): real gzip framing at copy speed; random data would not shrink anyway. */
function gzipped(content: Readable): Readable {
  return content.pipe(createGzip({ level: zlibConstants.Z_NO_COMPRESSION, chunkSize: GENERATION_CHUNK }));
}

/** A layer and its diff_id (the digest of the uncompressed content). */
async function layerBlob(seed: string, size: number, compression: 'none' | 'gzip'): Promise<{ blob: TestBlob; diffId: string }> {
  const diffId = await streamDigest(keystream(seed, size));
  if (compression === 'none') return { blob: { mediaType: TEST_LAYER_MEDIA_TYPE, digest: diffId, size, open: () => keystream(seed, size) }, diffId };
  let compressedSize = 0;
  const hash = createHash('sha256');
  for await (const chunk of gzipped(keystream(seed, size))) {
    compressedSize += (chunk as Buffer).length;
    hash.update(chunk as Buffer);
  }
  return {
    blob: { mediaType: TEST_GZIP_LAYER_MEDIA_TYPE, digest: `sha256:${hash.digest('hex')}`, size: compressedSize, open: () => gzipped(keystream(seed, size)) },
    diffId,
  };
}

function descriptor(blob: { mediaType: string; digest: string; size: number }): { mediaType: string; digest: string; size: number } {
  return { mediaType: blob.mediaType, digest: blob.digest, size: blob.size };
}

async function buildManifest(seed: string, platform: string, sizes: number[], compression: 'none' | 'gzip'): Promise<TestManifest> {
  const [os = 'linux', architecture = 'amd64', variant] = platform.split('/');
  const built = await Promise.all(sizes.map((size, index) => layerBlob(`${seed}/${platform}/${index}`, size, compression)));
  const layers = built.map((b) => b.blob);
  const config = bytesBlob(
    OCI_CONFIG,
    Buffer.from(
      JSON.stringify({
        architecture,
        os,
        ...(variant ? { variant } : {}),
        created: '2026-01-01T00:00:00Z',
        config: { Labels: { 'test.seed': seed } },
        rootfs: { type: 'layers', diff_ids: built.map((b) => b.diffId) },
      }),
    ),
  );
  const bytes = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: OCI_MANIFEST, config: descriptor(config), layers: layers.map(descriptor) }, null, 2));
  return { mediaType: OCI_MANIFEST, digest: sha256(bytes), bytes, platform, config, layers };
}

/**
 * Generates an image description (nothing is pushed). Digests are computed by streaming the
 * content once.
 *
 * @example
 * const image = await generateTestImage({ layers: [100 * 1024 * 1024] });
 */
export async function generateTestImage(spec: TestImageSpec): Promise<TestImage> {
  const seed = spec.seed ?? 'test';
  const platforms = spec.platforms ?? ['linux/amd64'];
  const manifests = await Promise.all(platforms.map((platform) => buildManifest(seed, platform, spec.layers, spec.compression ?? 'none')));
  const blobs = new Map<string, TestBlob>();
  for (const manifest of manifests) for (const blob of [manifest.config, ...manifest.layers]) blobs.set(blob.digest, blob);
  if (!spec.platforms) {
    const only = manifests[0] as TestManifest;
    return { digest: only.digest, mediaType: only.mediaType, bytes: only.bytes, manifests, blobs: [...blobs.values()] };
  }
  const index = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_INDEX,
      manifests: manifests.map((m) => {
        const [os, architecture, variant] = m.platform.split('/');
        return { mediaType: m.mediaType, digest: m.digest, size: m.bytes.length, platform: { architecture, os, ...(variant ? { variant } : {}) } };
      }),
    }),
  );
  return { digest: sha256(index), mediaType: OCI_INDEX, bytes: index, manifests, blobs: [...blobs.values()] };
}

interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/**
 * One plain HTTP exchange (no retries, no auth negotiation), for setting up and checking registries
 * independently of the code under test.
 *
 * @example
 * const { status } = await rawRequest('HEAD', `${registry.url}/v2/app/manifests/v1`);
 */
export function rawRequest(
  method: string,
  url: string,
  options: { headers?: Record<string, string>; body?: Buffer | Readable; authorization?: string } = {},
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { ...options.headers };
    if (options.authorization) headers.authorization = options.authorization;
    if (Buffer.isBuffer(options.body)) headers['content-length'] = String(options.body.length);
    const req = request(url, { method, headers }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks).toString('utf8') }));
      response.on('error', reject);
    });
    req.on('error', reject);
    if (options.body === undefined) req.end();
    else if (Buffer.isBuffer(options.body)) req.end(options.body);
    else options.body.pipe(req);
  });
}

function expectStatus(response: RawResponse, expected: number, what: string): void {
  if (response.status !== expected) throw new Error(`${what}: HTTP ${response.status} ${response.body.slice(0, 300)}`);
}

async function pushBlob(target: PushTarget, blob: TestBlob): Promise<void> {
  const base = `${target.url}/v2/${target.repository}`;
  const auth = target.authorization === undefined ? {} : { authorization: target.authorization };
  const exists = await rawRequest('HEAD', `${base}/blobs/${blob.digest}`, auth);
  if (exists.status === 200) return;
  const started = await rawRequest('POST', `${base}/blobs/uploads/`, { ...auth, headers: { 'content-length': '0' } });
  expectStatus(started, 202, `POST upload for ${blob.digest}`);
  const location = new URL(String(started.headers.location), target.url);
  location.searchParams.set('digest', blob.digest);
  const committed = await rawRequest('PUT', location.toString(), {
    ...auth,
    headers: { 'content-type': 'application/octet-stream', 'content-length': String(blob.size) },
    body: blob.open(),
  });
  expectStatus(committed, 201, `PUT blob ${blob.digest}`);
}

async function pushManifest(target: PushTarget, reference: string, mediaType: string, bytes: Buffer): Promise<void> {
  const response = await rawRequest('PUT', `${target.url}/v2/${target.repository}/manifests/${reference}`, {
    ...(target.authorization === undefined ? {} : { authorization: target.authorization }),
    headers: { 'content-type': mediaType },
    body: bytes,
  });
  expectStatus(response, 201, `PUT manifest ${reference}`);
}

/**
 * Pushes an image with plain HTTP: blobs, then manifests by digest, then the top by tag.
 *
 * @example
 * await pushTestImage({ url: registry.url, repository: 'app', tag: 'v1' }, image);
 */
export async function pushTestImage(target: PushTarget, image: TestImage): Promise<void> {
  await Promise.all(image.blobs.map((blob) => pushBlob(target, blob)));
  for (const manifest of image.manifests) await pushManifest(target, manifest.digest, manifest.mediaType, manifest.bytes);
  if (image.manifests.length !== 1 || image.digest !== image.manifests[0]?.digest) await pushManifest(target, image.digest, image.mediaType, image.bytes);
  if (target.tag !== undefined) await pushManifest(target, target.tag, image.mediaType, image.bytes);
}

/**
 * Generates an image and pushes it; returns its description (digests included).
 *
 * @example
 * const image = await buildTestImage({ url: source.url, repository: 'app', tag: 'v1' }, { layers: [2048, 4096] });
 */
export async function buildTestImage(target: PushTarget, spec: TestImageSpec): Promise<TestImage> {
  const image = await generateTestImage(spec);
  await pushTestImage(target, image);
  return image;
}

/**
 * The digest a tag points at, from the registry's `Docker-Content-Digest` on HEAD; undefined if absent.
 *
 * @example
 * expect(await headManifestDigest(registry.url, 'app', 'v1')).toBe(image.digest);
 */
export async function headManifestDigest(url: string, repository: string, reference: string, authorization?: string): Promise<string | undefined> {
  const response = await rawRequest('HEAD', `${url}/v2/${repository}/manifests/${reference}`, {
    headers: { accept: [OCI_INDEX, OCI_MANIFEST, 'application/vnd.docker.distribution.manifest.list.v2+json', 'application/vnd.docker.distribution.manifest.v2+json'].join(', ') },
    ...(authorization === undefined ? {} : { authorization }),
  });
  if (response.status === 404) return undefined;
  expectStatus(response, 200, `HEAD ${repository}:${reference}`);
  return String(response.headers['docker-content-digest']);
}

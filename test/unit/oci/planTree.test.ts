import { afterEach, describe, expect, it } from 'vitest';
import { copyImage } from '../../../lib/oci/copy/copyImage';
import { computeDigest } from '../../../lib/oci/digest';
import { OCI_IMAGE_CONFIG, OCI_LAYER_TAR, OCI_MANIFEST } from '../../../lib/oci/mediaTypes';
import { parseImageReference } from '../../../lib/oci/reference';
import { anonymousCredentials } from '../../../lib/oci/transport/credentials';
import { type ScriptedRegistry, type ScriptedRoute, startScriptedRegistry } from '../../support/scriptedRegistry';

const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] } }));
const layers = [Buffer.alloc(3000, 1), Buffer.alloc(2000, 2), Buffer.alloc(1000, 3)];
const blobs = [config, ...layers];
const descriptor = (mediaType: string, bytes: Buffer) => ({ mediaType, digest: computeDigest(bytes), size: bytes.length });
const manifest = Buffer.from(
  JSON.stringify({ schemaVersion: 2, mediaType: OCI_MANIFEST, config: descriptor(OCI_IMAGE_CONFIG, config), layers: layers.map((layer) => descriptor(OCI_LAYER_TAR, layer)) }),
);
const manifestDigest = computeDigest(manifest);
/** `copyImage`'s default: blobs in flight at once. */
const CONCURRENCY = 4;

const sourceRoutes: ScriptedRoute[] = [
  { method: 'GET', path: '/v2/', respond: () => ({ status: 200 }) },
  { method: 'GET', path: '/v2/app/manifests/v1', respond: () => ({ status: 200, headers: { 'content-type': OCI_MANIFEST, 'docker-content-digest': manifestDigest }, body: manifest }) },
  ...blobs.map((bytes): ScriptedRoute => ({ method: 'GET', path: `/v2/app/blobs/${computeDigest(bytes)}`, respond: () => ({ status: 200, body: bytes }) })),
];

/** What the destination was asked, in order, without the ping. */
const asked = (registry: ScriptedRegistry | undefined): string[] => (registry?.requests ?? []).filter((r) => r.url !== '/v2/').map((r) => `${r.method} ${r.url.split('?')[0]}`);

describe('planTree: the existence checks of the first blobs travel with the root HEAD', () => {
  const servers: ScriptedRegistry[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((server) => server.stop()));
  });

  async function registries(destinationRoutes: ScriptedRoute[]): Promise<[ScriptedRegistry, ScriptedRegistry]> {
    const source = await startScriptedRegistry(sourceRoutes);
    const destination = await startScriptedRegistry([{ method: 'GET', path: '/v2/', respond: () => ({ status: 200 }) }, ...destinationRoutes]);
    servers.push(source, destination);
    return [source, destination];
  }

  it('sends the blob HEADs before the root HEAD is answered, then copies', async () => {
    // Prepare: the destination answers the root HEAD only once every blob HEAD has arrived. A copy
    // that waits for the root's answer before checking blobs never gets it, and times out.
    let blobHeads = 0;
    let allBlobHeads!: () => void;
    const arrived = new Promise<void>((resolve) => (allBlobHeads = resolve));
    const [source, destination] = await registries([
      { method: 'HEAD', path: `/v2/copy/manifests/${manifestDigest}`, respond: () => arrived.then(() => ({ status: 404 })) },
      {
        method: 'HEAD',
        path: /^\/v2\/copy\/blobs\//,
        respond: () => {
          blobHeads += 1;
          if (blobHeads === blobs.length) allBlobHeads();
          return { status: 404 };
        },
      },
      { method: 'POST', path: '/v2/copy/blobs/uploads/', respond: (r) => ({ status: r.url.includes('digest=') ? 201 : 202 }) },
      { method: 'PUT', path: '/v2/copy/manifests/v1', respond: () => ({ status: 201, headers: { 'docker-content-digest': manifestDigest } }) },
    ]);

    // Act
    const report = await copyImage(parseImageReference(`${source.host}/app:v1`), parseImageReference(`${destination.host}/copy:v1`), {
      credentials: () => anonymousCredentials,
      timeoutMs: 2_000,
    });

    // Assess
    expect(report).toMatchObject({ blobsCopied: blobs.length, manifestsCopied: 1, destinationDigest: manifestDigest });
    const order = asked(destination);
    expect(order.slice(0, blobs.length + 1).sort()).toEqual([`HEAD /v2/copy/manifests/${manifestDigest}`, ...blobs.map((bytes) => `HEAD /v2/copy/blobs/${computeDigest(bytes)}`)].sort());
    // One check per blob: the transfers used the answers the plan already had.
    expect(order.filter((line) => line.startsWith('HEAD /v2/copy/blobs/'))).toHaveLength(blobs.length);
  });

  it('checks no more blobs than run at once, and copies nothing when the destination has the image', async () => {
    // Prepare: more blobs than the concurrency, all there already.
    const many = Array.from({ length: CONCURRENCY + 3 }, (_, index) => Buffer.alloc(100 + index, index));
    const big = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: OCI_MANIFEST, config: descriptor(OCI_IMAGE_CONFIG, config), layers: many.map((layer) => descriptor(OCI_LAYER_TAR, layer)) }));
    const bigDigest = computeDigest(big);
    const source = await startScriptedRegistry([
      { method: 'GET', path: '/v2/', respond: () => ({ status: 200 }) },
      { method: 'GET', path: '/v2/app/manifests/v2', respond: () => ({ status: 200, headers: { 'content-type': OCI_MANIFEST, 'docker-content-digest': bigDigest }, body: big }) },
      { method: 'GET', path: `/v2/app/blobs/${computeDigest(config)}`, respond: () => ({ status: 200, body: config }) },
    ]);
    servers.push(source);
    const [, destination] = await registries([
      { method: 'HEAD', path: `/v2/copy/manifests/${bigDigest}`, respond: () => ({ status: 200, headers: { 'docker-content-digest': bigDigest, 'content-type': OCI_MANIFEST } }) },
      { method: 'HEAD', path: /^\/v2\/copy\/blobs\//, respond: () => ({ status: 200 }) },
      { method: 'HEAD', path: '/v2/copy/manifests/v2', respond: () => ({ status: 200, headers: { 'docker-content-digest': bigDigest, 'content-type': OCI_MANIFEST } }) },
    ]);

    // Act
    const report = await copyImage(parseImageReference(`${source.host}/app:v2`), parseImageReference(`${destination.host}/copy:v2`), { credentials: () => anonymousCredentials });

    // Assess
    expect(report).toMatchObject({ blobsCopied: 0, blobsSkipped: many.length + 1, manifestsCopied: 0 });
    const order = asked(destination);
    expect(order.filter((line) => line.startsWith('HEAD /v2/copy/blobs/'))).toHaveLength(CONCURRENCY);
    expect(order.filter((line) => !line.startsWith('HEAD /v2/copy/blobs/'))).toEqual([`HEAD /v2/copy/manifests/${bigDigest}`, 'HEAD /v2/copy/manifests/v2']);
  });
});

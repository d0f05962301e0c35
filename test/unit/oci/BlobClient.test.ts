import { Readable } from 'node:stream';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { AutopilotError } from '../../../lib/errors';
import { computeDigest } from '../../../lib/oci/digest';
import { BlobClient } from '../../../lib/oci/remote/BlobClient';
import type { BodySource } from '../../../lib/oci/transport/bodySource';
import { createRetryPolicy } from '../../../lib/oci/transport/retryPolicy';
import { RegistryHttp } from '../../../lib/oci/transport/RegistryHttp';
import type { Descriptor } from '../../../lib/oci/types';
import { bodySourceFromReadable } from '../../support/bodySources';
import { type RecordedRequest, type ScriptedRegistry, startScriptedRegistry } from '../../support/scriptedRegistry';

const content = Buffer.from('0123456789abcdefghijklmno');
const blob: Descriptor = { mediaType: 'application/octet-stream', digest: computeDigest(content), size: content.length };
const open = (): Promise<BodySource> => Promise.resolve(bodySourceFromReadable(Readable.from([content])));
const summary = (requests: RecordedRequest[]): string[] =>
  requests.filter((r) => r.url !== '/v2/').map((r) => [r.method, r.url.split('?')[0], r.headers['content-range'], r.bodyLength].filter((part) => part !== undefined).join(' '));

describe('BlobClient.upload', () => {
  let server: ScriptedRegistry | undefined;
  let registryHttp: RegistryHttp | undefined;

  afterEach(async () => {
    registryHttp?.close();
    await server?.stop();
  });

  async function clientFor(routes: Parameters<typeof startScriptedRegistry>[0], options: ConstructorParameters<typeof BlobClient>[1] = {}): Promise<BlobClient> {
    server = await startScriptedRegistry([{ method: 'GET', path: '/v2/', respond: () => ({ status: 200 }) }, ...routes]);
    registryHttp = new RegistryHttp({ retryPolicy: createRetryPolicy({ sleep: () => Promise.resolve() }) });
    return new BlobClient(registryHttp, options);
  }

  it('uploads a small blob in one POST ?digest= when the registry answers 201', async () => {
    const blobs = await clientFor([{ method: 'POST', path: '/v2/app/blobs/uploads/', respond: (r) => ({ status: r.url.includes('digest=') ? 201 : 202 }) }]);

    const outcome = await blobs.upload({ registry: server?.host ?? '', repository: 'app' }, blob, open);

    expect(outcome).toBe('uploaded');
    expect(summary(server?.requests ?? [])).toEqual(['POST /v2/app/blobs/uploads/ 25']);
  });

  it('falls back to an upload in the session a declined mount opened (202)', async () => {
    const blobs = await clientFor([
      { method: 'POST', path: '/v2/app/blobs/uploads/', respond: () => ({ status: 202, headers: { location: '/v2/app/blobs/uploads/s1?_state=abc' } }) },
      { method: 'PUT', path: '/v2/app/blobs/uploads/s1', respond: () => ({ status: 201, headers: { 'docker-content-digest': blob.digest } }) },
    ]);

    const outcome = await blobs.upload({ registry: server?.host ?? '', repository: 'app' }, blob, open, { mountFrom: 'other' });

    expect(outcome).toBe('uploaded');
    const [post, put] = server?.requests.filter((r) => r.url !== '/v2/') ?? [];
    expect(post?.url).toBe(`/v2/app/blobs/uploads/?mount=${encodeURIComponent(blob.digest)}&from=other`);
    expect(put?.url).toBe(`/v2/app/blobs/uploads/s1?_state=abc&digest=${encodeURIComponent(blob.digest)}`);
    expect(put?.bodyLength).toBe(25);
  });

  it('closes the session it opened with DELETE when the content never comes (its download failed)', async () => {
    // Prepare: a blob above the single-POST size, so the session and the download open together.
    const big = Buffer.alloc(100_000, 7);
    const bigBlob: Descriptor = { mediaType: 'application/octet-stream', digest: computeDigest(big), size: big.length };
    const blobs = await clientFor([
      { method: 'POST', path: '/v2/app/blobs/uploads/', respond: () => ({ status: 202, headers: { location: '/v2/app/blobs/uploads/s9?_state=xyz' } }) },
      { method: 'DELETE', path: '/v2/app/blobs/uploads/s9', respond: () => ({ status: 204 }) },
    ]);
    const failing = async (): Promise<BodySource> => {
      await vi.waitFor(() => expect(server?.requests.some((request) => request.method === 'POST')).toBe(true));
      throw new AutopilotError('REGISTRY_ERROR', 'the source answered 500 and gave up');
    };

    // Act
    const upload = blobs.upload({ registry: server?.host ?? '', repository: 'app' }, bigBlob, failing);

    // Assess
    await expect(upload).rejects.toMatchObject({ code: 'REGISTRY_ERROR' });
    expect(summary(server?.requests ?? [])).toEqual(['POST /v2/app/blobs/uploads/ 0', 'DELETE /v2/app/blobs/uploads/s9 0']);
  });

  it.each([
    ['404 BLOB_UPLOAD_INVALID (docker distribution, once a body was cut mid-request)', 404, '{"errors":[{"code":"BLOB_UPLOAD_INVALID","message":"blob upload invalid"}]}', true],
    ['405 (no DELETE of uploads)', 405, '', true],
    ['404 BLOB_UPLOAD_UNKNOWN (already gone)', 404, '{"errors":[{"code":"BLOB_UPLOAD_UNKNOWN","message":"blob upload unknown"}]}', false],
    ['204 (deleted)', 204, '', false],
  ])('reports a session it could not delete when the DELETE answers %s', async (_what, status, body, leftOpen) => {
    // Prepare
    const big = Buffer.alloc(100_000, 7);
    const bigBlob: Descriptor = { mediaType: 'application/octet-stream', digest: computeDigest(big), size: big.length };
    const blobs = await clientFor([
      { method: 'POST', path: '/v2/app/blobs/uploads/', respond: () => ({ status: 202, headers: { location: '/v2/app/blobs/uploads/s5?_state=secret-state' } }) },
      { method: 'DELETE', path: '/v2/app/blobs/uploads/s5', respond: () => ({ status, body }) },
    ]);
    const failing = async (): Promise<BodySource> => {
      await vi.waitFor(() => expect(server?.requests.some((request) => request.method === 'POST')).toBe(true));
      throw new AutopilotError('REGISTRY_ERROR', 'the source answered 500 and gave up');
    };
    const reported: string[] = [];

    // Act
    const upload = blobs.upload({ registry: server?.host ?? '', repository: 'app' }, bigBlob, failing, { onSessionLeftOpen: (location) => reported.push(location) });

    // Assess: the URL without its query (the upload state).
    await expect(upload).rejects.toMatchObject({ code: 'REGISTRY_ERROR' });
    expect(reported).toEqual(leftOpen ? [`http://${server?.host}/v2/app/blobs/uploads/s5`] : []);
  });

  it('lets the session-opening POST on the wire at a cancel finish, then deletes that session and sends nothing else', async () => {
    // Prepare: the POST is held by the registry until the test lets it answer; the content never comes.
    const big = Buffer.alloc(100_000, 7);
    const bigBlob: Descriptor = { mediaType: 'application/octet-stream', digest: computeDigest(big), size: big.length };
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const blobs = await clientFor([
      { method: 'POST', path: '/v2/app/blobs/uploads/', respond: async () => (await held, { status: 202, headers: { location: '/v2/app/blobs/uploads/s7?_state=abc' } }) },
      { method: 'DELETE', path: '/v2/app/blobs/uploads/s7', respond: () => ({ status: 204 }) },
    ]);
    const controller = new AbortController();
    const never = async (): Promise<BodySource> => bodySourceFromReadable(new Readable({ read: () => undefined }));

    // Act: cancel while the POST is on the wire, then let it answer.
    const upload = blobs.upload({ registry: server?.host ?? '', repository: 'app' }, bigBlob, never, { signal: controller.signal });
    await vi.waitFor(() => expect(server?.requests.some((request) => request.method === 'POST')).toBe(true));
    controller.abort(new AutopilotError('ABORTED', 'interrupted'));
    release();

    // Assess
    await expect(upload).rejects.toMatchObject({ code: 'ABORTED', message: 'interrupted' });
    expect(summary(server?.requests ?? [])).toEqual(['POST /v2/app/blobs/uploads/ 0', 'DELETE /v2/app/blobs/uploads/s7 0']);
  });

  it('reports a mount when the registry answers 201 to the mount POST', async () => {
    const blobs = await clientFor([{ method: 'POST', path: '/v2/app/blobs/uploads/', respond: () => ({ status: 201 }) }]);
    expect(await blobs.upload({ registry: server?.host ?? '', repository: 'app' }, blob, open, { mountFrom: 'other' })).toBe('mounted');
  });

  it('uploads in PATCH chunks above the threshold, following each Location, then commits with an empty PUT', async () => {
    // Prepare: a blob too big for the single-POST path, three chunks of at most 30,000 bytes
    let session = 0;
    const big = Buffer.alloc(70_000, 7);
    const descriptor = { ...blob, digest: computeDigest(big), size: big.length };
    const chunks = await clientFor(
      [
        { method: 'POST', path: '/v2/app/blobs/uploads/', respond: () => ({ status: 202, headers: { location: '/v2/app/blobs/uploads/s0' } }) },
        { method: 'PATCH', path: /^\/v2\/app\/blobs\/uploads\/s\d$/, respond: () => ({ status: 202, headers: { location: `/v2/app/blobs/uploads/s${++session}` } }) },
        { method: 'PUT', path: '/v2/app/blobs/uploads/s3', respond: () => ({ status: 201 }) },
      ],
      { chunkedUploadThreshold: 20, uploadChunkSize: 30_000 },
    );

    const outcome = await chunks.upload({ registry: server?.host ?? '', repository: 'app' }, descriptor, () => Promise.resolve(bodySourceFromReadable(Readable.from([big]))));

    expect(outcome).toBe('uploaded');
    expect(summary(server?.requests ?? [])).toEqual([
      'POST /v2/app/blobs/uploads/ 0',
      'PATCH /v2/app/blobs/uploads/s0 0-29999 30000',
      'PATCH /v2/app/blobs/uploads/s1 30000-59999 30000',
      'PATCH /v2/app/blobs/uploads/s2 60000-69999 10000',
      'PUT /v2/app/blobs/uploads/s3 0',
    ]);
  });
});

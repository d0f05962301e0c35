import { createServer, type Server } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { computeDigest } from '../../../lib/oci/digest';
import { BlobClient } from '../../../lib/oci/remote/BlobClient';
import { createRetryPolicy } from '../../../lib/oci/transport/retryPolicy';
import { RegistryHttp } from '../../../lib/oci/transport/RegistryHttp';
import { collectBodySource } from '../../support/bodySources';

const content = Buffer.from(Array.from({ length: 100_000 }, (_, i) => i % 251));
const descriptor = { mediaType: 'application/octet-stream', digest: computeDigest(content), size: content.length };

/** A blob server whose first download is cut after `cutAfter` bytes; later ones honour Range or not. */
function blobServer(options: { honourRange: boolean; cutAfter: number; cuts: number }): { server: Server; ranges: (string | undefined)[] } {
  const ranges: (string | undefined)[] = [];
  let served = 0;
  const server = createServer((request, response) => {
    if (request.url === '/v2/') {
      response.writeHead(200);
      response.end();
      return;
    }
    ranges.push(request.headers.range);
    served += 1;
    const start = options.honourRange && request.headers.range ? Number(/bytes=(\d+)-/.exec(request.headers.range)?.[1] ?? '0') : 0;
    const body = content.subarray(start);
    response.writeHead(start > 0 ? 206 : 200, {
      'content-length': String(body.length),
      ...(start > 0 ? { 'content-range': `bytes ${start}-${content.length - 1}/${content.length}` } : {}),
    });
    if (served <= options.cuts) {
      response.write(body.subarray(0, options.cutAfter), () => response.socket?.destroy());
      return;
    }
    response.end(body);
  });
  return { server, ranges };
}

async function download(server: Server, maxAttempts = 5): Promise<Buffer> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  const registryHttp = new RegistryHttp({ retryPolicy: createRetryPolicy({ maxAttempts, sleep: () => Promise.resolve() }) });
  try {
    const source = await new BlobClient(registryHttp).open({ registry: `127.0.0.1:${port}`, repository: 'app' }, descriptor);
    return await collectBodySource(source, content.length);
  } finally {
    registryHttp.close();
  }
}

describe('resumableDownload (through BlobClient.open)', () => {
  let server: Server | undefined;

  afterEach(async () => {
    server?.closeAllConnections();
    await new Promise((resolve) => server?.close(resolve));
  });

  it('continues with a Range request after a dropped connection', async () => {
    const fixture = blobServer({ honourRange: true, cutAfter: 30_000, cuts: 2 });
    server = fixture.server;

    const received = await download(server);

    expect(received.equals(content)).toBe(true);
    expect(fixture.ranges[0]).toBeUndefined();
    expect(fixture.ranges.slice(1)).toEqual(['bytes=30000-', 'bytes=60000-']);
  });

  it('skips what it already has when the registry ignores Range', async () => {
    const fixture = blobServer({ honourRange: false, cutAfter: 45_000, cuts: 1 });
    server = fixture.server;

    const received = await download(server);

    expect(received.equals(content)).toBe(true);
    expect(fixture.ranges).toEqual([undefined, 'bytes=45000-']);
  });

  it('gives up after the policy attempts with a clear message', async () => {
    const fixture = blobServer({ honourRange: true, cutAfter: 10, cuts: 100 });
    server = fixture.server;

    await expect(download(server, 3)).rejects.toMatchObject({ code: 'REGISTRY_ERROR', message: expect.stringMatching(/download kept failing.*gave up after 3 attempts/) });
  });
});

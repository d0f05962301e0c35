import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { Readable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { resumableDownload } from '../../../lib/oci/remote/resumableDownload';
import { SourceSlicer } from '../../../lib/oci/remote/sourceSlicer';
import type { BodySource } from '../../../lib/oci/transport/bodySource';
import { HttpWire } from '../../../lib/oci/transport/HttpWire';
import { type RegistryResponse, wrapResponse } from '../../../lib/oci/transport/RegistryHttp';
import { createRetryPolicy } from '../../../lib/oci/transport/retryPolicy';
import { bodySourceFromReadable, collectBodySource, turns } from '../../support/bodySources';

const collect = (source: ReturnType<SourceSlicer['slice']>): Promise<Buffer> => collectBodySource(source, 1 << 20);

describe('SourceSlicer', () => {
  it('cuts a stream into consecutive slices across chunk boundaries', async () => {
    // Prepare: chunks of 7 bytes, slices of 10
    const content = Buffer.from('abcdefghijklmnopqrstuvwxyz0123456789');
    const chunks = [0, 7, 14, 21, 28, 35].map((start) => content.subarray(start, start + 7));
    const slicer = new SourceSlicer(bodySourceFromReadable(Readable.from(chunks)));

    // Act
    const slices = [await collect(slicer.slice(10)), await collect(slicer.slice(10)), await collect(slicer.slice(10)), await collect(slicer.slice(6))];

    // Assess
    expect(slices.map((s) => s.toString())).toEqual(['abcdefghij', 'klmnopqrst', 'uvwxyz0123', '456789']);
  });

  it('fails a slice when the content ends before it is full', async () => {
    // Prepare
    const slicer = new SourceSlicer(bodySourceFromReadable(Readable.from([Buffer.from('abcdefg')])));

    // Act
    const first = await collect(slicer.slice(5));
    const second = collect(slicer.slice(5));

    // Assess
    expect(first.toString()).toBe('abcde');
    await expect(second).rejects.toThrow(/ended 3 bytes before the end of an upload chunk/);
  });
});



describe('SourceSlicer over a download that resumes between slices', () => {
  let server: Server | undefined;
  let wire: HttpWire | undefined;

  afterEach(async () => {
    wire?.close();
    server?.closeAllConnections();
    await new Promise((resolve) => server?.close(resolve));
  });

  /**
   * A download whose first GET sends `firstPart` bytes and stalls until a short idle timeout ends
   * it (standing in for SOCKET_IDLE_TIMEOUT_MS while a PATCH answer is awaited); a Range GET then
   * sends the rest. `resumed` settles once the Range response arrived.
   */
  async function stallingDownload(payload: Buffer, firstPart: number): Promise<{ source: BodySource; resumed: () => Promise<RegistryResponse | undefined> }> {
    let rangeRequested: () => void = () => undefined;
    const rangeSeen = new Promise<void>((resolve) => (rangeRequested = resolve));
    server = createServer((request, response) => {
      const range = request.headers.range;
      if (range === undefined) {
        response.writeHead(200, { 'content-length': String(payload.length) });
        response.write(payload.subarray(0, firstPart));
        return; // stall
      }
      const start = Number(/bytes=(\d+)-/.exec(range)?.[1]);
      response.writeHead(206, { 'content-length': String(payload.length - start), 'content-range': `bytes ${start}-${payload.length - 1}/${payload.length}` });
      response.end(payload.subarray(start));
      rangeRequested();
    });
    await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    const url = new URL(`http://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}/blob`);
    const client = new HttpWire();
    wire = client;
    const first = await client.exchange({ url, method: 'GET', headers: {}, rejectUnauthorized: true, timeouts: { connectMs: 200, idleMs: 200, responseMs: 200 } });
    let resumed: Promise<RegistryResponse> | undefined;
    const source = resumableDownload({
      first: wrapResponse(first, url),
      size: payload.length,
      resume: (offset) => {
        resumed = client.exchange({ url, method: 'GET', headers: { range: `bytes=${offset}-` }, rejectUnauthorized: true, timeouts: { connectMs: 10_000, idleMs: 10_000, responseMs: 10_000 } }).then((response) => wrapResponse(response, url));
        return resumed;
      },
      policy: createRetryPolicy({ maxAttempts: 5, sleep: () => Promise.resolve() }),
      what: 'blob',
    });
    return {
      source,
      resumed: async () => {
        await rangeSeen;
        const response = await resumed;
        await turns(20);
        return response;
      },
    };
  }

  it('keeps the bytes past the first slice when the download resumes (ETIMEDOUT) between slices', async () => {
    // Prepare
    const payload = randomBytes(100_000);
    const sliceLength = 20_000;
    const { source, resumed } = await stallingDownload(payload, 30_000);
    const slicer = new SourceSlicer(source);

    // Act: the first slice (one PATCH) completes; the download times out while the next PATCH is not yet started
    const firstSlice = await collectBodySource(slicer.slice(sliceLength), payload.length);
    await resumed();
    const secondSlice = await collectBodySource(slicer.slice(payload.length - sliceLength), payload.length);

    // Assess
    expect(firstSlice.equals(payload.subarray(0, sliceLength))).toBe(true);
    expect(secondSlice.length).toBe(payload.length - sliceLength);
    expect(secondSlice.equals(payload.subarray(sliceLength))).toBe(true);
  });

  it('delivers nothing from a resumed response while its consumer is paused', async () => {
    // Prepare: a consumer that pauses on the 30 000th byte (as an upload waiting on its write does)
    const payload = randomBytes(100_000);
    const { source, resumed } = await stallingDownload(payload, 30_000);
    const received: Buffer[] = [];
    let total = 0;
    let deliveredWhilePaused = 0;
    let paused = false;
    const done = new Promise<void>((resolve, reject) => {
      source.start({
        chunk(bytes) {
          if (paused) deliveredWhilePaused += 1;
          received.push(Buffer.from(bytes));
          total += bytes.length;
          paused = total === 30_000;
          return !paused;
        },
        end: resolve,
        error: reject,
      });
    });

    // Act: the download times out and resumes while the consumer is still paused
    await resumed();
    const chunksWhilePaused = received.length;
    paused = false;
    source.resume();
    await done;

    // Assess
    expect(deliveredWhilePaused).toBe(0);
    expect(total).toBe(payload.length);
    expect(chunksWhilePaused).toBeGreaterThan(0);
    expect(Buffer.concat(received).equals(payload)).toBe(true);
  });
});

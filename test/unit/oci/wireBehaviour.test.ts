/**
 * The behaviour every wire must have, run against both: `HttpWire` (direct) and `UndiciWire`
 * (through a real local CONNECT proxy, `test/support/httpProxy.ts`). `RegistryHttp` relies on
 * exactly this: bodies as framed, request bodies byte-identical, refused headers never sent,
 * failures with the same codes and timeout phases, backpressure, TLS verification.
 */
import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ChunkSink } from '../../../lib/oci/transport/bodySource';
import { HttpWire } from '../../../lib/oci/transport/HttpWire';
import { UndiciWire } from '../../../lib/oci/transport/UndiciWire';
import type { Wire } from '../../../lib/oci/transport/wire';
import { bodySourceFromReadable, collectBodySource, turns } from '../../support/bodySources';
import { selfSignedCertificate } from '../../support/certificates';
import { findFreePort } from '../../support/freePort';
import { type HttpProxy, startHttpProxy } from '../../support/httpProxy';
import {
  generatedReadable,
  get,
  type LocalServer,
  readRequestBody,
  requestHead,
  sha256,
  startHttpServer,
  startRawServer,
  startTlsEchoServer,
  stopWireTestServers,
  text,
} from '../../support/wireTestServers';

let proxy: HttpProxy;

beforeAll(async () => {
  proxy = await startHttpProxy();
});

afterAll(() => proxy.stop());

const implementations = [
  { name: 'HttpWire (direct)', proxied: false, exactParserCodes: true, make: (): Wire => new HttpWire() },
  // undici's parser errors keep only their family: its llhttp error codes are lost on the way.
  { name: 'UndiciWire (through a CONNECT proxy)', proxied: true, exactParserCodes: false, make: (): Wire => new UndiciWire({ httpProxy: proxy.url, httpsProxy: proxy.url }) },
];

describe.each(implementations)('$name', ({ make, proxied, exactParserCodes }) => {
  let wire: Wire;
  /** A protocol error's code, exactly or by family. */
  const protocolError = (code: string): unknown => (exactParserCodes ? code : expect.stringMatching(/^HPE_/));

  beforeEach(() => {
    wire = make();
  });

  afterEach(async () => {
    wire.close();
    await stopWireTestServers();
  });

  it(proxied ? 'sends every request through the proxy, tunnelled to the origin' : 'connects straight to the origin', async () => {
    // Prepare
    const server = await startHttpServer((_request, response) => response.end('ok'));
    const tunnelsBefore = proxy.targets.length;

    // Act
    const body = await text(await wire.exchange(get(server.url)));

    // Assess
    expect(body).toBe('ok');
    expect(proxy.targets.slice(tunnelsBefore).map((target) => target.authority)).toEqual(proxied ? [server.url.host] : []);
  });

  describe('response bodies', () => {
    it('returns the status, lower-cased headers and a Content-Length body read with read(max)', async () => {
      // Prepare
      const server = await startHttpServer((_request, response) => {
        response.writeHead(203, { 'X-Custom-Header': 'Some Value', 'Content-Type': 'text/plain', 'Content-Length': '11' });
        response.end('hello, wire');
      });

      // Act
      const response = await wire.exchange(get(new URL('/greeting', server.url)));
      const body = await response.body.read(1024);

      // Assess
      expect(response.statusCode).toBe(203);
      expect(response.headers['x-custom-header']).toBe('Some Value');
      expect(response.headers['content-type']).toBe('text/plain');
      expect(response.headers['content-length']).toBe('11');
      expect(body).toEqual({ bytes: Buffer.from('hello, wire'), truncated: false });
      expect(response.body.complete).toBe(true);
    });

    it('reports a body longer than read(max) as truncated, with exactly max bytes', async () => {
      // Prepare
      const payload = randomBytes(100_000);
      const server = await startHttpServer((_request, response) => response.end(payload));

      // Act
      const response = await wire.exchange(get(server.url));
      const body = await response.body.read(1000);

      // Assess
      expect(body.truncated).toBe(true);
      expect(body.bytes.equals(payload.subarray(0, 1000))).toBe(true);
    });

    it('streams a 2 MB Content-Length body byte-identical through collectBodySource', async () => {
      // Prepare
      const payload = randomBytes(2 * 1024 * 1024);
      const server = await startHttpServer((_request, response) => {
        response.writeHead(200, { 'content-length': String(payload.length) });
        response.end(payload);
      });

      // Act
      const response = await wire.exchange(get(server.url));
      const received = await collectBodySource(response.body, 4 * 1024 * 1024);

      // Assess
      expect(received.length).toBe(payload.length);
      expect(sha256(received)).toBe(sha256(payload));
      expect(response.body.complete).toBe(true);
    });

    it('decodes a chunked body whose chunk sizes, data and CRLFs are split across TCP reads', async () => {
      // Prepare: the head first; the body, in pieces, once the client reads it
      let go: () => void = () => undefined;
      const bodyWanted = new Promise<void>((resolve) => (go = resolve));
      const pieces = ['5\r\nhel', 'lo\r\n1', '0\r\n0123456789abcdef\r', '\n0\r', '\n\r\n'];
      const server = await startRawServer((socket) => {
        void requestHead(socket).then(async () => {
          socket.write('HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n');
          await bodyWanted;
          for (const piece of pieces) {
            socket.write(piece);
            await new Promise<void>((resolve) => setImmediate(resolve));
          }
        });
      });

      // Act
      const response = await wire.exchange(get(server.url));
      const body = response.body.read(1024);
      go();

      // Assess
      expect((await body).bytes.toString('latin1')).toBe('hello0123456789abcdef');
      expect(response.body.complete).toBe(true);
    });

    it('reads a close-delimited body (no length, connection: close) to the end of the stream', async () => {
      // Prepare
      const payload = randomBytes(300_000);
      const server = await startRawServer((socket) => {
        void requestHead(socket).then(() => {
          socket.write('HTTP/1.1 200 OK\r\nconnection: close\r\ncontent-type: application/octet-stream\r\n\r\n');
          socket.write(payload.subarray(0, 1000));
          setImmediate(() => socket.end(payload.subarray(1000)));
        });
      });

      // Act
      const response = await wire.exchange(get(server.url));
      const received = await collectBodySource(response.body, 1 << 20);

      // Assess
      expect(response.statusCode).toBe(200);
      expect(sha256(received)).toBe(sha256(payload));
    });

    it('skips 1xx informational heads that arrive in the same read as the final head', async () => {
      // Prepare
      const server = await startRawServer((socket) => {
        void requestHead(socket).then(() =>
          // (no 100 Continue: we never send Expect, and undici refuses an unasked-for one)
          socket.write('HTTP/1.1 102 Processing\r\n\r\nHTTP/1.1 103 Early Hints\r\nlink: </a>; rel=preload\r\n\r\nHTTP/1.1 200 OK\r\ncontent-length: 5\r\nx-final: yes\r\n\r\nhello'),
        );
      });

      // Act
      const response = await wire.exchange(get(server.url));

      // Assess
      expect(response.statusCode).toBe(200);
      expect(response.headers['x-final']).toBe('yes');
      expect(response.headers.link).toBeUndefined();
      expect(await text(response)).toBe('hello');
    });
  });

  describe('request bodies', () => {
    interface Received {
      contentLength: string | undefined;
      bytes: Buffer;
    }

    async function startEchoDigestServer(received: Received[]): Promise<LocalServer> {
      return startHttpServer((request, response) => {
        void readRequestBody(request).then((bytes) => {
          received.push({ contentLength: request.headers['content-length'], bytes });
          response.writeHead(201, { 'content-type': 'text/plain' });
          response.end(sha256(bytes));
        });
      });
    }

    it('sends a Buffer body byte-identical with its content-length', async () => {
      // Prepare
      const received: Received[] = [];
      const server = await startEchoDigestServer(received);
      const payload = randomBytes(3 * 1024 * 1024 + 7);

      // Act
      const response = await wire.exchange({ ...get(new URL('/upload', server.url)), method: 'PUT', body: { length: payload.length, content: payload } });

      // Assess
      expect(response.statusCode).toBe(201);
      expect(await text(response)).toBe(sha256(payload));
      expect(received).toHaveLength(1);
      expect(received[0]?.contentLength).toBe(String(payload.length));
      expect(received[0]?.bytes.equals(payload)).toBe(true);
    });

    it('sends a 5 MB BodySource body (64 KiB chunks) byte-identical with its content-length', async () => {
      // Prepare
      const received: Received[] = [];
      const server = await startEchoDigestServer(received);
      const total = 5 * 1024 * 1024;
      const { readable, sent } = generatedReadable(total, 64 * 1024);

      // Act
      const response = await wire.exchange({ ...get(new URL('/upload', server.url)), method: 'PUT', body: { length: total, content: bodySourceFromReadable(readable) } });
      const digest = await text(response);

      // Assess
      const expected = Buffer.concat(sent);
      expect(expected.length).toBe(total);
      expect(response.statusCode).toBe(201);
      expect(digest).toBe(sha256(expected));
      expect(received[0]?.contentLength).toBe(String(total));
      expect(received[0]?.bytes.length).toBe(total);
      expect(sha256(received[0]?.bytes ?? Buffer.alloc(0))).toBe(sha256(expected));
    });

    it('sends content-length: 0 for a PUT without a body', async () => {
      // Prepare
      const received: Received[] = [];
      const server = await startEchoDigestServer(received);

      // Act
      const response = await wire.exchange({ ...get(server.url), method: 'PUT' });
      response.body.discard();

      // Assess
      expect(response.statusCode).toBe(201);
      expect(received).toEqual([{ contentLength: '0', bytes: Buffer.alloc(0) }]);
    });

    it('uploads a downloaded response body as a BodySource byte-identical (registry to registry)', async () => {
      // Prepare
      const payload = randomBytes(8 * 1024 * 1024 + 13);
      const origin = await startHttpServer((_request, response) => response.end(payload));
      const received: Received[] = [];
      const target = await startEchoDigestServer(received);

      // Act
      const download = await wire.exchange(get(new URL('/blob', origin.url)));
      const length = Number(download.headers['content-length']);
      const upload = await wire.exchange({ ...get(new URL('/upload', target.url)), method: 'PUT', body: { length, content: download.body } });
      const digest = await text(upload);

      // Assess
      expect(length).toBe(payload.length);
      expect(upload.statusCode).toBe(201);
      expect(digest).toBe(sha256(payload));
      expect(received[0]?.contentLength).toBe(String(payload.length));
      expect(download.body.complete).toBe(true);
    });

    it('rejects with the body source error itself when the source fails mid-way', async () => {
      // Prepare
      const server = await startHttpServer((request, response) => {
        void readRequestBody(request).then(
          () => response.end('unexpected'),
          () => undefined,
        );
      });
      const failure = new Error('disk read failed at offset 196608');
      let pushed = 0;
      const readable = new Readable({
        read() {
          pushed += 1;
          if (pushed > 3) this.destroy(failure);
          else this.push(randomBytes(64 * 1024));
        },
      });

      // Act
      const exchange = wire.exchange({ ...get(new URL('/upload', server.url)), method: 'PUT', body: { length: 1_000_000, content: bodySourceFromReadable(readable) } });

      // Assess
      await expect(exchange).rejects.toBe(failure);
      await expect(exchange).rejects.toThrow('disk read failed at offset 196608');
    });

    it.each([
      ['CR LF', 'abc\r\nx-injected: yes'],
      ['U+010D U+010A (CR LF once written as latin1)', 'abc\u010d\u010ax-injected: yes'],
      ['a NUL', 'abc\0'],
      ['a DEL', 'abc\u007f'],
      ['obs-text (é)', 'caf\u00e9'],
      ['a lone LF', 'abc\nx-injected: yes'],
    ])('rejects a header value containing %s without sending anything', async (_what, value) => {
      // Prepare
      const server = await startHttpServer((request, response) => response.end(JSON.stringify(request.headers)));

      // Act
      const injected = wire.exchange(get(server.url, { headers: { 'x-trace': value } }));

      // Assess
      await expect(injected).rejects.toThrow(/x-trace/);
      await expect(injected).rejects.toMatchObject({ code: 'ERR_INVALID_CHAR' });
      await expect(injected).rejects.not.toThrow(/abc|caf/);
      expect(server.connections).toBe(0);
      const clean = await wire.exchange(get(server.url, { headers: { 'x-trace': 'abc' } }));
      const seen = JSON.parse(await text(clean)) as Record<string, string>;
      expect(seen['x-trace']).toBe('abc');
      expect(seen['x-injected']).toBeUndefined();
      expect(server.connections).toBe(1);
    });

    it.each([
      ['a header name with a space', { method: 'GET', headers: { 'x trace': '1' } }],
      ['a header name with a colon', { method: 'GET', headers: { 'x-a:b': '1' } }],
      ['a method with a space', { method: 'GET /admin', headers: {} }],
    ])('rejects %s without sending anything', async (_what, extra) => {
      // Prepare
      const server = await startHttpServer((_request, response) => response.end('ok'));

      // Act
      const injected = wire.exchange(get(server.url, extra));

      // Assess
      await expect(injected).rejects.toMatchObject({ code: 'ERR_INVALID_HTTP_TOKEN' });
      expect(server.connections).toBe(0);
    });
  });

  describe('failures', () => {
    it('fails the body sink with ECONNRESET when the connection closes before Content-Length bytes arrived', async () => {
      // Prepare
      const server = await startRawServer((socket) => {
        void requestHead(socket).then(() => socket.end('HTTP/1.1 200 OK\r\ncontent-length: 1000\r\n\r\n0123456789'));
      });

      // Act
      const response = await wire.exchange(get(server.url));
      let receivedBytes = 0;
      let ended = false;
      const error = await new Promise<Error>((resolve) => {
        response.body.start({
          chunk: (bytes) => {
            receivedBytes += bytes.length;
            return true;
          },
          end: () => (ended = true),
          error: resolve,
        });
      });

      // Assess
      expect(error).toMatchObject({ code: 'ECONNRESET' });
      expect(ended).toBe(false);
      expect(receivedBytes).toBeLessThanOrEqual(10);
      expect(response.body.complete).toBe(false);
    });

    it(proxied ? 'rejects with EPROXY (the proxy answered 502 to CONNECT) when nothing listens on the port' : 'rejects with ECONNREFUSED when nothing listens on the port', async () => {
      // Prepare: a port that was free a moment ago
      const port = await findFreePort();

      // Act
      const exchange = wire.exchange(get(new URL(`http://127.0.0.1:${port}/`)));

      // Assess
      await expect(exchange).rejects.toMatchObject(proxied ? { code: 'EPROXY', message: expect.stringContaining('HTTP 502') } : { code: 'ECONNREFUSED' });
    });

    it('rejects with ETIMEDOUT when the server accepts and never answers', async () => {
      // Prepare
      const server = await startRawServer(() => undefined);

      // Act
      const exchange = wire.exchange(get(server.url, { timeouts: { connectMs: 200, idleMs: 200, responseMs: 200 } }));

      // Assess
      await expect(exchange).rejects.toMatchObject({ code: 'ETIMEDOUT', timeout: 'response', message: 'no response within 0.2 s' });
      expect(server.connections).toBe(1);
    });

    it('keeps the response deadline when informational heads keep coming', async () => {
      // Prepare: a 102 every 50 ms would reset any silence timer for ever.
      const server = await startRawServer((socket) => {
        void requestHead(socket).then(() => {
          const timer = setInterval(() => socket.write('HTTP/1.1 102 Processing\r\n\r\n'), 50);
          socket.on('close', () => clearInterval(timer));
        });
      });

      // Act
      const exchange = wire.exchange(get(server.url, { timeouts: { connectMs: 10_000, idleMs: 10_000, responseMs: 300 } }));

      // Assess
      await expect(exchange).rejects.toMatchObject({ code: 'ETIMEDOUT', timeout: 'response' });
    });

    it.each([
      ['two different Content-Length values', 'content-length: 4\r\ncontent-length: 5'],
      ['Content-Length with Transfer-Encoding', 'content-length: 4\r\ntransfer-encoding: chunked'],
    ])('refuses a response with %s', async (_what, framing) => {
      // Prepare
      const server = await startRawServer((socket) => {
        void requestHead(socket).then(() => socket.write(`HTTP/1.1 200 OK\r\n${framing}\r\n\r\n4\r\nGOOD\r\n0\r\n\r\n`));
      });

      // Act
      const exchange = wire.exchange(get(server.url)).then((response) => text(response));

      // Assess
      await expect(exchange).rejects.toMatchObject({ code: expect.stringMatching(/^HPE_/) });
    });

    it('rejects with the abortError of the request when aborted while waiting for the response', async () => {
      // Prepare
      let headSeen: () => void = () => undefined;
      const requestArrived = new Promise<void>((resolve) => (headSeen = resolve));
      const server = await startRawServer((socket) => void requestHead(socket).then(() => headSeen()));
      const controller = new AbortController();
      const abortFailure = Object.assign(new Error('copy cancelled by the user'), { code: 'COPY_CANCELLED' });
      const reasons: unknown[] = [];

      // Act
      const exchange = wire.exchange(
        get(server.url, {
          signal: controller.signal,
          abortError: (signal) => {
            reasons.push(signal.reason);
            return abortFailure;
          },
        }),
      );
      await requestArrived;
      controller.abort('stop');

      // Assess
      await expect(exchange).rejects.toBe(abortFailure);
      expect(reasons).toEqual(['stop']);
    });

    it('rejects an already aborted request without connecting', async () => {
      // Prepare
      const server = await startRawServer(() => undefined);
      const controller = new AbortController();
      controller.abort();
      const abortFailure = new Error('aborted before start');

      // Act
      const exchange = wire.exchange(get(server.url, { signal: controller.signal, abortError: () => abortFailure }));

      // Assess
      await expect(exchange).rejects.toBe(abortFailure);
      expect(server.connections).toBe(0);
    });

    it('rejects with ECONNRESET when the server closes the connection before answering', async () => {
      // Prepare
      const server = await startRawServer((socket) => void requestHead(socket).then(() => socket.end()));

      // Act
      const exchange = wire.exchange(get(server.url));

      // Assess
      await expect(exchange).rejects.toMatchObject({ code: 'ECONNRESET' });
    });

    it('fails the body sink with ETIMEDOUT when the body stalls', async () => {
      // Prepare
      const server = await startRawServer((socket) => void requestHead(socket).then(() => socket.write('HTTP/1.1 200 OK\r\ncontent-length: 1000\r\n\r\n0123456789')));

      // Act
      const response = await wire.exchange(get(server.url, { timeouts: { connectMs: 200, idleMs: 200, responseMs: 200 } }));
      const error = response.body.read(2000);

      // Assess
      await expect(error).rejects.toMatchObject({ code: 'ETIMEDOUT' });
    });

    it('fails the body sink with the abortError when aborted while the body is read', async () => {
      // Prepare
      const server = await startRawServer((socket) => void requestHead(socket).then(() => socket.write('HTTP/1.1 200 OK\r\ncontent-length: 1000\r\n\r\n0123456789')));
      const controller = new AbortController();
      const abortFailure = new Error('cancelled mid-body');
      const response = await wire.exchange(get(server.url, { signal: controller.signal, abortError: () => abortFailure }));
      let receivedBytes = 0;

      // Act
      const error = new Promise<Error>((resolve) => {
        response.body.start({
          chunk: (bytes) => {
            receivedBytes += bytes.length;
            if (receivedBytes === 10) setImmediate(() => controller.abort());
            return true;
          },
          end: () => resolve(new Error('unexpected end')),
          error: resolve,
        });
      });

      // Assess
      expect(await error).toBe(abortFailure);
      expect(receivedBytes).toBe(10);
    });

    it('fails the body with HPE_INVALID_CHUNK_SIZE when an invalid chunk size arrives after the head', async () => {
      // Prepare
      let go: () => void = () => undefined;
      const bodyWanted = new Promise<void>((resolve) => (go = resolve));
      const server = await startRawServer((socket) => {
        void requestHead(socket).then(async () => {
          socket.write('HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n');
          await bodyWanted;
          socket.write('zz\r\nnot hex\r\n');
        });
      });

      // Act
      const response = await wire.exchange(get(server.url));
      const body = response.body.read(1024);
      go();

      // Assess
      await expect(body).rejects.toMatchObject({ code: protocolError('HPE_INVALID_CHUNK_SIZE') });
    });

    it('settles the exchange when an invalid chunk size arrives in the same read as the response head', async () => {
      // Prepare: head and malformed chunked body in one write
      let clientClosed: () => void = () => undefined;
      const closed = new Promise<void>((resolve) => (clientClosed = resolve));
      const server = await startRawServer((socket) => {
        socket.on('close', () => clientClosed());
        void requestHead(socket).then(() => socket.write('HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\nzz\r\nnot hex\r\n'));
      });
      let settled = false;

      // Act
      const exchange = wire.exchange(get(server.url));
      exchange.then(
        () => (settled = true),
        () => (settled = true),
      );
      // The client destroys its socket on the parse error; the server sees it close.
      await closed;
      await turns(20);

      // Assess: either the exchange rejects, or it resolves with a body that fails
      expect(settled).toBe(true);
      const outcome = await exchange.then(
        (response) => response.body.read(1024).then(() => undefined, (error: unknown) => error),
        (error: unknown) => error,
      );
      expect(outcome).toMatchObject({ code: protocolError('HPE_INVALID_CHUNK_SIZE') });
      expect(server.connections).toBe(1);
    });

    it.each([
      ['a coding we would not decode', 'transfer-encoding: gzip, chunked\r\n\r\n4\r\nGOOD\r\n0\r\n\r\n'],
      ['identity, which RFC 9112 no longer defines', 'transfer-encoding: identity\r\n\r\nGOOD'],
    ])('rejects a Transfer-Encoding other than chunked (%s) with HPE_INVALID_TRANSFER_ENCODING', async (_what, rest) => {
      // Prepare
      const server = await startRawServer((socket) => {
        void requestHead(socket).then(() => socket.write(`HTTP/1.1 200 OK\r\n${rest}`));
      });

      // Act
      const exchange = wire.exchange(get(server.url));

      // Assess
      await expect(exchange).rejects.toMatchObject({ code: 'HPE_INVALID_TRANSFER_ENCODING' });
    });

    it('rejects a response that does not start like HTTP/1.x with HPE_INVALID_CONSTANT, before buffering it', async () => {
      // Prepare
      const server = await startRawServer((socket) => {
        void requestHead(socket).then(() => socket.write('ICY 200 OK\r\ncontent-length: 0\r\n\r\n'));
      });

      // Act
      const exchange = wire.exchange(get(server.url));

      // Assess
      await expect(exchange).rejects.toMatchObject({ code: protocolError('HPE_INVALID_CONSTANT') });
    });
  });

  describe('backpressure', () => {
    /** A sink that pauses after every chunk and resumes on the next turn, counting chunks delivered while paused. */
    function pausingSink(resume: () => void): { sink: ChunkSink; done: Promise<Buffer>; violations: () => number; chunks: () => number } {
      const received: Buffer[] = [];
      let paused = false;
      let violations = 0;
      let chunks = 0;
      let finish: (bytes: Buffer) => void = () => undefined;
      let fail: (error: Error) => void = () => undefined;
      const done = new Promise<Buffer>((resolve, reject) => {
        finish = resolve;
        fail = reject;
      });
      const sink: ChunkSink = {
        chunk(bytes) {
          if (paused) violations += 1;
          chunks += 1;
          received.push(Buffer.from(bytes));
          paused = true;
          setImmediate(() => {
            paused = false;
            resume();
          });
          return false;
        },
        end: () => finish(Buffer.concat(received)),
        error: (error) => fail(error),
      };
      return { sink, done, violations: () => violations, chunks: () => chunks };
    }

    it('delivers nothing more after chunk returned false until resume() is called', async () => {
      // Prepare
      const payload = randomBytes(4 * 1024 * 1024);
      const server = await startHttpServer((_request, response) => response.end(payload));
      const response = await wire.exchange(get(server.url));
      const received: Buffer[] = [];
      let calls = 0;
      let holding = true;
      let finish: () => void = () => undefined;
      const ended = new Promise<void>((resolve) => (finish = resolve));

      // Act
      response.body.start({
        chunk(bytes) {
          calls += 1;
          received.push(Buffer.from(bytes));
          // Pause on the third chunk: by then chunks come straight from socket reads.
          return calls < 3 || !holding;
        },
        end: () => finish(),
        error: (error) => {
          throw error;
        },
      });
      await turns(50);
      const callsWhilePaused = calls;
      const bytesWhilePaused = received.reduce((sum, chunk) => sum + chunk.length, 0);
      holding = false;
      response.body.resume();
      await ended;

      // Assess
      expect(callsWhilePaused).toBe(3);
      expect(bytesWhilePaused).toBeLessThan(payload.length);
      expect(calls).toBeGreaterThan(1);
      expect(sha256(Buffer.concat(received))).toBe(sha256(payload));
    });

    it('honours pause/resume for every chunk of a Content-Length body', async () => {
      // Prepare
      const payload = randomBytes(3 * 1024 * 1024);
      const server = await startHttpServer((_request, response) => response.end(payload));
      const response = await wire.exchange(get(server.url));
      const consumer = pausingSink(() => response.body.resume());

      // Act
      response.body.start(consumer.sink);
      const received = await consumer.done;

      // Assess
      expect(consumer.violations()).toBe(0);
      expect(consumer.chunks()).toBeGreaterThan(1);
      expect(sha256(received)).toBe(sha256(payload));
    });

    it('honours pause/resume for a chunked body whose many chunks arrive in one read', async () => {
      // Prepare: 200 chunks of 100 bytes written at once
      const pieces = Array.from({ length: 200 }, () => randomBytes(100));
      const encoded = Buffer.concat([...pieces.flatMap((piece) => [Buffer.from(`${piece.length.toString(16)}\r\n`), piece, Buffer.from('\r\n')]), Buffer.from('0\r\n\r\n')]);
      const server = await startRawServer((socket) => {
        void requestHead(socket).then(() => socket.write(Buffer.concat([Buffer.from('HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n'), encoded])));
      });
      const response = await wire.exchange(get(server.url));
      const consumer = pausingSink(() => response.body.resume());

      // Act
      response.body.start(consumer.sink);
      const received = await consumer.done;

      // Assess
      expect(consumer.violations()).toBe(0);
      expect(consumer.chunks()).toBe(200);
      expect(received.equals(Buffer.concat(pieces))).toBe(true);
    });
  });

  describe('TLS', () => {
    let key: string;
    let certificate: string;

    beforeAll(() => {
      ({ key, cert: certificate } = selfSignedCertificate('localhost'));
    });

    const startHttpsServer = (): Promise<LocalServer & { handshakes: number }> => startTlsEchoServer({ key, cert: certificate });

    it('refuses a self-signed certificate when verifying', async () => {
      // Prepare
      const server = await startHttpsServer();

      // Act
      const exchange = wire.exchange(get(server.url, { rejectUnauthorized: true }));

      // Assess
      await expect(exchange).rejects.toMatchObject({ code: expect.stringMatching(/^(DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN)$/) });
    });

    it('uploads a 5 MB BodySource over TLS byte-identical', async () => {
      // Prepare
      const server = await startHttpsServer();
      const total = 5 * 1024 * 1024;
      const { readable, sent } = generatedReadable(total, 64 * 1024);

      // Act
      const response = await wire.exchange({ ...get(new URL('/upload', server.url), { rejectUnauthorized: false }), method: 'PUT', body: { length: total, content: bodySourceFromReadable(readable) } });
      const summary = await text(response);

      // Assess
      expect(summary).toBe(`${total} ${total} ${sha256(Buffer.concat(sent))}`);
    });

    it('uploads a TLS download to a slow plain-http server byte-identical', async () => {
      // Prepare: the target reads slowly, so the upload's writes stay pending while holding views
      const payload = randomBytes(24 * 1024 * 1024);
      const origin = await startHttpServer((_request, response) => response.end(payload), { key, cert: certificate });
      const target = await startHttpServer((request, response) => {
        const hash = createHash('sha256');
        let length = 0;
        request.on('data', (chunk: Buffer) => {
          hash.update(chunk);
          length += chunk.length;
          request.pause();
          setImmediate(() => request.resume());
        });
        request.on('end', () => response.end(`${length} ${hash.digest('hex')}`));
      });

      // Act
      const download = await wire.exchange(get(new URL('/blob', origin.url), { rejectUnauthorized: false }));
      const upload = await wire.exchange({ ...get(new URL('/upload', target.url)), method: 'PUT', body: { length: payload.length, content: download.body } });

      // Assess
      expect(await text(upload)).toBe(`${payload.length} ${sha256(payload)}`);
    });
  });
});

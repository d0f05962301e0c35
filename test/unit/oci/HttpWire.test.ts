import { createHash, randomBytes } from 'node:crypto';
import { createServer as createHttpServer, type IncomingMessage, type Server as HttpServer, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import { createServer as createNetServer, type Server as NetServer, type Socket } from 'node:net';
import { Readable } from 'node:stream';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ChunkSink } from '../../../lib/oci/transport/bodySource';
import { HttpWire, parseResponseHead, type WireRequest, type WireResponse } from '../../../lib/oci/transport/HttpWire';
import { bodySourceFromReadable, collectBodySource, turns } from '../../support/bodySources';
import { type SelfSignedCertificate, selfSignedCertificate } from '../../support/certificates';

/** Every server a test started, closed (with its sockets) after each test. */
const servers: Array<{ stop(): Promise<void> }> = [];

interface LocalServer {
  url: URL;
  /** TCP connections accepted so far. */
  connections: number;
}

interface RawServer extends LocalServer {
  /** Server-side sockets, in accept order. */
  sockets: Socket[];
}

function portOf(server: NetServer | HttpServer | HttpsServer): number {
  const address = server.address();
  return typeof address === 'object' && address !== null ? address.port : 0;
}

async function listen(server: NetServer | HttpServer | HttpsServer): Promise<void> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
}

/**
 * A node:http server (node:https with `tls`); its request bodies must be handled by `handler`.
 * `handshakes` counts completed TLS handshakes.
 */
async function startHttpServer(handler: (request: IncomingMessage, response: ServerResponse) => void, tls?: SelfSignedCertificate): Promise<LocalServer & { handshakes: number }> {
  const handle = (request: IncomingMessage, response: ServerResponse): void => {
    request.on('error', () => undefined);
    handler(request, response);
  };
  const server = tls ? createHttpsServer(tls, handle) : createHttpServer(handle);
  const scheme = tls ? 'https' : 'http';
  const state = { url: new URL(`${scheme}://127.0.0.1/`), connections: 0, handshakes: 0 };
  server.on('connection', () => (state.connections += 1));
  server.on('secureConnection', () => (state.handshakes += 1));
  server.on('tlsClientError', () => undefined);
  await listen(server);
  state.url = new URL(`${scheme}://127.0.0.1:${portOf(server)}/`);
  servers.push({
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  });
  return state;
}

/** A node:net server for byte-exact (and malformed) responses. */
async function startRawServer(onConnection: (socket: Socket) => void): Promise<RawServer> {
  const state: RawServer = { url: new URL('http://127.0.0.1/'), connections: 0, sockets: [] };
  const server = createNetServer((socket) => {
    state.connections += 1;
    state.sockets.push(socket);
    socket.on('error', () => undefined);
    onConnection(socket);
  });
  await listen(server);
  state.url = new URL(`http://127.0.0.1:${portOf(server)}/`);
  servers.push({
    stop: () =>
      new Promise<void>((resolve) => {
        for (const socket of state.sockets) socket.destroy();
        server.close(() => resolve());
      }),
  });
  return state;
}

/** Resolves with the request head (up to the blank line) once it arrived on `socket`. */
function requestHead(socket: Socket): Promise<string> {
  return new Promise((resolve) => {
    let received = '';
    const onData = (chunk: Buffer): void => {
      received += chunk.toString('latin1');
      const end = received.indexOf('\r\n\r\n');
      if (end !== -1) {
        socket.removeListener('data', onData);
        resolve(received.slice(0, end));
      }
    };
    socket.on('data', onData);
  });
}

/** Answers every request head (bodiless requests only) arriving on `socket` with `answer()`. */
function answerEveryRequest(socket: Socket, answer: () => string): void {
  let received = '';
  socket.on('data', (chunk: Buffer) => {
    received += chunk.toString('latin1');
    for (let end = received.indexOf('\r\n\r\n'); end !== -1; end = received.indexOf('\r\n\r\n')) {
      received = received.slice(end + 4);
      socket.write(answer());
    }
  });
}


function sha256(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Reads a request body whole on the server side. */
function readRequestBody(request: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks)));
    request.on('error', reject);
  });
}

/** A Readable producing `total` random bytes in `chunkBytes` chunks, on demand; `sent` keeps a copy. */
function generatedReadable(total: number, chunkBytes: number): { readable: Readable; sent: Buffer[]; produced: () => number } {
  const sent: Buffer[] = [];
  let produced = 0;
  const readable = new Readable({
    read() {
      if (produced >= total) {
        this.push(null);
        return;
      }
      const chunk = randomBytes(Math.min(chunkBytes, total - produced));
      produced += chunk.length;
      sent.push(chunk);
      this.push(chunk);
    },
  });
  return { readable, sent, produced: () => produced };
}

function get(url: URL, extra: Partial<WireRequest> = {}): WireRequest {
  return { url, method: 'GET', headers: {}, rejectUnauthorized: true, timeouts: { connectMs: 10_000, idleMs: 10_000, responseMs: 10_000 }, ...extra };
}

async function text(response: WireResponse): Promise<string> {
  const { bytes, truncated } = await response.body.read(1 << 20);
  expect(truncated).toBe(false);
  return bytes.toString('utf8');
}

/** Two requests one after the other (the first body read whole before the second starts): their bodies. */
async function getTwice(wire: HttpWire, first: WireRequest, second: WireRequest): Promise<[string, string]> {
  const firstText = await text(await wire.exchange(first));
  const secondText = await text(await wire.exchange(second));
  return [firstText, secondText];
}

describe('HttpWire', () => {
  let wire: HttpWire;

  beforeAll(() => {
    wire = new HttpWire();
  });

  afterEach(async () => {
    wire.close();
    wire = new HttpWire();
    await Promise.all(servers.splice(0).map((server) => server.stop()));
  });

  afterAll(() => {
    wire.close();
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

    it('decodes a chunked body written in several pieces by node:http, and reuses the socket after it', async () => {
      // Prepare
      const pieces = [randomBytes(10), randomBytes(70_000), randomBytes(1), randomBytes(300_000)];
      const server = await startHttpServer((request, response) => {
        if (request.url === '/after') {
          response.end('next');
          return;
        }
        response.writeHead(200, { 'content-type': 'application/octet-stream' });
        for (const piece of pieces) response.write(piece);
        response.end();
      });

      // Act
      const response = await wire.exchange(get(new URL('/chunked', server.url)));
      const received = await collectBodySource(response.body, 1 << 20);
      const after = await wire.exchange(get(new URL('/after', server.url)));

      // Assess
      expect(response.headers['transfer-encoding']).toBe('chunked');
      expect(sha256(received)).toBe(sha256(Buffer.concat(pieces)));
      expect(await text(after)).toBe('next');
      expect(server.connections).toBe(1);
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
          socket.write('HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nlink: </a>; rel=preload\r\n\r\nHTTP/1.1 200 OK\r\ncontent-length: 5\r\nx-final: yes\r\n\r\nhello'),
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

    it('drains a small discarded body to reuse its socket, and closes the socket of a large one', async () => {
      // Prepare
      const small = randomBytes(100 * 1024);
      const large = randomBytes(4 * 1024 * 1024);
      const server = await startHttpServer((request, response) => {
        response.end(request.url === '/small' ? small : request.url === '/large' ? large : 'next');
      });

      // Act
      const smallResponse = await wire.exchange(get(new URL('/small', server.url)));
      smallResponse.body.discard();
      for (let round = 0; round < 1000 && !smallResponse.body.complete; round += 1) await turns(1);
      const afterSmall = await wire.exchange(get(new URL('/next', server.url)));
      const afterSmallText = await text(afterSmall);
      const connectionsAfterSmall = server.connections;
      const largeResponse = await wire.exchange(get(new URL('/large', server.url)));
      largeResponse.body.discard();
      const afterLarge = await wire.exchange(get(new URL('/next', server.url)));
      const afterLargeText = await text(afterLarge);

      // Assess
      expect(smallResponse.body.complete).toBe(true);
      expect(afterSmallText).toBe('next');
      expect(connectionsAfterSmall).toBe(1);
      expect(largeResponse.body.complete).toBe(false);
      expect(afterLargeText).toBe('next');
      expect(server.connections).toBe(2);
    });
  });

  describe('connection reuse', () => {
    it('sends two sequential requests over one TCP connection once the first body was consumed', async () => {
      // Prepare
      const server = await startHttpServer((request, response) => response.end(`you asked for ${request.url}`));

      // Act
      const [firstText, secondText] = await getTwice(wire, get(new URL('/one', server.url)), get(new URL('/two', server.url)));

      // Assess
      expect([firstText, secondText]).toEqual(['you asked for /one', 'you asked for /two']);
      expect(server.connections).toBe(1);
    });

    it("reuses a connection whose consumer still holds a view of the last chunk, without touching that view", async () => {
      // Prepare: the first body arrives in its own read, after the consumer started (so it gets a
      // view of the socket's buffer), and the consumer pauses on it as an upload with a pending write does
      let sendBody: () => void = () => undefined;
      const bodyWanted = new Promise<void>((resolve) => (sendBody = resolve));
      const server = await startRawServer((socket) => {
        let received = '';
        socket.on('data', (chunk: Buffer) => {
          received += chunk.toString('latin1');
          for (let end = received.indexOf('\r\n\r\n'); end !== -1; end = received.indexOf('\r\n\r\n')) {
            const isFirst = received.startsWith('GET /first');
            received = received.slice(end + 4);
            if (isFirst) {
              socket.write('HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\n');
              void bodyWanted.then(() => socket.write('first body'));
            } else {
              socket.write('HTTP/1.1 200 OK\r\ncontent-length: 21\r\n\r\na second, longer body');
            }
          }
        });
      });
      const first = await wire.exchange(get(new URL('/first', server.url)));
      let held: Buffer | undefined;
      const ended = new Promise<void>((resolve, reject) => {
        first.body.start({
          chunk(bytes) {
            held = bytes;
            return false;
          },
          end: resolve,
          error: reject,
        });
      });
      sendBody();
      await ended;

      // Act
      const secondText = await text(await wire.exchange(get(new URL('/second', server.url))));

      // Assess: the second response went through the same socket, into fresh memory
      expect(held?.toString()).toBe('first body');
      expect(secondText).toBe('a second, longer body');
      expect(server.connections).toBe(1);
    });

    it('does not reuse a connection whose response said connection: close', async () => {
      // Prepare
      const server = await startHttpServer((request, response) => {
        if (request.url === '/close') response.setHeader('connection', 'close');
        response.end('ok');
      });

      // Act
      const first = await wire.exchange(get(new URL('/close', server.url)));
      const firstText = await text(first);
      const secondText = await text(await wire.exchange(get(new URL('/again', server.url))));

      // Assess
      expect(first.headers.connection).toBe('close');
      expect([firstText, secondText]).toEqual(['ok', 'ok']);
      expect(server.connections).toBe(2);
    });

    it.each([
      ['HTTP/1.1 with connection: close', 'HTTP/1.1 200 OK\r\nconnection: close\r\ncontent-length: 2\r\n\r\nok'],
      ['HTTP/1.0 without keep-alive', 'HTTP/1.0 200 OK\r\ncontent-length: 2\r\n\r\nok'],
    ])('does not reuse a connection after a %s response, even when the server keeps it open', async (_case, answer) => {
      // Prepare: a server that would answer any number of requests on each connection
      const server = await startRawServer((socket) => answerEveryRequest(socket, () => answer));

      // Act
      const [firstText, secondText] = await getTwice(wire, get(server.url), get(server.url));

      // Assess
      expect([firstText, secondText]).toEqual(['ok', 'ok']);
      expect(server.connections).toBe(2);
    });

    it('gives HEAD and 204 responses no body; reuses the socket after a 204 but not after a HEAD that announced a body', async () => {
      // Prepare
      const server = await startHttpServer((request, response) => {
        if (request.url === '/empty') {
          response.writeHead(204);
          response.end();
          return;
        }
        response.setHeader('content-length', '5');
        response.end(request.method === 'HEAD' ? undefined : 'hello');
      });

      // Act
      const head = await wire.exchange(get(new URL('/thing', server.url), { method: 'HEAD' }));
      const headBody = await head.body.read(1024);
      const connectionsAfterHead = server.connections;
      const noContent = await wire.exchange(get(new URL('/empty', server.url)));
      const noContentBody = await noContent.body.read(1024);
      const after = await wire.exchange(get(new URL('/thing', server.url)));

      // Assess
      expect(head.statusCode).toBe(200);
      expect(head.headers['content-length']).toBe('5');
      expect(head.body.complete).toBe(true);
      expect(headBody.bytes.length).toBe(0);
      expect(noContent.statusCode).toBe(204);
      expect(noContentBody.bytes.length).toBe(0);
      expect(await text(after)).toBe('hello');
      // The HEAD's socket was closed (its announced 5 bytes could still come); the 204's was reused.
      expect(connectionsAfterHead).toBe(1);
      expect(server.connections).toBe(2);
    });

    it('does not reuse a connection that carried bytes beyond the Content-Length', async () => {
      // Prepare
      const server = await startRawServer((socket) => {
        const index = server.connections;
        void requestHead(socket).then(() => socket.write(index === 1 ? 'HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nokHTTP/1.1 200 OK\r\n\r\n' : 'HTTP/1.1 200 OK\r\ncontent-length: 6\r\n\r\nsecond'));
      });

      // Act
      const [firstText, secondText] = await getTwice(wire, get(server.url), get(server.url));

      // Assess
      expect([firstText, secondText]).toEqual(['ok', 'second']);
      expect(server.connections).toBe(2);
    });

    it('notices a pooled connection the server closed and opens a new one for the next request', async () => {
      // Prepare: each connection answers one request, then the server ends it (no connection: close header)
      let firstClosed: () => void = () => undefined;
      const closed = new Promise<void>((resolve) => (firstClosed = resolve));
      const server = await startRawServer((socket) => {
        const index = server.connections;
        if (index === 1) socket.on('close', () => firstClosed());
        void requestHead(socket).then(() => socket.end(`HTTP/1.1 200 OK\r\ncontent-length: 1\r\n\r\n${index}`));
      });

      // Act
      const first = await wire.exchange(get(server.url));
      const firstText = await text(first);
      await closed;
      await turns(5);
      const second = await wire.exchange(get(server.url));
      const secondText = await text(second);

      // Assess
      expect([firstText, secondText]).toEqual(['1', '2']);
      expect(server.connections).toBe(2);
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

    it('stops sending when the server answers 401 before reading the body, destroys the source and does not reuse the socket', async () => {
      // Prepare: a 50 MB body produced on demand, and a server that never reads it
      const server = await startHttpServer((request, response) => {
        if (request.url === '/upload') {
          response.writeHead(401, { 'www-authenticate': 'Bearer realm="x"', 'content-type': 'application/json' });
          response.end('{"errors":[]}');
          return;
        }
        request.resume();
        response.end('fresh');
      });
      const total = 50_000_000;
      const { readable, produced } = generatedReadable(total, 64 * 1024);

      // Act
      const response = await wire.exchange({ ...get(new URL('/upload', server.url)), method: 'PUT', body: { length: total, content: bodySourceFromReadable(readable) } });
      const errorBody = await text(response);
      const next = await wire.exchange(get(new URL('/next', server.url)));

      // Assess
      expect(response.statusCode).toBe(401);
      expect(response.headers['www-authenticate']).toBe('Bearer realm="x"');
      expect(errorBody).toBe('{"errors":[]}');
      expect(readable.destroyed).toBe(true);
      expect(produced()).toBeLessThan(total);
      expect(await text(next)).toBe('fresh');
      expect(server.connections).toBe(2);
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

  describe('address checks', () => {
    const refuseLoopback = (address: string): Error | undefined => (address.startsWith('127.') || address === '::1' ? Object.assign(new Error(`refused ${address}`), { code: 'REFUSED' }) : undefined);

    it('vets what a host name resolves to before connecting, and connects nowhere when refused', async () => {
      // Prepare
      const server = await startHttpServer((_request, response) => response.end('ok'));
      const byName = new URL(`http://localhost:${server.url.port}/`);

      // Act
      const exchange = wire.exchange(get(byName, { checkAddress: refuseLoopback }));

      // Assess
      await expect(exchange).rejects.toMatchObject({ code: 'REFUSED', message: expect.stringMatching(/^refused (127\.0\.0\.1|::1)$/) });
      expect(server.connections).toBe(0);
    });

    it('vets the address of a pooled socket before reusing it', async () => {
      // Prepare: a first request without a check leaves a socket to localhost in the pool.
      const server = await startHttpServer((_request, response) => response.end('ok'));
      const byName = new URL(`http://localhost:${server.url.port}/`);
      expect(await text(await wire.exchange(get(byName)))).toBe('ok');

      // Act
      const pooled = wire.exchange(get(byName, { checkAddress: refuseLoopback }));

      // Assess
      await expect(pooled).rejects.toMatchObject({ code: 'REFUSED' });
      expect(server.connections).toBe(1);
      expect(await text(await wire.exchange(get(byName)))).toBe('ok');
      expect(server.connections).toBe(1);
    });

    it('vets a literal address without connecting', async () => {
      // Prepare
      const server = await startHttpServer((_request, response) => response.end('ok'));

      // Act
      const literal = wire.exchange(get(server.url, { checkAddress: refuseLoopback }));

      // Assess
      await expect(literal).rejects.toMatchObject({ code: 'REFUSED', message: 'refused 127.0.0.1' });
      expect(server.connections).toBe(0);
    });

    it('reports the address it talked to', async () => {
      // Prepare
      const server = await startHttpServer((_request, response) => response.end('ok'));

      // Act
      const response = await wire.exchange(get(server.url));
      response.body.discard();

      // Assess
      expect(response.remoteAddress).toBe('127.0.0.1');
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

    it('rejects with ECONNREFUSED when nothing listens on the port', async () => {
      // Prepare: a port that was free a moment ago
      const probe = createNetServer();
      await listen(probe);
      const port = portOf(probe);
      await new Promise<void>((resolve) => probe.close(() => resolve()));

      // Act
      const exchange = wire.exchange(get(new URL(`http://127.0.0.1:${port}/`)));

      // Assess
      await expect(exchange).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    });

    it('rejects with ETIMEDOUT when the server accepts and never answers', async () => {
      // Prepare
      const server = await startRawServer(() => undefined);

      // Act
      const exchange = wire.exchange(get(server.url, { timeouts: { connectMs: 200, idleMs: 200, responseMs: 200 } }));

      // Assess
      await expect(exchange).rejects.toMatchObject({ code: 'ETIMEDOUT' });
      expect(server.connections).toBe(1);
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
      await expect(body).rejects.toMatchObject({ code: 'HPE_INVALID_CHUNK_SIZE' });
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
      expect(outcome).toMatchObject({ code: 'HPE_INVALID_CHUNK_SIZE' });
      expect(server.connections).toBe(1);
    });

    it('rejects a response that does not start like HTTP/1.x with HPE_INVALID_CONSTANT, before buffering it', async () => {
      // Prepare
      const server = await startRawServer((socket) => {
        void requestHead(socket).then(() => socket.write('ICY 200 OK\r\ncontent-length: 0\r\n\r\n'));
      });

      // Act
      const exchange = wire.exchange(get(server.url));

      // Assess
      await expect(exchange).rejects.toMatchObject({ code: 'HPE_INVALID_CONSTANT' });
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

    function startHttpsServer(): Promise<LocalServer & { handshakes: number }> {
      return startHttpServer(
        (request, response) => {
          if (request.method !== 'PUT') {
            response.end(`secure ${request.url}`);
            return;
          }
          void readRequestBody(request).then((bytes) => response.end(`${request.headers['content-length']} ${bytes.length} ${sha256(bytes)}`));
        },
        { key, cert: certificate },
      );
    }

    it('refuses a self-signed certificate when verifying', async () => {
      // Prepare
      const server = await startHttpsServer();

      // Act
      const exchange = wire.exchange(get(server.url, { rejectUnauthorized: true }));

      // Assess
      await expect(exchange).rejects.toMatchObject({ code: expect.stringMatching(/^(DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN)$/) });
    });

    it('talks to a self-signed server without verification and reuses the TLS connection', async () => {
      // Prepare
      const server = await startHttpsServer();

      // Act
      const [firstText, secondText] = await getTwice(wire, get(new URL('/one', server.url), { rejectUnauthorized: false }), get(new URL('/two', server.url), { rejectUnauthorized: false }));

      // Assess
      expect([firstText, secondText]).toEqual(['secure /one', 'secure /two']);
      expect(server.connections).toBe(1);
      expect(server.handshakes).toBe(1);
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

    // node's TLS layer goes on decrypting records it already received after a read callback asked
    // to pause; those must not land in the buffer a paused consumer still holds a view of.
    it("keeps a paused consumer's view of a TLS chunk intact until it resumes", async () => {
      // Prepare: a 4 MiB body written at once, so one TCP read carries many 16 KiB records
      const payload = randomBytes(4 * 1024 * 1024);
      const server = await startHttpServer((_request, response) => response.end(payload), { key, cert: certificate });
      const response = await wire.exchange(get(server.url, { rejectUnauthorized: false }));
      let pauses = 0;
      let overwritten = 0;
      const received: Buffer[] = [];

      // Act: hold every chunk (as an upload with a pending write does) and resume on the next turn
      await new Promise<void>((resolve, reject) => {
        response.body.start({
          chunk(bytes) {
            received.push(Buffer.from(bytes));
            const copy = Buffer.from(bytes);
            pauses += 1;
            setImmediate(() => {
              if (!bytes.equals(copy)) overwritten += 1;
              response.body.resume();
            });
            return false;
          },
          end: resolve,
          error: reject,
        });
      });

      // Assess
      expect(sha256(Buffer.concat(received))).toBe(sha256(payload));
      expect(pauses).toBeGreaterThan(5);
      expect(overwritten).toBe(0);
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

describe('parseResponseHead', () => {
  it('joins repeated www-authenticate headers with ", "', () => {
    const parsed = parseResponseHead('HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Bearer realm="a"\r\nwww-authenticate: Basic realm="b"');

    expect(parsed.statusCode).toBe(401);
    expect(parsed.headers['www-authenticate']).toBe('Bearer realm="a", Basic realm="b"');
  });

  it('keeps set-cookie as an array, even with one value', () => {
    expect(parseResponseHead('HTTP/1.1 200 OK\r\nSet-Cookie: a=1').headers['set-cookie']).toEqual(['a=1']);
    expect(parseResponseHead('HTTP/1.1 200 OK\r\nSet-Cookie: a=1\r\nset-cookie: b=2').headers['set-cookie']).toEqual(['a=1', 'b=2']);
  });

  it('keeps the first value of a singleton header such as content-type', () => {
    expect(parseResponseHead('HTTP/1.1 200 OK\r\ncontent-type: a/b\r\ncontent-type: c/d').headers['content-type']).toBe('a/b');
  });

  it.each(['content-length: 2\r\ncontent-length: 5', 'content-length: 2, 5', 'content-length: 2,2\r\ncontent-length: 3'])('refuses conflicting Content-Length values (%j)', (lines) => {
    expect(() => parseResponseHead(`HTTP/1.1 200 OK\r\n${lines}`)).toThrow(expect.objectContaining({ code: 'HPE_UNEXPECTED_CONTENT_LENGTH' }));
  });

  it.each(['content-length: 5\r\ncontent-length: 5', 'content-length: 5, 5'])('accepts a repeated identical Content-Length (%j) as one', (lines) => {
    expect(parseResponseHead(`HTTP/1.1 200 OK\r\n${lines}`).headers['content-length']).toBe('5');
  });

  it('treats HTTP/1.0 as not keep-alive unless it asks for keep-alive, and HTTP/1.1 as keep-alive unless it says close', () => {
    expect(parseResponseHead('HTTP/1.0 200 OK\r\ncontent-length: 0').keepAlive).toBe(false);
    expect(parseResponseHead('HTTP/1.0 200 OK\r\nConnection: Keep-Alive').keepAlive).toBe(true);
    expect(parseResponseHead('HTTP/1.1 200 OK').keepAlive).toBe(true);
    expect(parseResponseHead('HTTP/1.1 200 OK\r\nConnection: close').keepAlive).toBe(false);
  });

  it.each(['HTTP/2 200 OK', 'HTTP/1.1 20 OK', 'ICY 200 OK', 'HTTP/1.1 200OK', ''])('throws on the malformed status line %j', (statusLine) => {
    expect(() => parseResponseHead(`${statusLine}\r\ncontent-length: 0`)).toThrow(expect.objectContaining({ code: 'HPE_INVALID_RESPONSE' }));
  });

  it('throws on a header line without a colon', () => {
    expect(() => parseResponseHead('HTTP/1.1 200 OK\r\nno colon here')).toThrow(expect.objectContaining({ code: 'HPE_INVALID_HEADER_TOKEN' }));
  });
});

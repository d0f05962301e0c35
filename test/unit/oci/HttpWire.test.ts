/**
 * What only `HttpWire` does (connection reuse rules, early answers, zero-copy views, address checks
 * at resolution), and its head parser. The behaviour both wires share is in wireBehaviour.test.ts.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { HttpWire, parseResponseHead } from '../../../lib/oci/transport/HttpWire';
import { bodySourceFromReadable, collectBodySource, turns } from '../../support/bodySources';
import { selfSignedCertificate } from '../../support/certificates';
import {
  answerEveryRequest,
  generatedReadable,
  get,
  getTwice,
  type LocalServer,
  requestHead,
  sha256,
  startHttpServer,
  startRawServer,
  startTlsEchoServer,
  stopWireTestServers,
  text,
} from '../../support/wireTestServers';

describe('HttpWire', () => {
  let wire: HttpWire;

  beforeAll(() => {
    wire = new HttpWire();
  });

  afterEach(async () => {
    wire.close();
    wire = new HttpWire();
    await stopWireTestServers();
  });

  afterAll(() => {
    wire.close();
  });

  describe('response bodies', () => {
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

  describe('TLS', () => {
    let key: string;
    let certificate: string;

    beforeAll(() => {
      ({ key, cert: certificate } = selfSignedCertificate('localhost'));
    });

    const startHttpsServer = (): Promise<LocalServer & { handshakes: number }> => startTlsEchoServer({ key, cert: certificate });

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

  it('trims the spaces and tabs around a value and keeps those inside it, however many (a 64 KiB run of them)', () => {
    const blanks = ' \t'.repeat(32 * 1024);
    const parsed = parseResponseHead(`HTTP/1.1 200 OK\r\nx-inside: a${blanks}b\r\nx-around:${blanks}c${blanks}\r\nx-blank:${blanks}`);
    expect(parsed.headers).toEqual({ 'x-inside': `a${blanks}b`, 'x-around': 'c', 'x-blank': '' });
  });

  it('never keeps an HTTP/1.0 connection whose answer has Transfer-Encoding, even when it asks for keep-alive (RFC 9112 §6.1: faulty framing)', () => {
    expect(parseResponseHead('HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nTransfer-Encoding: chunked').keepAlive).toBe(false);
  });

  it.each(['HTTP/2 200 OK', 'HTTP/1.1 20 OK', 'ICY 200 OK', 'HTTP/1.1 200OK', ''])('throws on the malformed status line %j', (statusLine) => {
    expect(() => parseResponseHead(`${statusLine}\r\ncontent-length: 0`)).toThrow(expect.objectContaining({ code: 'HPE_INVALID_RESPONSE' }));
  });

  it('throws on a header line without a colon', () => {
    expect(() => parseResponseHead('HTTP/1.1 200 OK\r\nno colon here')).toThrow(expect.objectContaining({ code: 'HPE_INVALID_HEADER_TOKEN' }));
  });
});

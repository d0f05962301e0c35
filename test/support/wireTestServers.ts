/**
 * Local servers and helpers for the wire tests (`HttpWire.test.ts` and the behaviour suite both
 * wires run): node:http(s) servers, raw node:net servers for byte-exact and malformed answers,
 * request helpers. Every server is registered and closed by `stopWireTestServers()`.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createServer as createHttpServer, type IncomingMessage, type Server as HttpServer, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import { createServer as createNetServer, type Server as NetServer, type Socket } from 'node:net';
import { Readable } from 'node:stream';
import { expect } from 'vitest';
import type { Wire, WireRequest, WireResponse } from '../../lib/oci/transport/wire';
import type { SelfSignedCertificate } from './certificates';

/** Every server a test started, until `stopWireTestServers()`. */
const servers: Array<{ stop(): Promise<void> }> = [];

/**
 * Closes (with their sockets) every server started since the last call; for `afterEach`.
 *
 * @example
 * afterEach(() => stopWireTestServers());
 */
export async function stopWireTestServers(): Promise<void> {
  await Promise.all(servers.splice(0).map((server) => server.stop()));
}

export interface LocalServer {
  url: URL;
  /** TCP connections accepted so far. */
  connections: number;
}

export interface RawServer extends LocalServer {
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
export async function startHttpServer(handler: (request: IncomingMessage, response: ServerResponse) => void, tls?: SelfSignedCertificate): Promise<LocalServer & { handshakes: number }> {
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
export async function startRawServer(onConnection: (socket: Socket) => void): Promise<RawServer> {
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
export function requestHead(socket: Socket): Promise<string> {
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
export function answerEveryRequest(socket: Socket, answer: () => string): void {
  let received = '';
  socket.on('data', (chunk: Buffer) => {
    received += chunk.toString('latin1');
    for (let end = received.indexOf('\r\n\r\n'); end !== -1; end = received.indexOf('\r\n\r\n')) {
      received = received.slice(end + 4);
      socket.write(answer());
    }
  });
}


export function sha256(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Reads a request body whole on the server side. */
export function readRequestBody(request: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks)));
    request.on('error', reject);
  });
}

/** A Readable producing `total` random bytes in `chunkBytes` chunks, on demand; `sent` keeps a copy. */
export function generatedReadable(total: number, chunkBytes: number): { readable: Readable; sent: Buffer[]; produced: () => number } {
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

export function get(url: URL, extra: Partial<WireRequest> = {}): WireRequest {
  return { url, method: 'GET', headers: {}, rejectUnauthorized: true, timeouts: { connectMs: 10_000, idleMs: 10_000, responseMs: 10_000 }, ...extra };
}

export async function text(response: WireResponse): Promise<string> {
  const { bytes, truncated } = await response.body.read(1 << 20);
  expect(truncated).toBe(false);
  return bytes.toString('utf8');
}

/** Two requests one after the other (the first body read whole before the second starts): their bodies. */
export async function getTwice(wire: Wire, first: WireRequest, second: WireRequest): Promise<[string, string]> {
  const firstText = await text(await wire.exchange(first));
  const secondText = await text(await wire.exchange(second));
  return [firstText, secondText];
}

/**
 * An https server that answers GET with `secure <path>` and PUT with `<content-length> <bytes
 * received> <sha256>`.
 *
 * @example
 * const server = await startTlsEchoServer(selfSignedCertificate('localhost'));
 */
export function startTlsEchoServer(tls: SelfSignedCertificate): Promise<LocalServer & { handshakes: number }> {
  return startHttpServer((request, response) => {
    if (request.method !== 'PUT') {
      response.end(`secure ${request.url}`);
      return;
    }
    void readRequestBody(request).then((bytes) => response.end(`${request.headers['content-length']} ${bytes.length} ${sha256(bytes)}`));
  }, tls);
}

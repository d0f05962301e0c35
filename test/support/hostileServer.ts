/**
 * A registry that answers from a script with raw bytes, for the hostile-registry suite: it can
 * send what no well-behaved HTTP library would (a line break inside a header, conflicting
 * Content-Length values, a thousand 1xx heads, a body after a HEAD), and it records every request
 * as it arrived on the wire — so an injected header or a smuggled second request shows up as such.
 *
 * Requests are parsed byte-exactly (head, then a Content-Length body) and handed to the script,
 * one at a time per connection, in arrival order.
 *
 * @example
 * const server = await startHostileServer((request, reply) => reply.send(200, { 'content-length': '0' }));
 * afterAll(() => server.stop());
 */
import { createServer as createNetServer, type Server, type Socket } from 'node:net';
import { Duplex } from 'node:stream';
import { TLSSocket } from 'node:tls';
import type { SelfSignedCertificate } from './certificates';

export interface HostileRequest {
  method: string;
  /** The request target as sent (path and query). */
  target: string;
  /** Header names lower-cased; repeated headers joined with ", ". */
  headers: Record<string, string>;
  /** The head exactly as received, without the final blank line. */
  rawHead: string;
  body: Buffer;
  /** 1-based number of the TCP connection it came on. */
  connection: number;
  /** True when it came over TLS. */
  secure: boolean;
}

export interface HostileReply {
  readonly socket: Socket;
  /** Writes raw bytes. */
  write(bytes: string | Buffer): void;
  /** Writes a well-formed response (`content-length` is added when a body is given and none is set). */
  send(status: number, headers?: Record<string, string>, body?: string | Buffer): void;
}

export type HostileScript = (request: HostileRequest, reply: HostileReply) => void;

export interface HostileServer {
  /** `127.0.0.1:<port>`. */
  host: string;
  url: URL;
  requests: HostileRequest[];
  /** TCP connections accepted so far. */
  readonly connections: number;
  stop(): Promise<void>;
}

const STATUS_TEXT: Record<number, string> = { 100: 'Continue', 102: 'Processing', 103: 'Early Hints', 200: 'OK', 201: 'Created', 202: 'Accepted', 204: 'No Content', 302: 'Found', 307: 'Temporary Redirect', 401: 'Unauthorized', 404: 'Not Found', 500: 'Internal Server Error' };

/**
 * The bytes of a response head (and body).
 *
 * @example
 * socket.write(rawResponse(200, { 'content-length': '2' }, 'ok'));
 */
export function rawResponse(status: number, headers: Record<string, string> = {}, body: string | Buffer = ''): Buffer {
  const content = typeof body === 'string' ? Buffer.from(body) : body;
  const all = { ...headers };
  if (content.length > 0 && !Object.keys(all).some((name) => name.toLowerCase() === 'content-length' || name.toLowerCase() === 'transfer-encoding')) {
    all['content-length'] = String(content.length);
  }
  const lines = [`HTTP/1.1 ${status} ${STATUS_TEXT[status] ?? 'Status'}`, ...Object.entries(all).map(([name, value]) => `${name}: ${value}`)];
  return Buffer.concat([Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1'), content]);
}

/** Feeds a connection's bytes and calls `onRequest` for each complete request. */
function requestReader(connection: number, secure: boolean, onRequest: (request: HostileRequest) => void): (bytes: Buffer) => void {
  let buffered = Buffer.alloc(0);
  return (bytes) => {
    buffered = Buffer.concat([buffered, bytes]);
    for (;;) {
      const end = buffered.indexOf('\r\n\r\n');
      if (end === -1) return;
      const rawHead = buffered.toString('latin1', 0, end);
      const [requestLine = '', ...lines] = rawHead.split('\r\n');
      const headers: Record<string, string> = {};
      for (const line of lines) {
        const colon = line.indexOf(':');
        if (colon <= 0) continue;
        const name = line.slice(0, colon).trim().toLowerCase();
        const value = line.slice(colon + 1).trim();
        headers[name] = headers[name] === undefined ? value : `${headers[name]}, ${value}`;
      }
      const length = Number(headers['content-length'] ?? '0');
      if (buffered.length < end + 4 + length) return;
      const body = Buffer.from(buffered.subarray(end + 4, end + 4 + length));
      buffered = buffered.subarray(end + 4 + length);
      const [method = '', target = ''] = requestLine.split(' ');
      onRequest({ method, target, headers, rawHead, body, connection, secure });
    }
  };
}

/**
 * Starts the server on a free loopback port. With `tls`, it speaks TLS, and also plain HTTP on the
 * same port (a client that talks cleartext to a TLS port is recorded with `secure: false`, which
 * is how a test sees credentials sent in cleartext).
 *
 * @example
 * const server = await startHostileServer(script, { tls: selfSignedCertificate('127.0.0.1') });
 */
export async function startHostileServer(script: HostileScript, options: { tls?: SelfSignedCertificate } = {}): Promise<HostileServer> {
  const requests: HostileRequest[] = [];
  const sockets = new Set<Socket>();
  let connections = 0;
  const onSocket = (socket: Socket, secure: boolean): void => {
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
    const reply: HostileReply = {
      socket,
      write: (bytes) => {
        if (!socket.destroyed) socket.write(bytes);
      },
      send: (status, headers, body) => reply.write(rawResponse(status, headers, body)),
    };
    socket.on(
      'data',
      requestReader(connections, secure, (request) => {
        requests.push(request);
        script(request, reply);
      }),
    );
  };
  const tls = options.tls;
  const server: Server = createNetServer((socket) => {
    connections += 1;
    sockets.add(socket);
    socket.on('error', () => undefined);
    if (!tls) {
      onSocket(socket, false);
      return;
    }
    // A TLS ClientHello starts with a handshake record (0x16); anything else is cleartext HTTP.
    socket.once('data', (first: Buffer) => {
      if (first[0] !== 0x16) {
        onSocket(socket, false);
        socket.emit('data', first);
        return;
      }
      // TLS over a JS stream that replays the bytes already read (a native socket cannot un-read them).
      const stream = new Duplex({
        read: () => socket.resume(),
        write: (chunk: Buffer, _encoding, done) => socket.write(chunk, done),
        final: (done) => socket.end(done),
        destroy: (error, done) => {
          socket.destroy(error ?? undefined);
          done(error);
        },
      });
      socket.on('data', (bytes: Buffer) => {
        if (!stream.push(bytes)) socket.pause();
      });
      socket.on('end', () => stream.push(null));
      socket.on('close', () => stream.destroy());
      stream.push(first);
      onSocket(new TLSSocket(stream as unknown as Socket, { isServer: true, key: tls.key, cert: tls.cert, ALPNProtocols: ['http/1.1'] }), true);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  return {
    host: `127.0.0.1:${port}`,
    url: new URL(`${options.tls ? 'https' : 'http'}://127.0.0.1:${port}/`),
    requests,
    get connections() {
      return connections;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/**
 * A small HTTP proxy for tests of the proxy path: it answers `CONNECT host:port` (what undici's
 * ProxyAgent sends for every target, http or https) by opening a TCP connection to the target
 * and piping bytes both ways. It logs every target, can require `Proxy-Authorization`, and can
 * refuse targets. A test peer, not product code. Anything but CONNECT gets 405.
 *
 * @example
 * const proxy = await startHttpProxy();
 * const wire = new UndiciWire({ httpsProxy: proxy.url, httpProxy: proxy.url });
 * afterAll(() => proxy.stop());
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { connect, type Socket } from 'node:net';

export interface ProxyTarget {
  /** `host:port` asked for. */
  authority: string;
  proxyAuthorization: string | undefined;
}

export interface HttpProxy {
  /** `http://127.0.0.1:<port>`. */
  url: string;
  /** Every CONNECT, in arrival order. */
  targets: ProxyTarget[];
  stop(): Promise<void>;
}

export interface HttpProxyOptions {
  /** The `Proxy-Authorization` value required (407 otherwise). */
  requireAuthorization?: string;
  /** Targets (`host:port`) answered with 403 instead of being reached. */
  deny?: readonly string[];
}

/**
 * Starts the proxy on a free loopback port.
 *
 * @example
 * const proxy = await startHttpProxy({ requireAuthorization: `Basic ${Buffer.from('u:p').toString('base64')}` });
 */
export async function startHttpProxy(options: HttpProxyOptions = {}): Promise<HttpProxy> {
  const targets: ProxyTarget[] = [];
  const sockets = new Set<Socket>();
  const track = (socket: Socket): void => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
  };
  const server: Server = createServer((_request, response) => response.writeHead(405, { allow: 'CONNECT' }).end());
  server.on('connection', track);
  server.on('connect', (request: IncomingMessage, client: Socket, head: Buffer) => {
    const authority = request.url ?? '';
    targets.push({ authority, proxyAuthorization: request.headers['proxy-authorization'] });
    if (options.requireAuthorization !== undefined && request.headers['proxy-authorization'] !== options.requireAuthorization) {
      client.end('HTTP/1.1 407 Proxy Authentication Required\r\nproxy-authenticate: Basic realm="proxy"\r\ncontent-length: 0\r\n\r\n');
      return;
    }
    if (options.deny?.includes(authority)) {
      client.end('HTTP/1.1 403 Forbidden\r\ncontent-length: 0\r\n\r\n');
      return;
    }
    const colon = authority.lastIndexOf(':');
    const upstream = connect({ host: authority.slice(0, colon).replace(/^\[|\]$/g, ''), port: Number(authority.slice(colon + 1)) });
    track(upstream);
    let connected = false;
    upstream.on('error', () => {
      if (!connected) client.end('HTTP/1.1 502 Bad Gateway\r\ncontent-length: 0\r\n\r\n');
      else client.destroy();
    });
    upstream.on('connect', () => {
      connected = true;
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length > 0) upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    upstream.on('close', () => client.destroy());
    client.on('close', () => upstream.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    targets,
    stop: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

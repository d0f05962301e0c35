/**
 * A TCP server on 127.0.0.1 that accepts every connection and never says a word: the peer that
 * makes a client without timeouts wait forever.
 */
import { createServer, type Socket } from 'node:net';

export interface SilentServer {
  /** `127.0.0.1:<port>`. */
  host: string;
  port: number;
  /** Connections accepted so far (a retried request shows up as a second one). */
  connections(): number;
  /** Bytes the clients sent: the request the server ignored. */
  received(): string;
  stop(): Promise<void>;
}

/**
 * Starts a silent server on a free loopback port.
 *
 * @example
 * const silent = await startSilentServer();
 * process.env.AWS_ENDPOINT_URL = `http://${silent.host}`;
 */
export async function startSilentServer(): Promise<SilentServer> {
  const sockets = new Set<Socket>();
  const chunks: Buffer[] = [];
  let accepted = 0;
  const server = createServer((socket) => {
    accepted += 1;
    sockets.add(socket);
    socket.on('data', (chunk) => chunks.push(chunk));
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  return {
    host: `127.0.0.1:${port}`,
    port,
    connections: () => accepted,
    received: () => Buffer.concat(chunks).toString('latin1'),
    stop: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

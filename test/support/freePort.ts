/**
 * Free loopback TCP ports for test servers.
 */
import { createServer } from 'node:net';

/**
 * A port that was free a moment ago on 127.0.0.1. Another process may still take it before the
 * caller binds, so callers that spawn servers retry on "address already in use".
 *
 * @example
 * const port = await findFreePort();
 */
export function findFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

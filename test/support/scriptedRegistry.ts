/**
 * An in-process HTTP server that answers registry requests from a script, for unit tests of the
 * transport and clients where a real registry cannot produce the case (a 201 to `POST ?digest=`,
 * a 401 mid-upload, an answer before the body is read). Every request is recorded with its
 * headers and body size.
 *
 * @example
 * const server = await startScriptedRegistry([{ method: 'GET', path: '/v2/', respond: () => ({ status: 200 }) }]);
 * afterAll(() => server.stop());
 */
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server } from 'node:http';

export interface ScriptedAnswer {
  status: number;
  headers?: Record<string, string>;
  body?: string | Buffer;
}

export interface ScriptedRoute {
  method: string;
  /** Exact path (query excluded) or a pattern tested against path + query. */
  path: string | RegExp;
  /** Answer as soon as headers arrive, without reading the request body. */
  beforeBody?: boolean;
  /** The answer, or a promise of it: the server answers when it settles (an exchange held on the wire). */
  respond: (request: RecordedRequest) => ScriptedAnswer | Promise<ScriptedAnswer>;
}

export interface RecordedRequest {
  method: string;
  /** Path and query. */
  url: string;
  headers: IncomingHttpHeaders;
  /** Body bytes received (0 when the answer came before the body). */
  bodyLength: number;
}

export interface ScriptedRegistry {
  /** `127.0.0.1:<port>`. */
  host: string;
  requests: RecordedRequest[];
  stop(): Promise<void>;
}

function matches(route: ScriptedRoute, request: IncomingMessage): boolean {
  if (route.method !== request.method) return false;
  const url = request.url ?? '';
  return typeof route.path === 'string' ? url.split('?')[0] === route.path : route.path.test(url);
}

/**
 * Starts the server on a free loopback port. Unscripted requests get 404 with a spec error body.
 *
 * @example
 * const server = await startScriptedRegistry(routes);
 */
export async function startScriptedRegistry(routes: ScriptedRoute[]): Promise<ScriptedRegistry> {
  const requests: RecordedRequest[] = [];
  const server: Server = createServer((request, response) => {
    const recorded: RecordedRequest = { method: request.method ?? '', url: request.url ?? '', headers: request.headers, bodyLength: 0 };
    requests.push(recorded);
    const route = routes.find((candidate) => matches(candidate, request));
    const answer = (result: ScriptedAnswer): void => {
      response.writeHead(result.status, { 'content-type': 'application/json', ...result.headers });
      response.end(result.body ?? '');
    };
    if (!route) {
      request.resume();
      answer({ status: 404, body: JSON.stringify({ errors: [{ code: 'NAME_UNKNOWN', message: 'not scripted' }] }) });
      return;
    }
    const respond = (): void => {
      void Promise.resolve(route.respond(recorded)).then(answer);
    };
    if (route.beforeBody) {
      respond();
      request.resume();
      return;
    }
    request.on('data', (chunk: Buffer) => (recorded.bodyLength += chunk.length));
    request.on('end', respond);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  return {
    host: `127.0.0.1:${port}`,
    requests,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * A scriptable HTTP proxy in front of a registry, for fault-injection tests.
 *
 * Requests are forwarded unchanged (including the `Host` header, so the registry's upload
 * `Location` URLs point back at the proxy). Rules inject faults into matching requests:
 * - `{ kind: 'status', status: 429, headers: { 'retry-after': '1' } }` answers without forwarding;
 * - `{ kind: 'drop', afterBytes: n }` forwards, sends the response headers and the first n body
 *   bytes, then destroys the connection (a connection dropped mid-blob);
 * - `{ kind: 'reset' }` destroys the connection before answering;
 * - `{ kind: 'hang' }` reads the request and never answers (until the client gives up);
 * - `{ kind: 'stall', afterBytes: n }` forwards, sends the headers and the first n body bytes, then
 *   sends nothing more and keeps the connection open until the client gives up (a copy in flight).
 * `on: [2]` applies a rule to the 2nd matching request only; `on: [1, 2, 3]` to the first three;
 * without `on`, to every match. Every request is logged with its time, status and fault.
 *
 * @example
 * const proxy = await startFaultProxy(registry.url);
 * proxy.addFault({ method: 'GET', path: /\/blobs\/sha256:/, on: [1], action: { kind: 'drop', afterBytes: 1_000_000 } });
 */
import { createServer, type IncomingMessage, request as forward, type Server, type ServerResponse } from 'node:http';

export type FaultAction =
  | { kind: 'status'; status: number; headers?: Record<string, string>; body?: string }
  | { kind: 'drop'; afterBytes: number }
  | { kind: 'stall'; afterBytes: number }
  | { kind: 'hang' }
  | { kind: 'reset' };

export interface FaultRule {
  method?: string;
  path: RegExp;
  /** 1-based positions among matching requests that get the fault; every match when omitted. */
  on?: number[];
  action: FaultAction;
}

export interface ProxyLogEntry {
  method: string;
  path: string;
  /** `performance.now()` when the request arrived. */
  at: number;
  status: number | undefined;
  fault: FaultAction['kind'] | undefined;
  /** The `Range` request header, to see resumed downloads. */
  range: string | undefined;
  /** True once the exchange is over (answered, or the connection closed). */
  done: boolean;
}

export interface FaultProxy {
  /** `127.0.0.1:<port>`. */
  host: string;
  url: string;
  log: ProxyLogEntry[];
  addFault(rule: FaultRule): void;
  clearFaults(): void;
  /** Requests whose exchange is not over yet. */
  inFlight(): ProxyLogEntry[];
  stop(): Promise<void>;
}

interface ActiveRule extends FaultRule {
  matches: number;
}

function pickFault(rules: ActiveRule[], request: IncomingMessage): FaultAction | undefined {
  let chosen: FaultAction | undefined;
  for (const rule of rules) {
    if (rule.method !== undefined && rule.method !== request.method) continue;
    if (!rule.path.test(request.url ?? '')) continue;
    rule.matches += 1;
    if (!chosen && (rule.on === undefined || rule.on.includes(rule.matches))) chosen = rule.action;
  }
  return chosen;
}

function proxyRequest(target: URL, request: IncomingMessage, response: ServerResponse, entry: ProxyLogEntry, cut: { afterBytes: number; stall: boolean } | undefined): void {
  const dropAfter = cut?.afterBytes;
  const upstream = forward(
    { host: target.hostname, port: target.port, method: request.method, path: request.url, headers: request.headers },
    (reply) => {
      entry.status = reply.statusCode;
      response.writeHead(reply.statusCode ?? 502, reply.headers);
      if (dropAfter === undefined) {
        reply.pipe(response);
        return;
      }
      let sent = 0;
      reply.on('data', (chunk: Buffer) => {
        if (sent >= dropAfter) return;
        const room = dropAfter - sent;
        const part = chunk.length > room ? chunk.subarray(0, room) : chunk;
        sent += part.length;
        if (sent < dropAfter) {
          response.write(part);
          return;
        }
        if (cut?.stall) {
          // Hold the connection: the client waits for bytes that never come, until it gives up.
          response.write(part);
          reply.pause();
          return;
        }
        reply.destroy();
        // Let the bytes already written reach the client, then cut the connection mid-body.
        response.write(part, () => response.socket?.destroy());
      });
      reply.on('end', () => response.end());
    },
  );
  // The client went away mid-exchange (a cancelled copy): let the registry see it too.
  response.on('close', () => {
    if (!response.writableFinished) upstream.destroy();
  });
  upstream.on('error', () => response.socket?.destroy());
  request.pipe(upstream);
}

/**
 * Starts a proxy on a free loopback port in front of `targetUrl` (e.g. `http://127.0.0.1:5000`).
 *
 * @example
 * const proxy = await startFaultProxy(registry.url);
 * afterAll(() => proxy.stop());
 */
export async function startFaultProxy(targetUrl: string): Promise<FaultProxy> {
  const target = new URL(targetUrl);
  const rules: ActiveRule[] = [];
  const log: ProxyLogEntry[] = [];
  const server: Server = createServer((request, response) => {
    const fault = pickFault(rules, request);
    const entry: ProxyLogEntry = {
      method: request.method ?? '',
      path: request.url ?? '',
      at: performance.now(),
      status: undefined,
      fault: fault?.kind,
      range: request.headers.range,
      done: false,
    };
    log.push(entry);
    response.on('close', () => {
      entry.done = true;
    });
    if (fault?.kind === 'status') {
      entry.status = fault.status;
      // Drain the request body so the client can finish sending before it reads our answer.
      request.resume();
      response.writeHead(fault.status, { 'content-type': 'application/json', ...fault.headers });
      response.end(fault.body ?? JSON.stringify({ errors: [{ code: fault.status === 429 ? 'TOOMANYREQUESTS' : 'UNKNOWN', message: `injected ${fault.status}` }] }));
      return;
    }
    if (fault?.kind === 'reset') {
      request.socket.destroy();
      return;
    }
    if (fault?.kind === 'hang') {
      request.resume();
      return;
    }
    proxyRequest(target, request, response, entry, fault?.kind === 'drop' || fault?.kind === 'stall' ? { afterBytes: fault.afterBytes, stall: fault.kind === 'stall' } : undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  return {
    host: `127.0.0.1:${port}`,
    url: `http://127.0.0.1:${port}`,
    log,
    addFault: (rule) => rules.push({ ...rule, matches: 0 }),
    clearFaults: () => rules.splice(0, rules.length),
    inFlight: () => log.filter((entry) => !entry.done),
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

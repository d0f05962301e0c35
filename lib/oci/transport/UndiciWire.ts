/**
 * The wire for networks that reach registries through an HTTP proxy (corporate networks, Lambdas
 * in a VPC without a NAT route): undici's `EnvHttpProxyAgent`, which reads `HTTPS_PROXY`,
 * `HTTP_PROXY` and `NO_PROXY` the way curl does and tunnels every request through the proxy with
 * CONNECT (TLS end to end with the registry). We do not speak the proxy protocol ourselves.
 *
 * Same contract as `HttpWire` (same header checks, timeout phases and errors), at the cost of a
 * copy per chunk (undici's buffers are not ours to lend): the direct path keeps `HttpWire`.
 * Addresses (`checkAddress`, for URLs a registry sent us to): a literal IP is vetted as it is. A
 * host name is resolved here first and refused when any of its addresses is: a name that points
 * at 127.0.0.1 or 169.254.169.254 for everyone is caught whichever way the connection goes. A
 * direct (`NO_PROXY`) connection then goes only to an address vetted in its own lookup, as with
 * `HttpWire`. Through the proxy, the proxy resolves the name again and we cannot see where it
 * connects (its DNS may differ, or answer differently a moment later): refusing tunnels to
 * internal addresses is the proxy's own rule to enforce, as it is for every client behind it.
 *
 * undici is loaded on the first exchange: a Lambda or CLI run without a proxy never evaluates it.
 */
import dns from 'node:dns';
import { isIP } from 'node:net';
import { Readable } from 'node:stream';
import type { EnvHttpProxyAgent } from 'undici';
import { type BodySource, type ChunkSink, readWhole } from './bodySource';
import { checkedLookup, checkRequestHead, HttpWire } from './HttpWire';
import { framingOf, headersFromPairs } from './responseParser';
import { type ResponseBody, timeoutError, type Wire, type WireRequest, type WireResponse } from './wire';

/** Where the proxy settings come from (`process.env` in production, a literal in tests). */
export interface ProxyEnvironment {
  HTTPS_PROXY?: string | undefined;
  https_proxy?: string | undefined;
  HTTP_PROXY?: string | undefined;
  http_proxy?: string | undefined;
  NO_PROXY?: string | undefined;
  no_proxy?: string | undefined;
}

function first(...values: Array<string | undefined>): string | undefined {
  return values.find((value) => value !== undefined && value.trim() !== '');
}

/** The proxy settings of an environment (lower case wins, as curl and undici read them), or undefined without a proxy. */
export function proxySettings(env: ProxyEnvironment): { httpProxy?: string; httpsProxy?: string; noProxy?: string } | undefined {
  const httpsProxy = first(env.https_proxy, env.HTTPS_PROXY);
  const httpProxy = first(env.http_proxy, env.HTTP_PROXY);
  if (httpsProxy === undefined && httpProxy === undefined) return undefined;
  const noProxy = first(env.no_proxy, env.NO_PROXY);
  return { ...(httpProxy ? { httpProxy } : {}), ...(httpsProxy ? { httpsProxy } : {}), ...(noProxy ? { noProxy } : {}) };
}

/**
 * The wire for this environment: undici through the proxy when `HTTPS_PROXY`/`HTTP_PROXY` is set,
 * otherwise our own `HttpWire`.
 *
 * @example
 * const registryHttp = new RegistryHttp({ wire: wireForEnvironment(process.env) });
 */
export function wireForEnvironment(env: ProxyEnvironment): Wire {
  const settings = proxySettings(env);
  return settings ? new UndiciWire(settings) : new HttpWire();
}

type Undici = typeof import('undici');
let undici: Promise<Undici> | undefined;

/** undici, loaded once, when the first request goes through a proxy. */
function loadUndici(): Promise<Undici> {
  undici ??= import('undici');
  return undici;
}

/**
 * undici's errors as our wire's, so `RegistryHttp` reads both wires alike: timeout phases, a
 * dropped connection as ECONNRESET, parser errors as HPE_*, a proxy's refusal as EPROXY.
 */
function translate(error: unknown, request: WireRequest, { errors: undiciErrors }: Undici): unknown {
  const { timeouts } = request;
  if (error instanceof undiciErrors.ConnectTimeoutError) return timeoutError('connect', timeouts.connectMs);
  if (error instanceof undiciErrors.HeadersTimeoutError) return timeoutError('response', timeouts.responseMs);
  if (error instanceof undiciErrors.BodyTimeoutError) return timeoutError('idle', timeouts.idleMs);
  if (!(error instanceof Error)) return error;
  const as = (code: string, message = error.message): Error => Object.assign(new Error(message), { code, cause: error });
  if (error instanceof undiciErrors.SocketError) return as('ECONNRESET');
  // undici reports a parser error on a response with Content-Length as this (a dropped connection is a SocketError).
  if (error instanceof undiciErrors.ResponseContentLengthMismatchError) return as('HPE_UNEXPECTED_CONTENT_LENGTH');
  if (error instanceof undiciErrors.HTTPParserError) return as(typeof (error as { code?: unknown }).code === 'string' ? String((error as { code: string }).code) : 'HPE_INVALID_RESPONSE');
  const status = /^Proxy response \((\d{3})\)/.exec(error.message)?.[1];
  if (status !== undefined) return Object.assign(as('EPROXY', `the proxy refused the tunnel (HTTP ${status} to CONNECT)`), { proxyStatus: Number(status) });
  return error;
}

/**
 * A request body source as a Readable for undici. Chunks are copied (they are views of another
 * socket's buffer, valid only during the call); the source pauses while undici's socket is full.
 * `onChunk` is told of every chunk (idle timing), `onEnd` when every byte was handed over.
 */
function readableOf(source: BodySource, hooks: { onChunk: () => void; onEnd: () => void }): Readable {
  let started = false;
  const readable = new Readable({
    read() {
      if (!started) {
        started = true;
        source.start(sink);
      } else {
        source.resume();
      }
    },
    destroy(error, done) {
      source.destroy(error ?? undefined);
      done(error);
    },
  });
  const sink: ChunkSink = {
    chunk(bytes) {
      hooks.onChunk();
      return readable.push(Buffer.from(bytes));
    },
    end() {
      hooks.onEnd();
      readable.push(null);
    },
    error(error) {
      readable.destroy(error);
    },
  };
  return readable;
}

/** undici's response body (a Readable) as our `ResponseBody`. */
class UndiciBody implements ResponseBody {
  private ended = false;
  private sink: ChunkSink | undefined;
  private failure: Error | undefined;

  constructor(
    private readonly readable: Readable & { dump?: (options: { limit: number }) => Promise<void> },
    private readonly discardLimit: number,
    translateBodyError: (error: Error) => Error,
  ) {
    readable.pause();
    readable.on('end', () => {
      this.ended = true;
      this.sink?.end();
    });
    readable.on('error', (error: Error) => {
      const failure = translateBodyError(error);
      this.failure = failure;
      this.sink?.error(failure);
    });
  }

  get complete(): boolean {
    return this.ended;
  }

  start(sink: ChunkSink): void {
    if (this.sink) throw new Error('a response body can be consumed once');
    this.sink = sink;
    if (this.failure) {
      sink.error(this.failure);
      return;
    }
    if (this.ended) {
      sink.end();
      return;
    }
    this.readable.on('data', (chunk: Buffer) => {
      if (!sink.chunk(chunk)) this.readable.pause();
    });
    this.readable.resume();
  }

  resume(): void {
    if (this.sink && !this.ended) this.readable.resume();
  }

  destroy(error?: Error): void {
    this.readable.destroy(error);
  }

  read(maxBytes: number): Promise<{ bytes: Buffer; truncated: boolean }> {
    return readWhole(this, maxBytes);
  }


  discard(): void {
    if (this.sink) return;
    this.sink = { chunk: () => true, end: () => undefined, error: () => undefined };
    // undici reads up to the limit to keep the connection, and cuts a larger rest.
    if (this.readable.dump) void this.readable.dump({ limit: this.discardLimit }).catch(() => undefined);
    else this.readable.destroy();
  }
}

type AddressCheck = (address: string) => Error | undefined;

/**
 * Every address `host` resolves to here, or none when it does not resolve here (behind a proxy,
 * the proxy's DNS may know names ours does not). Bounded by `ms`: a silent resolver is a connect
 * timeout.
 */
function resolveHere(host: string, ms: number): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(timeoutError('connect', ms)), ms);
    dns.lookup(host, { all: true }, (error, addresses) => {
      clearTimeout(timer);
      resolve(error ? [] : addresses.map((entry) => entry.address));
    });
  });
}

/** `discard()` reads a body through (to reuse its connection) only when this little is left. */
const DISCARD_READ_LIMIT = 256 * 1024;

/**
 * Registry traffic through undici's `EnvHttpProxyAgent`.
 *
 * @example
 * const wire = new UndiciWire({ httpsProxy: 'http://proxy.corp:3128', noProxy: '.internal' });
 */
export class UndiciWire implements Wire {
  private readonly agents = new Map<string, EnvHttpProxyAgent>();
  /** The address checks of the requests in flight, by host name: a direct connection there obeys all of them. */
  private readonly checks = new Map<string, Set<AddressCheck>>();
  /** Where direct (`NO_PROXY`) connections to a host name went: the registry's network, for `RegistryHttp`. */
  private readonly directAddresses = new Map<string, string>();
  /** The lookup of direct connections: vets each address against the checks of the requests for that name. */
  private readonly lookup = checkedLookup((address, hostname) => {
    for (const check of this.checks.get(hostname) ?? []) {
      const refusal = check(address);
      if (refusal) return refusal;
    }
    this.directAddresses.set(hostname, address);
    return undefined;
  });

  /** Proxy settings; what is not given is not read from `process.env` either (an empty value means none). */
  constructor(private readonly settings: { httpProxy?: string; httpsProxy?: string; noProxy?: string } = {}) {}

  async exchange(request: WireRequest): Promise<WireResponse> {
    const { url, signal, timeouts } = request;
    const abortError = (): Error => (signal && request.abortError ? request.abortError(signal) : Object.assign(new Error('the request was aborted'), { code: 'ABORT_ERR' }));
    if (signal?.aborted) throw abortError();
    checkRequestHead(request.method, `${url.pathname}${url.search}`, request.headers);
    const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
    const check = request.checkAddress;
    if (check && isIP(host) !== 0) {
      const refusal = check(host);
      if (refusal) throw refusal;
    } else if (check) {
      for (const address of await resolveHere(host, timeouts.connectMs)) {
        const refusal = check(address);
        if (refusal) throw refusal;
      }
      if (signal?.aborted) throw abortError();
    }

    // Our own deadline for the response head, armed once the body is sent and never reset by
    // 1xx heads (undici refreshes its headersTimeout on each): undici's is off.
    const deadline = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    const arm = (): void => {
      timer = setTimeout(() => deadline.abort(timeoutError('response', timeouts.responseMs)), timeouts.responseMs);
    };
    // While the body streams, silence is idle time: the source stalled, or the socket is full.
    let idle: NodeJS.Timeout | undefined;
    const touch = (): void => {
      if (idle) idle.refresh();
      else idle = setTimeout(() => deadline.abort(timeoutError('idle', timeouts.idleMs)), timeouts.idleMs);
    };
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(request.headers)) {
      const lower = name.toLowerCase();
      if (lower !== 'host' && lower !== 'content-length') headers[name] = value;
    }
    let body: Buffer | Readable | undefined;
    const content = request.body?.content;
    if (request.body) headers['content-length'] = String(request.body.length);
    else if (request.method === 'PUT' || request.method === 'POST' || request.method === 'PATCH') headers['content-length'] = '0';
    if (content === undefined || Buffer.isBuffer(content)) {
      body = content;
      arm();
    } else {
      touch();
      body = readableOf(content, {
        onChunk: touch,
        onEnd: () => {
          if (idle) clearTimeout(idle);
          arm();
        },
      });
    }
    const signals = signal ? [signal, deadline.signal] : [deadline.signal];
    const library = await loadUndici();
    // A direct connection opened for this request looks its address up in `this.lookup`.
    const checks = this.checks.get(host) ?? new Set<AddressCheck>();
    if (check) {
      checks.add(check);
      this.checks.set(host, checks);
    }
    try {
      const response = await library.request(url, {
        dispatcher: this.agent(library, request.rejectUnauthorized, timeouts.connectMs),
        method: request.method as 'GET',
        headers,
        ...(body === undefined ? {} : { body }),
        signal: AbortSignal.any(signals),
        headersTimeout: 0,
        bodyTimeout: timeouts.idleMs,
      });
      const bodyError = (error: Error): Error => {
        if (signal?.aborted) return abortError();
        return translate(error, request, library) as Error;
      };
      const remoteAddress = this.directAddresses.get(host);
      const responseHeaders = headersFromPairs(Object.entries(response.headers));
      // undici reads `gzip, chunked` as chunked and `identity` as close-delimited: refused, as HttpWire does.
      try {
        framingOf(request.method, { statusCode: response.statusCode, headers: responseHeaders, keepAlive: false });
      } catch (error) {
        // Destroying undici's body emits its abort as an 'error': nobody reads this body.
        response.body.on('error', () => undefined).destroy();
        throw error;
      }
      return {
        statusCode: response.statusCode,
        headers: responseHeaders,
        body: new UndiciBody(response.body, DISCARD_READ_LIMIT, bodyError),
        ...(remoteAddress === undefined ? {} : { remoteAddress }),
      };
    } catch (error) {
      if (signal?.aborted) throw abortError();
      if (deadline.signal.aborted) throw deadline.signal.reason;
      throw translate(error, request, library);
    } finally {
      if (timer) clearTimeout(timer);
      if (idle) clearTimeout(idle);
      if (check) {
        checks.delete(check);
        if (checks.size === 0) this.checks.delete(host);
      }
    }
  }

  close(): void {
    for (const agent of this.agents.values()) void agent.destroy().catch(() => undefined);
    this.agents.clear();
  }

  /** One agent per certificate policy and connect timeout (undici sets both per connection pool). */
  private agent(library: Undici, rejectUnauthorized: boolean, connectMs: number): EnvHttpProxyAgent {
    const key = `${rejectUnauthorized ? 'verify' : 'insecure'}|${connectMs}`;
    let agent = this.agents.get(key);
    if (!agent) {
      const tls = { rejectUnauthorized, timeout: connectMs };
      agent = new library.EnvHttpProxyAgent({
        // '' rather than undefined: undici would read process.env for an undefined setting.
        httpProxy: this.settings.httpProxy ?? '',
        httpsProxy: this.settings.httpsProxy ?? '',
        noProxy: this.settings.noProxy ?? '',
        // Direct (NO_PROXY) connections, and the tunnelled connection to the registry.
        connect: { ...tls, lookup: this.lookup },
        requestTls: tls,
        proxyTls: { timeout: connectMs },
      });
      this.agents.set(key, agent);
    }
    return agent;
  }
}

/**
 * HTTP/1.1 on node:net and node:tls, shaped for moving blobs between registries.
 *
 * Every socket reads into one reusable buffer (`onread`), and response bodies are `BodySource`s
 * whose chunks are views of it: a blob flows from the download socket's buffer straight into the
 * upload socket's write, with no per-chunk allocation. node:http allocates a fresh 64 KiB buffer
 * per read and pushes it through its parser and streams; for a 100 MB layer that allocation and
 * the garbage collection after it cost more CPU than the transfer (measured in `npm run bench`).
 *
 * What it does: keep-alive sockets pooled per origin (LIFO, closed after a short idle time), TLS
 * with SNI, ALPN `http/1.1` and session reuse, Content-Length, chunked and close-delimited
 * response bodies, 1xx skipping, early responses (a 401 or 5xx before the request body was sent:
 * the rest of the body is dropped and the socket not reused), an idle timeout and abort signals.
 * What it leaves out on purpose: pipelining, proxies, HTTP/2, request trailers.
 */
import type { IncomingHttpHeaders } from 'node:http';
import net from 'node:net';
import tls from 'node:tls';
import type { BodySource, ChunkSink } from './bodySource';

/** One socket's read buffer: large reads mean few syscalls; 512 KiB per socket keeps memory flat. */
export const READ_BUFFER_BYTES = 512 * 1024;
/** A response head larger than this is refused (registries send a few hundred bytes). */
export const MAX_HEAD_BYTES = 64 * 1024;
/** Idle keep-alive sockets are closed after this, well before servers drop them on their side. */
export const IDLE_KEEP_ALIVE_MS = 4_000;
/** Idle sockets kept per origin. */
export const MAX_IDLE_PER_ORIGIN = 16;
/** `discard()` reads a body through (to reuse its socket) only when this little is left. */
const DISCARD_READ_LIMIT = 256 * 1024;
const CRLF_CRLF = Buffer.from('\r\n\r\n');
/** Headers node:http also keeps only the first of (RFC 9110 singletons). */
const SINGLE_VALUE_HEADERS = new Set([
  'age',
  'authorization',
  'content-length',
  'content-type',
  'etag',
  'expires',
  'from',
  'host',
  'if-modified-since',
  'if-unmodified-since',
  'last-modified',
  'location',
  'max-forwards',
  'proxy-authorization',
  'referer',
  'retry-after',
  'server',
  'user-agent',
]);
/** A header name (and a method) is an RFC 9110 token. */
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
/**
 * What we send as a header value: visible ASCII, SP and HTAB (RFC 9110 §5.5 without obs-text).
 * The head is written as latin1, which keeps only the low byte of each character: U+010D U+010A
 * would go out as CR LF, so anything beyond ASCII is refused, not just CR, LF and NUL.
 */
const HEADER_VALUE = /^[\t\x20-\x7e]*$/;
/** The request target: visible ASCII only (WHATWG URLs percent-encode the rest; checked anyway). */
const REQUEST_TARGET = /^[\x21-\x7e]+$/;

export interface WireRequest {
  url: URL;
  method: string;
  /** Request headers; `host` and `content-length` are set here. */
  headers: Readonly<Record<string, string>>;
  /** Exactly `length` bytes: a buffer, or a one-shot source (a download from another registry). */
  body?: { length: number; content: Buffer | BodySource };
  rejectUnauthorized: boolean;
  /** A socket silent this long (connecting, sending or receiving) fails with ETIMEDOUT. */
  timeoutMs: number;
  signal?: AbortSignal;
  /** The error an abort fails with. */
  abortError?: (signal: AbortSignal) => Error;
}

/** A response body: a `BodySource`, or read whole, or discarded. */
export interface ResponseBody extends BodySource {
  /** True once every byte of the body arrived. */
  readonly complete: boolean;
  /** The body (at most `maxBytes` of it; `truncated` when there was more). */
  read(maxBytes: number): Promise<{ bytes: Buffer; truncated: boolean }>;
  /** Drops the body, reusing the socket when little is left to read. */
  discard(): void;
}

export interface WireResponse {
  statusCode: number;
  headers: IncomingHttpHeaders;
  body: ResponseBody;
}

function networkError(code: string, message: string): Error {
  return Object.assign(new Error(message), { code });
}

function hostnameOf(url: URL): string {
  return url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
}

function portOf(url: URL): number {
  if (url.port !== '') return Number(url.port);
  return url.protocol === 'https:' ? 443 : 80;
}

function addHeader(headers: IncomingHttpHeaders, name: string, value: string): void {
  const existing = headers[name];
  if (existing === undefined) {
    headers[name] = name === 'set-cookie' ? [value] : value;
  } else if (Array.isArray(existing)) {
    existing.push(value);
  } else if (!SINGLE_VALUE_HEADERS.has(name)) {
    headers[name] = `${existing}, ${value}`;
  }
}

interface ParsedHead {
  statusCode: number;
  headers: IncomingHttpHeaders;
  keepAlive: boolean;
}

/**
 * Parses a response head (status line and headers, without the final blank line).
 *
 * @example
 * parseResponseHead('HTTP/1.1 200 OK\r\ncontent-length: 2'); // { statusCode: 200, headers: { 'content-length': '2' }, keepAlive: true }
 */
export function parseResponseHead(head: string): ParsedHead {
  const lines = head.split('\r\n');
  const status = /^HTTP\/1\.([01]) (\d{3})(?: .*)?$/.exec(lines[0] ?? '');
  if (!status) throw networkError('HPE_INVALID_RESPONSE', `not an HTTP/1.x response: ${JSON.stringify((lines[0] ?? '').slice(0, 80))}`);
  const headers: IncomingHttpHeaders = {};
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':');
    if (colon <= 0 || !HEADER_NAME.test(line.slice(0, colon))) throw networkError('HPE_INVALID_HEADER_TOKEN', `invalid response header line: ${JSON.stringify(line.slice(0, 80))}`);
    addHeader(headers, line.slice(0, colon).toLowerCase(), line.slice(colon + 1).trim());
  }
  const connection = String(headers.connection ?? '').toLowerCase();
  const keepAlive = status[1] === '1' ? !/\bclose\b/.test(connection) : /\bkeep-alive\b/.test(connection);
  return { statusCode: Number(status[2]), headers, keepAlive };
}

/**
 * Throws `ERR_INVALID_HTTP_TOKEN` / `ERR_INVALID_CHAR` unless the method, target and every header
 * can be written as they are. Values are never quoted in the error: one may be a credential.
 *
 * @example
 * checkRequestHead('PUT', '/v2/app/manifests/v1', { 'content-type': 'application/json' });
 */
export function checkRequestHead(method: string, target: string, headers: Readonly<Record<string, string>>): void {
  if (!HEADER_NAME.test(method)) throw networkError('ERR_INVALID_HTTP_TOKEN', `refusing to send method ${JSON.stringify(method.slice(0, 20))}: not an HTTP token`);
  if (!REQUEST_TARGET.test(target)) throw networkError('ERR_INVALID_CHAR', 'refusing to send a request target with a space, a control or a non-ASCII character');
  for (const [name, value] of Object.entries(headers)) {
    if (!HEADER_NAME.test(name)) throw networkError('ERR_INVALID_HTTP_TOKEN', `refusing to send header name ${JSON.stringify(name.slice(0, 40))}: not an HTTP token`);
    if (!HEADER_VALUE.test(value)) {
      const at = [...value].findIndex((char) => !HEADER_VALUE.test(char));
      throw networkError('ERR_INVALID_CHAR', `refusing to send header ${JSON.stringify(name)}: its value has a character other than visible ASCII, space or tab (at position ${at})`);
    }
  }
}

function serializeHead(request: WireRequest): string {
  const { url } = request;
  const target = `${url.pathname}${url.search}`;
  checkRequestHead(request.method, target, request.headers);
  let head = `${request.method} ${target} HTTP/1.1\r\nhost: ${url.host}\r\n`;
  for (const [name, value] of Object.entries(request.headers)) {
    const lower = name.toLowerCase();
    if (lower === 'host' || lower === 'content-length') continue;
    head += `${name}: ${value}\r\n`;
  }
  if (request.body) head += `content-length: ${request.body.length}\r\n`;
  else if (request.method === 'PUT' || request.method === 'POST' || request.method === 'PATCH') head += 'content-length: 0\r\n';
  return `${head}\r\n`;
}

/** Incremental decoder of `Transfer-Encoding: chunked`; data segments are views of the input. */
class ChunkedDecoder {
  private state: 'size' | 'data' | 'data-end' | 'trailer' | 'done' = 'size';
  private remaining = 0;
  private line = '';

  get done(): boolean {
    return this.state === 'done';
  }

  /** Feeds bytes; `onData` gets each data segment. Returns the number of bytes left over after the end. */
  feed(bytes: Buffer, onData: (segment: Buffer) => void): number {
    let at = 0;
    while (at < bytes.length && this.state !== 'done') {
      if (this.state === 'data') {
        const take = Math.min(this.remaining, bytes.length - at);
        onData(bytes.subarray(at, at + take));
        this.remaining -= take;
        at += take;
        if (this.remaining === 0) this.state = 'data-end';
        continue;
      }
      const newline = bytes.indexOf(10, at);
      const end = newline === -1 ? bytes.length : newline;
      this.line += bytes.toString('latin1', at, end);
      if (this.line.length > 4096) throw networkError('HPE_CHUNK_EXTENSIONS_OVERFLOW', 'chunked body: a size or trailer line is too long');
      at = newline === -1 ? bytes.length : newline + 1;
      if (newline === -1) break;
      const line = this.line.replace(/\r$/, '');
      this.line = '';
      if (this.state === 'data-end') {
        if (line !== '') throw networkError('HPE_INVALID_CHUNK_SIZE', 'chunked body: data not followed by CRLF');
        this.state = 'size';
      } else if (this.state === 'size') {
        const size = /^([0-9a-fA-F]{1,15})[ \t]*(?:;.*)?$/.exec(line);
        if (!size?.[1]) throw networkError('HPE_INVALID_CHUNK_SIZE', `chunked body: invalid chunk size ${JSON.stringify(line.slice(0, 20))}`);
        this.remaining = Number.parseInt(size[1], 16);
        this.state = this.remaining === 0 ? 'trailer' : 'data';
      } else if (line === '') {
        this.state = 'done';
      }
    }
    return bytes.length - at;
  }
}

type Framing = { kind: 'none' } | { kind: 'length'; remaining: number } | { kind: 'chunked'; decoder: ChunkedDecoder } | { kind: 'close' };

function framingOf(method: string, head: ParsedHead): Framing {
  const { statusCode, headers } = head;
  if (method === 'HEAD' || statusCode === 204 || statusCode === 304) return { kind: 'none' };
  const encoding = String(headers['transfer-encoding'] ?? '').toLowerCase();
  if (encoding !== '') {
    if (/(?:^|,)\s*chunked\s*$/.test(encoding)) return { kind: 'chunked', decoder: new ChunkedDecoder() };
    return { kind: 'close' };
  }
  const length = headers['content-length'];
  if (length !== undefined) {
    if (!/^\d{1,15}$/.test(length)) throw networkError('HPE_INVALID_CONTENT_LENGTH', `invalid content-length ${JSON.stringify(length.slice(0, 20))}`);
    return Number(length) === 0 ? { kind: 'none' } : { kind: 'length', remaining: Number(length) };
  }
  return { kind: 'close' };
}

/** One socket and whatever exchange currently owns it. */
class Connection {
  readonly socket: net.Socket;
  /**
   * Two read buffers, one in use. A consumer that pauses may keep a view of the buffer it was
   * given until it resumes, and a TLS socket goes on decrypting records it already received after
   * the pause (node's TLSWrap does not stop mid-batch): those land in the other buffer (and are
   * copied, since the consumer is paused), never in the one the consumer holds.
   */
  private readonly readBuffers: [Buffer, Buffer | undefined] = [Buffer.allocUnsafe(READ_BUFFER_BYTES), undefined];
  private inUse: 0 | 1 = 0;
  /** A paused consumer may hold a view of the buffer not in use. */
  private switched = false;
  /** The current owner's reader; returns false to pause reading. */
  onBytes: ((bytes: Buffer) => boolean) | undefined;
  /** Called once when the socket closes: with its error, or undefined after a clean end of stream. */
  onEnd: ((error: Error | undefined) => void) | undefined;
  /** Called when the socket was silent for the timeout set with `setTimeout`. */
  onTimeout: (() => void) | undefined;
  closed = false;

  constructor(
    readonly key: string,
    url: URL,
    rejectUnauthorized: boolean,
    session: Buffer | undefined,
    onSession: (session: Buffer) => void,
  ) {
    // A buffer function is asked for the buffer of every next read (after each callback).
    const onread = { buffer: () => this.readBuffers[this.inUse], callback: (length: number, buffer: Uint8Array) => this.read(length, buffer) };
    const host = hostnameOf(url);
    const port = portOf(url);
    if (url.protocol === 'https:') {
      const socket = tls.connect({
        host,
        port,
        ...(net.isIP(host) === 0 ? { servername: host } : {}),
        rejectUnauthorized,
        ALPNProtocols: ['http/1.1'],
        ...(session ? { session } : {}),
        onread,
      } as tls.ConnectionOptions);
      socket.on('session', onSession);
      this.socket = socket;
    } else {
      this.socket = net.connect({ host, port, onread } as net.NetConnectOpts);
    }
    this.socket.setNoDelay(true);
    let failure: Error | undefined;
    this.socket.on('error', (error) => {
      failure ??= error;
    });
    this.socket.on('end', () => this.socket.destroy());
    this.socket.on('timeout', () => (this.onTimeout ? this.onTimeout() : this.socket.destroy()));
    this.socket.on('close', () => {
      this.closed = true;
      const onEnd = this.onEnd;
      this.onBytes = undefined;
      this.onEnd = undefined;
      onEnd?.(failure);
    });
  }

  /** Resolves once connected (TLS: after the handshake). */
  ready(): Promise<void> {
    const socket = this.socket;
    if (!socket.connecting && !socket.destroyed) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const event = socket instanceof tls.TLSSocket ? 'secureConnect' : 'connect';
      const onReady = (): void => {
        this.onEnd = undefined;
        resolve();
      };
      socket.once(event, onReady);
      this.onEnd = (error) => {
        socket.removeListener(event, onReady);
        reject(error ?? networkError('ECONNRESET', 'the connection closed while connecting'));
      };
    });
  }

  /** Sets (or with 0 clears) the silence timeout and what happens when it fires. */
  setTimeout(ms: number, onTimeout?: () => void): void {
    this.onTimeout = onTimeout;
    this.socket.setTimeout(ms);
  }

  private read(length: number, buffer: Uint8Array): boolean {
    const onBytes = this.onBytes;
    if (!onBytes) {
      // Bytes nobody asked for (on an idle socket): the stream is out of step; never reuse it.
      this.socket.destroy();
      return false;
    }
    const more = onBytes(Buffer.from(buffer.buffer, buffer.byteOffset, length));
    // A socket that went back to the pool keeps reading, so a server's close is noticed.
    return more || this.onBytes === undefined;
  }

  /** A consumer paused holding a view of the current buffer: reads go to the other one until it resumes. */
  holdCurrentBuffer(): void {
    if (this.switched) return;
    this.switched = true;
    this.inUse = this.inUse === 0 ? 1 : 0;
    this.readBuffers[this.inUse] ??= Buffer.allocUnsafe(READ_BUFFER_BYTES);
  }

  /**
   * The consumer keeps `view` beyond the end of its exchange, while the socket goes back to the
   * pool: the memory under it is never read into again (the connection takes a fresh buffer).
   */
  retire(view: Buffer): void {
    for (const index of [0, 1] as const) {
      if (this.readBuffers[index]?.buffer === view.buffer) this.readBuffers[index] = Buffer.allocUnsafe(READ_BUFFER_BYTES);
    }
  }

  /** Reads again after the consumer paused; it no longer holds a view of either buffer. */
  resumeReading(): void {
    this.switched = false;
    this.socket.resume();
  }

  destroy(error?: Error): void {
    this.socket.destroy(error);
  }
}

/**
 * The client: `exchange` sends one request and resolves with the response head; the body is then
 * consumed (streamed, read or discarded) by the caller. `close()` frees pooled sockets.
 *
 * @example
 * const wire = new HttpWire();
 * const response = await wire.exchange({ url: new URL('https://registry-1.docker.io/v2/'), method: 'GET', headers: {}, rejectUnauthorized: true, timeoutMs: 30_000 });
 * response.body.discard();
 */
export class HttpWire {
  private readonly idle = new Map<string, Connection[]>();
  private readonly sessions = new Map<string, Buffer>();
  private readonly all = new Set<Connection>();
  private closing = false;

  /** Sends `request`; resolves when the response head arrived. */
  async exchange(request: WireRequest): Promise<WireResponse> {
    const { signal } = request;
    const abortError = (): Error => (signal && request.abortError ? request.abortError(signal) : networkError('ABORT_ERR', 'the request was aborted'));
    if (signal?.aborted) throw abortError();
    const head = serializeHead(request);
    const connection = await this.acquire(request, abortError);
    return runExchange(connection, request, head, abortError, (reusable) => this.release(connection, reusable));
  }

  /** Destroys every socket, pooled or busy. */
  close(): void {
    this.closing = true;
    for (const connection of this.all) connection.destroy();
    this.all.clear();
    this.idle.clear();
  }

  private async acquire(request: WireRequest, abortError: () => Error): Promise<Connection> {
    const key = `${request.url.protocol}//${request.url.host}|${request.rejectUnauthorized ? 'verify' : 'insecure'}`;
    const pooled = this.idle.get(key);
    while (pooled && pooled.length > 0) {
      const connection = pooled.pop();
      if (connection && !connection.closed && !connection.socket.destroyed) {
        connection.setTimeout(0);
        return connection;
      }
    }
    const connection = new Connection(key, request.url, request.rejectUnauthorized, this.sessions.get(key), (session) => this.sessions.set(key, session));
    this.all.add(connection);
    connection.socket.once('close', () => this.forget(connection));
    const unguard = guard(connection, request, abortError, (seconds) => `no connection within ${seconds} s`);
    try {
      await connection.ready();
    } finally {
      unguard();
    }
    return connection;
  }

  private release(connection: Connection, reusable: boolean): void {
    if (!reusable || this.closing || connection.closed) {
      connection.destroy();
      return;
    }
    const pooled = this.idle.get(connection.key) ?? [];
    if (pooled.length >= MAX_IDLE_PER_ORIGIN) {
      connection.destroy();
      return;
    }
    pooled.push(connection);
    this.idle.set(connection.key, pooled);
    connection.onEnd = undefined;
    connection.setTimeout(IDLE_KEEP_ALIVE_MS, () => connection.destroy());
    // An idle socket must not keep the process alive, and keeps reading so a server's close is seen.
    connection.socket.unref();
    connection.resumeReading();
  }

  private forget(connection: Connection): void {
    this.all.delete(connection);
    const pooled = this.idle.get(connection.key);
    if (!pooled) return;
    const at = pooled.indexOf(connection);
    if (at !== -1) pooled.splice(at, 1);
  }
}

/**
 * Destroys `connection` when the request is aborted or the socket stays silent for its timeout
 * (an ETIMEDOUT error with `silence(seconds)` as message). Returns what undoes both.
 */
function guard(connection: Connection, request: WireRequest, abortError: () => Error, silence: (seconds: number) => string): () => void {
  const onAbort = (): void => connection.destroy(abortError());
  request.signal?.addEventListener('abort', onAbort, { once: true });
  connection.setTimeout(request.timeoutMs, () => connection.destroy(networkError('ETIMEDOUT', silence(request.timeoutMs / 1000))));
  return () => {
    request.signal?.removeEventListener('abort', onAbort);
    connection.setTimeout(0);
  };
}

/** One request/response on a connected socket. */
function runExchange(
  connection: Connection,
  request: WireRequest,
  head: string,
  abortError: () => Error,
  release: (reusable: boolean) => void,
): Promise<WireResponse> {
  const { socket } = connection;
  socket.ref();
  return new Promise<WireResponse>((resolve, reject) => {
    let headBytes: Buffer | undefined;
    let parsed: ParsedHead | undefined;
    let framing: Framing = { kind: 'none' };
    let body: Body | undefined;
    let requestSent = false;
    let source: BodySource | undefined;
    let sourceError: Error | undefined;
    let reusable = true;
    let finished = false;

    const unguard = guard(connection, request, abortError, (seconds) => `no data for ${seconds} s`);

    /** Ends the exchange: the socket goes back to the pool or is closed. */
    const finish = (reuse: boolean): void => {
      if (finished) return;
      finished = true;
      unguard();
      connection.onBytes = undefined;
      connection.onEnd = undefined;
      release(reuse);
    };
    const maybeFinish = (): void => {
      if (!body?.ended || !requestSent) return;
      // A consumer still holding a view of the read buffer (its write of the last chunk is
      // pending) must not see that buffer refilled by the socket's next exchange.
      if (body.heldView) connection.retire(body.heldView);
      finish(reusable);
    };

    connection.onEnd = (error) => {
      finished = true;
      unguard();
      if (!requestSent) source?.destroy();
      const failure = sourceError ?? error;
      if (!body) {
        reject(failure ?? networkError('ECONNRESET', 'socket hang up: the connection closed before a response'));
        return;
      }
      if (failure === undefined && framing.kind === 'close') {
        // A close-delimited body ends with the connection.
        body.end();
        return;
      }
      body.fail(failure ?? networkError('ECONNRESET', 'the connection closed before the end of the response body'));
    };

    const feedBody = (bytes: Buffer): void => {
      if (!body) return;
      switch (framing.kind) {
        case 'length': {
          const take = Math.min(framing.remaining, bytes.length);
          if (take < bytes.length) reusable = false;
          framing.remaining -= take;
          body.deliver(bytes.subarray(0, take));
          if (framing.remaining === 0) body.end();
          return;
        }
        case 'chunked': {
          const { decoder } = framing;
          if (decoder.feed(bytes, (segment) => body?.deliver(segment)) > 0) reusable = false;
          if (decoder.done) body.end();
          return;
        }
        case 'close':
          body.deliver(bytes);
          return;
        default:
          reusable = false;
      }
    };

    connection.onBytes = (bytes) => {
      try {
        if (parsed === undefined) {
          headBytes = headBytes === undefined ? Buffer.from(bytes) : Buffer.concat([headBytes, bytes]);
          const end = headBytes.indexOf(CRLF_CRLF);
          if (end === -1) {
            if (headBytes.length > MAX_HEAD_BYTES) throw networkError('HPE_HEADER_OVERFLOW', `response head larger than ${MAX_HEAD_BYTES} bytes`);
            return true;
          }
          const candidate = parseResponseHead(headBytes.toString('latin1', 0, end));
          const rest = headBytes.subarray(end + 4);
          headBytes = undefined;
          if (candidate.statusCode >= 100 && candidate.statusCode < 200) {
            // 100 Continue and other informational heads precede the real one.
            return rest.length === 0 ? true : (connection.onBytes?.(rest) ?? false);
          }
          parsed = candidate;
          framing = framingOf(request.method, parsed);
          // Transfer-Encoding with Content-Length is how responses get smuggled: never reuse that socket.
          if (!parsed.keepAlive || framing.kind === 'close' || (parsed.headers['transfer-encoding'] !== undefined && parsed.headers['content-length'] !== undefined)) reusable = false;
          if (!requestSent) {
            // An early answer (401, 413, 5xx): stop sending; the socket carries a cut-short request.
            reusable = false;
            source?.destroy();
            requestSent = true;
          }
          body = new Body(connection, () => maybeFinish(), () => finish(false), (bytesLeft) => (framing.kind === 'length' && framing.remaining + bytesLeft <= DISCARD_READ_LIMIT) || framing.kind === 'chunked');
          // Resolved first: a malformed body after this point fails the body, not the exchange.
          resolve({ statusCode: parsed.statusCode, headers: parsed.headers, body });
          if (framing.kind === 'none') {
            // Bytes after a bodiless response: the stream is out of step.
            if (rest.length > 0) reusable = false;
            body.end();
          } else if (rest.length > 0) {
            feedBody(rest);
          }
          maybeFinish();
          // Reading waits for the caller to consume the body.
          return false;
        }
        feedBody(bytes);
        return body !== undefined && body.wantsMore();
      } catch (error) {
        reusable = false;
        connection.destroy(error instanceof Error ? error : new Error(String(error)));
        return false;
      }
    };

    // Send the request.
    const content = request.body?.content;
    if (content === undefined || Buffer.isBuffer(content)) {
      socket.cork();
      socket.write(head, 'latin1');
      // Sent means the kernel took every byte: an answer before that is an early one.
      socket.write(content ?? '', (error) => {
        if (error || requestSent) return;
        requestSent = true;
        maybeFinish();
      });
      socket.uncork();
      return;
    }
    source = content;
    socket.write(head, 'latin1');
    const length = request.body?.length ?? 0;
    let sent = 0;
    let waiting = false;
    const onFlushed = (): void => {
      if (waiting && socket.writableLength === 0) {
        waiting = false;
        source?.resume();
      }
    };
    const sink: ChunkSink = {
      chunk(bytes) {
        if (requestSent || socket.destroyed) return false;
        sent += bytes.length;
        if (sent > length) {
          sink.error(networkError('ERR_HTTP_CONTENT_LENGTH_MISMATCH', `request body is longer than its content-length ${length}`));
          return false;
        }
        socket.write(bytes, onFlushed);
        // The chunk is a view of another socket's read buffer: the source may read again only
        // when the kernel took every byte.
        if (socket.writableLength === 0) return true;
        waiting = true;
        return false;
      },
      end() {
        if (requestSent) return;
        if (sent !== length) {
          sink.error(networkError('ERR_HTTP_CONTENT_LENGTH_MISMATCH', `request body ended after ${sent} of ${length} bytes`));
          return;
        }
        requestSent = true;
        maybeFinish();
      },
      error(error) {
        if (requestSent && body) return;
        sourceError = error;
        connection.destroy(error);
      },
    };
    source.start(sink);
  });
}

/** A response body bound to its socket. */
class Body implements ResponseBody {
  ended = false;
  /** The chunk the consumer paused on, a view of the socket's read buffer, until it resumes. */
  heldView: Buffer | undefined;
  private sink: ChunkSink | undefined;
  private paused = false;
  private pending: Buffer[] = [];
  private failure: Error | undefined;
  private destroyed = false;
  private endDelivered = false;

  constructor(
    private readonly connection: Connection,
    private readonly onEnded: () => void,
    private readonly onDestroyed: () => void,
    private readonly cheapToDrain: (bytesPending: number) => boolean,
  ) {}

  get complete(): boolean {
    return this.ended;
  }

  /** Whether the socket should keep reading. */
  wantsMore(): boolean {
    return this.sink !== undefined && !this.paused && !this.destroyed && !this.ended;
  }

  deliver(bytes: Buffer): void {
    if (this.destroyed || bytes.length === 0) return;
    if (this.sink === undefined || this.paused || this.pending.length > 0) {
      this.pending.push(Buffer.from(bytes));
      return;
    }
    if (!this.sink.chunk(bytes)) {
      this.paused = true;
      this.heldView = bytes;
      this.connection.holdCurrentBuffer();
    }
  }

  end(): void {
    if (this.ended) return;
    this.ended = true;
    this.flush();
    this.onEnded();
  }

  fail(error: Error): void {
    if (this.ended || this.destroyed || this.failure) return;
    // Bytes not yet delivered are dropped: a resuming reader counts only what it received.
    this.pending = [];
    this.failure = error;
    if (this.sink) this.sink.error(error);
  }

  start(sink: ChunkSink): void {
    if (this.sink) throw new Error('a response body can be consumed once');
    this.sink = sink;
    if (this.failure) {
      sink.error(this.failure);
      return;
    }
    this.resume();
  }

  resume(): void {
    this.paused = false;
    this.heldView = undefined;
    this.flush();
    if (this.wantsMore()) this.connection.resumeReading();
  }

  destroy(error?: Error): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.pending = [];
    if (!this.ended) {
      this.onDestroyed();
      this.connection.destroy(error);
    }
  }

  read(maxBytes: number): Promise<{ bytes: Buffer; truncated: boolean }> {
    return new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      let total = 0;
      this.start({
        chunk: (bytes) => {
          const room = maxBytes - total;
          if (bytes.length > room) {
            chunks.push(Buffer.from(bytes.subarray(0, room)));
            this.destroy();
            resolve({ bytes: Buffer.concat(chunks), truncated: true });
            return false;
          }
          total += bytes.length;
          chunks.push(Buffer.from(bytes));
          return true;
        },
        end: () => resolve({ bytes: Buffer.concat(chunks), truncated: false }),
        error: reject,
      });
    });
  }

  discard(): void {
    if (this.sink || this.destroyed) return;
    if (this.ended) {
      this.pending = [];
      this.sink = { chunk: () => true, end: () => undefined, error: () => undefined };
      return;
    }
    const pendingBytes = this.pending.reduce((sum, chunk) => sum + chunk.length, 0);
    if (!this.cheapToDrain(pendingBytes)) {
      this.destroy();
      return;
    }
    // A chunked body has no announced size: drain it only while it stays small.
    let drained = 0;
    this.start({
      chunk: (bytes) => {
        drained += bytes.length;
        if (drained <= DISCARD_READ_LIMIT) return true;
        this.destroy();
        return false;
      },
      end: () => undefined,
      error: () => undefined,
    });
  }

  private flush(): void {
    const sink = this.sink;
    if (!sink) return;
    while (this.pending.length > 0 && !this.paused && !this.destroyed) {
      const next = this.pending.shift();
      if (next && !sink.chunk(next)) this.paused = true;
    }
    if (this.ended && this.pending.length === 0 && !this.endDelivered && !this.destroyed) {
      this.endDelivered = true;
      sink.end();
    }
  }
}

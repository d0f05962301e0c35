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
 * response bodies (parsed strictly by `ResponseParser`), 1xx skipping, early responses (a 401 or
 * 5xx before the request body was sent: the rest of the body is dropped and the socket not
 * reused), connect, idle and response-head timeouts, abort signals, and a check of the address a
 * host name resolved to. A socket goes back to the pool only after a complete, well-framed
 * response, and is closed on any byte it did not ask for.
 * What it leaves out on purpose: pipelining, proxies (`UndiciWire` does those), HTTP/2, request
 * trailers.
 */
import dns from 'node:dns';
import net from 'node:net';
import tls from 'node:tls';
import { type BodySource, type ChunkSink, readWhole } from './bodySource';
import { type Framing, type ParsedHead, ResponseParser } from './responseParser';
import { type ResponseBody, timeoutError, type Wire, type WireRequest, type WireResponse } from './wire';

export { MAX_HEAD_BYTES, parseResponseHead } from './responseParser';
export type { ResponseBody, WireRequest, WireResponse } from './wire';

/** One socket's read buffer: large reads mean few syscalls; 512 KiB per socket keeps memory flat. */
export const READ_BUFFER_BYTES = 512 * 1024;
/** Idle keep-alive sockets are closed after this, well before servers drop them on their side. */
export const IDLE_KEEP_ALIVE_MS = 4_000;
/** Idle sockets kept per origin. */
export const MAX_IDLE_PER_ORIGIN = 16;
/** `discard()` reads a body through (to reuse its socket) only when this little is left. */
const DISCARD_READ_LIMIT = 256 * 1024;
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

type LookupCallback = (error: NodeJS.ErrnoException | null, address: string | dns.LookupAddress[], family?: number) => void;

/**
 * A `lookup` for net.connect that resolves as usual, then refuses the connection when `check`
 * refuses any of the addresses: nothing is sent to a refused address, not even a TCP SYN.
 *
 * @example
 * net.connect({ host: 'storage.example', port: 443, lookup: checkedLookup((address) => refuseInternal(address)) });
 */
export function checkedLookup(check: (address: string, hostname: string) => Error | undefined): net.LookupFunction {
  return ((hostname: string, options: dns.LookupOptions, callback: LookupCallback) => {
    dns.lookup(hostname, options, (error: NodeJS.ErrnoException | null, address: string | dns.LookupAddress[], family?: number) => {
      if (error) {
        callback(error, address, family);
        return;
      }
      const addresses = Array.isArray(address) ? address.map((entry) => entry.address) : [address];
      for (const candidate of addresses) {
        const refusal = check(candidate, hostname);
        if (refusal) {
          callback(refusal as NodeJS.ErrnoException, address, family);
          return;
        }
      }
      callback(null, address, family);
    });
  }) as net.LookupFunction;
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
    lookup: net.LookupFunction | undefined,
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
        ...(lookup ? { lookup } : {}),
        onread,
      } as tls.ConnectionOptions);
      socket.on('session', onSession);
      this.socket = socket;
    } else {
      this.socket = net.connect({ host, port, onread, ...(lookup ? { lookup } : {}) } as net.NetConnectOpts);
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
 * const response = await wire.exchange({ url: new URL('https://registry-1.docker.io/v2/'), method: 'GET', headers: {}, rejectUnauthorized: true,
 *   timeouts: { connectMs: 10_000, idleMs: 30_000, responseMs: 30_000 } });
 * response.body.discard();
 */
export class HttpWire implements Wire {
  private readonly idle = new Map<string, Connection[]>();
  private readonly sessions = new Map<string, Buffer>();
  private readonly all = new Set<Connection>();
  private closing = false;

  /** Sends `request`; resolves when the final response head arrived. */
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
    const host = hostnameOf(request.url);
    const literal = net.isIP(host) !== 0 ? request.checkAddress?.(host) : undefined;
    if (literal) throw literal;
    for (;;) {
      const connection = this.idle.get(key)?.pop();
      if (!connection) break;
      if (connection.closed || connection.socket.destroyed) continue;
      // A pooled socket may have been opened for a request that did not vet addresses.
      const refusal = request.checkAddress?.(connection.socket.remoteAddress ?? '');
      if (refusal) {
        this.park(connection);
        throw refusal;
      }
      if (request.signal?.aborted) {
        this.park(connection);
        throw abortError();
      }
      connection.setTimeout(0);
      return connection;
    }
    const lookup = request.checkAddress && net.isIP(host) === 0 ? checkedLookup(request.checkAddress) : undefined;
    const connection = new Connection(key, request.url, request.rejectUnauthorized, this.sessions.get(key), (session) => this.sessions.set(key, session), lookup);
    this.all.add(connection);
    connection.socket.once('close', () => this.forget(connection));
    const unguard = guard(connection, request.signal, abortError, request.timeouts.connectMs, () => timeoutError('connect', request.timeouts.connectMs));
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
    connection.onEnd = undefined;
    // An idle socket must not keep the process alive, and keeps reading so a server's close (or a
    // byte it should not have sent) is seen.
    connection.socket.unref();
    connection.resumeReading();
    this.park(connection);
  }

  /** Puts an idle connection in the pool (or closes it when the pool is full). */
  private park(connection: Connection): void {
    const pooled = this.idle.get(connection.key) ?? [];
    if (pooled.length >= MAX_IDLE_PER_ORIGIN) {
      connection.destroy();
      return;
    }
    pooled.push(connection);
    this.idle.set(connection.key, pooled);
    connection.setTimeout(IDLE_KEEP_ALIVE_MS, () => connection.destroy());
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
 * Destroys `connection` when `signal` aborts or the socket stays silent for `silentMs` (with the
 * error `onSilence()` returns). Returns what undoes both.
 */
function guard(connection: Connection, signal: AbortSignal | undefined, abortError: () => Error, silentMs: number, onSilence: () => Error): () => void {
  const onAbort = (): void => connection.destroy(abortError());
  signal?.addEventListener('abort', onAbort, { once: true });
  connection.setTimeout(silentMs, () => connection.destroy(onSilence()));
  return () => {
    signal?.removeEventListener('abort', onAbort);
    connection.setTimeout(0);
  };
}

/** True when a head announces body bytes (a non-zero Content-Length, or Transfer-Encoding). */
function announcesBody(head: ParsedHead): boolean {
  const length = head.headers['content-length'];
  return head.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
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
  const { timeouts } = request;
  socket.ref();
  return new Promise<WireResponse>((resolve, reject) => {
    const parser = new ResponseParser(request.method);
    let framing: Framing = 'none';
    let body: Body | undefined;
    let requestSent = false;
    let source: BodySource | undefined;
    let sourceError: Error | undefined;
    let reusable = true;
    let finished = false;
    /** While the parser runs: the end of the response is acted on once we know what followed it. */
    let feeding = false;
    /** The response-head deadline: armed when the request is sent, never reset by 1xx heads. */
    let deadline: NodeJS.Timeout | undefined;

    // Silence before the final head is the server not answering; after it, a stalled body.
    const unguard = guard(connection, request.signal, abortError, timeouts.idleMs, () => timeoutError(parser.headReceived ? 'idle' : 'response', timeouts.idleMs));
    const disarm = (): void => {
      if (deadline !== undefined) clearTimeout(deadline);
      deadline = undefined;
    };
    const requestDone = (): void => {
      requestSent = true;
      if (!parser.headReceived && deadline === undefined) {
        deadline = setTimeout(() => connection.destroy(timeoutError('response', timeouts.responseMs)), timeouts.responseMs);
      }
      maybeFinish();
    };

    /** Ends the exchange: the socket goes back to the pool or is closed. */
    const finish = (reuse: boolean): void => {
      if (finished) return;
      finished = true;
      disarm();
      unguard();
      connection.onBytes = undefined;
      connection.onEnd = undefined;
      release(reuse);
    };
    const maybeFinish = (): void => {
      if (feeding || !body?.ended || !requestSent) return;
      // A consumer still holding a view of the read buffer (its write of the last chunk is
      // pending) must not see that buffer refilled by the socket's next exchange.
      if (body.heldView) connection.retire(body.heldView);
      finish(reusable);
    };

    const events = {
      head: (parsed: ParsedHead, bodyFraming: Framing): void => {
        disarm();
        framing = bodyFraming;
        if (!parsed.keepAlive || framing === 'close') reusable = false;
        // A HEAD (or 204/304) answer that announces a body: a server that sends that body anyway
        // sends it after the head, maybe after we reused the socket, where it would be read as
        // the next response. Nothing tells such bytes apart from an answer, so the socket is
        // not reused.
        if (framing === 'none' && announcesBody(parsed)) reusable = false;
        if (!requestSent) {
          // An early answer (401, 413, 5xx): stop sending; the socket carries a cut-short request.
          reusable = false;
          source?.destroy();
          requestSent = true;
        }
        body = new Body(connection, () => maybeFinish(), () => finish(false), (bytesLeft) => (framing === 'length' && parser.remainingBytes + bytesLeft <= DISCARD_READ_LIMIT) || framing === 'chunked');
        // Resolved first: a malformed body after this point fails the body, not the exchange.
        resolve({ statusCode: parsed.statusCode, headers: parsed.headers, body, ...(socket.remoteAddress ? { remoteAddress: socket.remoteAddress } : {}) });
      },
      data: (segment: Buffer): void => body?.deliver(segment),
      end: (): void => body?.end(),
    };

    connection.onEnd = (error) => {
      finished = true;
      disarm();
      unguard();
      if (!requestSent) source?.destroy();
      let failure = sourceError ?? error;
      if (failure === undefined) {
        try {
          // A clean close ends a close-delimited body; anything else was cut short.
          parser.closed(events);
        } catch (closeError) {
          failure = closeError as Error;
        }
      }
      if (!body) {
        reject(failure ?? networkError('ECONNRESET', 'socket hang up: the connection closed before a response'));
        return;
      }
      if (failure !== undefined) body.fail(failure);
    };

    connection.onBytes = (bytes) => {
      try {
        const headBefore = parser.headReceived;
        feeding = true;
        try {
          // Bytes beyond the response (or after it): the stream is out of step, never reuse it.
          if (parser.feed(bytes, events) > 0) reusable = false;
        } finally {
          feeding = false;
        }
        maybeFinish();
        // Until the head is complete, keep reading; after it, reading waits for the caller to
        // consume the body.
        if (!parser.headReceived) return true;
        if (!headBefore) return false;
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
        requestDone();
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
        requestDone();
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
    return readWhole(this, maxBytes);
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

/**
 * The HTTP/1.1 response parser of our wire, without I/O: bytes in, a head, body segments and an
 * end out. Every byte comes from a registry (or whatever answers in its place), so it is strict
 * where leniency lets a response be read two ways (RFC 9112 §6.3, §11.2):
 * - conflicting `Content-Length` values, or `Content-Length` with `Transfer-Encoding`, are errors;
 * - `Transfer-Encoding` must be exactly `chunked` (we decode nothing else);
 * - lines end with CRLF; header names are tokens; values carry no control characters;
 * - informational (1xx) heads are skipped in a loop, at most `MAX_INFORMATIONAL_RESPONSES` of them;
 * - what it holds is bounded: the head (`MAX_HEAD_BYTES`) and one chunk-size or trailer line.
 * Body segments are views of the bytes fed in, never copies.
 */
import type { IncomingHttpHeaders } from 'node:http';

/** A response head larger than this is refused (registries send a few hundred bytes). */
export const MAX_HEAD_BYTES = 64 * 1024;
/** 1xx heads accepted before the final one: registries send none, or one `100 Continue`. */
export const MAX_INFORMATIONAL_RESPONSES = 8;
/** A chunk-size line (with extensions) or a trailer line longer than this is refused. */
export const MAX_CHUNK_LINE_BYTES = 4096;
/** All trailer lines of a chunked body together. */
const MAX_TRAILER_BYTES = MAX_HEAD_BYTES;
const CRLF_CRLF = Buffer.from('\r\n\r\n');
const HTTP_PREFIX = Buffer.from('HTTP/1.');

/** Headers node:http also keeps only the first of (RFC 9110 singletons). */
const SINGLE_VALUE_HEADERS = new Set([
  'age',
  'authorization',
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
/** A header name is an RFC 9110 token. */
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
/** A received header value: anything but control characters other than HTAB (obs-text allowed). */
const RECEIVED_HEADER_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;

export function protocolError(code: string, message: string): Error {
  return Object.assign(new Error(message), { code });
}

export interface ParsedHead {
  statusCode: number;
  headers: IncomingHttpHeaders;
  keepAlive: boolean;
}

/** How the body of a response is delimited. */
export type Framing = 'none' | 'length' | 'chunked' | 'close';

function addHeader(headers: IncomingHttpHeaders, name: string, value: string): void {
  if (name === 'content-length') {
    // "5, 5" or a repeated line with the same value is one length; two different ones are two
    // ways to read the response (RFC 9110 §8.6).
    const values = new Set(value.split(',').map((part) => part.trim()));
    if (headers['content-length'] !== undefined) values.add(headers['content-length']);
    if (values.size !== 1) throw protocolError('HPE_UNEXPECTED_CONTENT_LENGTH', 'conflicting Content-Length values');
    headers['content-length'] = [...values][0] ?? '';
    return;
  }
  const existing = headers[name];
  if (existing === undefined) {
    headers[name] = name === 'set-cookie' ? [value] : value;
  } else if (Array.isArray(existing)) {
    existing.push(value);
  } else if (!SINGLE_VALUE_HEADERS.has(name)) {
    headers[name] = `${existing}, ${value}`;
  }
}

/**
 * Response headers from name/value pairs parsed elsewhere (undici), with the rules of our parser:
 * lower-cased names, singletons kept once, list headers joined, conflicting Content-Length refused.
 *
 * @example
 * headersFromPairs([['WWW-Authenticate', ['Bearer realm="a"', 'Basic realm="b"']]]); // { 'www-authenticate': 'Bearer realm="a", Basic realm="b"' }
 */
export function headersFromPairs(pairs: Iterable<[string, string | string[] | undefined]>): IncomingHttpHeaders {
  const headers: IncomingHttpHeaders = {};
  for (const [name, value] of pairs) {
    for (const item of Array.isArray(value) ? value : value === undefined ? [] : [value]) addHeader(headers, name.toLowerCase(), item);
  }
  return headers;
}

/**
 * A field value without the spaces and tabs around it (RFC 9110 §5.5), in linear time: the regex
 * `[ \t]+$` re-scans every run of blanks from each of its positions, so a hostile 64 KiB value of
 * spaces with one letter after them took 1.8 s of CPU per head.
 */
function withoutOws(text: string): string {
  const blank = (at: number): boolean => text[at] === ' ' || text[at] === '\t';
  let start = 0;
  let end = text.length;
  while (start < end && blank(start)) start += 1;
  while (end > start && blank(end - 1)) end -= 1;
  return text.slice(start, end);
}

/**
 * Parses a response head (status line and headers, without the final blank line).
 *
 * @example
 * parseResponseHead('HTTP/1.1 200 OK\r\ncontent-length: 2'); // { statusCode: 200, headers: { 'content-length': '2' }, keepAlive: true }
 */
export function parseResponseHead(head: string): ParsedHead {
  const lines = head.split('\r\n');
  const status = /^HTTP\/1\.([01]) ([1-9]\d{2})(?: [^\r\n]*)?$/.exec(lines[0] ?? '');
  if (!status) throw protocolError('HPE_INVALID_RESPONSE', `not an HTTP/1.x response: ${JSON.stringify((lines[0] ?? '').slice(0, 80))}`);
  const headers: IncomingHttpHeaders = {};
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':');
    if (colon <= 0 || !HEADER_NAME.test(line.slice(0, colon))) throw protocolError('HPE_INVALID_HEADER_TOKEN', `invalid response header line: ${JSON.stringify(line.slice(0, 80))}`);
    const value = withoutOws(line.slice(colon + 1));
    if (!RECEIVED_HEADER_VALUE.test(value)) throw protocolError('HPE_INVALID_HEADER_TOKEN', `a control character in the value of response header ${JSON.stringify(line.slice(0, colon))}`);
    addHeader(headers, line.slice(0, colon).toLowerCase(), value);
  }
  const connection = String(headers.connection ?? '').toLowerCase();
  // An HTTP/1.0 message with Transfer-Encoding has faulty framing: read it, then close (RFC 9112 §6.1).
  const keepAlive = status[1] === '1' ? !/\bclose\b/.test(connection) : /\bkeep-alive\b/.test(connection) && headers['transfer-encoding'] === undefined;
  return { statusCode: Number(status[2]), headers, keepAlive };
}

/**
 * How the body of `head` (an answer to `method`) is delimited, per RFC 9112 §6.3, refusing the
 * combinations that can be read two ways.
 *
 * @example
 * framingOf('GET', parseResponseHead('HTTP/1.1 200 OK\r\ntransfer-encoding: chunked')); // { framing: 'chunked', length: 0 }
 */
export function framingOf(method: string, head: ParsedHead): { framing: Framing; length: number } {
  const { statusCode, headers } = head;
  const encoding = headers['transfer-encoding'];
  const length = headers['content-length'];
  if (encoding !== undefined && length !== undefined) {
    throw protocolError('HPE_INVALID_TRANSFER_ENCODING', 'both Transfer-Encoding and Content-Length: the response can be read two ways');
  }
  if (encoding !== undefined && !/^chunked$/i.test(encoding.trim())) {
    throw protocolError('HPE_INVALID_TRANSFER_ENCODING', `unsupported Transfer-Encoding ${JSON.stringify(encoding.slice(0, 40))} (only chunked)`);
  }
  if (length !== undefined && !/^\d{1,15}$/.test(length)) throw protocolError('HPE_INVALID_CONTENT_LENGTH', `invalid Content-Length ${JSON.stringify(length.slice(0, 20))}`);
  if (method === 'HEAD' || statusCode === 204 || statusCode === 304) return { framing: 'none', length: 0 };
  if (encoding !== undefined) return { framing: 'chunked', length: 0 };
  if (length !== undefined) return Number(length) === 0 ? { framing: 'none', length: 0 } : { framing: 'length', length: Number(length) };
  return { framing: 'close', length: 0 };
}

/** What the parser reports, synchronously, while it is fed. */
export interface ParserEvents {
  /** The final (non-1xx) head. */
  head(head: ParsedHead, framing: Framing): void;
  /** Body bytes: a view of the input, valid during the call. */
  data(segment: Buffer): void;
  /** The body is complete (for `close` framing: when `closed()` is called). */
  end(): void;
}

type State = 'head' | 'length' | 'chunk-size' | 'chunk-data' | 'chunk-data-end' | 'trailer' | 'close' | 'done';

/**
 * One response: feed it the bytes of a connection until it is `done`.
 *
 * @example
 * const parser = new ResponseParser('GET');
 * const leftover = parser.feed(bytes, { head: (h) => …, data: (segment) => …, end: () => … });
 */
export class ResponseParser {
  private state: State = 'head';
  /** Copies of the head bytes received so far (the input is a reused buffer). */
  private headChunks: Buffer[] = [];
  private headBytes = 0;
  /** 1xx heads skipped so far. */
  private informationalHeads = 0;
  private remaining = 0;
  private line = '';
  private trailerBytes = 0;

  constructor(private readonly method: string) {}

  /** True once the whole response was read. */
  get done(): boolean {
    return this.state === 'done';
  }

  /** True once the final head was read. */
  get headReceived(): boolean {
    return this.state !== 'head';
  }

  /** Body bytes still expected of a Content-Length body. */
  get remainingBytes(): number {
    return this.state === 'length' ? this.remaining : 0;
  }

  /** Bytes the parser itself holds (an incomplete head or line): bounded by `MAX_HEAD_BYTES`. */
  get bufferedBytes(): number {
    return this.headBytes + this.line.length;
  }

  /**
   * Parses `bytes`, calling `events` as parts complete. Returns how many bytes at the end of
   * `bytes` lie beyond this response. Throws a protocol error (with an `HPE_*` code) on anything
   * malformed; the connection must then be closed.
   */
  feed(bytes: Buffer, events: ParserEvents): number {
    let at = 0;
    while (at < bytes.length && this.state !== 'done') {
      switch (this.state) {
        case 'head':
          at = this.feedHead(bytes, at, events);
          break;
        case 'length': {
          const take = Math.min(this.remaining, bytes.length - at);
          this.remaining -= take;
          events.data(bytes.subarray(at, at + take));
          at += take;
          if (this.remaining === 0) this.finish(events);
          break;
        }
        case 'chunk-data': {
          const take = Math.min(this.remaining, bytes.length - at);
          this.remaining -= take;
          events.data(bytes.subarray(at, at + take));
          at += take;
          if (this.remaining === 0) this.state = 'chunk-data-end';
          break;
        }
        case 'close':
          events.data(at === 0 ? bytes : bytes.subarray(at));
          at = bytes.length;
          break;
        default:
          at = this.feedLine(bytes, at, events);
      }
    }
    return bytes.length - at;
  }

  /**
   * The connection ended cleanly: ends a close-delimited body. Throws `ECONNRESET` when the
   * response was not complete.
   */
  closed(events: ParserEvents): void {
    if (this.state === 'close') {
      this.finish(events);
      return;
    }
    if (this.state === 'done') return;
    const where = this.state === 'head' ? 'before a complete response head' : 'before the end of the response body';
    throw protocolError('ECONNRESET', `the connection closed ${where}`);
  }

  private finish(events: ParserEvents): void {
    this.state = 'done';
    events.end();
  }

  private feedHead(bytes: Buffer, start: number, events: ParserEvents): number {
    if (this.headBytes < HTTP_PREFIX.length) {
      // Fail fast on what is not HTTP at all, before buffering any of it (the prefix may come
      // over several reads).
      const probe = Buffer.concat([...this.headChunks, bytes.subarray(start, start + HTTP_PREFIX.length - this.headBytes)]);
      if (!HTTP_PREFIX.subarray(0, probe.length).equals(probe)) {
        throw protocolError('HPE_INVALID_CONSTANT', `not an HTTP/1.x response: ${JSON.stringify(probe.toString('latin1'))}`);
      }
    }
    const end = this.findHeadEnd(bytes, start);
    if (end === -1) {
      if (this.headBytes + bytes.length - start > MAX_HEAD_BYTES) throw protocolError('HPE_HEADER_OVERFLOW', `response head larger than ${MAX_HEAD_BYTES} bytes`);
      this.headChunks.push(Buffer.from(bytes.subarray(start)));
      this.headBytes += bytes.length - start;
      return bytes.length;
    }
    if (this.headBytes + end - start > MAX_HEAD_BYTES) throw protocolError('HPE_HEADER_OVERFLOW', `response head larger than ${MAX_HEAD_BYTES} bytes`);
    this.headChunks.push(bytes.subarray(start, end));
    const text = Buffer.concat(this.headChunks).toString('latin1');
    this.headChunks = [];
    this.headBytes = 0;
    const head = parseResponseHead(text.slice(0, -4));
    if (head.statusCode < 200) {
      if (head.statusCode === 101) throw protocolError('HPE_INVALID_STATUS', 'the server switched protocols (101) without being asked');
      this.informationalHeads += 1;
      if (this.informationalHeads > MAX_INFORMATIONAL_RESPONSES) {
        throw protocolError('HPE_INVALID_STATUS', `more than ${MAX_INFORMATIONAL_RESPONSES} informational (1xx) responses`);
      }
      return end;
    }
    const { framing, length } = framingOf(this.method, head);
    this.remaining = length;
    this.state = framing === 'none' ? 'done' : framing === 'length' ? 'length' : framing === 'chunked' ? 'chunk-size' : 'close';
    events.head(head, framing);
    if (framing === 'none') events.end();
    return end;
  }

  /** The index just after the head's CRLFCRLF in `bytes`, counting head bytes held from earlier reads; -1 if not there yet. */
  private findHeadEnd(bytes: Buffer, start: number): number {
    // The terminator may straddle the previous read: look at up to 3 held bytes first.
    const held = this.headChunks.length === 0 ? Buffer.alloc(0) : this.tailOfHead(3);
    for (let fromHeld = held.length; fromHeld > 0; fromHeld -= 1) {
      const need = 4 - fromHeld;
      if (bytes.length - start < need) continue;
      if (held.subarray(held.length - fromHeld).equals(CRLF_CRLF.subarray(0, fromHeld)) && bytes.subarray(start, start + need).equals(CRLF_CRLF.subarray(fromHeld))) {
        return start + need;
      }
    }
    const found = bytes.indexOf(CRLF_CRLF, start);
    return found === -1 ? -1 : found + 4;
  }

  private tailOfHead(count: number): Buffer {
    const tail: Buffer[] = [];
    let needed = count;
    for (let i = this.headChunks.length - 1; i >= 0 && needed > 0; i -= 1) {
      const chunk = this.headChunks[i] ?? Buffer.alloc(0);
      const part = chunk.subarray(Math.max(0, chunk.length - needed));
      tail.unshift(part);
      needed -= part.length;
    }
    return Buffer.concat(tail);
  }

  /** Chunk-size lines, the CRLF after chunk data, and trailer lines. */
  private feedLine(bytes: Buffer, start: number, events: ParserEvents): number {
    const newline = bytes.indexOf(10, start);
    const end = newline === -1 ? bytes.length : newline;
    if (this.line.length + end - start > MAX_CHUNK_LINE_BYTES) throw protocolError('HPE_CHUNK_EXTENSIONS_OVERFLOW', 'chunked body: a size or trailer line is too long');
    this.line += bytes.toString('latin1', start, end);
    if (newline === -1) return bytes.length;
    const raw = this.line;
    this.line = '';
    if (!raw.endsWith('\r')) throw protocolError('HPE_LF_EXPECTED', 'chunked body: a line not ended by CRLF');
    const line = raw.slice(0, -1);
    if (this.state === 'chunk-data-end') {
      if (line !== '') throw protocolError('HPE_INVALID_CHUNK_SIZE', 'chunked body: data not followed by CRLF');
      this.state = 'chunk-size';
    } else if (this.state === 'chunk-size') {
      // At most 13 hex digits: 2^52, so the count of bytes left stays exact in a double.
      const size = /^([0-9a-fA-F]{1,13})[ \t]*(?:;[^\r\n]*)?$/.exec(line);
      if (!size?.[1]) throw protocolError('HPE_INVALID_CHUNK_SIZE', `chunked body: invalid chunk size ${JSON.stringify(line.slice(0, 20))}`);
      this.remaining = Number.parseInt(size[1], 16);
      this.state = this.remaining === 0 ? 'trailer' : 'chunk-data';
    } else if (line === '') {
      this.finish(events);
    } else {
      this.trailerBytes += raw.length + 1;
      if (this.trailerBytes > MAX_TRAILER_BYTES) throw protocolError('HPE_HEADER_OVERFLOW', `chunked body: trailers larger than ${MAX_TRAILER_BYTES} bytes`);
    }
    return newline + 1;
  }
}

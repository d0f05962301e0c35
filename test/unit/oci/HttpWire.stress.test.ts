/**
 * Property-based stress test of HttpWire's zero-copy body path.
 *
 * Chunks given to a `ChunkSink` are views of a socket's reusable read buffer; a sink that returns
 * false may keep that one view until it calls `resume()`. These properties drive real local
 * servers (plain http and TLS, Content-Length and chunked framings) with consumers that pause at
 * random, hold the view they paused on for a random number of event-loop turns (or a microtask),
 * and check on resume that the view still holds the bytes it had when it was delivered. The whole
 * body must arrive byte-identical, downloads piped into uploads must reach the target intact, and
 * sequences of exchanges on one HttpWire (so pooled sockets are reused, possibly while an earlier
 * consumer still holds a view) must not corrupt, hang or leak a socket.
 *
 * No timers: every wait is a number of setImmediate turns.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import fc from 'fast-check';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { resumableDownload } from '../../../lib/oci/remote/resumableDownload';
import { SourceSlicer } from '../../../lib/oci/remote/sourceSlicer';
import type { BodySource, ChunkSink } from '../../../lib/oci/transport/bodySource';
import { HttpWire, READ_BUFFER_BYTES, type WireRequest, type WireResponse } from '../../../lib/oci/transport/HttpWire';
import { wrapResponse } from '../../../lib/oci/transport/RegistryHttp';
import { createRetryPolicy } from '../../../lib/oci/transport/retryPolicy';
import { turns } from '../../support/bodySources';
import { type SelfSignedCertificate, selfSignedCertificate } from '../../support/certificates';

const MiB = 1024 * 1024;

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------


function sha256(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

type Scheme = 'http' | 'https';
type Framing = 'length' | 'chunked';

/** What the origin serves for one blob id. */
interface BlobSpec {
  payload: Buffer;
  framing: Framing;
  /** Sizes of the pieces the server writes, cycled. */
  pieceSizes: readonly number[];
  /** Yield a turn between pieces (many small TCP reads) instead of writing all at once. */
  spread: boolean;
  /** Per request: where the server cuts the body short (resumable downloads). */
  cuts: readonly Cut[];
  /** Answer a Range request with the whole body (200), as some registries do. */
  ignoreRange: boolean;
  /** Requests served so far. */
  requests: number;
}

/** Generates a description of a body; the payload itself is random bytes made in the property. */
interface BlobShape {
  size: number;
  framing: Framing;
  pieceSizes: number[];
  spread: boolean;
}

/**
 * A body cut short after `after` bytes: `drop` closes the connection mid-body (the body fails);
 * `short` ends the response cleanly there (a shorter Content-Length, or an early last chunk).
 */
interface Cut {
  after: number;
  how: 'drop' | 'short';
}

const blobs = new Map<string, BlobSpec>();
let nextBlobId = 0;

function registerBlob(shape: BlobShape, cuts: readonly Cut[] = [], ignoreRange = false): { id: string; spec: BlobSpec } {
  nextBlobId += 1;
  const id = `b${nextBlobId}`;
  const spec: BlobSpec = { payload: randomBytes(shape.size), framing: shape.framing, pieceSizes: shape.pieceSizes, spread: shape.spread, cuts, ignoreRange, requests: 0 };
  blobs.set(id, spec);
  return { id, spec };
}

/** At most ~1500 pieces per body, whatever the generated piece sizes. */
function pieceSizeAt(spec: BlobSpec, index: number, total: number): number {
  const wanted = spec.pieceSizes[index % spec.pieceSizes.length] ?? 16_384;
  return Math.max(wanted, Math.ceil(total / 1500), 1);
}

async function serveBlob(request: IncomingMessage, response: ServerResponse, spec: BlobSpec): Promise<void> {
  const cut = spec.cuts[spec.requests];
  spec.requests += 1;
  const range = spec.ignoreRange ? null : /^bytes=(\d+)-$/.exec(request.headers.range ?? '');
  const start = range?.[1] === undefined ? 0 : Number(range[1]);
  const body = spec.payload.subarray(start);
  const limit = cut === undefined ? body.length : Math.min(cut.after, body.length);
  const headers: Record<string, string> = { 'content-type': 'application/octet-stream' };
  if (spec.framing === 'length') headers['content-length'] = String(cut?.how === 'short' ? limit : body.length);
  else headers['transfer-encoding'] = 'chunked';
  if (range) headers['content-range'] = `bytes ${start}-${spec.payload.length - 1}/${spec.payload.length}`;
  response.writeHead(range ? 206 : 200, headers);
  if (request.method === 'HEAD') {
    response.end();
    return;
  }
  let at = 0;
  for (let index = 0; at < limit; index += 1) {
    const size = Math.min(pieceSizeAt(spec, index, body.length), limit - at);
    response.write(body.subarray(at, at + size));
    at += size;
    if (spec.spread) await turns(1);
  }
  if (cut?.how === 'drop' && limit < body.length) {
    // Cut the connection once what was written reached the kernel.
    response.write(Buffer.alloc(0), () => response.socket?.destroy());
    return;
  }
  response.end();
}

/**
 * Reads an upload slowly: first nothing for `x-stall-turns` turns, then after each `data` event it
 * pauses for the next number of turns in the `x-read-turns` pattern.
 */
function receiveUpload(request: IncomingMessage, response: ServerResponse): void {
  const pattern = String(request.headers['x-read-turns'] ?? '0')
    .split(',')
    .map(Number);
  const stall = Number(request.headers['x-stall-turns'] ?? '0');
  const hash = createHash('sha256');
  let length = 0;
  let events = 0;
  if (stall > 0) {
    // Not reading at first: once the kernel buffers (a few MB on loopback) are full, the client's writes stay pending.
    request.pause();
    void turns(stall).then(() => request.resume());
  }
  request.on('data', (chunk: Buffer) => {
    hash.update(chunk);
    length += chunk.length;
    const wait = pattern[events % pattern.length] ?? 0;
    events += 1;
    if (wait > 0) {
      request.pause();
      void turns(wait).then(() => request.resume());
    }
  });
  request.on('end', () => response.end(`${length} ${hash.digest('hex')}`));
}

interface LocalServer {
  scheme: Scheme;
  url: URL;
  /** TCP connections accepted so far. */
  connections: number;
  stop(): Promise<void>;
}

async function startServer(tlsOptions?: SelfSignedCertificate): Promise<LocalServer> {
  const handle = (request: IncomingMessage, response: ServerResponse): void => {
    request.on('error', () => undefined);
    response.on('error', () => undefined);
    const url = new URL(request.url ?? '/', 'http://localhost');
    const [, kind, id] = url.pathname.split('/');
    if (kind === 'blob') {
      const spec = blobs.get(id ?? '');
      if (!spec) {
        response.writeHead(404, { 'content-length': '0' });
        response.end();
        return;
      }
      void serveBlob(request, response, spec);
      return;
    }
    if (kind === 'upload') {
      receiveUpload(request, response);
      return;
    }
    if (kind === 'small') {
      // A few bytes, or none (204), that arrive in the same read as the head.
      const size = Number(url.searchParams.get('size') ?? '0');
      if (size === 0) {
        response.writeHead(204);
        response.end();
        return;
      }
      response.writeHead(200, { 'content-length': String(size) });
      response.end(Buffer.alloc(size, 0x61));
      return;
    }
    response.writeHead(404, { 'content-length': '0' });
    response.end();
  };
  const server = tlsOptions ? createHttpsServer(tlsOptions, handle) : createHttpServer(handle);
  const scheme: Scheme = tlsOptions ? 'https' : 'http';
  const state: LocalServer = {
    scheme,
    url: new URL(`${scheme}://127.0.0.1/`),
    connections: 0,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  server.keepAliveTimeout = 60_000;
  server.on('connection', () => (state.connections += 1));
  server.on('tlsClientError', () => undefined);
  server.on('clientError', (_error, socket) => socket.destroy());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  state.url = new URL(`${scheme}://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}/`);
  return state;
}

function request(url: URL, extra: Partial<WireRequest> = {}): WireRequest {
  return { url, method: 'GET', headers: {}, rejectUnauthorized: false, timeouts: { connectMs: 30_000, idleMs: 30_000, responseMs: 30_000 }, ...extra };
}


// ---------------------------------------------------------------------------------------------
// Consumers that hold views
// ---------------------------------------------------------------------------------------------

/** A pause step: 0 = take the chunk; 'micro' = pause and resume in a microtask; n > 0 = hold it n turns. */
type PauseStep = number | 'micro';

/** What the consumers observed across a property run. */
interface Observations {
  violations: string[];
  chunks: number;
  pauses: number;
  /** Pauses whose held view was checked after the body had already ended. */
  heldPastEnd: number;
  /** Exchanges whose views came from both of a socket's read buffers (the switch was exercised). */
  bothBuffersUsed: number;
  /** Checks still running (views held past the end of their body), awaited before assessing. */
  lateChecks: Promise<void>[];
  /** Resolves once every exchange of the run is over: views held past their body's end may be kept until then. */
  runOver: Promise<void>;
  endRun: () => void;
}

function newObservations(): Observations {
  let endRun: () => void = () => undefined;
  const runOver = new Promise<void>((resolve) => (endRun = resolve));
  return { violations: [], chunks: 0, pauses: 0, heldPastEnd: 0, bothBuffersUsed: 0, lateChecks: [], runOver, endRun };
}

function describeView(view: Buffer, copy: Buffer): string {
  let first = 0;
  while (first < view.length && view[first] === copy[first]) first += 1;
  return `a held view of ${view.length} bytes (offset ${view.byteOffset} in a ${view.buffer.byteLength}-byte buffer) changed at byte ${first} while the consumer was paused`;
}

/**
 * Consumes `source` with a sink that follows `pattern` (cycled): on a pause it keeps the view and a
 * copy, and on resume checks the view was not overwritten. Resolves at the end of the body, even
 * while a view is still held: that check then goes on in `observations.lateChecks` (so the next
 * exchanges run while a view of this one's buffer is held). With `keepPastEnd`, a view still held
 * when its body ended is kept until the whole run is over.
 */
function holdingConsumer(source: BodySource, pattern: readonly PauseStep[], observations: Observations, label: string, keepPastEnd = false): Promise<Buffer> {
  return new Promise<Buffer>((resolve, reject) => {
    const received: Buffer[] = [];
    const readBuffers = new Set<ArrayBufferLike>();
    let index = 0;
    let paused = false;
    let ended = false;
    const sink: ChunkSink = {
      chunk(bytes) {
        observations.chunks += 1;
        if (paused) observations.violations.push(`${label}: a chunk of ${bytes.length} bytes was delivered while the consumer was paused`);
        if (ended) observations.violations.push(`${label}: a chunk was delivered after the end`);
        received.push(Buffer.from(bytes));
        if (bytes.buffer.byteLength === READ_BUFFER_BYTES) readBuffers.add(bytes.buffer);
        const step = pattern[index % pattern.length] ?? 0;
        index += 1;
        if (step === 0) return true;
        observations.pauses += 1;
        paused = true;
        const view = bytes;
        const copy = Buffer.from(bytes);
        const release = (): void => {
          if (!view.equals(copy)) observations.violations.push(`${label}: ${describeView(view, copy)}${ended ? ' (after the end of its body)' : ''}`);
          if (ended) observations.heldPastEnd += 1;
          paused = false;
          // After the end too: a late resume must be harmless to whatever now uses the socket.
          source.resume();
        };
        if (step === 'micro') {
          queueMicrotask(release);
        } else {
          const check = turns(step)
            .then(() => (ended && keepPastEnd ? observations.runOver : undefined))
            .then(release);
          observations.lateChecks.push(check);
        }
        return false;
      },
      end() {
        if (ended) observations.violations.push(`${label}: end delivered twice`);
        ended = true;
        if (readBuffers.size > 1) observations.bothBuffersUsed += 1;
        resolve(Buffer.concat(received));
      },
      error: (error) => reject(error),
    };
    source.start(sink);
  });
}

/**
 * Wraps a download body used as an upload's content: no copy on the way, but every time the
 * upload pauses (its socket write is pending) the held view is copied and checked on resume.
 */
function observedSource(source: BodySource, observations: Observations, label: string): BodySource {
  let held: { view: Buffer; copy: Buffer } | undefined;
  return {
    start(sink) {
      source.start({
        chunk(bytes) {
          observations.chunks += 1;
          if (held) observations.violations.push(`${label}: a chunk was delivered to the upload while it was paused`);
          const more = sink.chunk(bytes);
          if (!more) {
            observations.pauses += 1;
            held = { view: bytes, copy: Buffer.from(bytes) };
          }
          return more;
        },
        end: () => sink.end(),
        error: (error) => sink.error(error),
      });
    },
    resume() {
      if (held && !held.view.equals(held.copy)) observations.violations.push(`${label}: ${describeView(held.view, held.copy)}`);
      held = undefined;
      source.resume();
    },
    destroy(error) {
      source.destroy(error);
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Arbitraries
// ---------------------------------------------------------------------------------------------

function sizeArbitrary(max: number): fc.Arbitrary<number> {
  const edges = [0, 1, 2, 100, 16_383, 16_384, 16_385, 65_536, READ_BUFFER_BYTES - 1, READ_BUFFER_BYTES, READ_BUFFER_BYTES + 1].filter((size) => size <= max);
  return fc.oneof({ arbitrary: fc.constantFrom(...edges), weight: 1 }, { arbitrary: fc.integer({ min: 0, max }), weight: 3 });
}

function blobShapeArbitrary(size: fc.Arbitrary<number>): fc.Arbitrary<BlobShape> {
  return fc.record({
    size,
    framing: fc.constantFrom<Framing>('length', 'chunked'),
    pieceSizes: fc.array(fc.oneof(fc.integer({ min: 1, max: 64 }), fc.integer({ min: 1000, max: 17_000 }), fc.integer({ min: 17_000, max: 3 * READ_BUFFER_BYTES })), { minLength: 1, maxLength: 6 }),
    spread: fc.boolean(),
  });
}

const pauseStepArbitrary: fc.Arbitrary<PauseStep> = fc.oneof(
  { arbitrary: fc.constant(0), weight: 3 },
  { arbitrary: fc.constant<PauseStep>('micro'), weight: 1 },
  { arbitrary: fc.integer({ min: 1, max: 4 }), weight: 3 },
  { arbitrary: fc.integer({ min: 5, max: 40 }), weight: 1 },
);
const pausePatternArbitrary = fc.array(pauseStepArbitrary, { minLength: 1, maxLength: 24 });
const schemeArbitrary = fc.constantFrom<Scheme>('http', 'https');

/**
 * Up to ~3 MB, and sometimes more than loopback's kernel buffers hold (~4.5 MB here): only then does a
 * plain-http upload's write stay pending while it holds a view of the download's read buffer.
 */
const pipedShapeArbitrary = fc.oneof({ arbitrary: blobShapeArbitrary(sizeArbitrary(3 * MiB)), weight: 2 }, { arbitrary: blobShapeArbitrary(fc.integer({ min: 5 * MiB, max: 8 * MiB })), weight: 1 });

/** How an upload target reads: not at all for `stall` turns, then pausing `pattern[i]` turns after each `data` event. */
interface SlowReader {
  stall: number;
  pattern: number[];
}

const slowReaderArbitrary: fc.Arbitrary<SlowReader> = fc.record({
  stall: fc.oneof(fc.constant(0), fc.integer({ min: 20, max: 200 })),
  pattern: fc.array(fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 3 }), fc.integer({ min: 4, max: 30 })), { minLength: 1, maxLength: 12 }),
});

function slowReaderHeaders(reader: SlowReader): Record<string, string> {
  return { 'x-stall-turns': String(reader.stall), 'x-read-turns': reader.pattern.join(',') };
}

/** Where (as a fraction of the body) and how a response is cut short. */
interface CutShape {
  fraction: number;
  how: 'drop' | 'short';
}

const cutShapeArbitrary: fc.Arbitrary<CutShape> = fc.record({ fraction: fc.double({ min: 0.05, max: 0.95, noNaN: true }), how: fc.constantFrom<'drop' | 'short'>('drop', 'short') });

// ---------------------------------------------------------------------------------------------
// The properties
// ---------------------------------------------------------------------------------------------

interface WireInternals {
  readonly all: ReadonlySet<{ readonly closed: boolean; readonly socket: { readonly destroyed: boolean } }>;
  readonly idle: ReadonlyMap<string, ReadonlyArray<unknown>>;
}

/** Sockets of `wire` that are open but neither pooled nor owned by an exchange still running: leaks. */
async function busyConnections(wire: HttpWire): Promise<number> {
  const internals = wire as unknown as WireInternals;
  let busy = 0;
  // A destroyed socket leaves `all` on its close event: give those a few turns.
  for (let round = 0; round < 20; round += 1) {
    const idle = new Set([...internals.idle.values()].flat());
    busy = [...internals.all].filter((connection) => !connection.closed && !connection.socket.destroyed && !idle.has(connection)).length;
    if (busy === 0) return 0;
    await turns(1);
  }
  return busy;
}

describe('HttpWire zero-copy stress (property-based)', () => {
  let tlsOptions: SelfSignedCertificate;
  const origins = new Map<Scheme, LocalServer>();
  const targets = new Map<Scheme, LocalServer>();
  let wire: HttpWire;

  const origin = (scheme: Scheme): LocalServer => {
    const server = origins.get(scheme);
    if (!server) throw new Error(`no ${scheme} origin`);
    return server;
  };
  const target = (scheme: Scheme): LocalServer => {
    const server = targets.get(scheme);
    if (!server) throw new Error(`no ${scheme} target`);
    return server;
  };
  const blobUrl = (scheme: Scheme, id: string): URL => new URL(`/blob/${id}`, origin(scheme).url);
  const totalConnections = (): number => [...origins.values(), ...targets.values()].reduce((sum, server) => sum + server.connections, 0);
  /** Exchanges started (all through `exchange`). */
  let exchanges = 0;
  const exchange = (wireRequest: WireRequest): Promise<WireResponse> => {
    exchanges += 1;
    return wire.exchange(wireRequest);
  };

  beforeAll(async () => {
    tlsOptions = selfSignedCertificate('localhost');
    origins.set('http', await startServer());
    origins.set('https', await startServer(tlsOptions));
    targets.set('http', await startServer());
    targets.set('https', await startServer(tlsOptions));
  });

  beforeEach(() => {
    wire = new HttpWire();
  });

  afterEach(() => {
    wire.close();
    blobs.clear();
  });

  afterAll(async () => {
    await Promise.all([...origins.values(), ...targets.values()].map((server) => server.stop()));
  });

  /** GETs a blob and consumes it with a holding consumer. */
  async function holdGet(scheme: Scheme, shape: BlobShape, pattern: readonly PauseStep[], observations: Observations, keepPastEnd = false): Promise<void> {
    const { id, spec } = registerBlob(shape);
    const response = await exchange(request(blobUrl(scheme, id)));
    expect(response.statusCode).toBe(200);
    const received = await holdingConsumer(response.body, pattern, observations, `GET ${scheme} ${shape.framing} ${shape.size} B`, keepPastEnd);
    expect(received.length).toBe(spec.payload.length);
    expect(sha256(received)).toBe(sha256(spec.payload));
  }

  /** GETs a blob and uploads its body, without a copy, as the body of a PUT to a slow target. */
  async function pipe(from: Scheme, to: Scheme, shape: BlobShape, reader: SlowReader, observations: Observations): Promise<void> {
    const { id, spec } = registerBlob(shape);
    const download = await exchange(request(blobUrl(from, id)));
    expect(download.statusCode).toBe(200);
    const content = observedSource(download.body, observations, `${from} -> ${to} ${shape.framing} ${shape.size} B`);
    const upload = await exchange(
      request(new URL(`/upload/${id}`, target(to).url), { method: 'PUT', headers: slowReaderHeaders(reader), body: { length: spec.payload.length, content } }),
    );
    const answer = await upload.body.read(1024);
    expect(upload.statusCode).toBe(200);
    expect(answer.bytes.toString()).toBe(`${spec.payload.length} ${sha256(spec.payload)}`);
    expect(download.body.complete).toBe(true);
  }

  /** GETs a blob and uploads it in consecutive slices (one PUT each), as BlobClient's chunked upload does. */
  async function slicedPipe(from: Scheme, to: Scheme, shape: BlobShape, sliceSize: number, reader: SlowReader, observations: Observations): Promise<void> {
    const { id, spec } = registerBlob(shape);
    const download = await exchange(request(blobUrl(from, id)));
    const content = observedSource(download.body, observations, `sliced ${from} -> ${to} ${shape.framing} ${shape.size} B`);
    const slicer = new SourceSlicer(content);
    try {
      for (let offset = 0; offset < spec.payload.length; offset += sliceSize) {
        const length = Math.min(sliceSize, spec.payload.length - offset);
        const upload = await exchange(
          request(new URL(`/upload/${id}-${offset}`, target(to).url), { method: 'PUT', headers: slowReaderHeaders(reader), body: { length, content: slicer.slice(length) } }),
        );
        const answer = await upload.body.read(1024);
        expect(answer.bytes.toString()).toBe(`${length} ${sha256(spec.payload.subarray(offset, offset + length))}`);
      }
    } finally {
      // As BlobClient does: frees the download (a chunked one still has its last-chunk marker unread).
      content.destroy();
    }
  }

  /** A resumable download whose first responses are cut; consumed by a holding consumer. */
  async function resumableGet(scheme: Scheme, shape: BlobShape, cutShapes: readonly CutShape[], ignoreRange: boolean, pattern: readonly PauseStep[], observations: Observations): Promise<void> {
    const cuts = cutShapes.map(({ fraction, how }) => ({ after: Math.floor(fraction * shape.size), how }));
    const { id, spec } = registerBlob(shape, cuts, ignoreRange);
    const url = blobUrl(scheme, id);
    const first = wrapResponse(await exchange(request(url)), url);
    const source = resumableDownload({
      first,
      size: spec.payload.length,
      resume: async (offset) => wrapResponse(await exchange(request(url, { headers: { range: `bytes=${offset}-` } })), url),
      policy: createRetryPolicy({ maxAttempts: cuts.length + 2, sleep: () => turns(1) }),
      what: id,
    });
    const received = await holdingConsumer(source, pattern, observations, `resumable ${scheme} ${shape.framing} ${shape.size} B cut ${cuts.map((cut) => `${cut.how}@${cut.after}`).join(',')}${ignoreRange ? ', Range ignored' : ''}`);
    expect(received.length).toBe(spec.payload.length);
    expect(sha256(received)).toBe(sha256(spec.payload));
  }

  /** A small exchange whose body ends in the read that carries its head (leaves the socket pooled). */
  async function small(scheme: Scheme, size: number, how: 'read' | 'discard' | 'head'): Promise<void> {
    const url = new URL(`/small/x?size=${size}`, origin(scheme).url);
    const response = await exchange(request(url, how === 'head' ? { method: 'HEAD' } : {}));
    if (how === 'discard') {
      response.body.discard();
      return;
    }
    const { bytes } = await response.body.read(1 << 20);
    expect(bytes.length).toBe(how === 'head' ? 0 : size);
  }

  async function assess(observations: Observations): Promise<void> {
    observations.endRun();
    await Promise.all(observations.lateChecks);
    expect(observations.violations).toEqual([]);
    expect(await busyConnections(wire)).toBe(0);
  }

  describe('(a) GET bodies consumed by a sink that holds views across random pauses', () => {
    it.each<Scheme>(['http', 'https'])('%s: every byte arrives and no held view is ever overwritten', async (scheme) => {
      const totals = newObservations();
      await fc.assert(
        fc.asyncProperty(blobShapeArbitrary(sizeArbitrary(3 * MiB)), pausePatternArbitrary, async (shape, pattern) => {
          const observations = newObservations();
          await holdGet(scheme, shape, pattern, observations);
          await assess(observations);
          totals.pauses += observations.pauses;
          totals.bothBuffersUsed += observations.bothBuffersUsed;
        }),
        { numRuns: 35 },
      );
      // The runs did pause, and (over TLS, which goes on delivering after a pause) used both read buffers.
      expect(totals.pauses).toBeGreaterThan(0);
      expect(totals.bothBuffersUsed).toBeGreaterThan(0);
    });
  });

  describe('(b) a download piped without a copy into the PUT of a slowly reading server', () => {
    it.each<[Scheme, Scheme]>([
      ['http', 'http'],
      ['https', 'http'],
      ['http', 'https'],
      ['https', 'https'],
    ])('%s -> %s: the target receives the exact bytes', async (from, to) => {
      const totals = newObservations();
      await fc.assert(
        fc.asyncProperty(pipedShapeArbitrary, slowReaderArbitrary, async (shape, reader) => {
          const observations = newObservations();
          await pipe(from, to, shape, reader, observations);
          await assess(observations);
          totals.pauses += observations.pauses;
        }),
        { numRuns: 25 },
      );
      expect(totals.pauses).toBeGreaterThan(0);
    });
  });

  describe('(c) sequences of exchanges on one HttpWire (pooled sockets reused)', () => {
    type Operation =
      | { kind: 'hold'; scheme: Scheme; shape: BlobShape; pattern: PauseStep[]; keepPastEnd: boolean; follow: BlobShape }
      | { kind: 'pipe'; from: Scheme; to: Scheme; shape: BlobShape; reader: SlowReader }
      | { kind: 'sliced'; from: Scheme; to: Scheme; shape: BlobShape; sliceSize: number; reader: SlowReader }
      | { kind: 'resumable'; scheme: Scheme; shape: BlobShape; cuts: CutShape[]; ignoreRange: boolean; pattern: PauseStep[] }
      | { kind: 'small'; scheme: Scheme; size: number; how: 'read' | 'discard' | 'head' };

    const maxSize = 1.5 * MiB;
    const operationArbitrary: fc.Arbitrary<Operation> = fc.oneof(
      {
        arbitrary: fc.record({ kind: fc.constant('hold' as const), scheme: schemeArbitrary, shape: blobShapeArbitrary(sizeArbitrary(maxSize)), pattern: pausePatternArbitrary, keepPastEnd: fc.boolean(), follow: blobShapeArbitrary(sizeArbitrary(maxSize)) }),
        weight: 3,
      },
      { arbitrary: fc.record({ kind: fc.constant('pipe' as const), from: schemeArbitrary, to: schemeArbitrary, shape: blobShapeArbitrary(sizeArbitrary(maxSize)), reader: slowReaderArbitrary }), weight: 2 },
      {
        arbitrary: fc.record({
          kind: fc.constant('sliced' as const),
          from: schemeArbitrary,
          to: schemeArbitrary,
          shape: blobShapeArbitrary(sizeArbitrary(maxSize)),
          sliceSize: fc.integer({ min: 50_000, max: 700_000 }),
          reader: slowReaderArbitrary,
        }),
        weight: 1,
      },
      {
        arbitrary: fc.record({
          kind: fc.constant('resumable' as const),
          scheme: schemeArbitrary,
          shape: blobShapeArbitrary(sizeArbitrary(maxSize)).filter((shape) => shape.size > 1000),
          cuts: fc.array(cutShapeArbitrary, { minLength: 1, maxLength: 2 }),
          ignoreRange: fc.boolean(),
          pattern: pausePatternArbitrary,
        }),
        weight: 1,
      },
      { arbitrary: fc.record({ kind: fc.constant('small' as const), scheme: schemeArbitrary, size: fc.integer({ min: 0, max: 2000 }), how: fc.constantFrom<'read' | 'discard' | 'head'>('read', 'discard', 'head') }), weight: 2 },
    );

    it('keeps every body intact, never overwrites a held view (even one held past its body end), and leaks no socket', async () => {
      const totals = newObservations();
      const connectionsBefore = totalConnections();
      exchanges = 0;
      await fc.assert(
        fc.asyncProperty(fc.array(operationArbitrary, { minLength: 2, maxLength: 5 }), async (operations) => {
          const observations = newObservations();
          for (const operation of operations) {
            switch (operation.kind) {
              case 'hold':
                await holdGet(operation.scheme, operation.shape, operation.pattern, observations, operation.keepPastEnd);
                // With a view possibly still held, another download from the same origin that pauses (and so switches buffers).
                if (operation.keepPastEnd) await holdGet(operation.scheme, operation.follow, [2, 0], observations);
                break;
              case 'pipe':
                await pipe(operation.from, operation.to, operation.shape, operation.reader, observations);
                break;
              case 'sliced':
                await slicedPipe(operation.from, operation.to, operation.shape, operation.sliceSize, operation.reader, observations);
                break;
              case 'resumable':
                await resumableGet(operation.scheme, operation.shape, operation.cuts, operation.ignoreRange, operation.pattern, observations);
                break;
              case 'small':
                await small(operation.scheme, operation.size, operation.how);
                break;
            }
          }
          await assess(observations);
          totals.pauses += observations.pauses;
          totals.heldPastEnd += observations.heldPastEnd;
        }),
        { numRuns: 40 },
      );
      expect(totals.pauses).toBeGreaterThan(0);
      expect(totals.heldPastEnd).toBeGreaterThan(0);
      // Pooled sockets were reused: fewer connections than exchanges.
      expect(totalConnections() - connectionsBefore).toBeLessThan(exchanges);
    });
  });

  describe('(d) targeted, deterministic', () => {
    /** A sink holding the view of the chunk that completes `total` bytes; every other chunk is taken (and copied). */
    function holdLastChunk(total: number): { sink: ChunkSink; ended: Promise<Buffer>; held: () => { view: Buffer; copy: Buffer } | undefined } {
      const received: Buffer[] = [];
      let count = 0;
      let held: { view: Buffer; copy: Buffer } | undefined;
      let finish: (bytes: Buffer) => void = () => undefined;
      let fail: (error: Error) => void = () => undefined;
      const ended = new Promise<Buffer>((resolve, reject) => {
        finish = resolve;
        fail = reject;
      });
      const sink: ChunkSink = {
        chunk(bytes) {
          received.push(Buffer.from(bytes));
          count += bytes.length;
          if (count < total) return true;
          held = { view: bytes, copy: Buffer.from(bytes) };
          return false;
        },
        end: () => finish(Buffer.concat(received)),
        error: (error) => fail(error),
      };
      return { sink, ended, held: () => held };
    }

    it.each<Scheme>(['http', 'https'])('%s: a socket left pooled by bodies that ended in their head read is reused by a download holding every view', async (scheme) => {
      // Prepare: bodies that end in the read that carries their head (the socket is pooled inside that read)
      await small(scheme, 10, 'read');
      await small(scheme, 0, 'read');
      await small(scheme, 5, 'discard');
      // (a HEAD that announces a body length would not be pooled: see HttpWire's announcesBody)
      await small(scheme, 0, 'head');
      const connections = origin(scheme).connections;
      const observations = newObservations();

      // Act: the same (pooled) socket carries a 3 MiB body whose consumer pauses on every chunk
      await holdGet(scheme, { size: 3 * MiB, framing: 'length', pieceSizes: [3 * MiB], spread: false }, [1, 'micro', 3], observations);
      const reused = origin(scheme).connections === connections;
      await small(scheme, 3, 'read');
      await holdGet(scheme, { size: 2 * MiB + 7, framing: 'chunked', pieceSizes: [70_000, 5, 300_000], spread: false }, [2], observations);

      // Assess
      await assess(observations);
      expect(observations.pauses).toBeGreaterThan(10);
      expect(reused).toBe(true);
    });

    it.each<Scheme>(['http', 'https'])('%s: a view held past the end of its body stays intact while later exchanges run, and its late resume()/destroy() are harmless', async (scheme) => {
      // Prepare
      const first = registerBlob({ size: 2 * MiB + 123, framing: 'length', pieceSizes: [4 * MiB], spread: false });
      const response = await exchange(request(blobUrl(scheme, first.id)));
      const consumer = holdLastChunk(first.spec.payload.length);
      const observations = newObservations();

      // Act: end arrives while the last view is held; two more downloads run on the same wire meanwhile
      response.body.start(consumer.sink);
      const received = await consumer.ended;
      await holdGet(scheme, { size: 3 * MiB, framing: 'chunked', pieceSizes: [100_000, 600_000], spread: false }, [0, 2, 'micro'], observations);
      await small(scheme, 100, 'read');
      await holdGet(scheme, { size: 1 * MiB, framing: 'length', pieceSizes: [1 * MiB], spread: true }, [1], observations);
      const held = consumer.held();
      const heldIntact = held !== undefined && held.view.equals(held.copy);
      response.body.resume();
      response.body.destroy();
      await holdGet(scheme, { size: 1 * MiB, framing: 'length', pieceSizes: [1 * MiB], spread: false }, [1], observations);

      // Assess
      expect(sha256(received)).toBe(sha256(first.spec.payload));
      expect(held).toBeDefined();
      expect(heldIntact).toBe(true);
      await assess(observations);
    });

    it.each<Scheme>(['http', 'https'])("%s: calls on an ended body whose socket went on to another exchange do not disturb that exchange's paused consumer", async (scheme) => {
      // Prepare: a body that ends in its head's read (its socket is pooled at once) and is left unread
      const url = new URL('/small/x?size=100', origin(scheme).url);
      const stale = await exchange(request(url));
      const connections = origin(scheme).connections;
      const blob = registerBlob({ size: 3 * MiB, framing: 'length', pieceSizes: [3 * MiB], spread: false });
      const current = await exchange(request(blobUrl(scheme, blob.id)));
      const received: Buffer[] = [];
      let held: { view: Buffer; copy: Buffer } | undefined;
      let deliveredWhileHeld = 0;
      let finish: () => void = () => undefined;
      let fail: (error: Error) => void = () => undefined;
      const ended = new Promise<void>((resolve, reject) => {
        finish = resolve;
        fail = reject;
      });

      // Act: the new exchange's consumer holds its first view; meanwhile the stale body is read, resumed, destroyed and discarded
      current.body.start({
        chunk(bytes) {
          if (held) deliveredWhileHeld += 1;
          received.push(Buffer.from(bytes));
          if (received.length > 1) return true;
          held = { view: bytes, copy: Buffer.from(bytes) };
          return false;
        },
        end: () => finish(),
        error: (error) => fail(error),
      });
      const staleBytes = await stale.body.read(1024);
      stale.body.resume();
      stale.body.destroy();
      stale.body.discard();
      await turns(30);
      const heldIntact = held !== undefined && held.view.equals(held.copy);
      const whileHeld = deliveredWhileHeld;
      held = undefined;
      current.body.resume();
      await ended;

      // Assess
      expect(origin(scheme).connections).toBe(connections);
      expect(staleBytes.bytes.length).toBe(100);
      expect(whileHeld).toBe(0);
      expect(heldIntact).toBe(true);
      expect(sha256(Buffer.concat(received))).toBe(sha256(blob.spec.payload));
      expect(await busyConnections(wire)).toBe(0);
    });
  });
});

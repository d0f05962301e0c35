/**
 * Properties of the wire's response parser, fed random framings (Content-Length, chunked with
 * extensions and trailers, close-delimited, bodiless, 1xx heads before the final one), garbage,
 * and every way of cutting the bytes into reads (down to one byte at a time).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_CHUNK_LINE_BYTES, MAX_HEAD_BYTES, MAX_INFORMATIONAL_RESPONSES, type ParsedHead, ResponseParser } from '../../../lib/oci/transport/responseParser';

type BodyFraming = 'length' | 'chunked' | 'close' | 'bodiless';

interface ResponseSpec {
  method: 'GET' | 'HEAD';
  informational: Array<{ status: 100 | 102 | 103; hint: string }>;
  status: number;
  framing: BodyFraming;
  body: Uint8Array;
  /** Chunk sizes for chunked framing (the body is cut at these, the rest is one last chunk). */
  chunkCuts: number[];
  extensions: boolean;
  trailers: string[];
  /** Bytes after the response (the next response, or garbage). */
  trailing: Uint8Array;
}

/** What a parse produced: enough to compare two parses of the same bytes. */
interface Outcome {
  status?: number;
  headers?: ParsedHead['headers'];
  body: Buffer;
  ended: boolean;
  leftover: number;
  error?: string;
  maxBuffered: number;
}

const responseSpec: fc.Arbitrary<ResponseSpec> = fc.record({
  method: fc.constantFrom('GET', 'HEAD'),
  informational: fc.array(fc.record({ status: fc.constantFrom(100, 102, 103), hint: fc.stringMatching(/^[a-z0-9=;<>/ ]{0,20}$/) }), { maxLength: MAX_INFORMATIONAL_RESPONSES + 2 }),
  status: fc.constantFrom(200, 201, 202, 206, 307, 401, 404, 500),
  framing: fc.constantFrom<BodyFraming>('length', 'chunked', 'close', 'bodiless'),
  body: fc.uint8Array({ maxLength: 300 }),
  chunkCuts: fc.array(fc.integer({ min: 1, max: 80 }), { maxLength: 6 }),
  extensions: fc.boolean(),
  trailers: fc.array(fc.stringMatching(/^x-[a-z]{1,8}: [a-z0-9 ]{0,12}$/), { maxLength: 3 }),
  trailing: fc.uint8Array({ maxLength: 40 }),
});

function encode(spec: ResponseSpec): Buffer {
  const parts: Buffer[] = spec.informational.map((info) => Buffer.from(`HTTP/1.1 ${info.status} Info\r\nlink: ${info.hint}\r\n\r\n`));
  const headers = ['server: hostile', 'content-type: application/octet-stream'];
  let body = Buffer.alloc(0);
  if (spec.framing === 'length') headers.push(`content-length: ${spec.body.length}`);
  if (spec.framing === 'chunked') headers.push('transfer-encoding: chunked');
  if (spec.framing === 'close') headers.push('connection: close');
  if (spec.framing === 'bodiless') headers.push('content-length: 0');
  if (spec.framing === 'length' || spec.framing === 'close') body = Buffer.from(spec.body);
  if (spec.framing === 'chunked') {
    const chunks: Buffer[] = [];
    let at = 0;
    for (const cut of spec.chunkCuts) {
      if (at >= spec.body.length) break;
      const piece = spec.body.subarray(at, at + cut);
      at += piece.length;
      chunks.push(Buffer.concat([Buffer.from(`${piece.length.toString(16)}${spec.extensions ? ';name="v"' : ''}\r\n`), piece, Buffer.from('\r\n')]));
    }
    if (at < spec.body.length) chunks.push(Buffer.concat([Buffer.from(`${(spec.body.length - at).toString(16)}\r\n`), spec.body.subarray(at), Buffer.from('\r\n')]));
    chunks.push(Buffer.from(`0\r\n${spec.trailers.map((line) => `${line}\r\n`).join('')}\r\n`));
    body = Buffer.concat(chunks);
  }
  parts.push(Buffer.from(`HTTP/1.1 ${spec.status} Status\r\n${headers.join('\r\n')}\r\n\r\n`), spec.method === 'HEAD' ? Buffer.alloc(0) : body);
  return Buffer.concat(parts);
}

/** The body the framing says the response has, and how many bytes lie beyond the response. */
function expected(spec: ResponseSpec): { body: Buffer; leftover: number } {
  if (spec.method === 'HEAD' || spec.framing === 'bodiless') return { body: Buffer.alloc(0), leftover: spec.trailing.length };
  if (spec.framing === 'close') return { body: Buffer.concat([Buffer.from(spec.body), Buffer.from(spec.trailing)]), leftover: 0 };
  return { body: Buffer.from(spec.body), leftover: spec.trailing.length };
}

/** Cuts `bytes` at `cuts` (positions, any order, out-of-range ignored). */
function split(bytes: Buffer, cuts: readonly number[]): Buffer[] {
  const points = [...new Set(cuts.filter((cut) => cut > 0 && cut < bytes.length))].sort((a, b) => a - b);
  const pieces: Buffer[] = [];
  let from = 0;
  for (const point of [...points, bytes.length]) {
    pieces.push(bytes.subarray(from, point));
    from = point;
  }
  return pieces.filter((piece) => piece.length > 0);
}

/**
 * Feeds `pieces` to a fresh parser, each through a scratch buffer that is overwritten after the
 * call (as the socket's read buffer is), then reports a clean close.
 */
function parse(method: string, pieces: readonly Buffer[]): Outcome {
  const parser = new ResponseParser(method);
  const outcome: Outcome = { body: Buffer.alloc(0), ended: false, leftover: 0, maxBuffered: 0 };
  const received: Buffer[] = [];
  const events = {
    head: (head: ParsedHead) => {
      outcome.status = head.statusCode;
      outcome.headers = head.headers;
    },
    data: (segment: Buffer) => received.push(Buffer.from(segment)),
    end: () => {
      outcome.ended = true;
    },
  };
  try {
    for (const piece of pieces) {
      const scratch = Buffer.from(piece);
      outcome.leftover += parser.feed(scratch, events);
      scratch.fill(0x58);
      outcome.maxBuffered = Math.max(outcome.maxBuffered, parser.bufferedBytes);
    }
    parser.closed(events);
  } catch (error) {
    outcome.error = (error as NodeJS.ErrnoException).code ?? 'no code';
  }
  outcome.body = Buffer.concat(received);
  return outcome;
}

const BUFFER_BOUND = MAX_HEAD_BYTES + MAX_CHUNK_LINE_BYTES;

describe('ResponseParser (property-based)', () => {
  it('returns exactly the body and leftover the framing says, however the bytes are cut, or refuses too many 1xx heads', () => {
    fc.assert(
      fc.property(responseSpec, fc.array(fc.nat({ max: 2000 }), { maxLength: 12 }), (spec, cuts) => {
        // Prepare
        const bytes = Buffer.concat([encode(spec), Buffer.from(spec.trailing)]);
        const want = expected(spec);

        // Act
        const outcome = parse(spec.method, split(bytes, cuts));

        // Assess
        expect(outcome.maxBuffered).toBeLessThanOrEqual(BUFFER_BOUND);
        if (spec.informational.length > MAX_INFORMATIONAL_RESPONSES) {
          expect(outcome.error).toBe('HPE_INVALID_STATUS');
          expect(outcome.status).toBeUndefined();
          return;
        }
        expect(outcome.error).toBeUndefined();
        expect(outcome.status).toBe(spec.status);
        expect(outcome.ended).toBe(true);
        expect(outcome.body.equals(want.body)).toBe(true);
        expect(outcome.leftover).toBe(want.leftover);
      }),
      { numRuns: 400 },
    );
  });

  it('gives the same result fed one byte at a time as fed whole', () => {
    fc.assert(
      fc.property(responseSpec, (spec) => {
        // Prepare
        const bytes = Buffer.concat([encode(spec), Buffer.from(spec.trailing)]);
        const bytewise = Array.from({ length: bytes.length }, (_, i) => bytes.subarray(i, i + 1));

        // Act
        const whole = parse(spec.method, [bytes]);
        const oneByOne = parse(spec.method, bytewise);

        // Assess
        expect(oneByOne).toEqual({ ...whole, maxBuffered: oneByOne.maxBuffered });
        expect(oneByOne.maxBuffered).toBeLessThanOrEqual(BUFFER_BOUND);
      }),
      { numRuns: 150 },
    );
  });

  it('on garbage anywhere, only refuses with a protocol error or parses consistently, whatever the cuts, within its buffer bound', () => {
    const damaged = fc
      .tuple(responseSpec, fc.array(fc.tuple(fc.oneof(fc.nat({ max: 40 }), fc.nat()), fc.uint8Array({ minLength: 1, maxLength: 8 })), { minLength: 1, maxLength: 3 }), fc.array(fc.nat({ max: 2000 }), { maxLength: 10 }))
      .map(([spec, damage, cuts]) => {
        const bytes = Buffer.concat([encode(spec), Buffer.from(spec.trailing)]);
        for (const [position, garbage] of damage) Buffer.from(garbage).copy(bytes, bytes.length === 0 ? 0 : position % bytes.length);
        return { method: spec.method, bytes, cuts };
      });
    fc.assert(
      fc.property(damaged, ({ method, bytes, cuts }) => {
        // Act
        const whole = parse(method, [bytes]);
        const cut = parse(method, split(bytes, cuts));

        // Assess
        expect(cut).toEqual({ ...whole, maxBuffered: cut.maxBuffered });
        expect(cut.maxBuffered).toBeLessThanOrEqual(BUFFER_BOUND);
        if (cut.error !== undefined) expect(cut.error).toMatch(/^(HPE_[A-Z_]+|ECONNRESET)$/);
        else expect(cut.ended).toBe(true);
      }),
      { numRuns: 400 },
    );
  });

  it('refuses a head that never ends once it passes its bound, holding no more than that', () => {
    // Prepare
    const parser = new ResponseParser('GET');
    const line = Buffer.from(`x-pad: ${'a'.repeat(1000)}\r\n`);
    const events = { head: () => undefined, data: () => undefined, end: () => undefined };
    parser.feed(Buffer.from('HTTP/1.1 200 OK\r\n'), events);

    // Act
    let failure: unknown;
    let fed = 0;
    try {
      while (fed < 10 * MAX_HEAD_BYTES) {
        parser.feed(line, events);
        fed += line.length;
        expect(parser.bufferedBytes).toBeLessThanOrEqual(MAX_HEAD_BYTES);
      }
    } catch (error) {
      failure = error;
    }

    // Assess
    expect(failure).toMatchObject({ code: 'HPE_HEADER_OVERFLOW' });
    expect(fed).toBeLessThanOrEqual(MAX_HEAD_BYTES);
  });
});

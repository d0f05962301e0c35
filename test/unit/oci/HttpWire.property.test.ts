/**
 * A property over the whole wire (parser, socket reuse, deadlines) against a scripted peer on a
 * real loopback socket: random framings, random cuts and pauses between the peer's writes, peers
 * that stall or hang up half-way, garbage after the response. Whatever the peer does, an exchange
 * settles (a stall ends at its deadline), a body is never other than what the framing says, and
 * the next request on the wire is never answered by bytes left over from the previous one.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpWire } from '../../../lib/oci/transport/HttpWire';
import type { WireRequest } from '../../../lib/oci/transport/wire';
import { type HostileReply, type HostileServer, startHostileServer } from '../../support/hostileServer';

type Framing = 'length' | 'chunked' | 'close' | 'empty';
/** How the peer ends: completely, silently (no more bytes, socket left open), or by hanging up. */
type Ending = 'complete' | 'stall' | 'hang-up';

interface PeerScript {
  informational: number;
  framing: Framing;
  body: Uint8Array;
  chunkSize: number;
  /** Bytes after the response (only sent when the response is complete and not close-delimited). */
  trailing: Uint8Array;
  /** Where the peer's bytes are cut into writes. */
  cuts: number[];
  /** Event-loop turns the peer waits before each write. */
  pauses: number[];
  ending: Ending;
}

const peerScript: fc.Arbitrary<PeerScript> = fc.record({
  informational: fc.nat({ max: 3 }),
  framing: fc.constantFrom<Framing>('length', 'chunked', 'close', 'empty'),
  body: fc.uint8Array({ maxLength: 3000 }),
  chunkSize: fc.integer({ min: 1, max: 1500 }),
  trailing: fc.oneof(fc.constant(new Uint8Array()), fc.uint8Array({ minLength: 1, maxLength: 30 })),
  cuts: fc.array(fc.nat({ max: 4000 }), { maxLength: 8 }),
  pauses: fc.array(fc.nat({ max: 3 }), { maxLength: 9 }),
  ending: fc.oneof({ weight: 8, arbitrary: fc.constant<Ending>('complete') }, { weight: 1, arbitrary: fc.constant<Ending>('stall') }, { weight: 1, arbitrary: fc.constant<Ending>('hang-up') }),
});

function encode(script: PeerScript): Buffer {
  const informational = Buffer.from('HTTP/1.1 100 Continue\r\n\r\n'.repeat(script.informational));
  const body = Buffer.from(script.body);
  switch (script.framing) {
    case 'length':
      return Buffer.concat([informational, Buffer.from(`HTTP/1.1 200 OK\r\ncontent-length: ${body.length}\r\n\r\n`), body]);
    case 'empty':
      return Buffer.concat([informational, Buffer.from('HTTP/1.1 204 No Content\r\n\r\n')]);
    case 'close':
      return Buffer.concat([informational, Buffer.from('HTTP/1.1 200 OK\r\nconnection: close\r\n\r\n'), body]);
    default: {
      const chunks: Buffer[] = [informational, Buffer.from('HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n')];
      for (let at = 0; at < body.length; at += script.chunkSize) {
        const piece = body.subarray(at, at + script.chunkSize);
        chunks.push(Buffer.from(`${piece.length.toString(16)}\r\n`), piece, Buffer.from('\r\n'));
      }
      chunks.push(Buffer.from('0\r\n\r\n'));
      return Buffer.concat(chunks);
    }
  }
}

function turns(count: number): Promise<void> {
  return count === 0 ? Promise.resolve() : new Promise((resolve) => setImmediate(() => void turns(count - 1).then(resolve)));
}

/** Plays `script` as the answer to one request. */
async function play(script: PeerScript, reply: HostileReply): Promise<void> {
  let bytes = encode(script);
  if (script.ending === 'complete' && script.framing !== 'close') bytes = Buffer.concat([bytes, Buffer.from(script.trailing)]);
  // A stalled or cut-off peer stops somewhere before the end of its response.
  if (script.ending !== 'complete') bytes = bytes.subarray(0, Math.max(0, bytes.length - 1 - (script.cuts[0] ?? 0) % Math.max(1, bytes.length)));
  const points = [...new Set(script.cuts.filter((cut) => cut > 0 && cut < bytes.length))].sort((a, b) => a - b);
  let from = 0;
  for (const [index, point] of [...points, bytes.length].entries()) {
    await turns(script.pauses[index] ?? 0);
    reply.write(bytes.subarray(from, point));
    from = point;
  }
  if (script.ending === 'hang-up') reply.socket.destroy();
  if (script.ending === 'complete' && script.framing === 'close') reply.socket.end();
}

const DEADLINE_MS = 150;

describe('HttpWire against a scripted peer (property-based)', () => {
  let server: HostileServer;
  let current: PeerScript | undefined;

  beforeAll(async () => {
    server = await startHostileServer((request, reply) => {
      if (request.target === '/next') reply.send(200, { 'content-type': 'text/plain' }, 'next');
      else if (current) void play(current, reply);
    });
  });

  afterAll(() => server.stop());

  it('settles every exchange, returns only the framed body, and never answers the next request with leftovers', async () => {
    await fc.assert(
      fc.asyncProperty(peerScript, async (script) => {
        // Prepare
        current = script;
        const wire = new HttpWire();
        // Only a stalling peer meets the deadline; others get a generous one, so a loaded machine
        // (a late timer and pending bytes in the same loop turn) cannot turn them into timeouts.
        const deadline = script.ending === 'stall' ? DEADLINE_MS : 30_000;
        const request = (path: string): WireRequest => ({
          url: new URL(path, server.url),
          method: 'GET',
          headers: {},
          rejectUnauthorized: true,
          timeouts: { connectMs: 30_000, idleMs: deadline, responseMs: deadline },
        });
        const connectionsBefore = server.connections;

        try {
          // Act
          const first = await wire
            .exchange(request('/first'))
            .then((response) => response.body.read(1 << 20))
            .then(
              ({ bytes }) => ({ ok: true as const, bytes }),
              (error: NodeJS.ErrnoException) => ({ ok: false as const, code: error.code }),
            );
          const next = await wire.exchange(request('/next'));
          const nextBody = (await next.body.read(100)).bytes.toString();

          // Assess
          if (script.ending === 'complete') {
            expect(first).toEqual({ ok: true, bytes: Buffer.from(script.framing === 'empty' ? [] : script.body) });
          } else if (script.ending === 'hang-up' && script.framing === 'close' && first.ok) {
            // A close-delimited body ends with the connection, however it ends: what came is the body.
            expect(Buffer.from(script.body).subarray(0, first.bytes.length).equals(first.bytes)).toBe(true);
          } else {
            expect(first.ok).toBe(false);
            if (script.ending === 'stall') expect(first).toMatchObject({ code: 'ETIMEDOUT' });
          }
          expect(nextBody).toBe('next');
          const cleanKeepAlive = script.ending === 'complete' && script.framing !== 'close' && script.trailing.length === 0;
          // Reused exactly when the first response ended cleanly with nothing after it.
          expect(server.connections - connectionsBefore).toBe(cleanKeepAlive ? 1 : 2);
        } finally {
          wire.close();
        }
      }),
      { numRuns: 60 },
    );
  });
});

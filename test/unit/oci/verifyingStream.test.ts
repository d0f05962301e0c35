import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, expect, it } from 'vitest';
import { computeDigest } from '../../../lib/oci/digest';
import { verifyingStream } from '../../../lib/oci/remote/verifyingStream';

function chunksOf(content: Buffer, size: number): Buffer[] {
  const chunks: Buffer[] = [];
  for (let offset = 0; offset < content.length; offset += size) chunks.push(content.subarray(offset, offset + size));
  return chunks;
}

async function run(content: Buffer, expected: { digest: string; size: number }): Promise<{ received: Buffer; error: unknown }> {
  const received: Buffer[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      received.push(chunk);
      callback();
    },
  });
  let error: unknown;
  try {
    await pipeline(Readable.from(chunksOf(content, 1000)), verifyingStream(expected), sink);
  } catch (caught) {
    error = caught;
  }
  return { received: Buffer.concat(received), error };
}

describe('verifyingStream', () => {
  const content = Buffer.from('x'.repeat(4500));
  const digest = computeDigest(content);

  it('passes matching content through unchanged and reports progress', async () => {
    const counts: number[] = [];
    const received: Buffer[] = [];
    await pipeline(
      Readable.from(chunksOf(content, 1000)),
      verifyingStream({ digest, size: content.length }, { onBytes: (n) => counts.push(n) }),
      new Writable({
        write(chunk: Buffer, _encoding, callback) {
          received.push(chunk);
          callback();
        },
      }),
    );
    expect(Buffer.concat(received).equals(content)).toBe(true);
    expect(counts).toEqual([1000, 2000, 3000, 4000, 4500]);
  });

  it('fails on a digest mismatch without ever passing on the complete content', async () => {
    const { received, error } = await run(content, { digest: computeDigest(Buffer.from('other')), size: content.length });
    expect(error).toMatchObject({ code: 'DIGEST_MISMATCH', name: 'DigestMismatchError' });
    expect(received.length).toBeLessThan(content.length);
  });

  it('fails as soon as content exceeds the expected size', async () => {
    const { received, error } = await run(content, { digest, size: 2500 });
    expect(error).toMatchObject({ code: 'DIGEST_MISMATCH', message: expect.stringContaining('more than 2500 bytes') });
    expect(received.length).toBeLessThan(2500);
  });

  it('fails on short content', async () => {
    const { error } = await run(content.subarray(0, 4000), { digest, size: content.length });
    expect(error).toMatchObject({ code: 'DIGEST_MISMATCH', message: expect.stringContaining('4000 bytes') });
  });

  it('verifies sha512 digests too', async () => {
    const { error } = await run(content, { digest: computeDigest(content, 'sha512'), size: content.length });
    expect(error).toBeUndefined();
  });
});

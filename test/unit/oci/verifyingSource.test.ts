import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { computeDigest } from '../../../lib/oci/digest';
import { type ExpectedContent, type VerifyingSourceOptions, verifyingSource } from '../../../lib/oci/remote/verifyingSource';
import type { BodySource } from '../../../lib/oci/transport/bodySource';
import { bodySourceFromReadable } from '../../support/bodySources';

function chunksOf(content: Buffer, size: number): Buffer[] {
  const chunks: Buffer[] = [];
  for (let offset = 0; offset < content.length; offset += size) chunks.push(content.subarray(offset, offset + size));
  return chunks;
}

/** Runs `source` to its end; what the consumer received, and the error it got, if any. */
function drain(source: BodySource): Promise<{ received: Buffer; error: unknown }> {
  const received: Buffer[] = [];
  return new Promise((resolve) => {
    source.start({
      chunk(bytes) {
        received.push(Buffer.from(bytes));
        return true;
      },
      end: () => resolve({ received: Buffer.concat(received), error: undefined }),
      error: (error) => resolve({ received: Buffer.concat(received), error }),
    });
  });
}

function run(content: Buffer, expected: ExpectedContent, options: VerifyingSourceOptions = {}): Promise<{ received: Buffer; error: unknown }> {
  return drain(verifyingSource(bodySourceFromReadable(Readable.from(chunksOf(content, 1000))), expected, options));
}

describe('verifyingSource', () => {
  const content = Buffer.from('x'.repeat(4500));
  const digest = computeDigest(content);

  it('passes matching content through unchanged and reports progress', async () => {
    const counts: number[] = [];
    const { received, error } = await run(content, { digest, size: content.length }, { onBytes: (n) => counts.push(n) });
    expect(error).toBeUndefined();
    expect(received.equals(content)).toBe(true);
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

  it('checks the digest of empty content too', async () => {
    const empty = Buffer.alloc(0);
    expect((await run(empty, { digest: computeDigest(empty), size: 0 })).error).toBeUndefined();
    expect((await run(empty, { digest: digest, size: 0 })).error).toMatchObject({ code: 'DIGEST_MISMATCH' });
  });
});

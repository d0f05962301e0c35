import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { StreamSlicer } from '../../../lib/oci/remote/streamSlicer';

async function collect(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

describe('StreamSlicer', () => {
  it('cuts a stream into consecutive slices across chunk boundaries', async () => {
    // Prepare: chunks of 7 bytes, slices of 10
    const content = Buffer.from('abcdefghijklmnopqrstuvwxyz0123456789');
    const chunks = [0, 7, 14, 21, 28, 35].map((start) => content.subarray(start, start + 7));
    const slicer = new StreamSlicer(Readable.from(chunks));

    // Act
    const slices = [await collect(slicer.slice(10)), await collect(slicer.slice(10)), await collect(slicer.slice(10)), await collect(slicer.slice(10))];

    // Assess
    expect(slices.map((s) => s.toString())).toEqual(['abcdefghij', 'klmnopqrst', 'uvwxyz0123', '456789']);
  });
});

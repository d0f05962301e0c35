import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { SourceSlicer } from '../../../lib/oci/remote/sourceSlicer';
import { bodySourceFromReadable, collectBodySource } from '../../../lib/oci/transport/bodySource';

const collect = (source: ReturnType<SourceSlicer['slice']>): Promise<Buffer> => collectBodySource(source, 1 << 20);

describe('SourceSlicer', () => {
  it('cuts a stream into consecutive slices across chunk boundaries', async () => {
    // Prepare: chunks of 7 bytes, slices of 10
    const content = Buffer.from('abcdefghijklmnopqrstuvwxyz0123456789');
    const chunks = [0, 7, 14, 21, 28, 35].map((start) => content.subarray(start, start + 7));
    const slicer = new SourceSlicer(bodySourceFromReadable(Readable.from(chunks)));

    // Act
    const slices = [await collect(slicer.slice(10)), await collect(slicer.slice(10)), await collect(slicer.slice(10)), await collect(slicer.slice(6))];

    // Assess
    expect(slices.map((s) => s.toString())).toEqual(['abcdefghij', 'klmnopqrst', 'uvwxyz0123', '456789']);
  });

  it('fails a slice when the content ends before it is full', async () => {
    // Prepare
    const slicer = new SourceSlicer(bodySourceFromReadable(Readable.from([Buffer.from('abcdefg')])));

    // Act
    const first = await collect(slicer.slice(5));
    const second = collect(slicer.slice(5));

    // Assess
    expect(first.toString()).toBe('abcde');
    await expect(second).rejects.toThrow(/ended 3 bytes before the end of an upload chunk/);
  });
});

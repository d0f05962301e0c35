import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { copyProgressLine, formatDuration } from '../../../cli/copyProgress';
import { terminalIo } from '../../../cli/terminal';
import type { CopyProgress } from '../../../lib/oci/copy/types';

const blobs = (bytesDone: number, blobsDone = 1): CopyProgress => ({
  phase: 'blobs',
  blobsTotal: 6,
  blobsDone,
  bytesTotal: 105_000_000,
  bytesDone,
  manifestsTotal: 3,
  manifestsDone: 0,
});

describe('copyProgressLine', () => {
  it('names the registry it is waiting on in each phase', () => {
    const line = copyProgressLine({ source: 'quay.io/team/app:v1', destinationRegistry: '127.0.0.1:5000' });

    expect(line({ ...blobs(0), phase: 'planning' })).toBe('Reading quay.io/team/app:v1…');
    expect(line({ ...blobs(0), phase: 'comparing' })).toBe('Checking what 127.0.0.1:5000 already has…');
    expect(line({ ...blobs(0), phase: 'manifests', manifestsDone: 2 })).toBe('Pushing manifests to 127.0.0.1:5000 2/3');
  });

  it('shows the rate and the time left once a second of transfer is measured', () => {
    // Prepare: a clock the test moves
    let now = 0;
    const line = copyProgressLine({ source: 's', destinationRegistry: 'd' }, () => now);

    // Act
    const first = line(blobs(0, 0));
    now = 500;
    const early = line(blobs(10_000_000));
    now = 2_000;
    const measured = line(blobs(40_000_000, 3));

    // Assess: 40 MB in 2 s is 20 MB/s; 65 MB left is 3 s (rounded from 3.25)
    expect(first).toBe('Copying blobs 0/6 · 0 B of 105.0 MB');
    expect(early).toBe('Copying blobs 1/6 · 10.0 MB of 105.0 MB');
    expect(measured).toBe('Copying blobs 3/6 · 40.0 MB of 105.0 MB · 20.0 MB/s · 3 s left');
  });

  it('measures over the last few seconds, so a stall shows', () => {
    let now = 0;
    const line = copyProgressLine({ source: 's', destinationRegistry: 'd' }, () => now);
    for (const [at, bytes] of [[0, 0], [1_000, 50_000_000], [7_000, 60_000_000], [9_000, 60_000_000], [13_000, 60_000_000]] as const) {
      now = at;
      line(blobs(bytes));
    }
    now = 14_000;

    expect(line(blobs(60_000_000))).toMatch(/ · stalled$/);
  });

  it('formats durations the way people read them', () => {
    expect([formatDuration(400), formatDuration(59_000), formatDuration(200_000), formatDuration(3_900_000)]).toEqual(['0 s', '59 s', '3 min 20 s', '1 h 05 min']);
  });
});

describe('terminalIo progress', () => {
  function tty(columns: number): PassThrough & { isTTY: boolean; columns: number; written: () => string } {
    const stream = new PassThrough() as PassThrough & { isTTY: boolean; columns: number; written: () => string };
    const chunks: string[] = [];
    stream.on('data', (chunk: Buffer) => chunks.push(chunk.toString()));
    stream.isTTY = true;
    stream.columns = columns;
    stream.written = () => chunks.join('');
    return stream;
  }
  const long = `Copying blobs 3/6 · 40.0 MB of 105.0 MB · 20.0 MB/s · 3 s left ${'x'.repeat(100)}`;

  it('fits the line to the terminal width', () => {
    const stderr = tty(40);
    terminalIo({ json: false, stderr: stderr as unknown as NodeJS.WriteStream }).progress(long);

    expect(stderr.written()).toBe(`\r\x1b[2K${long.slice(0, 39)}`);
  });

  it('assumes 80 columns when the terminal reports 0', () => {
    const stderr = tty(0);
    terminalIo({ json: false, stderr: stderr as unknown as NodeJS.WriteStream }).progress(long);

    expect(stderr.written()).toBe(`\r\x1b[2K${long.slice(0, 79)}`);
  });
});

/**
 * `BodySource` helpers for tests: a source from a `Readable` (owned chunks, pause/resume honoured),
 * collecting a source whole, and letting the event loop go round without timers.
 */
import type { Readable } from 'node:stream';
import type { BodySource, ChunkSink } from '../../lib/oci/transport/bodySource';

/**
 * A source for a `Readable`. Its chunks are owned buffers, so a sink may keep them; the adapter
 * still honours pause/resume.
 *
 * @example
 * const source = bodySourceFromReadable(createReadStream('layer.tar'));
 */
export function bodySourceFromReadable(readable: Readable): BodySource {
  let sink: ChunkSink | undefined;
  let finished = false;
  const finish = (): void => {
    finished = true;
    readable.removeAllListeners('data');
  };
  return {
    start(target) {
      sink = target;
      readable.on('data', (chunk: Buffer | string) => {
        if (finished) return;
        const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
        if (!target.chunk(bytes)) readable.pause();
      });
      readable.once('end', () => {
        if (finished) return;
        finish();
        target.end();
      });
      readable.once('error', (error) => {
        if (finished) return;
        finish();
        target.error(error);
      });
      readable.once('close', () => {
        if (finished) return;
        finish();
        target.error(Object.assign(new Error('the source stream closed before its end'), { code: 'ERR_STREAM_PREMATURE_CLOSE' }));
      });
    },
    resume() {
      if (sink && !finished) readable.resume();
    },
    destroy(error) {
      finish();
      readable.destroy(error);
    },
  };
}

/**
 * Collects a source whole, failing once it exceeds `maxBytes`.
 *
 * @example
 * const bytes = await collectBodySource(source, 1 << 20);
 */
export function collectBodySource(source: BodySource, maxBytes: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let total = 0;
    source.start({
      chunk(bytes) {
        total += bytes.length;
        if (total > maxBytes) {
          const error = new Error(`the body is larger than ${maxBytes} bytes`);
          source.destroy(error);
          reject(error);
          return false;
        }
        chunks.push(Buffer.from(bytes));
        return true;
      },
      end: () => resolve(Buffer.concat(chunks)),
      error: reject,
    });
  });
}

/** Lets the event loop go round `rounds` times (poll phase included): no timers involved. */
export async function turns(rounds: number): Promise<void> {
  for (let i = 0; i < rounds; i += 1) await new Promise<void>((resolve) => setImmediate(resolve));
}

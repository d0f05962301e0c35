/**
 * Checks a blob's size and digest while it streams.
 *
 * The digest is checked when the last expected byte arrives, before the chunk holding it is passed
 * on: on a mismatch the consumer (an upload with an exact Content-Length) never receives the
 * complete body, so the registry never commits it. Oversized content fails as soon as it exceeds
 * the expected size.
 */
import { createDigester, parseDigest } from '../digest';
import type { BodySource, ChunkSink } from '../transport/bodySource';
import { DigestMismatchError } from '../transport/registryErrors';

/** What the content must match. */
export interface ExpectedContent {
  digest: string;
  size: number;
}

export interface VerifyingSourceOptions {
  /** Called with the running byte count as content passes (for progress displays). */
  onBytes?: (bytesSoFar: number) => void;
}

/**
 * `source` passed through unchanged; it fails with `DIGEST_MISMATCH` unless it is exactly
 * `expected.size` bytes hashing to `expected.digest`.
 *
 * @example
 * const verified = verifyingSource(await blobs.open(source, layer), layer);
 */
export function verifyingSource(source: BodySource, expected: ExpectedContent, options: VerifyingSourceOptions = {}): BodySource {
  const hash = createDigester(expected.digest);
  const { algorithm } = parseDigest(expected.digest);
  let received = 0;
  let failed = false;
  let verified = false;
  return {
    start(sink: ChunkSink) {
      const fail = (error: Error): false => {
        failed = true;
        source.destroy(error);
        sink.error(error);
        return false;
      };
      /** Checks the digest once every byte was hashed; fails the source when it differs. */
      const digestMatches = (): boolean => {
        verified = true;
        const actual = `${algorithm}:${hash.digest('hex')}`;
        if (actual === expected.digest) return true;
        fail(new DigestMismatchError('Blob content', expected.digest, actual));
        return false;
      };
      source.start({
        chunk(bytes) {
          if (failed) return false;
          received += bytes.length;
          if (received > expected.size) {
            return fail(new DigestMismatchError(`Blob ${expected.digest} size`, `${expected.size} bytes`, `more than ${expected.size} bytes`));
          }
          hash.update(bytes);
          options.onBytes?.(received);
          if (received === expected.size && !digestMatches()) return false;
          return sink.chunk(bytes);
        },
        end() {
          if (failed) return;
          if (received !== expected.size) {
            fail(new DigestMismatchError(`Blob ${expected.digest} size`, `${expected.size} bytes`, `${received} bytes`));
            return;
          }
          // An empty blob has no last chunk to check it at.
          if (!verified && !digestMatches()) return;
          sink.end();
        },
        error(error) {
          if (failed) return;
          failed = true;
          sink.error(error);
        },
      });
    },
    resume: () => source.resume(),
    destroy: (error) => source.destroy(error),
  };
}

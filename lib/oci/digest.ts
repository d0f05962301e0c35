/**
 * Content digests (`<algorithm>:<hex>`), as defined by the OCI image spec's descriptor section.
 */
import { createHash, type Hash } from 'node:crypto';
import { AutopilotError } from '../errors';

/** Algorithms we can verify, with the hex length of their encoded part. */
const HEX_LENGTH_BY_ALGORITHM: Readonly<Record<string, number>> = { sha256: 64, sha512: 128 };

export interface ParsedDigest {
  algorithm: 'sha256' | 'sha512';
  hex: string;
}

/**
 * Parses and validates a digest. Malformed input is a `USAGE` error because digests mostly reach
 * us from users (references); registry-supplied descriptors are checked before they get here.
 *
 * @example
 * parseDigest('sha256:' + 'a'.repeat(64)); // { algorithm: 'sha256', hex: 'aaa…' }
 */
export function parseDigest(digest: string): ParsedDigest {
  const separator = digest.indexOf(':');
  const algorithm = separator > 0 ? digest.slice(0, separator) : '';
  const hex = digest.slice(separator + 1);
  const expectedLength = HEX_LENGTH_BY_ALGORITHM[algorithm];
  if (expectedLength === undefined) {
    throw new AutopilotError('USAGE', `Unsupported digest "${digest}": expected sha256:<64 hex> or sha512:<128 hex>`);
  }
  if (hex.length !== expectedLength || !/^[a-f0-9]+$/.test(hex)) {
    throw new AutopilotError('USAGE', `Malformed digest "${digest}": expected ${algorithm}:<${expectedLength} lower-case hex>`);
  }
  return { algorithm: algorithm as ParsedDigest['algorithm'], hex };
}

/**
 * True when `value` is a well-formed digest we can verify.
 *
 * @example
 * isDigest('v1.2.3'); // false: a tag
 */
export function isDigest(value: string): boolean {
  try {
    parseDigest(value);
    return true;
  } catch {
    return false;
  }
}

/**
 * The digest of some bytes.
 *
 * @example
 * computeDigest(Buffer.from('{}')); // 'sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a'
 */
export function computeDigest(bytes: Uint8Array, algorithm: ParsedDigest['algorithm'] = 'sha256'): string {
  return `${algorithm}:${createHash(algorithm).update(bytes).digest('hex')}`;
}

/**
 * A running hash for the algorithm of `expectedDigest`, to verify streamed content.
 *
 * @example
 * const hash = createDigester('sha256:' + '0'.repeat(64)); hash.update(chunk);
 */
export function createDigester(expectedDigest: string): Hash {
  return createHash(parseDigest(expectedDigest).algorithm);
}

/**
 * Registry error responses translated into the project's error vocabulary.
 *
 * The distribution spec returns `{"errors":[{"code","message","detail"}]}`; the code decides our
 * `ErrorCode` and whether trying again may help, and the registry's own message is kept because it
 * is usually the most useful part ("blob unknown to registry"). URLs are redacted first: upload
 * locations carry state tokens and redirect targets carry signatures.
 */
import { AutopilotError, type ErrorCode } from '../../errors';

/** Error codes from the OCI distribution spec (plus TOOMANYREQUESTS, which Docker Hub and ECR send). */
export type RegistryErrorCode =
  | 'BLOB_UNKNOWN'
  | 'BLOB_UPLOAD_INVALID'
  | 'BLOB_UPLOAD_UNKNOWN'
  | 'DIGEST_INVALID'
  | 'MANIFEST_BLOB_UNKNOWN'
  | 'MANIFEST_INVALID'
  | 'MANIFEST_UNKNOWN'
  | 'NAME_INVALID'
  | 'NAME_UNKNOWN'
  | 'SIZE_INVALID'
  | 'UNAUTHORIZED'
  | 'DENIED'
  | 'UNSUPPORTED'
  | 'TOOMANYREQUESTS';

/** One entry of the spec's `errors` array. */
export interface RegistryErrorEntry {
  code: string;
  message: string;
}

/** How each spec code maps to ours; `temporary` codes are retried. */
const CODE_TABLE: Readonly<Record<RegistryErrorCode, { code: ErrorCode; temporary: boolean }>> = {
  BLOB_UNKNOWN: { code: 'REGISTRY_ERROR', temporary: false },
  BLOB_UPLOAD_INVALID: { code: 'REGISTRY_ERROR', temporary: false },
  BLOB_UPLOAD_UNKNOWN: { code: 'REGISTRY_ERROR', temporary: false },
  DIGEST_INVALID: { code: 'DIGEST_MISMATCH', temporary: false },
  MANIFEST_BLOB_UNKNOWN: { code: 'REGISTRY_ERROR', temporary: false },
  MANIFEST_INVALID: { code: 'REGISTRY_ERROR', temporary: false },
  MANIFEST_UNKNOWN: { code: 'IMAGE_NOT_FOUND', temporary: false },
  NAME_INVALID: { code: 'REGISTRY_ERROR', temporary: false },
  NAME_UNKNOWN: { code: 'REPOSITORY_NOT_FOUND', temporary: false },
  SIZE_INVALID: { code: 'DIGEST_MISMATCH', temporary: false },
  UNAUTHORIZED: { code: 'REGISTRY_UNAUTHORIZED', temporary: false },
  DENIED: { code: 'REGISTRY_UNAUTHORIZED', temporary: false },
  UNSUPPORTED: { code: 'REGISTRY_ERROR', temporary: false },
  TOOMANYREQUESTS: { code: 'THROTTLED', temporary: true },
};

function isKnownCode(code: string): code is RegistryErrorCode {
  return Object.hasOwn(CODE_TABLE, code);
}

/**
 * An error response from a registry. Callers may branch on `status` (404 vs the rest).
 *
 * @example
 * if (error instanceof RegistryError && error.status === 404) return undefined;
 */
export class RegistryError extends AutopilotError {
  readonly status: number;
  readonly registryCodes: readonly string[];
  /** The wait the registry asked for (`Retry-After`), in ms. */
  readonly retryAfterMs: number | undefined;
  /** On a 401 or 403: the credentials that were refused (their provider's printable description). */
  readonly credentialsUsed: string | undefined;

  constructor(code: ErrorCode, message: string, details: { status: number; registryCodes: readonly string[]; retryable: boolean; retryAfterMs?: number; credentialsUsed?: string; cause?: unknown }) {
    super(code, message, { retryable: details.retryable, cause: details.cause });
    this.name = 'RegistryError';
    this.status = details.status;
    this.registryCodes = details.registryCodes;
    this.retryAfterMs = details.retryAfterMs;
    this.credentialsUsed = details.credentialsUsed;
  }
}

/**
 * Content that did not hash to its digest, or had the wrong size. Nothing was committed.
 *
 * @example
 * throw new DigestMismatchError('Blob content', expectedDigest, actualDigest);
 */
export class DigestMismatchError extends AutopilotError {
  readonly expected: string;
  readonly actual: string;

  constructor(what: string, expected: string, actual: string) {
    super('DIGEST_MISMATCH', `${what}: expected ${expected} but got ${actual}`);
    this.name = 'DigestMismatchError';
    this.expected = expected;
    this.actual = actual;
  }
}

/**
 * Removes credentials and the query string from a URL before it goes into a message.
 *
 * @example
 * redactUrl('https://u:p@bucket.s3.amazonaws.com/blob?X-Amz-Signature=abc'); // 'https://bucket.s3.amazonaws.com/blob'
 */
export function redactUrl(url: string | URL): string {
  try {
    const parsed = new URL(url.toString());
    parsed.username = '';
    parsed.password = '';
    parsed.search = '';
    parsed.hash = '';
    return parsed.toString();
  } catch {
    return '<invalid url>';
  }
}

/**
 * The spec's error entries from a response body; empty when the body is not spec JSON.
 *
 * @example
 * parseRegistryErrorBody('{"errors":[{"code":"BLOB_UNKNOWN","message":"blob unknown to registry"}]}');
 * // [{ code: 'BLOB_UNKNOWN', message: 'blob unknown to registry' }]
 */
export function parseRegistryErrorBody(body: string): RegistryErrorEntry[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return [];
  }
  if (typeof parsed !== 'object' || parsed === null) return [];
  const errors = (parsed as { errors?: unknown }).errors;
  if (!Array.isArray(errors)) return [];
  return errors.flatMap((entry: unknown) => {
    if (typeof entry !== 'object' || entry === null) return [];
    const { code, message } = entry as { code?: unknown; message?: unknown };
    return typeof code === 'string' ? [{ code: code.toUpperCase(), message: typeof message === 'string' ? message : '' }] : [];
  });
}

/**
 * C0 and C1 controls (ESC, CSI, BEL, line breaks) and the bidirectional overrides: what a terminal
 * or a log viewer acts on instead of showing.
 */
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]+/g;

/**
 * Text a registry sent, as it may stand in one of our messages: one line, without anything a
 * terminal would act on (a hostile registry's error message could clear the screen, retitle the
 * window or forge the lines after it), at most `limit` characters.
 *
 * @example
 * quotedRegistryText('denied\u001b[2J\nerror: all good', 200); // 'denied [2J error: all good'
 */
export function quotedRegistryText(text: string, limit: number): string {
  const line = text.replace(UNPRINTABLE, ' ').replace(/\s{2,}/g, ' ').trim();
  return line.length <= limit ? line : `${line.slice(0, limit - 1)}…`;
}

/** What we know about a failed exchange. */
export interface FailedExchange {
  method: string;
  url: string | URL;
  status: number;
  /** The response body, already truncated by the caller. */
  body: string;
  retryAfterMs?: number;
}

function codeForStatus(status: number): { code: ErrorCode; temporary: boolean } {
  if (status === 401 || status === 403) return { code: 'REGISTRY_UNAUTHORIZED', temporary: false };
  if (status === 429) return { code: 'THROTTLED', temporary: true };
  if (status === 408 || status === 500 || status === 502 || status === 503 || status === 504) return { code: 'REGISTRY_ERROR', temporary: true };
  return { code: 'REGISTRY_ERROR', temporary: false };
}

/**
 * Turns a failed registry response into a `RegistryError` with a safe, specific message.
 *
 * @example
 * registryErrorFromResponse({ method: 'GET', url: 'https://r/v2/app/manifests/v9', status: 404,
 *   body: '{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]}' }).code; // 'IMAGE_NOT_FOUND'
 */
export function registryErrorFromResponse(exchange: FailedExchange): RegistryError {
  const entries = parseRegistryErrorBody(exchange.body);
  const first = entries.find((entry) => isKnownCode(entry.code));
  const byStatus = codeForStatus(exchange.status);
  // A 5xx or 429 is temporary whatever code the body names.
  const mapped = first && isKnownCode(first.code) && !byStatus.temporary ? CODE_TABLE[first.code] : byStatus;
  const registryMessage = quotedRegistryText(entries.length > 0 ? entries.map((e) => (e.message ? `${e.code}: ${e.message}` : e.code)).join('; ') : exchange.body, 300);
  const message = `${exchange.method} ${redactUrl(exchange.url)} failed with HTTP ${exchange.status}${registryMessage ? ` (${registryMessage})` : ''}`;
  return new RegistryError(mapped.code, message, {
    status: exchange.status,
    registryCodes: entries.map((e) => e.code),
    retryable: mapped.temporary,
    ...(exchange.retryAfterMs === undefined ? {} : { retryAfterMs: exchange.retryAfterMs }),
  });
}

/**
 * True for a registry 404 (manifest, blob or repository unknown).
 *
 * @example
 * try { await manifests.get(repo, 'sha256-abc') } catch (error) { if (!isNotFoundError(error)) throw error }
 */
export function isNotFoundError(error: unknown): boolean {
  return error instanceof RegistryError && error.status === 404;
}

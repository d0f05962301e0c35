/**
 * The seam between `RegistryHttp` and the bytes: one HTTP exchange at a time, request as data, a
 * response whose body is a `BodySource`. Two implementations: `HttpWire` (our HTTP/1.1 on
 * node:net/node:tls, zero-copy, the default) and `UndiciWire` (undici, for traffic that must go
 * through an HTTP proxy).
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { BodySource } from './bodySource';

/** How long each phase of an exchange may stay silent. */
export interface WireTimeouts {
  /** TCP connect plus TLS handshake. */
  connectMs: number;
  /** No byte in either direction for this long, while sending the request or receiving the body. */
  idleMs: number;
  /**
   * From the last request byte sent to the final response head: a deadline, not reset by
   * informational (1xx) heads or by a head that trickles in.
   */
  responseMs: number;
}

export interface WireRequest {
  url: URL;
  method: string;
  /** Request headers; `host` and `content-length` are set by the wire. */
  headers: Readonly<Record<string, string>>;
  /** Exactly `length` bytes: a buffer, or a one-shot source (a download from another registry). */
  body?: { length: number; content: Buffer | BodySource };
  rejectUnauthorized: boolean;
  timeouts: WireTimeouts;
  signal?: AbortSignal;
  /** The error an abort fails with. */
  abortError?: (signal: AbortSignal) => Error;
  /**
   * Vets the IP address the host name resolved to, before anything is sent there: an error
   * refuses it. For URLs a registry gave us (a redirect to a name that resolves to 127.0.0.1).
   */
  checkAddress?: (address: string) => Error | undefined;
}

/** A response body: a `BodySource`, or read whole, or discarded. */
export interface ResponseBody extends BodySource {
  /** True once every byte of the body arrived. */
  readonly complete: boolean;
  /** The body (at most `maxBytes` of it; `truncated` when there was more). */
  read(maxBytes: number): Promise<{ bytes: Buffer; truncated: boolean }>;
  /** Drops the body, reusing the connection when little is left to read. */
  discard(): void;
}

export interface WireResponse {
  statusCode: number;
  headers: IncomingHttpHeaders;
  body: ResponseBody;
  /** The peer's IP address when the wire connected to it itself (not through a proxy). */
  remoteAddress?: string;
}

/** A timeout of one phase of an exchange, as `error.timeout` of an `ETIMEDOUT` error. */
export type TimeoutPhase = 'connect' | 'response' | 'idle';

/** An HTTP client for registry traffic. */
export interface Wire {
  /** Sends `request`; resolves when the final response head arrived. */
  exchange(request: WireRequest): Promise<WireResponse>;
  /** Frees every connection. */
  close(): void;
}

/**
 * The `ETIMEDOUT` error of a silent phase, with the phase in `timeout`.
 *
 * @example
 * throw timeoutError('connect', 10_000);
 */
export function timeoutError(phase: TimeoutPhase, ms: number): Error {
  const seconds = ms / 1000;
  const message = phase === 'connect' ? `no connection within ${seconds} s` : phase === 'response' ? `no response within ${seconds} s` : `no data for ${seconds} s`;
  return Object.assign(new Error(message), { code: 'ETIMEDOUT', timeout: phase });
}

/**
 * The phase of a wire timeout error, or undefined for any other error.
 *
 * @example
 * if (timeoutPhaseOf(error) === 'response') retryable = false;
 */
export function timeoutPhaseOf(error: unknown): TimeoutPhase | undefined {
  const phase = (error as { timeout?: unknown } | undefined)?.timeout;
  return phase === 'connect' || phase === 'response' || phase === 'idle' ? phase : undefined;
}

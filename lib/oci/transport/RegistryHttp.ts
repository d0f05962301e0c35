/**
 * The one HTTP client every registry call goes through. A request is data (`RegistryRequest`);
 * `send` owns, in this order: scheme choice and ping → authorization (Basic, or a Bearer token per
 * scope) → the exchange on keep-alive sockets → redirects (redirectGuard) → one re-authorization
 * on 401 → retries with backoff (retryPolicy) → error translation (registryErrors).
 *
 * Built on our own HTTP/1.1 wire (HttpWire): streaming request bodies with exact Content-Length,
 * early server responses (a 401 or 500 before the body is sent), socket reuse and blob bytes that
 * go from one socket's buffer to another without a copy all need control that node:http and
 * higher-level clients hide. Behind an HTTP proxy the wire is undici's (UndiciWire); the wire is a
 * dependency (`wire` option), so tests and benchmarks can choose.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { AutopilotError, hasErrorCode, isAutopilotError } from '../../errors';
import { type AuthChallenge, isBearerToken, parseAuthChallenges, selectAuthChallenge } from './authChallenge';
import type { BodySource } from './bodySource';
import { anonymousCredentials, type BasicCredential, type CredentialProvider, type CredentialsForRegistry } from './credentials';
import { addressZone, checkFollowUp, type FollowUp, type FollowUpKind, type RegistryOrigin } from './followUpPolicy';
import { isRedirectStatus, planRedirect } from './redirectGuard';
import { redactUrl, RegistryError, registryErrorFromResponse } from './registryErrors';
import { abortedError, createRetryPolicy, isRetryableNetworkError, isRetryableStatus, parseRetryAfter, type RetryPolicy, runWithRetry } from './retryPolicy';
import type { RequestPacing } from './requestPacing';
import { createSchemePolicy, type SchemePolicy } from './schemePolicy';
import { wireForEnvironment } from './UndiciWire';
import { type ResponseBody, timeoutPhaseOf, type Wire, type WireResponse, type WireTimeouts } from './wire';
import { type IssuedToken, TokenCache, tokenCacheKey } from './tokenCache';

/** How long a registry may be silent (no response head, or a stalled transfer) before it fails, by default. */
export const DEFAULT_TIMEOUT_MS = 30_000;
/** Connecting (TCP and TLS handshake) gets at most this long, whatever the timeout. */
export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
/**
 * After an upload the registry verifies and stores the blob before it answers (distribution on S3
 * copies it): the response deadline grows by one second per this many bytes sent.
 */
export const COMMIT_BYTES_PER_SECOND = 25 * 1024 * 1024;
/** Error bodies are read only this far: enough for the spec's JSON, bounded against hostile servers. */
export const MAX_ERROR_BODY_BYTES = 64 * 1024;
/**
 * A document read whole (a manifest, a token answer, an error body) must arrive within the timeout
 * plus one second per this many bytes of its size limit: the idle timeout alone lets a registry
 * that drips a byte just before it fires hold a copy forever.
 */
export const MIN_DOCUMENT_BYTES_PER_SECOND = 256 * 1024;
/** Token endpoint answers are small JSON documents; anything bigger is refused. */
export const MAX_TOKEN_RESPONSE_BYTES = 1024 * 1024;
/** Identifies us in registry logs. */
export const USER_AGENT = 'ecr-autopilot-oci/0.1';

export type HttpMethod = 'GET' | 'HEAD' | 'PUT' | 'POST' | 'PATCH' | 'DELETE';

/** A request body. It is a factory so a retry or a redirect can send it again. */
export interface RequestBody {
  /** Exact size in bytes, sent as Content-Length. */
  length: number;
  /** Builds the body. Called once per attempt. */
  open: () => BodySource | Buffer;
  /**
   * False when `open` can only be called once (a live stream from another registry). The transport
   * then never re-sends the request; a retryable failure is thrown for the caller to restart.
   */
  replayable: boolean;
  /** Defaults to `application/octet-stream`. */
  contentType?: string;
}

/** One registry request, as data. */
export interface RegistryRequest {
  /** `host[:port]` of the registry. */
  registry: string;
  method: HttpMethod;
  /** A path under the registry (`/v2/app/manifests/v1`) or an absolute URL it returned (upload `Location`). */
  path: string;
  query?: Readonly<Record<string, string | readonly string[]>>;
  headers?: Readonly<Record<string, string>>;
  body?: RequestBody;
  /** What an absolute `path` is, for messages (it passes the follow-up policy). Default `URL`. */
  pathKind?: 'upload location' | 'next-page link';
  /** Token scopes (`repository:app:pull,push`) for Bearer registries. */
  scopes?: readonly string[];
  /** Statuses the caller handles itself. Any other status is thrown as a `RegistryError`. Default: 200–299. */
  expect?: readonly number[];
  signal?: AbortSignal;
  /**
   * No attempt, hop or exchange starts once it fired; an exchange already on the wire then finishes
   * unless `signal` fires too. For requests whose answer is needed to clean up after a cancel (the
   * POST that names an upload session). Default: `signal`.
   */
  stop?: AbortSignal;
  /** Set false for best-effort requests that must not wait for retries (default true). */
  retry?: boolean;
}

/** A response whose body the caller must consume (`text`, `bytes`, the stream, or `discard`). */
export interface RegistryResponse {
  status: number;
  headers: IncomingHttpHeaders;
  /** The URL that finally answered (after redirects). */
  url: URL;
  body: ResponseBody;
  /** A header as one string (the first value when repeated). */
  header(name: string): string | undefined;
  /** The body as text, read at most `maxBytes` far (the rest is dropped). */
  text(maxBytes?: number): Promise<string>;
  /** The whole body; throws `REGISTRY_ERROR` when it exceeds `maxBytes`. */
  bytes(maxBytes: number): Promise<Buffer>;
  /** Drops the body so the socket can be reused. */
  discard(): void;
}

export interface RegistryHttpOptions {
  /** Credentials per registry host; anonymous when omitted. */
  credentials?: CredentialsForRegistry;
  /** Hosts (`host` or `host:port`) that may use plain http or self-signed certificates. */
  insecureRegistries?: readonly string[];
  retryPolicy?: RetryPolicy;
  /** Clock for token expiry. */
  now?: () => number;
  /**
   * How long a silent registry is waited for, in ms (default `DEFAULT_TIMEOUT_MS`): no response
   * head within it after the request was sent, or no byte for that long in a transfer, fails
   * naming the host. Connecting gets at most `DEFAULT_CONNECT_TIMEOUT_MS` of it.
   */
  timeoutMs?: number;
  /**
   * The HTTP client. Default: `wireForEnvironment(process.env)`, i.e. undici through the proxy when
   * `HTTPS_PROXY`/`HTTP_PROXY` is set (honouring `NO_PROXY`), else our own `HttpWire`.
   */
  wire?: Wire;
  /** Paces every exchange with a registry's own origin (see `requestPacing.ts`); none when omitted. */
  pacing?: RequestPacing;
}

/** What we learnt about a registry from its ping. */
interface RegistryState extends RegistryOrigin {
  skipTlsVerify: boolean;
  challenge: AuthChallenge | undefined;
}

/** What a token fetch needs. */
interface TokenRequest {
  /** The host the token is for, in messages. */
  label: string;
  /** The realm, already checked by the follow-up policy. */
  realm: FollowUp;
  service: string;
  scopes: readonly string[];
  provider: CredentialProvider;
  signal: AbortSignal | undefined;
}

interface Attempt {
  url: URL;
  method: string;
  headers: Record<string, string>;
  body: RequestBody | undefined;
  skipTlsVerify: boolean;
  checkAddress?: ((address: string) => Error | undefined) | undefined;
  signal: AbortSignal | undefined;
}

/** The scopes a 401 asked for, merged into ours (registries name exactly what they need). */
function mergeChallengeScopes(scopes: readonly string[], challenge: AuthChallenge | undefined): string[] {
  const extra = challenge?.params.scope?.split(' ').filter((s) => s !== '') ?? [];
  return [...new Set([...scopes, ...extra])];
}

function firstHeader(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
}

/**
 * Reads `body` whole (at most `maxBytes`), failing with a `REGISTRY_ERROR` (not retried) when it
 * has not all arrived `timeoutMs` plus one second per `MIN_DOCUMENT_BYTES_PER_SECOND` of
 * `maxBytes` after the read began. The body is destroyed then.
 */
function readDocument(body: ResponseBody, maxBytes: number, url: URL, timeoutMs: number): Promise<{ bytes: Buffer; truncated: boolean }> {
  const ms = timeoutMs + Math.ceil((maxBytes / MIN_DOCUMENT_BYTES_PER_SECOND) * 1000);
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => {
      const error = new AutopilotError('REGISTRY_ERROR', `${url.host} kept sending the response to ${redactUrl(url)} for ${ms / 1000} s without finishing it; giving up (a registry that trickles its answer)`);
      body.destroy(error);
      reject(error);
    }, ms);
  });
  return Promise.race([body.read(maxBytes), deadline]).finally(() => clearTimeout(timer));
}

/**
 * A wire response as a `RegistryResponse` (`url` is where it came from); `text` and `bytes` must
 * finish within `timeoutMs` plus the time their size limit takes at `MIN_DOCUMENT_BYTES_PER_SECOND`.
 *
 * @example
 * const response = wrapResponse(await wire.exchange(request), request.url, registryTimeoutMs);
 */
export function wrapResponse(response: WireResponse, url: URL, timeoutMs = DEFAULT_TIMEOUT_MS): RegistryResponse {
  return {
    status: response.statusCode,
    headers: response.headers,
    url,
    body: response.body,
    header: (name) => firstHeader(response.headers, name),
    text: async (maxBytes = MAX_ERROR_BODY_BYTES) => (await readDocument(response.body, maxBytes, url, timeoutMs)).bytes.toString('utf8'),
    bytes: async (maxBytes) => {
      const { bytes, truncated } = await readDocument(response.body, maxBytes, url, timeoutMs);
      if (truncated) throw new AutopilotError('REGISTRY_ERROR', `The response from ${redactUrl(url)} is larger than the ${maxBytes}-byte limit`);
      return bytes;
    },
    discard: () => response.body.discard(),
  };
}

/** True for a path that is a whole URL (one the registry returned) rather than a path under the registry. */
function isAbsolute(path: string): boolean {
  return /^https?:\/\//i.test(path);
}

function basicAuthorization(credential: BasicCredential): string {
  return `Basic ${Buffer.from(`${credential.username}:${credential.password}`).toString('base64')}`;
}

/**
 * The registry HTTP client. One instance per copy (or per CLI run); `close()` frees its sockets.
 *
 * @example
 * const registryHttp = new RegistryHttp({ credentials: () => anonymousCredentials });
 * const response = await registryHttp.send({ registry: 'public.ecr.aws', method: 'HEAD',
 *   path: '/v2/eks/aws-load-balancer-controller/manifests/v2.9.2', scopes: ['repository:eks/aws-load-balancer-controller:pull'] });
 * response.discard();
 */
export class RegistryHttp {
  readonly retryPolicy: RetryPolicy;
  private readonly credentials: CredentialsForRegistry;
  private readonly schemePolicy: SchemePolicy;
  private readonly tokens: TokenCache;
  private readonly states = new Map<string, Promise<RegistryState>>();
  private readonly wire: Wire;
  private readonly timeoutMs: number;
  private readonly pacing: RequestPacing | undefined;

  constructor(options: RegistryHttpOptions = {}) {
    const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) throw new AutopilotError('USAGE', `The registry timeout must be a positive number of milliseconds, not ${timeoutMs}`);
    this.timeoutMs = timeoutMs;
    this.wire = options.wire ?? wireForEnvironment(process.env);
    this.credentials = options.credentials ?? (() => anonymousCredentials);
    this.schemePolicy = createSchemePolicy(options.insecureRegistries);
    this.retryPolicy = options.retryPolicy ?? createRetryPolicy();
    this.tokens = new TokenCache(options.now ? { now: options.now } : {});
    this.pacing = options.pacing;
  }

  /**
   * Pings a registry ahead of its first request (scheme, auth challenge), so the round trip
   * overlaps other work. Failures surface on the first real request instead.
   *
   * @example
   * registryHttp.prepare(destination.registry);
   */
  prepare(registry: string, signal?: AbortSignal): void {
    this.registryState(registry, signal).catch(() => undefined);
  }

  /** Closes every pooled socket. */
  close(): void {
    this.wire.close();
  }

  /**
   * Sends a request with authorization, redirects and retries; resolves with a response whose
   * status is expected, or throws a `RegistryError` / `AutopilotError`.
   *
   * @example
   * const response = await registryHttp.send({ registry, method: 'GET', path: `/v2/${repo}/tags/list`, scopes: [`repository:${repo}:pull`] });
   * const tags = JSON.parse(await response.text());
   */
  async send(request: RegistryRequest): Promise<RegistryResponse> {
    if (request.stop?.aborted) throw abortedError(request.stop);
    const state = await this.registryState(request.registry, request.signal);
    const url = this.buildUrl(state.base, request.path, request.query);
    const replayable = request.body?.replayable ?? true;
    if (!replayable || request.retry === false) return this.sendWithAuth(request, state, url);
    return runWithRetry(this.retryPolicy, request.stop ?? request.signal, () => this.sendWithAuth(request, state, url));
  }

  private buildUrl(base: URL, path: string, query: RegistryRequest['query']): URL {
    const url = isAbsolute(path) ? new URL(path) : new URL(path, base);
    for (const [name, value] of Object.entries(query ?? {})) {
      const values: readonly string[] = typeof value === 'string' ? [value] : value;
      for (const item of values) url.searchParams.append(name, item);
    }
    return url;
  }

  /** The follow-up policy of one registry. */
  private followUp(state: RegistryState, kind: FollowUpKind): (target: URL, from: URL) => FollowUp {
    return (target, from) => checkFollowUp(target, from, kind, state, this.schemePolicy);
  }

  /** One attempt: authorization, the exchange, redirects and a single re-authorization on 401. */
  private async sendWithAuth(request: RegistryRequest, state: RegistryState, initialUrl: URL): Promise<RegistryResponse> {
    // A path under the registry is the registry's; a URL it returned (an upload Location, a
    // next-page Link) is a follow-up like a redirect.
    let hop: FollowUp =
      isAbsolute(request.path) || initialUrl.origin !== state.base.origin
        ? this.followUp(state, request.pathKind ?? 'URL')(initialUrl, state.base)
        : { url: initialUrl, sameOrigin: true, skipTlsVerify: state.skipTlsVerify };
    let url = hop.url;
    let method: string = request.method;
    let body = request.body;
    let sendAuthorization = hop.sameOrigin;
    let scopes = request.scopes ?? [];
    let reauthorized = false;
    /** A token for the host a redirect led to (never the registry's own credentials). */
    let foreign: string | undefined;
    for (let hops = 0; ; ) {
      // Nothing new after a stop: not a token request, a redirect hop, a re-authorization.
      if (request.stop?.aborted) throw abortedError(request.stop);
      const headers: Record<string, string> = { 'user-agent': USER_AGENT, ...request.headers };
      if (sendAuthorization) {
        const authorization = await this.authorization(request.registry, state, scopes, request.signal);
        if (authorization !== undefined) headers.authorization = authorization;
      } else if (foreign !== undefined) {
        headers.authorization = foreign;
      }
      if (this.pacing && url.origin === state.base.origin) {
        // The registry's own API calls count against its rates; a redirect target (blob storage) does not.
        await this.pacing.pace({ registry: request.registry, method, url, hasBody: body !== undefined }, request.stop ?? request.signal);
        if (request.stop?.aborted) throw abortedError(request.stop);
      }
      const response = await this.exchange({ url, method, headers, body, skipTlsVerify: hop.skipTlsVerify, checkAddress: hop.checkAddress, signal: request.signal });
      const status = response.statusCode;

      if (status === 401 && sendAuthorization && !reauthorized) {
        reauthorized = true;
        const challenge = selectAuthChallenge(parseAuthChallenges(response.headers['www-authenticate']));
        response.body.discard();
        if (challenge) {
          this.forgetAuthorization(request.registry, state, scopes);
          state.challenge = challenge;
          scopes = mergeChallengeScopes(scopes, challenge);
          if (body && !body.replayable) {
            throw new AutopilotError('REGISTRY_UNAUTHORIZED', `${request.registry} asked for new credentials in the middle of an upload`, { retryable: true });
          }
          continue;
        }
        return this.fail(request, url, method, wrapResponse(response, url, this.timeoutMs));
      }

      if (status === 401 && !sendAuthorization && foreign === undefined && hops > 0) {
        const challenge = selectAuthChallenge(parseAuthChallenges(response.headers['www-authenticate']));
        foreign = await this.foreignAuthorization(url, challenge, scopes, state, request.signal).catch((error: unknown) => {
          response.body.discard();
          throw error;
        });
        if (foreign !== undefined && (!body || body.replayable)) {
          response.body.discard();
          continue;
        }
      }

      if (isRedirectStatus(status) && !(request.expect ?? []).includes(status)) {
        // The body of a redirect is never read; dropped before planRedirect may refuse it.
        response.body.discard();
        const plan = planRedirect({
          from: url,
          status,
          location: firstHeader(response.headers, 'location'),
          method,
          hops,
          registry: request.registry,
          followUp: this.followUp(state, 'redirect'),
        });
        if (plan.keepBody && body && !body.replayable) {
          throw new AutopilotError('REGISTRY_ERROR', `${request.registry} redirected an upload to ${redactUrl(plan.url)}, which cannot be replayed`);
        }
        hop = plan;
        url = plan.url;
        method = plan.method;
        body = plan.keepBody ? body : undefined;
        sendAuthorization = plan.sameOrigin;
        foreign = undefined;
        hops += 1;
        continue;
      }

      const wrapped = wrapResponse(response, url, this.timeoutMs);
      const expected = request.expect ? request.expect.includes(status) : status >= 200 && status < 300;
      if (expected) return wrapped;
      return this.fail(request, url, method, wrapped, hop.sameOrigin);
    }
  }

  /**
   * Throws the error for an unexpected answer. The body is quoted (the spec's error messages are
   * the most useful part) only when it came from the registry's own origin: a redirect target's
   * body is never read, whatever it is (a local service's page must not reach a log).
   */
  private async fail(request: RegistryRequest, url: URL, method: string, response: RegistryResponse, fromRegistry = true): Promise<never> {
    let body = '';
    if (method === 'HEAD' || !fromRegistry) response.discard();
    else body = await response.text(MAX_ERROR_BODY_BYTES).catch(() => '');
    const retryAfterMs = parseRetryAfter(response.header('retry-after'), this.retryPolicy.now());
    const error = registryErrorFromResponse({
      method,
      url,
      status: response.status,
      body,
      ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
    });
    if (error.code === 'REGISTRY_UNAUTHORIZED') {
      const provider = this.credentials(request.registry);
      throw new RegistryError(error.code, `${error.message}; credentials used: ${provider.description}`, {
        status: error.status,
        registryCodes: error.registryCodes,
        retryable: false,
        credentialsUsed: provider.description,
      });
    }
    throw error;
  }

  /** The registry's base URL and auth challenge, learnt once from `GET /v2/` and shared. */
  private registryState(registry: string, signal: AbortSignal | undefined): Promise<RegistryState> {
    let state = this.states.get(registry);
    if (!state) {
      state = this.ping(registry, signal);
      this.states.set(registry, state);
      // A failed ping is not cached: the next request pings again.
      state.catch(() => this.states.delete(registry));
    }
    return state;
  }

  private async ping(registry: string, signal: AbortSignal | undefined): Promise<RegistryState> {
    const choice = this.schemePolicy.choose(registry);
    let lastError: unknown;
    for (const scheme of choice.schemes) {
      const base = new URL(`${scheme}://${registry}/`);
      const skipTlsVerify = scheme === 'https' && choice.skipTlsVerify;
      try {
        return await runWithRetry(this.retryPolicy, signal, async () => {
          const response = await this.exchange({ url: new URL('/v2/', base), method: 'GET', headers: { 'user-agent': USER_AGENT }, body: undefined, skipTlsVerify, signal });
          const status = response.statusCode;
          response.body.discard();
          if (isRetryableStatus(status)) {
            throw registryErrorFromResponse({ method: 'GET', url: new URL('/v2/', base), status, body: '' });
          }
          const challenge = status === 401 ? selectAuthChallenge(parseAuthChallenges(response.headers['www-authenticate'])) : undefined;
          // The kind of network the registry is in: where the registry may send us (followUpPolicy).
          const zone = addressZone(response.remoteAddress ?? base.hostname);
          return { registry, base, zone, skipTlsVerify, challenge };
        });
      } catch (error) {
        if (hasErrorCode(error, 'ABORTED')) throw error;
        lastError = error;
      }
    }
    throw lastError instanceof AutopilotError
      ? lastError
      : new AutopilotError('REGISTRY_ERROR', `Cannot reach registry ${registry}`, { cause: lastError, retryable: true });
  }

  private async authorization(registry: string, state: RegistryState, scopes: readonly string[], signal: AbortSignal | undefined): Promise<string | undefined> {
    const challenge = state.challenge;
    if (!challenge) return undefined;
    const provider = this.credentials(registry);
    if (challenge.scheme === 'basic') {
      const credential = await provider.credential(signal);
      return credential ? basicAuthorization(credential) : undefined;
    }
    const realm = this.checkRealm(challenge.params.realm, state.base, state);
    const service = challenge.params.service ?? '';
    const key = tokenCacheKey(registry, service, scopes);
    const token = await this.tokens.getOrFetch(key, () => this.fetchToken({ label: registry, realm, service, scopes, provider, signal }));
    return `Bearer ${token}`;
  }

  /**
   * An anonymous Bearer token for a host we were redirected to (registry.k8s.io sends clients to
   * other registries, which may ask for their own anonymous token). The origin registry's
   * credentials are never offered there.
   */
  private async foreignAuthorization(url: URL, challenge: AuthChallenge | undefined, scopes: readonly string[], state: RegistryState, signal: AbortSignal | undefined): Promise<string | undefined> {
    if (challenge?.scheme !== 'bearer' || !challenge.params.realm) return undefined;
    const realm = this.checkRealm(challenge.params.realm, url, state);
    const service = challenge.params.service ?? '';
    const wanted = mergeChallengeScopes(scopes, challenge);
    const key = tokenCacheKey(url.host, service, wanted);
    const token = await this.tokens.getOrFetch(key, () => this.fetchToken({ label: url.host, realm, service, scopes: wanted, provider: anonymousCredentials, signal }));
    return `Bearer ${token}`;
  }

  private forgetAuthorization(registry: string, state: RegistryState, scopes: readonly string[]): void {
    this.credentials(registry).invalidate();
    const challenge = state.challenge;
    if (challenge?.scheme === 'bearer') this.tokens.invalidate(tokenCacheKey(registry, challenge.params.service ?? '', scopes));
  }

  /**
   * A token realm (from a challenge answered at `from`) checked like any URL a registry sends us:
   * no downgrade, no address the user did not name, certificate checks unless the realm itself is
   * a named insecure registry. Credentials go there by design of the token protocol.
   */
  private checkRealm(realm: string | undefined, from: URL, state: RegistryState): FollowUp {
    let url: URL;
    try {
      url = new URL(realm ?? '');
    } catch (error) {
      throw new AutopilotError('REGISTRY_ERROR', `${state.registry} sent an invalid token realm`, { cause: error });
    }
    return checkFollowUp(url, from, 'token realm', state, this.schemePolicy);
  }

  /** The distribution token flow: GET realm?service=…&scope=… with Basic credentials when we have them. */
  private async fetchToken(request: TokenRequest): Promise<IssuedToken> {
    const { label: registry, realm, service, scopes, provider, signal } = request;
    const url = new URL(realm.url);
    if (service) url.searchParams.set('service', service);
    for (const scope of scopes) url.searchParams.append('scope', scope);
    const credential = await provider.credential(signal);
    const headers: Record<string, string> = { 'user-agent': USER_AGENT, accept: 'application/json' };
    if (credential) {
      headers.authorization = basicAuthorization(credential);
      url.searchParams.set('account', credential.username);
    }
    return runWithRetry(this.retryPolicy, signal, async () => {
      const response = wrapResponse(await this.exchange({ url, method: 'GET', headers, body: undefined, skipTlsVerify: realm.skipTlsVerify, checkAddress: realm.checkAddress, signal }), url, this.timeoutMs);
      if (response.status !== 200) {
        const body = await response.text().catch(() => '');
        const error = registryErrorFromResponse({ method: 'GET', url, status: response.status, body });
        if (response.status === 401 || response.status === 403) {
          provider.invalidate();
          throw new RegistryError('REGISTRY_UNAUTHORIZED', `The token service for ${registry} refused ${provider.description} (HTTP ${response.status})`, {
            status: response.status,
            registryCodes: error.registryCodes,
            retryable: false,
          });
        }
        throw error;
      }
      const payload = JSON.parse((await response.bytes(MAX_TOKEN_RESPONSE_BYTES)).toString('utf8')) as { token?: unknown; access_token?: unknown; expires_in?: unknown };
      const token = typeof payload.token === 'string' && payload.token !== '' ? payload.token : payload.access_token;
      if (typeof token !== 'string' || token === '') {
        throw new AutopilotError('REGISTRY_ERROR', `The token service for ${registry} returned no token`);
      }
      if (!isBearerToken(token)) {
        throw new AutopilotError('REGISTRY_ERROR', `The token service for ${registry} returned a token that is not an RFC 6750 b64token (letters, digits, -._~+/ and trailing =); refusing to send it`);
      }
      return typeof payload.expires_in === 'number' ? { token, expiresInSeconds: payload.expires_in } : { token };
    });
  }

  /**
   * One HTTP exchange. Resolves when response headers arrive (even if the body is still being
   * sent: the rest of the body is then dropped and the socket closed). Network failures become
   * `REGISTRY_ERROR` (retryable when the connection dropped); a failing body source rejects with
   * its own error, so a digest mismatch is reported as such and not as "socket hang up".
   */
  private async exchange(attempt: Attempt): Promise<WireResponse> {
    const { url, method, body, signal } = attempt;
    if (signal?.aborted) throw abortedError(signal);
    const content = body?.open();
    try {
      return await this.wire.exchange({
        url,
        method,
        headers: body ? { ...attempt.headers, 'content-type': attempt.headers['content-type'] ?? body.contentType ?? 'application/octet-stream' } : attempt.headers,
        ...(body && content !== undefined ? { body: { length: body.length, content } } : {}),
        rejectUnauthorized: !attempt.skipTlsVerify,
        ...(attempt.checkAddress ? { checkAddress: attempt.checkAddress } : {}),
        timeouts: this.timeoutsFor(body?.length ?? 0),
        ...(signal ? { signal } : {}),
        abortError: abortedError,
      });
    } catch (error) {
      // A request refused before it was sent (an address or header the wire would not send to)
      // never started its body: a download feeding it must not stay open.
      if (content !== undefined && !Buffer.isBuffer(content)) content.destroy();
      throw this.networkError(method, url, error, signal);
    }
  }

  /** The wire's timeouts for a request with `bodyBytes` to send. */
  private timeoutsFor(bodyBytes: number): WireTimeouts {
    return {
      connectMs: Math.min(DEFAULT_CONNECT_TIMEOUT_MS, this.timeoutMs),
      idleMs: this.timeoutMs,
      responseMs: this.timeoutMs + Math.ceil((bodyBytes / COMMIT_BYTES_PER_SECOND) * 1000),
    };
  }

  private networkError(method: string, url: URL, error: unknown, signal: AbortSignal | undefined): AutopilotError {
    if (signal?.aborted) return abortedError(signal);
    if (isAutopilotError(error)) return error;
    const phase = timeoutPhaseOf(error);
    if (phase !== undefined) {
      // Named after the host, and not retried when it never answered: a silent registry fails
      // within one timeout, not one per attempt. A transfer that stalled half-way may resume.
      const what = `${method} ${redactUrl(url)}`;
      const detail = (error as Error).message;
      const message =
        phase === 'connect'
          ? `Cannot connect to ${url.host}: ${detail} (${what})`
          : phase === 'response'
            ? `${url.host} accepted the connection but did not answer ${what} (${detail})`
            : `${url.host} stopped sending during ${what} (${detail})`;
      return new AutopilotError('REGISTRY_ERROR', message, { cause: error, retryable: phase === 'idle' });
    }
    const code = error instanceof Error ? ((error as NodeJS.ErrnoException).code ?? error.message) : String(error);
    if (code === 'EPROXY' || code.startsWith('HPE_')) {
      // The proxy refused (a 5xx may pass), or the answer broke HTTP's framing (never retried).
      const proxyStatus = Number((error as { proxyStatus?: unknown }).proxyStatus);
      return new AutopilotError('REGISTRY_ERROR', `${method} ${redactUrl(url)}: ${(error as Error).message} (${code})`, { cause: error, retryable: code === 'EPROXY' && proxyStatus >= 500 });
    }
    if (code === 'ERR_INVALID_HTTP_TOKEN' || code === 'ERR_INVALID_CHAR') {
      // A request we refused to write (a header that would break the request apart): nothing was sent.
      return new AutopilotError('REGISTRY_ERROR', `${method} ${redactUrl(url)}: ${(error as Error).message}`, { cause: error });
    }
    return new AutopilotError('REGISTRY_ERROR', `${method} ${redactUrl(url)}: connection failed (${code})`, {
      cause: error,
      retryable: isRetryableNetworkError(error),
    });
  }
}

/**
 * Bearer tokens cached per registry, service and scope set, until shortly before they expire.
 *
 * Expiry is counted from when *we* received the token (not the issuer's `issued_at`), so a skewed
 * issuer clock can only make us refresh early, never use a stale token.
 */

/** The token endpoint's default lifetime when `expires_in` is absent (distribution token spec). */
export const DEFAULT_TOKEN_LIFETIME_SECONDS = 60;
/** Refresh this long before expiry, so a token never expires between cache lookup and use. */
export const TOKEN_REFRESH_MARGIN_MS = 10_000;

/** What a token endpoint returned, reduced to what the cache needs. */
export interface IssuedToken {
  token: string;
  /** Lifetime in seconds, from `expires_in`. */
  expiresInSeconds?: number;
}

interface Entry {
  token: string;
  refreshAtMs: number;
}

export interface TokenCacheOptions {
  /** Injectable clock (ms since epoch) so tests control expiry. */
  now?: () => number;
}

/**
 * The cache key for a token: the same scopes in any order share a token.
 *
 * @example
 * tokenCacheKey('ghcr.io', 'ghcr.io', ['repository:b:pull', 'repository:a:pull']);
 * // 'ghcr.io|ghcr.io|repository:a:pull repository:b:pull'
 */
export function tokenCacheKey(registry: string, service: string, scopes: readonly string[]): string {
  return `${registry}|${service}|${[...new Set(scopes)].sort().join(' ')}`;
}

/**
 * Tokens by key, with at most one fetch in flight per key (concurrent blob uploads would otherwise
 * all ask the token endpoint at once).
 *
 * @example
 * const cache = new TokenCache();
 * const token = await cache.getOrFetch(key, () => fetchToken(realm, service, scopes));
 */
export class TokenCache {
  private readonly entries = new Map<string, Entry>();
  private readonly inFlight = new Map<string, Promise<string>>();
  private readonly now: () => number;

  constructor(options: TokenCacheOptions = {}) {
    this.now = options.now ?? Date.now;
  }

  /** The cached token, or undefined when absent or about to expire. */
  get(key: string): string | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (this.now() >= entry.refreshAtMs) {
      this.entries.delete(key);
      return undefined;
    }
    return entry.token;
  }

  /** Stores a token; lifetimes shorter than the margin are kept for half their lifetime instead. */
  set(key: string, issued: IssuedToken): void {
    const lifetimeMs = Math.max(0, (issued.expiresInSeconds ?? DEFAULT_TOKEN_LIFETIME_SECONDS) * 1000);
    const usableMs = lifetimeMs > 2 * TOKEN_REFRESH_MARGIN_MS ? lifetimeMs - TOKEN_REFRESH_MARGIN_MS : lifetimeMs / 2;
    this.entries.set(key, { token: issued.token, refreshAtMs: this.now() + usableMs });
  }

  /** Forgets a token the registry rejected. */
  invalidate(key: string): void {
    this.entries.delete(key);
  }

  /** The cached token, or the result of `fetch` (shared by concurrent callers), which is then cached. */
  async getOrFetch(key: string, fetch: () => Promise<IssuedToken>): Promise<string> {
    const cached = this.get(key);
    if (cached !== undefined) return cached;
    const pending = this.inFlight.get(key);
    if (pending) return pending;
    const request = fetch()
      .then((issued) => {
        this.set(key, issued);
        return issued.token;
      })
      .finally(() => this.inFlight.delete(key));
    this.inFlight.set(key, request);
    return request;
  }
}

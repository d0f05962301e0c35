import { describe, expect, it, vi } from 'vitest';
import { DEFAULT_TOKEN_LIFETIME_SECONDS, TOKEN_REFRESH_MARGIN_MS, TokenCache, tokenCacheKey } from '../../../lib/oci/transport/tokenCache';

function fakeClock(start = 1_000_000): { now: () => number; advance: (ms: number) => void } {
  let time = start;
  return { now: () => time, advance: (ms) => (time += ms) };
}

describe('tokenCacheKey', () => {
  it('ignores scope order and duplicates but separates registries and services', () => {
    expect(tokenCacheKey('r', 's', ['repository:b:pull', 'repository:a:pull', 'repository:a:pull'])).toBe(tokenCacheKey('r', 's', ['repository:a:pull', 'repository:b:pull']));
    expect(tokenCacheKey('r1', 's', ['x'])).not.toBe(tokenCacheKey('r2', 's', ['x']));
    expect(tokenCacheKey('r', 's1', ['x'])).not.toBe(tokenCacheKey('r', 's2', ['x']));
  });
});

describe('TokenCache', () => {
  it('keeps a token until the refresh margin before expires_in', () => {
    // Prepare
    const clock = fakeClock();
    const cache = new TokenCache({ now: clock.now });
    cache.set('k', { token: 't1', expiresInSeconds: 300 });

    // Act / Assess
    clock.advance(300_000 - TOKEN_REFRESH_MARGIN_MS - 1);
    expect(cache.get('k')).toBe('t1');
    clock.advance(1);
    expect(cache.get('k')).toBeUndefined();
  });

  it('assumes the spec default of 60 s when expires_in is absent', () => {
    const clock = fakeClock();
    const cache = new TokenCache({ now: clock.now });
    cache.set('k', { token: 't' });
    clock.advance(DEFAULT_TOKEN_LIFETIME_SECONDS * 1000 - TOKEN_REFRESH_MARGIN_MS - 1);
    expect(cache.get('k')).toBe('t');
    clock.advance(1);
    expect(cache.get('k')).toBeUndefined();
  });

  it('uses half the lifetime of tokens shorter than twice the margin', () => {
    const clock = fakeClock();
    const cache = new TokenCache({ now: clock.now });
    cache.set('k', { token: 't', expiresInSeconds: 10 });
    clock.advance(4_999);
    expect(cache.get('k')).toBe('t');
    clock.advance(1);
    expect(cache.get('k')).toBeUndefined();
  });

  it('caches per key and shares one in-flight fetch between concurrent callers', async () => {
    // Prepare
    const cache = new TokenCache({ now: fakeClock().now });
    const fetchToken = vi.fn(() => Promise.resolve({ token: 'shared', expiresInSeconds: 300 }));

    // Act
    const tokens = await Promise.all([cache.getOrFetch('a', fetchToken), cache.getOrFetch('a', fetchToken), cache.getOrFetch('a', fetchToken)]);
    const again = await cache.getOrFetch('a', fetchToken);
    await cache.getOrFetch('b', fetchToken);

    // Assess
    expect(tokens).toEqual(['shared', 'shared', 'shared']);
    expect(again).toBe('shared');
    expect(fetchToken).toHaveBeenCalledTimes(2);
  });

  it('fetches again after invalidate and after a failed fetch', async () => {
    const cache = new TokenCache({ now: fakeClock().now });
    const failing = vi.fn(() => Promise.reject(new Error('issuer down')));
    await expect(cache.getOrFetch('k', failing)).rejects.toThrow('issuer down');
    const working = vi.fn(() => Promise.resolve({ token: 'ok' }));
    expect(await cache.getOrFetch('k', working)).toBe('ok');
    cache.invalidate('k');
    expect(await cache.getOrFetch('k', working)).toBe('ok');
    expect(working).toHaveBeenCalledTimes(2);
  });
});

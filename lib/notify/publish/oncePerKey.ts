/**
 * Runs a side effect at most once per key, across invocations and containers. Implemented with
 * Powertools idempotency over DynamoDB (`powertoolsOncePerKey`); tests use an in-memory version.
 */
export interface OncePerKey {
  run<T extends object>(key: string, effect: () => Promise<T>): Promise<{ value: T; firstTime: boolean }>;
}

/** In-memory guard: for tests and for local runs without an idempotency table. */
export function memoryOncePerKey(): OncePerKey {
  const results = new Map<string, object>();
  return {
    async run<T extends object>(key: string, effect: () => Promise<T>) {
      const previous = results.get(key);
      if (previous) return { value: previous as T, firstTime: false };
      const value = await effect();
      results.set(key, value);
      return { value, firstTime: true };
    },
  };
}

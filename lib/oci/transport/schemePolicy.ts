/**
 * Which registries may be spoken to over plain http: loopback hosts (local test registries) and
 * hosts the user named with `--insecure-registry`. Everything else is https with certificate checks.
 */
import { isIP } from 'node:net';

/** How to reach one registry host. */
export interface SchemeChoice {
  /** Schemes to try in order; the first that answers the ping is kept. */
  schemes: readonly ('https' | 'http')[];
  /** Skip certificate verification (only for insecure registries, as Docker does). */
  skipTlsVerify: boolean;
}

export interface SchemePolicy {
  /** True when plain http may be used with `host` (host[:port]) as a registry the user named. */
  allowsHttp(host: string): boolean;
  /** True when the user named `host` (or its name without the port) as an insecure registry. */
  isInsecure(host: string): boolean;
  choose(host: string): SchemeChoice;
}

function hostname(host: string): string {
  if (host.startsWith('[')) return host.slice(1, host.indexOf(']'));
  const colon = host.lastIndexOf(':');
  return colon > 0 && host.indexOf(':') === colon ? host.slice(0, colon) : host;
}

/**
 * True for `localhost`, `127.0.0.0/8` and `::1`, with or without a port.
 *
 * @example
 * isLoopbackHost('127.0.0.1:5000'); // true
 */
export function isLoopbackHost(host: string): boolean {
  const name = hostname(host.toLowerCase());
  if (name === 'localhost' || name.endsWith('.localhost')) return true;
  if (isIP(name) === 4) return name.startsWith('127.');
  return name === '::1';
}

/**
 * The scheme policy for a list of insecure registries (`host` or `host:port`).
 *
 * @example
 * createSchemePolicy(['registry.lab:5000']).choose('registry.lab:5000'); // { schemes: ['https', 'http'], skipTlsVerify: true }
 */
export function createSchemePolicy(insecureRegistries: readonly string[] = []): SchemePolicy {
  const insecure = new Set(insecureRegistries.map((h) => h.trim().toLowerCase()).filter((h) => h !== ''));
  const isInsecure = (host: string): boolean => {
    const lower = host.toLowerCase();
    return insecure.has(lower) || insecure.has(hostname(lower));
  };
  return {
    allowsHttp: (host) => isLoopbackHost(host) || isInsecure(host),
    isInsecure,
    choose(host) {
      // Like Docker: an insecure registry may still serve (self-signed) https, so try that first.
      // Checked before loopback, so a local registry with TLS is reachable when named.
      if (isInsecure(host)) return { schemes: ['https', 'http'], skipTlsVerify: true };
      if (isLoopbackHost(host)) return { schemes: ['http'], skipTlsVerify: false };
      return { schemes: ['https'], skipTlsVerify: false };
    },
  };
}

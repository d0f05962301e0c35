/**
 * Platform strings (`os/arch[/variant]`, as in `docker --platform`) and matching against the
 * platforms of an index.
 */
import { AutopilotError } from '../errors';
import type { Platform } from './types';

/**
 * Formats a platform the way users write it.
 *
 * @example
 * formatPlatform({ os: 'linux', architecture: 'arm64', variant: 'v8' }); // 'linux/arm64/v8'
 */
export function formatPlatform(platform: Platform): string {
  const base = `${platform.os}/${platform.architecture}`;
  return platform.variant ? `${base}/${platform.variant}` : base;
}

/**
 * Parses `os/arch[/variant]`.
 *
 * @example
 * parsePlatform('linux/amd64'); // { os: 'linux', architecture: 'amd64' }
 */
export function parsePlatform(value: string): Platform {
  const parts = value.trim().toLowerCase().split('/');
  const [os, architecture, variant] = parts;
  if (parts.length < 2 || parts.length > 3 || !os || !architecture || (parts.length === 3 && !variant)) {
    throw new AutopilotError('USAGE', `Invalid platform "${value}": expected os/arch or os/arch/variant, e.g. linux/amd64 or linux/arm/v7`);
  }
  return variant ? { os, architecture, variant } : { os, architecture };
}

/**
 * True when `candidate` satisfies what the user asked for. A request without a variant matches any
 * variant (`linux/arm64` matches `linux/arm64/v8`), because users rarely spell variants out.
 *
 * @example
 * platformMatches({ os: 'linux', architecture: 'arm64', variant: 'v8' }, parsePlatform('linux/arm64')); // true
 */
export function platformMatches(candidate: Platform, wanted: Platform): boolean {
  if (candidate.os !== wanted.os || candidate.architecture !== wanted.architecture) return false;
  return wanted.variant === undefined || candidate.variant === wanted.variant;
}

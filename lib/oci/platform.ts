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
 * A platform in the form containerd compares (platforms.Normalize in containerd/platforms): Go
 * architecture names (`x86_64` → `amd64`, `aarch64` → `arm64`, `armhf` → `arm/v7`), and each
 * architecture's default variant spelled out, so `linux/arm64/v8` and an index entry `linux/arm64`
 * (which means v8) compare equal.
 *
 * @example
 * normalizePlatform({ os: 'linux', architecture: 'aarch64' }); // { os: 'linux', architecture: 'arm64', variant: 'v8' }
 */
export function normalizePlatform(platform: Platform): Platform {
  const os = platform.os.toLowerCase() === 'macos' ? 'darwin' : platform.os.toLowerCase();
  let architecture = platform.architecture.toLowerCase();
  let variant = (platform.variant ?? '').toLowerCase();
  switch (architecture) {
    case 'i386':
      architecture = '386';
      variant = '';
      break;
    case 'x86_64':
    case 'x86-64':
    case 'amd64':
      architecture = 'amd64';
      if (variant === '') variant = 'v1';
      break;
    case 'aarch64':
    case 'arm64':
      architecture = 'arm64';
      if (variant === '' || variant === '8' || variant === 'v8.0') variant = 'v8';
      else if (variant === '9' || variant === '9.0' || variant === 'v9.0') variant = 'v9';
      break;
    case 'armhf':
      architecture = 'arm';
      variant = 'v7';
      break;
    case 'armel':
      architecture = 'arm';
      variant = 'v6';
      break;
    case 'arm':
      if (variant === '' || variant === '7') variant = 'v7';
      else if (/^[5-8]$/.test(variant)) variant = `v${variant}`;
      break;
    default:
      break;
  }
  return variant === '' ? { os, architecture } : { os, architecture, variant };
}

/**
 * True when `candidate` satisfies what the user asked for, both normalised as containerd does. A
 * request without a variant matches any variant (`linux/arm64` matches `linux/arm64/v8`), because
 * users rarely spell variants out; one with a variant matches that variant, the default included
 * (`linux/arm64/v8` matches an index entry `linux/arm64`).
 *
 * @example
 * platformMatches({ os: 'linux', architecture: 'arm64' }, parsePlatform('linux/arm64/v8')); // true
 */
export function platformMatches(candidate: Platform, wanted: Platform): boolean {
  const have = normalizePlatform(candidate);
  const want = normalizePlatform(wanted);
  if (have.os !== want.os || have.architecture !== want.architecture) return false;
  return wanted.variant === undefined || have.variant === want.variant;
}

/**
 * Where a registry may send us, and what may go along: every URL a registry hands us (a redirect
 * `Location`, an upload-session `Location`, a next-page `Link`, a token realm) passes here before
 * a request goes to it.
 *
 * - Credentials go only to the registry's own origin: scheme, host and port.
 * - No downgrade: a URL met while talking https is never followed to plain http.
 * - Exemptions cover what the user named, and nothing else: plain http only on the registry's own
 *   origin or a host named as an insecure registry (or loopback, when the registry itself is on
 *   loopback); certificate checks off only for hosts named as insecure registries.
 * - A registry can never send us to a loopback, link-local (169.254.0.0/16: the instance metadata
 *   service, the Lambda runtime API's neighbours) or private address the user did not name, unless
 *   it lives in that same kind of network itself (a local registry and its local token service).
 *   Literal addresses are checked here; host names when they resolve (`checkAddress`).
 */
import { BlockList, isIP } from 'node:net';
import { AutopilotError } from '../../errors';
import { redactUrl } from './registryErrors';
import type { SchemePolicy } from './schemePolicy';

/** The kind of network an address belongs to. */
export type AddressZone = 'loopback' | 'link-local' | 'private' | 'public';

function blockList(subnets: ReadonlyArray<[string, number, 'ipv4' | 'ipv6']>, addresses: ReadonlyArray<[string, 'ipv4' | 'ipv6']> = []): BlockList {
  const list = new BlockList();
  for (const [network, prefix, family] of subnets) list.addSubnet(network, prefix, family);
  for (const [address, family] of addresses) list.addAddress(address, family);
  return list;
}

/** Checked in this order: the first list holding the address names its zone. */
const ZONES: ReadonlyArray<[AddressZone, BlockList]> = [
  // 0.0.0.0/8 reaches the local host on Linux; :: is the unspecified address.
  ['loopback', blockList([['127.0.0.0', 8, 'ipv4'], ['0.0.0.0', 8, 'ipv4']], [['::1', 'ipv6'], ['::', 'ipv6']])],
  // IPv4 link-local holds the EC2/ECS metadata services; fd00:ec2::254 is EC2's IPv6 metadata address.
  ['link-local', blockList([['169.254.0.0', 16, 'ipv4'], ['fe80::', 10, 'ipv6']], [['fd00:ec2::254', 'ipv6']])],
  [
    'private',
    blockList([
      ['10.0.0.0', 8, 'ipv4'],
      ['172.16.0.0', 12, 'ipv4'],
      ['192.168.0.0', 16, 'ipv4'],
      // Carrier-grade NAT (RFC 6598), IETF protocol assignments, benchmarking, multicast and reserved.
      ['100.64.0.0', 10, 'ipv4'],
      ['192.0.0.0', 24, 'ipv4'],
      ['198.18.0.0', 15, 'ipv4'],
      ['224.0.0.0', 3, 'ipv4'],
      // Unique local addresses, the site-local addresses they replaced (still routed by some), and multicast.
      ['fc00::', 7, 'ipv6'],
      ['fec0::', 10, 'ipv6'],
      ['ff00::', 8, 'ipv6'],
    ]),
  ],
];

/**
 * IPv6 prefixes whose last 32 bits are an IPv4 address that a translator on the path reaches for
 * us: NAT64 (RFC 6052's well-known prefix and RFC 8215's local-use one; AWS NAT gateways translate
 * 64:ff9b::/96 to the VPC's own IPv4 addresses), SIIT's IPv4-translated ::ffff:0:0:0/96 and the
 * deprecated IPv4-compatible ::/96. Such an address is as internal as the IPv4 address inside it.
 * (6to4, 2002::/16, carries the IPv4 address in bits 16–47.)
 */
const EMBEDDED_IPV4: ReadonlyArray<[BlockList, (words: number[]) => [number, number]]> = [
  [blockList([['64:ff9b::', 96, 'ipv6'], ['64:ff9b:1::', 48, 'ipv6'], ['::ffff:0:0:0', 96, 'ipv6'], ['::', 96, 'ipv6']]), (words) => [words[6] ?? 0, words[7] ?? 0]],
  [blockList([['2002::', 16, 'ipv6']]), (words) => [words[1] ?? 0, words[2] ?? 0]],
];

/** The eight 16-bit words of an IPv6 address (valid, as `isIP` said; an IPv4 tail is two words). */
function ipv6Words(address: string): number[] {
  const [head = '', tail] = address.split('::');
  const parse = (part: string): number[] =>
    part === ''
      ? []
      : part.split(':').flatMap((group) => {
          if (!group.includes('.')) return [Number.parseInt(group, 16)];
          const [a = 0, b = 0, c = 0, d = 0] = group.split('.').map(Number);
          return [a * 256 + b, c * 256 + d];
        });
  const left = parse(head);
  const right = tail === undefined ? [] : parse(tail);
  return [...left, ...new Array<number>(8 - left.length - right.length).fill(0), ...right];
}

/** The IPv4 address a translator reaches for an IPv6 address, or undefined. */
function embeddedIpv4(address: string): string | undefined {
  for (const [prefixes, extract] of EMBEDDED_IPV4) {
    if (!prefixes.check(address, 'ipv6')) continue;
    const [high, low] = extract(ipv6Words(address));
    return [high >> 8, high & 255, low >> 8, low & 255].join('.');
  }
  return undefined;
}

/**
 * The zone of an IP address, or of a host name that always means this machine (`localhost`).
 * Other names are `public` here: what they resolve to is checked when they are resolved.
 *
 * @example
 * addressZone('169.254.169.254'); // 'link-local'
 * addressZone('::ffff:127.0.0.1'); // 'loopback'
 */
export function addressZone(host: string): AddressZone {
  // `localhost.` is `localhost`: a trailing dot only says the name is fully qualified.
  const name = (host.startsWith('[') ? host.slice(1, -1) : host).toLowerCase().replace(/\.$/, '');
  if (name === 'localhost' || name.endsWith('.localhost')) return 'loopback';
  const family = isIP(name);
  if (family === 0) return 'public';
  const zoneOf = (address: string, type: 'ipv4' | 'ipv6'): AddressZone => ZONES.find(([, list]) => list.check(address, type))?.[0] ?? 'public';
  if (family === 4) return zoneOf(name, 'ipv4');
  // An IPv4-mapped IPv6 address (::ffff:127.0.0.1, or ::ffff:7f00:1 as URL writes it) is the IPv4
  // address: BlockList checks it against the IPv4 subnets itself.
  const zone = zoneOf(name, 'ipv6');
  const embedded = zone === 'public' ? embeddedIpv4(name) : undefined;
  return embedded === undefined ? zone : zoneOf(embedded, 'ipv4');
}

/** What the URL is, for messages. */
export type FollowUpKind = 'redirect' | 'upload location' | 'next-page link' | 'token realm' | 'URL';

/** The registry a follow-up URL came from. */
export interface RegistryOrigin {
  /** `host[:port]` as the user named it. */
  registry: string;
  /** Where the registry answered: its scheme, host and port. */
  base: URL;
  /** The zone of the address the registry was reached at. */
  zone: AddressZone;
}

/** What may be done with a follow-up URL. */
export interface FollowUp {
  url: URL;
  /** The registry's own origin (scheme, host and port): its credentials may go there. */
  sameOrigin: boolean;
  /** Certificate checks off: only for hosts named as insecure registries. */
  skipTlsVerify: boolean;
  /** Vets what the host name resolves to; absent for hosts the user named. */
  checkAddress?: (address: string) => Error | undefined;
}

/**
 * `host:port` with the port written out: URLs drop a default port (`https://registry.lab:443/` has
 * the host `registry.lab`), but an insecure registry may be named with it (`registry.lab:443`).
 */
function authority(url: URL): string {
  return `${url.hostname}:${url.port || (url.protocol === 'https:' ? '443' : '80')}`;
}

function zoneAllowed(zone: AddressZone, originZone: AddressZone): boolean {
  return zone === 'public' || (zone === originZone && zone !== 'link-local');
}

function describeZone(zone: AddressZone): string {
  return zone === 'link-local' ? 'a link-local address (such as the instance metadata service)' : `a ${zone} address`;
}

/**
 * Decides whether `target`, which the registry of `origin` sent us to while we talked to `from`,
 * may be requested, and with what. Throws `REGISTRY_ERROR` (not retryable) when it may not.
 *
 * @example
 * const next = checkFollowUp(new URL(location, response.url), response.url, 'upload location', origin, schemePolicy);
 * if (next.sameOrigin) headers.authorization = authorization;
 */
export function checkFollowUp(target: URL, from: URL, kind: FollowUpKind, origin: RegistryOrigin, schemePolicy: SchemePolicy): FollowUp {
  const refuse = (why: string): never => {
    throw new AutopilotError('REGISTRY_ERROR', `${origin.registry} sent a ${kind} ${why}`);
  };
  if (target.protocol !== 'https:' && target.protocol !== 'http:') refuse(`with an unsupported ${target.protocol} URL; refusing to follow it`);
  const ownHost = target.host.toLowerCase() === origin.base.host.toLowerCase();
  const insecure = schemePolicy.isInsecure(authority(target));
  const named = ownHost || insecure;
  const zone = addressZone(target.hostname);
  if (!named && !zoneAllowed(zone, origin.zone)) {
    refuse(`to ${target.host}, ${describeZone(zone)}; refusing to go there (only a registry you name may be on such an address)`);
  }
  if (target.protocol === 'http:') {
    if (from.protocol === 'https:') {
      refuse(`to plain http (${redactUrl(target)}) while we talk to it over https; refusing to downgrade (a proxy in front of the registry that drops X-Forwarded-Proto does this)`);
    }
    if (!named && !(zone === 'loopback' && origin.zone === 'loopback')) {
      refuse(`to plain http on ${target.host}, which is not the registry; refusing (name that host as an insecure registry to allow it)`);
    }
  }
  const followUp: FollowUp = {
    url: target,
    sameOrigin: target.origin === origin.base.origin,
    skipTlsVerify: target.protocol === 'https:' && insecure,
  };
  if (named) return followUp;
  return {
    ...followUp,
    checkAddress: (address) => {
      const resolved = addressZone(address);
      if (zoneAllowed(resolved, origin.zone)) return undefined;
      return new AutopilotError('REGISTRY_ERROR', `${origin.registry} sent a ${kind} to ${target.host}, which resolves to ${address}, ${describeZone(resolved)}; refusing to connect there`);
    },
  };
}

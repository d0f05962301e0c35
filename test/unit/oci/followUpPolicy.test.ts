import { describe, expect, it } from 'vitest';
import { type AddressZone, addressZone, checkFollowUp, type FollowUpKind, type RegistryOrigin } from '../../../lib/oci/transport/followUpPolicy';
import { createSchemePolicy } from '../../../lib/oci/transport/schemePolicy';

const publicRegistry: RegistryOrigin = { registry: 'registry.example', base: new URL('https://registry.example/'), zone: 'public' };
const localRegistry: RegistryOrigin = { registry: '127.0.0.1:5000', base: new URL('http://127.0.0.1:5000/'), zone: 'loopback' };
const privateRegistry: RegistryOrigin = { registry: 'harbor.corp:5000', base: new URL('https://harbor.corp:5000/'), zone: 'private' };

function follow(target: string, origin: RegistryOrigin = publicRegistry, options: { from?: string; insecure?: string[]; kind?: FollowUpKind } = {}) {
  return checkFollowUp(new URL(target), new URL(options.from ?? origin.base.href), options.kind ?? 'redirect', origin, createSchemePolicy(options.insecure ?? []));
}

describe('addressZone', () => {
  it.each<[string, AddressZone]>([
    ['127.0.0.1', 'loopback'],
    ['127.255.0.9', 'loopback'],
    ['0.0.0.0', 'loopback'],
    ['::1', 'loopback'],
    ['[::1]', 'loopback'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['[::ffff:7f00:1]', 'loopback'],
    ['::ffff:a00:5', 'private'],
    ['::ffff:34.1.2.3', 'public'],
    ['localhost', 'loopback'],
    ['registry.localhost', 'loopback'],
    ['169.254.169.254', 'link-local'],
    ['169.254.170.2', 'link-local'],
    ['fe80::1', 'link-local'],
    ['fd00:ec2::254', 'link-local'],
    ['::ffff:169.254.169.254', 'link-local'],
    ['[::ffff:a9fe:a9fe]', 'link-local'],
    ['10.1.2.3', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.1.1', 'private'],
    ['100.64.0.1', 'private'],
    ['fd12:3456::1', 'private'],
    ['224.0.0.1', 'private'],
    ['172.32.0.1', 'public'],
    ['52.95.110.1', 'public'],
    ['2600:1f18::1', 'public'],
    ['registry.example', 'public'],
    ['registry.example.', 'public'],
    // A trailing dot only says the name is fully qualified.
    ['localhost.', 'loopback'],
    ['registry.localhost.', 'loopback'],
    // IPv6 addresses a translator on the path turns into the IPv4 address inside them.
    ['64:ff9b::a9fe:a9fe', 'link-local'],
    ['[64:ff9b::10.0.0.1]', 'private'],
    ['64:ff9b:1::a00:1', 'private'],
    ['::7f00:1', 'loopback'],
    ['::ffff:0:a9fe:a9fe', 'link-local'],
    ['2002:a9fe:a9fe::1', 'link-local'],
    ['64:ff9b::808:808', 'public'],
    ['2002:808:808::1', 'public'],
    // The IPv4 address inside, however the IPv6 address is written: dotted, uncompressed, every octet counts.
    ['64:ff9b::169.254.169.254', 'link-local'],
    ['64:ff9b:0:0:0:0:a9fe:a9fe', 'link-local'],
    ['64:ff9b::192.0.0.8', 'private'],
    ['64:ff9b::192.0.1.1', 'public'],
    ['2002:c000:8::1', 'private'],
    ['2002:c000:101::1', 'public'],
    ['fec0::1', 'private'],
  ])('%s is %s', (host, zone) => {
    expect(addressZone(host)).toBe(zone);
  });
});

describe('checkFollowUp', () => {
  it('lets credentials go only to the same scheme, host and port', () => {
    expect(follow('https://registry.example/v2/x').sameOrigin).toBe(true);
    expect(follow('https://REGISTRY.example:443/v2/x').sameOrigin).toBe(true);
    expect(follow('https://registry.example:8443/v2/x').sameOrigin).toBe(false);
    expect(follow('https://cdn.registry.example/v2/x').sameOrigin).toBe(false);
    expect(follow('http://127.0.0.1:5000/v2/x', localRegistry).sameOrigin).toBe(true);
    expect(follow('http://localhost:5000/v2/x', localRegistry).sameOrigin).toBe(false);
  });

  it.each(['http://registry.example/v2/x', 'http://other.example/x'])('never downgrades from https: %s', (target) => {
    expect(() => follow(target)).toThrow(/refusing to downgrade/);
  });

  it('never downgrades from https even to a host named as an insecure registry', () => {
    expect(() => follow('http://registry.example:5000/x', publicRegistry, { insecure: ['registry.example:5000'] })).toThrow(/refusing to downgrade/);
  });

  it.each([
    ['a loopback address', 'https://127.0.0.1/x', /a loopback address/],
    ['localhost', 'https://localhost:9001/2018-06-01/runtime/invocation/next', /a loopback address/],
    ['the metadata service', 'https://169.254.169.254/latest/meta-data/', /link-local address/],
    ['a private address', 'https://10.0.0.5/x', /a private address/],
    ['an IPv4-mapped loopback address', 'https://[::ffff:7f00:1]/x', /a loopback address/],
    ['localhost with a trailing dot', 'https://localhost.:9001/2018-06-01/runtime/invocation/next', /a loopback address/],
    ['the metadata service through NAT64', 'https://[64:ff9b::a9fe:a9fe]/latest/meta-data/', /link-local address/],
    ['a private address through NAT64', 'https://[64:ff9b::a00:5]/x', /a private address/],
    ['the metadata service in decimal', 'https://2852039166/latest/meta-data/', /link-local address/],
    ['loopback in octal', 'https://0177.0.0.1/x', /a loopback address/],
  ])('never sends a remote registry to %s', (_what, target, message) => {
    expect(() => follow(target)).toThrow(message);
  });

  it('lets a registry the user named on such an address be reached', () => {
    expect(follow('https://10.0.0.5:5000/x', publicRegistry, { insecure: ['10.0.0.5:5000'] })).toMatchObject({ sameOrigin: false, skipTlsVerify: true });
    expect(follow('https://10.0.0.5:5000/x', publicRegistry, { insecure: ['10.0.0.5:5000'] }).checkAddress).toBeUndefined();
  });

  it('lets a local registry send us to another local port over http (a local token service), but not to a private or link-local one', () => {
    expect(follow('http://127.0.0.1:5001/token', localRegistry, { kind: 'token realm' })).toMatchObject({ sameOrigin: false, skipTlsVerify: false });
    expect(follow('http://localhost:5001/blob', localRegistry).url.host).toBe('localhost:5001');
    expect(() => follow('http://169.254.169.254/', localRegistry)).toThrow(/link-local/);
    expect(() => follow('https://10.0.0.5/', localRegistry)).toThrow(/a private address/);
  });

  it('refuses plain http to a host other than the registry, even from a plain-http registry', () => {
    expect(() => follow('http://storage.example/blob', localRegistry)).toThrow(/plain http on storage.example, which is not the registry/);
    expect(follow('http://storage.example/blob', localRegistry, { insecure: ['storage.example'] }).url.protocol).toBe('http:');
  });

  it('lets a private-network registry send us to its private storage, and vets what names resolve to by its zone', () => {
    expect(follow('https://minio.corp:9000/blob', privateRegistry).checkAddress?.('10.0.0.7')).toBeUndefined();
    expect(follow('https://10.0.0.7:9000/blob', privateRegistry).sameOrigin).toBe(false);
    expect(follow('https://minio.corp:9000/blob', privateRegistry).checkAddress?.('127.0.0.1')?.message).toMatch(/resolves to 127.0.0.1, a loopback address/);
  });

  it('vets what a name a remote registry sent us to resolves to', () => {
    const next = follow('https://rebind.example/x');
    expect(next.checkAddress?.('52.95.110.1')).toBeUndefined();
    expect(next.checkAddress?.('127.0.0.1')?.message).toMatch(/^registry\.example sent a redirect to rebind\.example, which resolves to 127\.0\.0\.1, a loopback address/);
    expect(next.checkAddress?.('169.254.169.254')?.message).toMatch(/link-local/);
    expect(next.checkAddress?.('192.168.0.10')?.message).toMatch(/private/);
  });

  it('skips certificate checks only for a host named as an insecure registry', () => {
    expect(follow('https://registry.example/x', publicRegistry, { insecure: [] }).skipTlsVerify).toBe(false);
    expect(follow('https://auth.example/token', publicRegistry, { insecure: ['registry.example'] }).skipTlsVerify).toBe(false);
    expect(follow('https://registry.example/x', publicRegistry, { insecure: ['registry.example'] }).skipTlsVerify).toBe(true);
  });

  it('treats a named insecure registry:443 as the registry at the default https port, as URLs write it', () => {
    const named: RegistryOrigin = { registry: 'registry.lab:443', base: new URL('https://registry.lab:443/'), zone: 'private' };
    expect(follow('https://registry.lab/v2/app/blobs/uploads/1', named, { insecure: ['registry.lab:443'], kind: 'upload location' })).toMatchObject({ sameOrigin: true, skipTlsVerify: true });
    expect(follow('https://registry.lab:8443/x', named, { insecure: ['registry.lab:443'] }).skipTlsVerify).toBe(false);
    expect(follow('https://10.0.0.5/x', publicRegistry, { insecure: ['10.0.0.5:443'] })).not.toHaveProperty('checkAddress');
    expect(follow('https://10.0.0.5/x', publicRegistry, { insecure: ['10.0.0.5:443'] }).skipTlsVerify).toBe(true);
    expect(follow('http://plain.lab/v2/x', localRegistry, { insecure: ['plain.lab:80'] }).url.protocol).toBe('http:');
  });

  it.each(['ftp://registry.example/x', 'file:///etc/passwd', 'javascript:alert(1)'])('refuses %s', (target) => {
    expect(() => follow(target)).toThrow(/unsupported/);
  });

  it('vets no address of the registry itself, and refuses with REGISTRY_ERROR naming what and why', () => {
    expect(follow('https://registry.example/v2/x').checkAddress).toBeUndefined();
    expect(() => follow('https://169.254.169.254/latest/meta-data/', publicRegistry, { kind: 'token realm' })).toThrow(
      expect.objectContaining({
        code: 'REGISTRY_ERROR',
        message: 'registry.example sent a token realm to 169.254.169.254, a link-local address (such as the instance metadata service); refusing to go there (only a registry you name may be on such an address)',
      }),
    );
    expect(follow('https://rebind.example/x').checkAddress?.('10.1.1.1')).toMatchObject({ code: 'REGISTRY_ERROR' });
  });

  it('never lets a registry on a link-local address send us to another link-local one, but lets it reach itself', () => {
    const linkLocal: RegistryOrigin = { registry: '169.254.170.2', base: new URL('https://169.254.170.2/'), zone: 'link-local' };
    expect(() => follow('https://169.254.169.254/latest/meta-data/', linkLocal)).toThrow(/a link-local address \(such as the instance metadata service\)/);
    expect(follow('https://169.254.170.2/v2/x', linkLocal).sameOrigin).toBe(true);
  });

  it('skips certificate checks for https only: plain http to a named insecure registry has nothing to skip', () => {
    expect(follow('http://plain.lab/blob', localRegistry, { insecure: ['plain.lab'] }).skipTlsVerify).toBe(false);
  });
});

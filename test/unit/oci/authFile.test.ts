import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { lookupAuthFile, parseAuthFile, readAuthFile } from '../../../lib/oci/transport/authFile';
import { authFileSearch } from '../../../lib/oci/transport/authFileSearch';

const basic = (user: string, password: string) => ({ auth: Buffer.from(`${user}:${password}`).toString('base64') });

describe('parseAuthFile and lookupAuthFile', () => {
  it('finds an auths entry by host, as docker login and skopeo login write it', () => {
    const file = parseAuthFile('config.json', JSON.stringify({ auths: { 'quay.io': basic('robot', 's3:cret') }, psFormat: 'table' }));

    expect(lookupAuthFile(file, 'quay.io', 'team/app')).toEqual({ kind: 'basic', credential: { username: 'robot', password: 's3:cret' }, key: 'quay.io' });
    expect(lookupAuthFile(file, 'ghcr.io', 'team/app')).toBeUndefined();
  });

  it('prefers the most specific namespace key of a containers auth.json', () => {
    const file = parseAuthFile('auth.json', JSON.stringify({ auths: { 'quay.io': basic('any', 'a'), 'quay.io/team': basic('team', 't'), 'quay.io/team/app': basic('app', 'x') } }));

    expect(lookupAuthFile(file, 'quay.io', 'team/app')).toMatchObject({ credential: { username: 'app' }, key: 'quay.io/team/app' });
    expect(lookupAuthFile(file, 'quay.io', 'team/other')).toMatchObject({ credential: { username: 'team' }, key: 'quay.io/team' });
    expect(lookupAuthFile(file, 'quay.io', 'elsewhere/app')).toMatchObject({ credential: { username: 'any' }, key: 'quay.io' });
  });

  it('reduces URL keys to their host and knows Docker Hub under all its names', () => {
    const file = parseAuthFile('config.json', JSON.stringify({ auths: { 'https://index.docker.io/v1/': basic('hubuser', 'h'), 'http://Registry.Lab:5000/v2/': basic('lab', 'l') } }));

    expect(lookupAuthFile(file, 'registry-1.docker.io', 'library/alpine')).toMatchObject({ credential: { username: 'hubuser' } });
    expect(lookupAuthFile(file, 'registry.lab:5000', 'x')).toMatchObject({ credential: { username: 'lab' } });
  });

  it('asks the credHelpers helper of the host first, then credsStore, before auths', () => {
    const file = parseAuthFile(
      'config.json',
      JSON.stringify({ auths: { 'quay.io': basic('stale', 's'), 'ghcr.io': {} }, credHelpers: { 'quay.io': 'pass' }, credsStore: 'osxkeychain' }),
    );

    expect(lookupAuthFile(file, 'quay.io', 'a')).toEqual({ kind: 'helper', helper: 'pass', field: 'credHelpers' });
    expect(lookupAuthFile(file, 'ghcr.io', 'a')).toEqual({ kind: 'helper', helper: 'osxkeychain', field: 'credsStore' });
  });

  it('reports an identity token it cannot use, rather than ignoring it', () => {
    const file = parseAuthFile('config.json', JSON.stringify({ auths: { 'myregistry.azurecr.io': { auth: '', identitytoken: 'eyJ...' } } }));

    expect(lookupAuthFile(file, 'myregistry.azurecr.io', 'app')).toEqual({ kind: 'identityToken', key: 'myregistry.azurecr.io' });
  });

  it('rejects a broken file naming the file and the field', () => {
    expect(() => parseAuthFile('/tmp/x.json', '{"auths": ')).toThrow(/^Invalid auth file \/tmp\/x\.json: \(root\): is not JSON/);
    expect(() => parseAuthFile('/tmp/x.json', JSON.stringify({ auths: { 'quay.io': { auth: 42 } } }))).toThrow(/Invalid auth file \/tmp\/x\.json: auths\.quay\.io\.auth/);
    const noColon = parseAuthFile('/tmp/x.json', JSON.stringify({ auths: { 'quay.io': { auth: Buffer.from('nocolon').toString('base64') } } }));
    expect(() => lookupAuthFile(noColon, 'quay.io', 'a')).toThrow(expect.objectContaining({ code: 'USAGE', message: expect.stringContaining('auths.quay.io.auth: is not base64 of user:password') }));
  });
});

describe('readAuthFile', () => {
  it('skips a default file that does not exist, and fails for a named one', () => {
    const dir = mkdtempSync(join(tmpdir(), 'auth-file-'));
    expect(readAuthFile(join(dir, 'absent.json'))).toBeUndefined();
    expect(() => readAuthFile(join(dir, 'absent.json'), { required: true })).toThrow(`Cannot read the auth file ${join(dir, 'absent.json')} (ENOENT); check the path`);
    writeFileSync(join(dir, 'auth.json'), JSON.stringify({ auths: {} }));
    expect(readAuthFile(join(dir, 'auth.json'))?.auths.size).toBe(0);
  });
});

describe('authFileSearch', () => {
  it('reads the containers files, then Docker config, as containers-auth.json(5) orders them', () => {
    expect(authFileSearch({ XDG_RUNTIME_DIR: '/run/user/1000' }, { home: '/home/me' })).toEqual({
      explicit: undefined,
      defaults: ['/run/user/1000/containers/auth.json', '/home/me/.config/containers/auth.json', '/home/me/.docker/config.json'],
    });
    expect(authFileSearch({ XDG_CONFIG_HOME: '/cfg', DOCKER_CONFIG: '/ci/docker' }, { home: '/home/me', uid: 1001 }).defaults).toEqual([
      '/run/containers/1001/auth.json',
      '/cfg/containers/auth.json',
      '/ci/docker/config.json',
    ]);
  });

  it('puts --authfile, else REGISTRY_AUTH_FILE, in place of the primary file', () => {
    expect(authFileSearch({ REGISTRY_AUTH_FILE: '/env/auth.json', XDG_RUNTIME_DIR: '/run/user/1' }, { home: '/h' })).toEqual({
      explicit: '/env/auth.json',
      defaults: ['/h/.config/containers/auth.json', '/h/.docker/config.json'],
    });
    expect(authFileSearch({ REGISTRY_AUTH_FILE: '/env/auth.json' }, { home: '/h', authfile: 'mine.json' }).explicit).toBe('mine.json');
  });
});

import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { staticCredentials } from '../../../lib/oci/transport/credentials';
import { checkFollowUp, type RegistryOrigin } from '../../../lib/oci/transport/followUpPolicy';
import { isRedirectStatus, MAX_REDIRECTS, planRedirect, type RedirectContext } from '../../../lib/oci/transport/redirectGuard';
import { RegistryHttp } from '../../../lib/oci/transport/RegistryHttp';
import { createSchemePolicy } from '../../../lib/oci/transport/schemePolicy';

const origin: RegistryOrigin = { registry: 'registry.example', base: new URL('https://registry.example/'), zone: 'public' };

function context(overrides: Partial<RedirectContext>): RedirectContext {
  return {
    from: new URL('https://registry.example/v2/app/blobs/sha256:abc'),
    status: 307,
    location: 'https://registry.example/other',
    method: 'GET',
    hops: 0,
    registry: 'registry.example',
    followUp: (target, from) => checkFollowUp(target, from, 'redirect', origin, createSchemePolicy()),
    ...overrides,
  };
}

describe('isRedirectStatus', () => {
  it('follows 301, 302, 303, 307 and 308 only', () => {
    expect([300, 301, 302, 303, 304, 305, 307, 308, 200, 404].filter(isRedirectStatus)).toEqual([301, 302, 303, 307, 308]);
  });
});

describe('planRedirect', () => {
  it.each([
    { name: 'same host', location: '/v2/app/blobs/moved', send: true },
    { name: 'same host, absolute', location: 'https://registry.example/x', send: true },
    { name: 'same host, default port written out', location: 'https://registry.example:443/x', send: true },
    { name: 'another host (S3)', location: 'https://bucket.s3.eu-west-1.amazonaws.com/blob?X-Amz-Signature=s', send: false },
    { name: 'a subdomain', location: 'https://cdn.registry.example/blob', send: false },
    { name: 'the same name on another port', location: 'https://registry.example:8443/blob', send: false },
  ])('sends Authorization only to the registry origin: $name', ({ location, send }) => {
    expect(planRedirect(context({ location })).sameOrigin).toBe(send);
  });

  it.each([
    { status: 301, method: 'GET', expected: { method: 'GET', keepBody: true } },
    { status: 302, method: 'POST', expected: { method: 'GET', keepBody: false } },
    { status: 303, method: 'PUT', expected: { method: 'GET', keepBody: false } },
    { status: 303, method: 'HEAD', expected: { method: 'HEAD', keepBody: false } },
    { status: 307, method: 'PUT', expected: { method: 'PUT', keepBody: true } },
    { status: 308, method: 'PATCH', expected: { method: 'PATCH', keepBody: true } },
    // An upload session's POST: 307 and 308 repeat it with its body; 301 and 302 turn it into a body-less GET.
    { status: 307, method: 'POST', expected: { method: 'POST', keepBody: true } },
    { status: 308, method: 'POST', expected: { method: 'POST', keepBody: true } },
    { status: 301, method: 'POST', expected: { method: 'GET', keepBody: false } },
    { status: 301, method: 'PUT', expected: { method: 'PUT', keepBody: true } },
    { status: 302, method: 'HEAD', expected: { method: 'HEAD', keepBody: true } },
  ])('$status keeps or rewrites $method', ({ status, method, expected }) => {
    expect(planRedirect(context({ status, method }))).toMatchObject(expected);
  });

  it('refuses loops, missing locations, other protocols, https→http downgrades and loopback targets of a remote registry', () => {
    expect(() => planRedirect(context({ hops: MAX_REDIRECTS }))).toThrow(/Too many redirects/);
    expect(planRedirect(context({ hops: MAX_REDIRECTS - 1 })).url.href).toBe('https://registry.example/other');
    expect(() => planRedirect(context({ hops: MAX_REDIRECTS }))).toThrow(expect.objectContaining({ code: 'REGISTRY_ERROR', message: 'Too many redirects (more than 5) from registry.example' }));
    expect(() => planRedirect(context({ location: '' }))).toThrow(expect.objectContaining({ code: 'REGISTRY_ERROR', message: 'registry.example answered 307 without a Location header' }));
    expect(() => planRedirect(context({ location: 'https://[bad' }))).toThrow(expect.objectContaining({ code: 'REGISTRY_ERROR', message: 'registry.example redirected to an invalid URL', cause: expect.any(TypeError) }));
    expect(() => planRedirect(context({ location: undefined }))).toThrow(/without a Location/);
    expect(() => planRedirect(context({ location: 'ftp://registry.example/x' }))).toThrow(/unsupported ftp:/);
    expect(() => planRedirect(context({ location: 'http://registry.example/x' }))).toThrow(/refusing to downgrade/);
    expect(() => planRedirect(context({ location: 'http://storage.example/x' }))).toThrow(/refusing to downgrade/);
    expect(() => planRedirect(context({ location: 'http://127.0.0.1:5000/x' }))).toThrow(/a loopback address/);
    expect(() => planRedirect(context({ location: 'https://127.0.0.1:5000/x' }))).toThrow(/a loopback address/);
  });
});

interface Recorded {
  path: string;
  headers: IncomingHttpHeaders;
}

function listen(server: Server): Promise<number> {
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      resolve(typeof address === 'object' && address !== null ? address.port : 0);
    }),
  );
}

describe('RegistryHttp redirects (two local servers)', () => {
  const registrySeen: Recorded[] = [];
  const storageSeen: Recorded[] = [];
  let registry: Server;
  let storage: Server;
  let registryPort = 0;
  let storagePort = 0;

  beforeAll(async () => {
    storage = createServer((request, response) => {
      storageSeen.push({ path: request.url ?? '', headers: request.headers });
      if (request.url?.startsWith('/token')) {
        // Anonymous tokens only: the registry's credentials must never arrive here.
        response.writeHead(request.headers.authorization ? 403 : 200, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ token: 'anonymous-storage-token' }));
        return;
      }
      if (request.url === '/protected/blob' && request.headers.authorization !== 'Bearer anonymous-storage-token') {
        response.writeHead(401, { 'www-authenticate': `Bearer realm="http://127.0.0.1:${storagePort}/token",service="storage"` });
        response.end();
        return;
      }
      response.writeHead(200, { 'content-type': 'application/octet-stream' });
      response.end('blob-bytes');
    });
    storagePort = await listen(storage);
    registry = createServer((request, response) => {
      registrySeen.push({ path: request.url ?? '', headers: request.headers });
      if (!request.headers.authorization) {
        response.writeHead(401, { 'www-authenticate': 'Basic realm="test"' });
        response.end();
        return;
      }
      if (request.url === '/v2/app/blobs/to-storage') {
        response.writeHead(307, { location: `http://127.0.0.1:${storagePort}/bucket/blob?X-Amz-Signature=secret` });
      } else if (request.url === '/v2/app/blobs/to-localhost') {
        response.writeHead(302, { location: `http://localhost:${storagePort}/bucket/blob` });
      } else if (request.url === '/v2/app/blobs/to-token-storage') {
        response.writeHead(307, { location: `http://127.0.0.1:${storagePort}/protected/blob` });
      } else if (request.url === '/v2/app/blobs/same-host') {
        response.writeHead(307, { location: '/v2/app/blobs/final' });
      } else {
        response.writeHead(200);
        response.end('from-registry');
        return;
      }
      response.end();
    });
    registryPort = await listen(registry);
  });

  afterAll(async () => {
    registry.closeAllConnections();
    storage.closeAllConnections();
    await Promise.all([new Promise((r) => registry.close(r)), new Promise((r) => storage.close(r))]);
  });

  async function fetchBlob(path: string): Promise<string> {
    const registryHttp = new RegistryHttp({ credentials: () => staticCredentials({ username: 'alice', password: 'wonderland' }) });
    try {
      const response = await registryHttp.send({ registry: `127.0.0.1:${registryPort}`, method: 'GET', path });
      return await response.text();
    } finally {
      registryHttp.close();
    }
  }

  it('never sends the registry Authorization to another port on the same address', async () => {
    // Act
    const body = await fetchBlob('/v2/app/blobs/to-storage');

    // Assess
    expect(body).toBe('blob-bytes');
    expect(registrySeen.some((r) => r.path === '/v2/app/blobs/to-storage' && r.headers.authorization?.startsWith('Basic '))).toBe(true);
    expect(storageSeen.at(-1)?.path).toBe('/bucket/blob?X-Amz-Signature=secret');
    expect(storageSeen.at(-1)?.headers.authorization).toBeUndefined();
  });

  it('never sends it to another host name either', async () => {
    await fetchBlob('/v2/app/blobs/to-localhost');
    expect(storageSeen.at(-1)?.headers.host).toBe(`localhost:${storagePort}`);
    expect(storageSeen.at(-1)?.headers.authorization).toBeUndefined();
  });

  it("answers a redirect target's own Bearer challenge with an anonymous token, never the registry's credentials", async () => {
    const body = await fetchBlob('/v2/app/blobs/to-token-storage');

    expect(body).toBe('blob-bytes');
    const tokenRequest = storageSeen.find((r) => r.path.startsWith('/token'));
    expect(tokenRequest?.headers.authorization).toBeUndefined();
    expect(storageSeen.filter((r) => r.path === '/protected/blob').map((r) => r.headers.authorization)).toEqual([undefined, 'Bearer anonymous-storage-token']);
  });

  it('keeps Authorization on a redirect within the registry', async () => {
    const body = await fetchBlob('/v2/app/blobs/same-host');
    expect(body).toBe('from-registry');
    expect(registrySeen.at(-1)).toMatchObject({ path: '/v2/app/blobs/final', headers: { authorization: expect.stringMatching(/^Basic /) } });
    // Across every test, the storage host never saw the registry's Basic credentials.
    expect(storageSeen.some((r) => r.headers.authorization?.startsWith('Basic '))).toBe(false);
  });
});

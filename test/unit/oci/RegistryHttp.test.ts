import { Readable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { anonymousCredentials, staticCredentials } from '../../../lib/oci/transport/credentials';
import { createRetryPolicy } from '../../../lib/oci/transport/retryPolicy';
import { RegistryHttp } from '../../../lib/oci/transport/RegistryHttp';
import { bodySourceFromReadable } from '../../support/bodySources';
import { type ScriptedRegistry, startScriptedRegistry } from '../../support/scriptedRegistry';

const noWait = createRetryPolicy({ sleep: () => Promise.resolve() });

describe('RegistryHttp', () => {
  let server: ScriptedRegistry | undefined;
  let registryHttp: RegistryHttp | undefined;

  afterEach(async () => {
    registryHttp?.close();
    await server?.stop();
  });

  it('fetches one Bearer token per scope set, with Basic credentials, and reuses it', async () => {
    // Prepare
    let issued = 0;
    server = await startScriptedRegistry([
      { method: 'GET', path: '/v2/', respond: () => ({ status: 401, headers: { 'www-authenticate': `Bearer realm="http://${server?.host}/token",service="svc"` } }) },
      { method: 'GET', path: '/token', respond: () => ({ status: 200, body: JSON.stringify({ token: `t${++issued}`, expires_in: 300 }) }) },
      {
        method: 'HEAD',
        path: /^\/v2\/(a|b)\/manifests\/v1$/,
        respond: (request) => ({ status: request.headers.authorization?.startsWith('Bearer t') ? 200 : 401 }),
      },
    ]);
    registryHttp = new RegistryHttp({ credentials: () => staticCredentials({ username: 'u', password: 'p' }), retryPolicy: noWait });
    const head = async (repository: string): Promise<number> => {
      const response = await registryHttp?.send({ registry: server?.host ?? '', method: 'HEAD', path: `/v2/${repository}/manifests/v1`, scopes: [`repository:${repository}:pull`] });
      response?.discard();
      return response?.status ?? 0;
    };

    // Act
    const statuses = [await head('a'), await head('a'), await head('b')];

    // Assess
    expect(statuses).toEqual([200, 200, 200]);
    const tokenRequests = server.requests.filter((r) => r.url.startsWith('/token'));
    expect(tokenRequests.map((r) => new URL(r.url, 'http://x').searchParams.getAll('scope'))).toEqual([['repository:a:pull'], ['repository:b:pull']]);
    expect(tokenRequests.every((r) => r.headers.authorization === `Basic ${Buffer.from('u:p').toString('base64')}`)).toBe(true);
    expect(server.requests.filter((r) => r.url === '/v2/a/manifests/v1').map((r) => r.headers.authorization)).toEqual(['Bearer t1', 'Bearer t1']);
  });

  it('fetches a new token once when the registry rejects the cached one', async () => {
    let issued = 0;
    server = await startScriptedRegistry([
      { method: 'GET', path: '/v2/', respond: () => ({ status: 401, headers: { 'www-authenticate': `Bearer realm="http://${server?.host}/token",service="svc"` } }) },
      { method: 'GET', path: '/token', respond: () => ({ status: 200, body: JSON.stringify({ token: `t${++issued}` }) }) },
      {
        method: 'GET',
        path: '/v2/a/tags/list',
        respond: (request) =>
          request.headers.authorization === 'Bearer t2'
            ? { status: 200, body: '{"tags":["v1"]}' }
            : { status: 401, headers: { 'www-authenticate': `Bearer realm="http://${server?.host}/token",service="svc",scope="repository:a:pull",error="invalid_token"` } },
      },
    ]);
    registryHttp = new RegistryHttp({ credentials: () => anonymousCredentials, retryPolicy: noWait });

    const response = await registryHttp.send({ registry: server.host, method: 'GET', path: '/v2/a/tags/list', scopes: ['repository:a:pull'] });

    expect(await response.text()).toBe('{"tags":["v1"]}');
    expect(issued).toBe(2);
  });

  it('stops sending a streamed body when the registry answers early, and reports a retryable failure', async () => {
    // Prepare: a 50 MB body produced on demand
    server = await startScriptedRegistry([
      { method: 'GET', path: '/v2/', respond: () => ({ status: 200 }) },
      { method: 'PUT', path: /^\/v2\/a\/blobs\/uploads\/x/, beforeBody: true, respond: () => ({ status: 503, body: '{"errors":[{"code":"UNAVAILABLE","message":"busy"}]}' }) },
    ]);
    registryHttp = new RegistryHttp({ retryPolicy: noWait });
    let produced = 0;
    const body = new Readable({
      read() {
        produced += 65536;
        this.push(produced > 50_000_000 ? null : Buffer.alloc(65536));
      },
    });

    // Act
    const failure = registryHttp.send({
      registry: server.host,
      method: 'PUT',
      path: '/v2/a/blobs/uploads/x',
      query: { digest: `sha256:${'0'.repeat(64)}` },
      body: { length: 50_000_000, open: () => bodySourceFromReadable(body), replayable: false },
    });

    // Assess
    await expect(failure).rejects.toMatchObject({ code: 'REGISTRY_ERROR', retryable: true, message: expect.stringContaining('HTTP 503') });
    expect(body.destroyed).toBe(true);
    expect(produced).toBeLessThan(50_000_000);
    expect(server.requests.filter((r) => r.method === 'PUT')).toHaveLength(1);
  });

  it('retries replayable requests on 5xx and reports the attempts when it gives up', async () => {
    server = await startScriptedRegistry([
      { method: 'GET', path: '/v2/', respond: () => ({ status: 200 }) },
      { method: 'PUT', path: '/v2/a/manifests/v1', respond: () => ({ status: 500 }) },
    ]);
    registryHttp = new RegistryHttp({ retryPolicy: createRetryPolicy({ maxAttempts: 3, sleep: () => Promise.resolve() }) });

    const failure = registryHttp.send({
      registry: server.host,
      method: 'PUT',
      path: '/v2/a/manifests/v1',
      body: { length: 2, open: () => Buffer.from('{}'), replayable: true, contentType: 'application/vnd.oci.image.manifest.v1+json' },
    });

    await expect(failure).rejects.toMatchObject({ message: expect.stringContaining('gave up after 3 attempts') });
    const puts = server.requests.filter((r) => r.method === 'PUT');
    expect(puts.map((r) => [r.bodyLength, r.headers['content-type']])).toEqual(Array.from({ length: 3 }, () => [2, 'application/vnd.oci.image.manifest.v1+json']));
  });

  it('says which credentials a registry refused, without the secret', async () => {
    server = await startScriptedRegistry([
      { method: 'GET', path: '/v2/', respond: () => ({ status: 401, headers: { 'www-authenticate': 'Basic realm="r"' } }) },
      { method: 'GET', path: '/v2/a/manifests/v1', respond: () => ({ status: 401, headers: { 'www-authenticate': 'Basic realm="r"' }, body: '{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}' }) },
    ]);
    registryHttp = new RegistryHttp({ credentials: () => staticCredentials({ username: 'ci', password: 'topsecret' }), retryPolicy: noWait });

    const failure = registryHttp.send({ registry: server.host, method: 'GET', path: '/v2/a/manifests/v1' });

    await expect(failure).rejects.toMatchObject({ code: 'REGISTRY_UNAUTHORIZED', message: expect.stringMatching(/UNAUTHORIZED: authentication required.*credentials used: user "ci"/) });
    await expect(failure).rejects.not.toMatchObject({ message: expect.stringContaining('topsecret') });
  });

  describe('with pacing', () => {
    let storage: ScriptedRegistry | undefined;

    afterEach(async () => {
      await storage?.stop();
      storage = undefined;
    });

    it('asks the pacer before every exchange with the registry (each retry and re-authorization), never for the ping or a redirect target', async () => {
      // Prepare: a manifest PUT that fails once, a HEAD that needs credentials, a blob redirected to storage.
      let puts = 0;
      storage = await startScriptedRegistry([{ method: 'GET', path: '/bucket/blob', respond: () => ({ status: 200, body: 'blob' }) }]);
      server = await startScriptedRegistry([
        { method: 'GET', path: '/v2/', respond: () => ({ status: 200 }) },
        { method: 'PUT', path: '/v2/a/manifests/v1', respond: () => ({ status: ++puts === 1 ? 503 : 201 }) },
        { method: 'HEAD', path: '/v2/a/blobs/sha256:1', respond: (request) => (request.headers.authorization ? { status: 200 } : { status: 401, headers: { 'www-authenticate': 'Basic realm="r"' } }) },
        { method: 'GET', path: '/v2/a/blobs/sha256:2', respond: () => ({ status: 307, headers: { location: `http://${storage?.host}/bucket/blob` } }) },
      ]);
      const paced: string[] = [];
      registryHttp = new RegistryHttp({
        credentials: () => staticCredentials({ username: 'u', password: 'p' }),
        retryPolicy: noWait,
        pacing: { pace: async (exchange) => void paced.push(`${exchange.registry} ${exchange.method} ${exchange.url.pathname}${exchange.hasBody ? ' +body' : ''}`) },
      });
      const host = server.host;

      // Act
      (await registryHttp.send({ registry: host, method: 'PUT', path: '/v2/a/manifests/v1', body: { length: 2, open: () => Buffer.from('{}'), replayable: true } })).discard();
      (await registryHttp.send({ registry: host, method: 'HEAD', path: '/v2/a/blobs/sha256:1' })).discard();
      const blob = await (await registryHttp.send({ registry: host, method: 'GET', path: '/v2/a/blobs/sha256:2' })).text();

      // Assess
      expect(blob).toBe('blob');
      expect(paced).toEqual([`${host} PUT /v2/a/manifests/v1 +body`, `${host} PUT /v2/a/manifests/v1 +body`, `${host} HEAD /v2/a/blobs/sha256:1`, `${host} HEAD /v2/a/blobs/sha256:1`, `${host} GET /v2/a/blobs/sha256:2`]);
      expect(storage.requests).toHaveLength(1);
    });

    it('sends nothing when the stop fires while the request waits for its slot', async () => {
      // Prepare
      server = await startScriptedRegistry([
        { method: 'GET', path: '/v2/', respond: () => ({ status: 200 }) },
        { method: 'PUT', path: '/v2/a/manifests/v1', respond: () => ({ status: 201 }) },
      ]);
      const stop = new AbortController();
      registryHttp = new RegistryHttp({ retryPolicy: noWait, pacing: { pace: async () => stop.abort(new Error('deadline')) } });

      // Act
      const sent = registryHttp.send({ registry: server.host, method: 'PUT', path: '/v2/a/manifests/v1', body: { length: 2, open: () => Buffer.from('{}'), replayable: true }, signal: stop.signal });

      // Assess
      await expect(sent).rejects.toMatchObject({ code: 'ABORTED' });
      expect(server.requests.filter((request) => request.method === 'PUT')).toEqual([]);
    });
  });
});

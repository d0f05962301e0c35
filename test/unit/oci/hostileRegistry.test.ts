/**
 * The hostile-registry suite: for each attack a registry (or a network in front of one) can make,
 * a scripted hostile server makes it against the real client, and the test shows it failing.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { copyImage } from '../../../lib/oci/copy/copyImage';
import { computeDigest } from '../../../lib/oci/digest';
import { OCI_INDEX } from '../../../lib/oci/mediaTypes';
import { parseImageReference } from '../../../lib/oci/reference';
import { anonymousCredentials } from '../../../lib/oci/transport/credentials';
import { createRetryPolicy } from '../../../lib/oci/transport/retryPolicy';
import { RegistryHttp } from '../../../lib/oci/transport/RegistryHttp';
import { type HostileReply, type HostileRequest, type HostileServer, startHostileServer } from '../../support/hostileServer';

const noWait = { sleep: () => Promise.resolve() };
const started: HostileServer[] = [];
const clients: RegistryHttp[] = [];

afterEach(async () => {
  for (const client of clients.splice(0)) client.close();
  await Promise.all(started.splice(0).map((server) => server.stop()));
});

async function hostile(script: (request: HostileRequest, reply: HostileReply) => void): Promise<HostileServer> {
  const server = await startHostileServer(script);
  started.push(server);
  return server;
}

function client(): RegistryHttp {
  const registryHttp = new RegistryHttp({ retryPolicy: createRetryPolicy(noWait) });
  clients.push(registryHttp);
  return registryHttp;
}

/** A destination registry that accepts every manifest and has nothing yet. */
function acceptingDestination(request: HostileRequest, reply: HostileReply): void {
  if (request.method === 'PUT') reply.send(201, { 'docker-content-digest': computeDigest(request.body) });
  else if (request.target === '/v2/') reply.send(200, { 'content-length': '0' });
  else reply.send(404, { 'content-type': 'application/json' }, '{"errors":[{"code":"MANIFEST_UNKNOWN","message":"unknown"}]}');
}

describe('hostile registries', () => {
  describe('header and request injection', () => {
    it("cannot add headers to, or smuggle a request after, the destination's manifest PUT through a manifest's mediaType", async () => {
      // Prepare: U+010D U+010A are CR LF once written as latin1.
      const smuggled = 'application/vnd.oci.image.index.v1+json\u010d\u010ax-injected: 1\u010d\u010acontent-length: 0\u010d\u010a\u010d\u010aDELETE /v2/mirror/app/manifests/prod HTTP/1.1\u010d\u010ahost: x';
      const manifest = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: smuggled, manifests: [] }));
      const source = await hostile((request, reply) => {
        if (request.target === '/v2/') reply.send(200, { 'content-length': '0' });
        else reply.send(200, { 'content-type': 'application/json', 'docker-content-digest': computeDigest(manifest) }, manifest);
      });
      const destination = await hostile(acceptingDestination);

      // Act
      const copy = copyImage(parseImageReference(`${source.host}/app:v1`), parseImageReference(`${destination.host}/mirror/app:v1`), { credentials: () => anonymousCredentials, retry: noWait });

      // Assess
      await expect(copy).rejects.toMatchObject({ code: 'REGISTRY_ERROR', message: expect.stringMatching(/not an RFC 6838 media type/) });
      expect(destination.requests.some((request) => request.headers['x-injected'] !== undefined)).toBe(false);
      expect(destination.requests.map((request) => request.method)).not.toContain('DELETE');
      expect(destination.requests.map((request) => request.method)).not.toContain('PUT');
    });

    it("cannot add headers to our requests through a token server's token", async () => {
      // Prepare
      const registry = await hostile((request, reply) => {
        if (request.target.startsWith('/token')) {
          reply.send(200, { 'content-type': 'application/json' }, JSON.stringify({ token: 'abc\u010d\u010ax-injected: 1' }));
        } else if (request.headers.authorization === undefined) {
          reply.send(401, { 'www-authenticate': `Bearer realm="http://${registry.host}/token",service="hostile"`, 'content-length': '0' });
        } else {
          reply.send(200, { 'content-type': 'application/json' }, '{}');
        }
      });

      // Act
      const send = client().send({ registry: registry.host, method: 'GET', path: '/v2/app/manifests/v1', scopes: ['repository:app:pull'] });

      // Assess
      await expect(send).rejects.toMatchObject({ code: 'REGISTRY_ERROR', message: expect.stringMatching(/not an RFC 6750 b64token/) });
      expect(registry.requests.some((request) => request.headers['x-injected'] !== undefined || request.headers.authorization !== undefined)).toBe(false);
    });
  });

  describe('informational (1xx) responses and silence', () => {
    it('refuses a flood of 20,000 informational heads after a few, without recursion or copying', async () => {
      // Prepare
      const flood = Buffer.from('HTTP/1.1 100 Continue\r\n\r\n'.repeat(20_000));
      const registry = await hostile((request, reply) => {
        if (request.target === '/v2/') reply.send(200, { 'content-length': '0' });
        else reply.write(Buffer.concat([flood, Buffer.from('HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok')]));
      });

      // Act
      const send = client().send({ registry: registry.host, method: 'GET', path: '/v2/app/manifests/v1' });

      // Assess
      await expect(send).rejects.toMatchObject({ code: 'REGISTRY_ERROR', message: expect.stringMatching(/HPE_INVALID_STATUS/) });
    });

    it('fails at the response deadline when informational heads keep coming, naming the host, without retrying', async () => {
      // Prepare: a 102 every 100 ms would reset any silence timer forever.
      const timers: NodeJS.Timeout[] = [];
      const registry = await hostile((request, reply) => {
        if (request.target === '/v2/') {
          reply.send(200, { 'content-length': '0' });
          return;
        }
        const timer = setInterval(() => reply.write('HTTP/1.1 102 Processing\r\n\r\n'), 100);
        timers.push(timer);
        reply.socket.on('close', () => clearInterval(timer));
      });
      const registryHttp = new RegistryHttp({ retryPolicy: createRetryPolicy(noWait), timeoutMs: 300 });
      clients.push(registryHttp);

      // Act
      const send = registryHttp.send({ registry: registry.host, method: 'GET', path: '/v2/app/manifests/v1' });

      // Assess
      await expect(send).rejects.toMatchObject({
        code: 'REGISTRY_ERROR',
        retryable: false,
        message: expect.stringMatching(new RegExp(`^${registry.host} accepted the connection but did not answer GET .*no response within 0.3 s`)),
      });
      for (const timer of timers) clearInterval(timer);
      expect(registry.requests.filter((request) => request.target === '/v2/app/manifests/v1')).toHaveLength(1);
    });

    it('fails at the response deadline when the head trickles in one byte at a time', async () => {
      // Prepare
      const timers: NodeJS.Timeout[] = [];
      const registry = await hostile((request, reply) => {
        if (request.target === '/v2/') {
          reply.send(200, { 'content-length': '0' });
          return;
        }
        const head = Buffer.from(`HTTP/1.1 200 OK\r\nx-padding: ${'p'.repeat(10_000)}\r\ncontent-length: 0\r\n\r\n`);
        let at = 0;
        const timer = setInterval(() => reply.write(head.subarray(at, (at += 1))), 50);
        timers.push(timer);
        reply.socket.on('close', () => clearInterval(timer));
      });
      const registryHttp = new RegistryHttp({ retryPolicy: createRetryPolicy(noWait), timeoutMs: 300 });
      clients.push(registryHttp);

      // Act
      const send = registryHttp.send({ registry: registry.host, method: 'GET', path: '/v2/app/manifests/v1' });

      // Assess
      await expect(send).rejects.toMatchObject({ code: 'REGISTRY_ERROR', message: expect.stringMatching(/no response within 0.3 s/) });
      for (const timer of timers) clearInterval(timer);
    });

    it('fails a registry that accepts the connection and says nothing once, naming it', async () => {
      // Prepare
      const registry = await hostile((request, reply) => {
        if (request.target === '/v2/') reply.send(200, { 'content-length': '0' });
      });
      const registryHttp = new RegistryHttp({ retryPolicy: createRetryPolicy(noWait), timeoutMs: 200 });
      clients.push(registryHttp);

      // Act
      const send = registryHttp.send({ registry: registry.host, method: 'HEAD', path: '/v2/app/manifests/v1' });

      // Assess
      await expect(send).rejects.toMatchObject({ code: 'REGISTRY_ERROR', retryable: false, message: expect.stringContaining(`${registry.host} accepted the connection but did not answer HEAD`) });
      expect(registry.requests.filter((request) => request.method === 'HEAD')).toHaveLength(1);
    });
  });

  describe('framing and socket reuse', () => {
    it('never lets the late body of a HEAD answer the next GET on the same socket', async () => {
      // Prepare: the HEAD's "body" arrives in its own segment, one loop turn after the head, and
      // looks like a response; the real answer to the GET says GOOD.
      const registry = await hostile((request, reply) => {
        if (request.target === '/v2/') reply.send(200, { 'content-length': '0' });
        else if (request.method === 'HEAD') {
          reply.write('HTTP/1.1 200 OK\r\ncontent-length: 38\r\n\r\n');
          setImmediate(() => setImmediate(() => reply.write('HTTP/1.1 200 OK\r\ncontent-length: 4\r\n\r\nEVIL')));
        } else reply.send(200, { 'content-type': 'text/plain' }, 'GOOD');
      });
      const registryHttp = client();
      await registryHttp.send({ registry: registry.host, method: 'GET', path: '/v2/' }).then((response) => response.discard());

      // Act
      const head = await registryHttp.send({ registry: registry.host, method: 'HEAD', path: '/v2/app/blobs/x' });
      head.discard();
      const text = await (await registryHttp.send({ registry: registry.host, method: 'GET', path: '/v2/app/blobs/x' })).text();

      // Assess
      expect(text).toBe('GOOD');
    });

    it.each([
      ['two different Content-Length headers', 'content-length: 4\r\ncontent-length: 43', /HPE_UNEXPECTED_CONTENT_LENGTH/],
      ['a Content-Length list with two values', 'content-length: 4, 43', /HPE_UNEXPECTED_CONTENT_LENGTH/],
      ['Content-Length with Transfer-Encoding', 'transfer-encoding: chunked\r\ncontent-length: 4', /HPE_INVALID_TRANSFER_ENCODING/],
      ['a Transfer-Encoding other than chunked', 'transfer-encoding: gzip, chunked', /HPE_INVALID_TRANSFER_ENCODING/],
    ])('refuses a response with %s instead of picking one reading', async (_what, framing, code) => {
      // Prepare: read with the first length, the body ends at GOOD and a second response follows.
      const registry = await hostile((request, reply) => {
        if (request.target === '/v2/') reply.send(200, { 'content-length': '0' });
        else reply.write(`HTTP/1.1 200 OK\r\n${framing}\r\n\r\nGOODHTTP/1.1 200 OK\r\ncontent-length: 4\r\n\r\nEVIL`);
      });

      // Act
      const send = client().send({ registry: registry.host, method: 'GET', path: '/v2/app/blobs/x', retry: false });

      // Assess
      await expect(send).rejects.toMatchObject({ code: 'REGISTRY_ERROR', message: expect.stringMatching(code) });
    });
  });

  describe('digests from remote documents', () => {
    it('never turns a referrer descriptor whose "digest" is a path into a request, nor writes it into the fallback index', async () => {
      // Prepare
      const index = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: [] }));
      const digest = computeDigest(index);
      const referrers = JSON.stringify({
        schemaVersion: 2,
        mediaType: OCI_INDEX,
        manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: '../../private-team/secret-repo/manifests/latest', size: 100 }],
      });
      const source = await hostile((request, reply) => {
        if (request.target === '/v2/') reply.send(200, { 'content-length': '0' });
        else if (request.target === `/v2/app/referrers/${digest}`) reply.send(200, { 'content-type': OCI_INDEX }, referrers);
        else if (request.target.startsWith('/v2/app/manifests/')) reply.send(200, { 'content-type': OCI_INDEX, 'docker-content-digest': digest }, index);
        else reply.send(404, { 'content-type': 'application/json' }, '{"errors":[{"code":"NAME_UNKNOWN","message":"no"}]}');
      });
      const destination = await hostile(acceptingDestination);

      // Act
      const copy = copyImage(parseImageReference(`${source.host}/app:v1`), parseImageReference(`${destination.host}/mirror/app:v1`), {
        credentials: () => anonymousCredentials,
        includeReferrers: true,
        retry: noWait,
      });

      // Assess
      await expect(copy).rejects.toMatchObject({ code: 'REGISTRY_ERROR', message: expect.stringMatching(/referrers of .*manifests\[0\].*digest/) });
      expect(source.requests.filter((request) => request.target !== '/v2/').every((request) => request.target.startsWith('/v2/app/'))).toBe(true);
      expect(destination.requests.filter((request) => request.method === 'PUT').map((request) => request.target)).toEqual(['/v2/mirror/app/manifests/v1']);
    });
  });
});

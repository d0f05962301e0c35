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

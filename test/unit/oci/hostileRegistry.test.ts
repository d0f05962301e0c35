/**
 * The hostile-registry suite: for each attack a registry (or a network in front of one) can make,
 * a scripted hostile server makes it against the real client, and the test shows it failing.
 */
import dns from 'node:dns';
import { Readable } from 'node:stream';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { OciCopyWriter } from '../../../lib/mirror/OciCopyWriter';
import { OciUpstreamReader } from '../../../lib/mirror/OciUpstreamReader';
import { copyImage } from '../../../lib/oci/copy/copyImage';
import { resolveManifestDigest } from '../../../lib/oci/copy/resolve';
import { computeDigest } from '../../../lib/oci/digest';
import { OCI_INDEX } from '../../../lib/oci/mediaTypes';
import { parseImageReference } from '../../../lib/oci/reference';
import { BlobClient } from '../../../lib/oci/remote/BlobClient';
import { anonymousCredentials, staticCredentials } from '../../../lib/oci/transport/credentials';
import { createRetryPolicy } from '../../../lib/oci/transport/retryPolicy';
import { RegistryHttp, type RegistryResponse } from '../../../lib/oci/transport/RegistryHttp';
import { UndiciWire } from '../../../lib/oci/transport/UndiciWire';
import { bodySourceFromReadable } from '../../support/bodySources';
import { type SelfSignedCertificate, selfSignedCertificate } from '../../support/certificates';
import { type HostileReply, type HostileRequest, type HostileServer, startHostileServer } from '../../support/hostileServer';
import { type HttpProxy, startHttpProxy } from '../../support/httpProxy';

const noWait = { sleep: () => Promise.resolve() };
const started: HostileServer[] = [];
const clients: RegistryHttp[] = [];

afterEach(async () => {
  for (const client of clients.splice(0)) client.close();
  await Promise.all(started.splice(0).map((server) => server.stop()));
});

async function hostile(script: (request: HostileRequest, reply: HostileReply) => void, tls?: SelfSignedCertificate): Promise<HostileServer> {
  const server = await startHostileServer(script, tls ? { tls } : {});
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

  describe('error messages', () => {
    it('never passes on what a terminal would act on from a registry\'s error message (escape sequences, line breaks, bidi overrides)', async () => {
      // Prepare: clear the screen, retitle the window, forge a line, reverse the text after it.
      const forged = '\u001b[2J\u001b]0;owned\u0007\u009b31m\r\nerror: nothing failed, all images copied\u202e';
      const registry = await hostile((request, reply) => {
        if (request.target === '/v2/') reply.send(200, { 'content-length': '0' });
        else reply.send(404, { 'content-type': 'application/json' }, JSON.stringify({ errors: [{ code: `MANIFEST_UNKNOWN${forged}`, message: `unknown${forged}` }] }));
      });

      // Act
      const error = (await client().send({ registry: registry.host, method: 'GET', path: '/v2/app/manifests/v1' }).catch((caught: unknown) => caught)) as Error;

      // Assess
      expect(error.message).toMatch(/failed with HTTP 404 \(MANIFEST_UNKNOWN .*: unknown .*error: nothing failed/);
      expect(error.message).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/);
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

    it.each([
      ['a document', 200, async (response: RegistryResponse): Promise<unknown> => response.bytes(64 * 1024)],
      ['an error body', 500, async (response: RegistryResponse): Promise<unknown> => response.text()],
    ])('gives up on %s that trickles in a byte just before each idle timeout, naming the host', async (_what, status, read) => {
      // Prepare: a byte every 100 ms keeps a 300 ms idle timeout from ever firing.
      const timers: NodeJS.Timeout[] = [];
      const registry = await hostile((request, reply) => {
        if (request.target === '/v2/') {
          reply.send(200, { 'content-length': '0' });
          return;
        }
        reply.write(`HTTP/1.1 ${status} X\r\ncontent-type: application/json\r\ncontent-length: 100000\r\n\r\n`);
        const timer = setInterval(() => reply.write(' '), 100);
        timers.push(timer);
        reply.socket.on('close', () => clearInterval(timer));
      });
      const registryHttp = new RegistryHttp({ retryPolicy: createRetryPolicy(noWait), timeoutMs: 300 });
      clients.push(registryHttp);

      // Act
      const outcome = registryHttp.send({ registry: registry.host, method: 'GET', path: '/v2/app/manifests/v1', expect: [200], retry: false }).then(read);

      // Assess
      await expect(outcome).rejects.toMatchObject({ code: 'REGISTRY_ERROR', message: expect.stringMatching(status === 200 ? new RegExp(`^${registry.host} kept sending the response .* without finishing it`) : /failed with HTTP 500$/) });
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

  it.each([
    ['the mirror reading an upstream', (registry: string) => new OciUpstreamReader({ credentials: () => anonymousCredentials, timeoutMs: 200 }).resolve({ sourceReference: `${registry}/app:v1`, platforms: 'all' })],
    ['a digest lookup', (registry: string) => resolveManifestDigest(parseImageReference(`${registry}/app:v1`), () => anonymousCredentials, { timeoutMs: 200 })],
    [
      'the mirror copying',
      async (registry: string) => {
        const writer = new OciCopyWriter({ destination: { registry: async () => registry, credentials: anonymousCredentials }, timeoutMs: 200 });
        const outcome = await writer.apply({ action: 'oci:CopyImage', target: `${registry}/mirror/app:v1`, reason: 'test', source: `${registry}/app:v1`, repository: 'mirror/app', tag: 'v1', platforms: 'all', includeReferrers: false }, {});
        if (outcome.status === 'failed') throw new Error(outcome.message);
        return outcome;
      },
    ],
  ])('gives %s the timeout it was given', async (_what, run) => {
    // Prepare
    const registry = await hostile((request, reply) => {
      if (request.target === '/v2/') reply.send(200, { 'content-length': '0' });
    });

    // Act & Assess
    await expect(run(registry.host)).rejects.toThrow(/did not answer .*no response within 0\.2 s/);
  }, 20_000);

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

    it('never reuses the socket of an HTTP/1.0 answer with Transfer-Encoding, even when it says keep-alive', async () => {
      // Prepare: HTTP/1.0 has no chunked coding, so its framing is faulty (RFC 9112 §6.1).
      const registry = await hostile((request, reply) => {
        if (request.target === '/v2/') reply.send(200, { 'content-length': '0' });
        else reply.write('HTTP/1.0 200 OK\r\nconnection: keep-alive\r\ntransfer-encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n');
      });
      const registryHttp = client();

      // Act
      const first = await (await registryHttp.send({ registry: registry.host, method: 'GET', path: '/v2/app/blobs/a' })).text();
      const second = await (await registryHttp.send({ registry: registry.host, method: 'GET', path: '/v2/app/blobs/b' })).text();

      // Assess
      expect([first, second]).toEqual(['ok', 'ok']);
      expect(new Set(registry.requests.filter((request) => request.target !== '/v2/').map((request) => request.connection)).size).toBe(2);
    });

    it('refuses a chunk size too large to count exactly (over 2^52 bytes) instead of reading on forever', async () => {
      // Prepare
      const registry = await hostile((request, reply) => {
        if (request.target === '/v2/') reply.send(200, { 'content-length': '0' });
        else reply.write('HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\nfffffffffffffff\r\nEVIL');
      });

      // Act
      const read = client().send({ registry: registry.host, method: 'GET', path: '/v2/app/manifests/v1', retry: false }).then((response) => response.bytes(1024));

      // Assess
      await expect(read).rejects.toMatchObject({ code: 'HPE_INVALID_CHUNK_SIZE' });
    });
  });

  describe('credentials only to the origin they belong to, over the scheme the user chose', () => {
    const alice = { username: 'alice', password: 'alice-secret' };
    const aliceBasic = `Basic ${Buffer.from('alice:alice-secret').toString('base64')}`;
    let certificate: SelfSignedCertificate;

    beforeAll(() => {
      certificate = selfSignedCertificate('127.0.0.1');
    });

    function tlsClient(insecure: string[]): RegistryHttp {
      const registryHttp = new RegistryHttp({ credentials: () => staticCredentials(alice), insecureRegistries: insecure, retryPolicy: createRetryPolicy(noWait) });
      clients.push(registryHttp);
      return registryHttp;
    }

    /** Every request that reached `server` in cleartext carrying Alice's password. */
    const cleartextPasswords = (server: HostileServer): HostileRequest[] => server.requests.filter((request) => !request.secure && request.headers.authorization === aliceBasic);

    it("never sends the password in cleartext to an upload Location that drops the registry's https (same host and port)", async () => {
      // Prepare: a TLS registry behind a proxy that lost X-Forwarded-Proto hands out http:// upload URLs.
      const registry = await hostile((request, reply) => {
        if (request.headers.authorization !== aliceBasic) reply.send(401, { 'www-authenticate': 'Basic realm="registry"', 'content-length': '0' });
        else if (request.method === 'POST') reply.send(202, { location: `http://${registry.host}/v2/app/blobs/uploads/session-1`, 'content-length': '0' });
        else if (request.method === 'PUT') reply.send(201, { 'content-length': '0' });
        else reply.send(200, { 'content-length': '0' });
      }, certificate);
      const blobs = new BlobClient(tlsClient([registry.host]));
      const content = Buffer.from('layer bytes');

      // Act
      const upload = blobs.upload({ registry: registry.host, repository: 'app' }, { mediaType: 'application/octet-stream', digest: computeDigest(content), size: content.length }, async () =>
        bodySourceFromReadable(Readable.from([content])),
      );

      // Assess
      await expect(upload).rejects.toMatchObject({ code: 'REGISTRY_ERROR', message: expect.stringMatching(/upload location to plain http .*refusing to downgrade/) });
      expect(cleartextPasswords(registry)).toEqual([]);
      expect(registry.requests.filter((request) => !request.secure)).toEqual([]);
    });

    it('never sends the password over http to a loopback token realm named by an https registry', async () => {
      // Prepare
      const realm = await hostile((_request, reply) => reply.send(200, { 'content-type': 'application/json' }, '{"token":"t"}'));
      const registry = await hostile((request, reply) => {
        if (request.headers.authorization === 'Bearer t') reply.send(200, { 'content-length': '0' });
        else reply.send(401, { 'www-authenticate': `Bearer realm="http://${realm.host}/token",service="s"`, 'content-length': '0' });
      }, certificate);

      // Act
      const send = tlsClient([registry.host]).send({ registry: registry.host, method: 'GET', path: '/v2/app/manifests/v1', scopes: ['repository:app:pull'] });

      // Assess
      await expect(send).rejects.toMatchObject({ code: 'REGISTRY_ERROR', message: expect.stringMatching(/token realm to plain http .*refusing to downgrade/) });
      expect(realm.requests).toEqual([]);
    });

    it("keeps certificate checks on for a token realm on another host: --insecure-registry covers the registry's origin only", async () => {
      // Prepare: the realm has an untrusted certificate too, on another host (localhost, not 127.0.0.1).
      const realm = await hostile((_request, reply) => reply.send(200, { 'content-type': 'application/json' }, '{"token":"t"}'), certificate);
      const registry = await hostile((request, reply) => {
        if (request.headers.authorization === 'Bearer t') reply.send(200, { 'content-length': '0' });
        else reply.send(401, { 'www-authenticate': `Bearer realm="https://localhost:${realm.url.port}/token",service="s"`, 'content-length': '0' });
      }, certificate);

      // Act
      const send = tlsClient([registry.host]).send({ registry: registry.host, method: 'GET', path: '/v2/app/manifests/v1', scopes: ['repository:app:pull'], retry: false });

      // Assess
      await expect(send).rejects.toMatchObject({ message: expect.stringMatching(/SELF_SIGNED|certificate/i) });
      expect(realm.requests).toEqual([]);
    });

    it('keeps certificate checks on for a redirect target on another host, and sends it no credentials', async () => {
      // Prepare
      const storage = await hostile((_request, reply) => reply.send(200, { 'content-type': 'text/plain' }, 'blob'), certificate);
      const registry = await hostile((request, reply) => {
        if (request.headers.authorization !== aliceBasic) reply.send(401, { 'www-authenticate': 'Basic realm="registry"', 'content-length': '0' });
        else reply.send(307, { location: `https://localhost:${storage.url.port}/blob`, 'content-length': '0' });
      }, certificate);

      // Act
      const send = tlsClient([registry.host]).send({ registry: registry.host, method: 'GET', path: '/v2/app/blobs/x', retry: false });

      // Assess
      await expect(send).rejects.toMatchObject({ message: expect.stringMatching(/SELF_SIGNED|certificate/i) });
      expect(storage.requests).toEqual([]);
    });

    it('does not follow an https registry to http://127.0.0.1, and never quotes what a local service says', async () => {
      // Prepare
      const local = await hostile((_request, reply) => reply.send(500, { 'content-type': 'text/plain' }, 'LOCAL-SERVICE-SECRET'));
      const registry = await hostile((_request, reply) => reply.send(307, { location: `http://127.0.0.1:${local.url.port}/latest/meta-data/`, 'content-length': '0' }), certificate);

      // Act
      const send = tlsClient([registry.host]).send({ registry: registry.host, method: 'GET', path: '/v2/app/blobs/x', retry: false });

      // Assess
      await expect(send).rejects.toMatchObject({ code: 'REGISTRY_ERROR', message: expect.stringMatching(/redirect to plain http .*refusing to downgrade/) });
      expect(local.requests).toEqual([]);
    });

    it('never quotes the body of a redirect target in an error, even where the redirect may be followed', async () => {
      // Prepare: a local registry sending us to another local port (allowed: both are loopback, both http).
      const target = await hostile((_request, reply) => reply.send(500, { 'content-type': 'text/plain' }, 'LOCAL-SERVICE-SECRET'));
      const registry = await hostile((_request, reply) => reply.send(307, { location: `http://127.0.0.1:${target.url.port}/internal`, 'content-length': '0' }));

      // Act
      const send = client().send({ registry: registry.host, method: 'GET', path: '/v2/app/blobs/x', retry: false });

      // Assess
      await expect(send).rejects.toMatchObject({ code: 'REGISTRY_ERROR', message: expect.stringContaining('failed with HTTP 500') });
      await expect(send).rejects.not.toMatchObject({ message: expect.stringContaining('LOCAL-SERVICE-SECRET') });
      expect(target.requests).toHaveLength(1);
    });

    it('refuses a redirect to a link-local address (the instance metadata service) before connecting', async () => {
      // Prepare
      const registry = await hostile((_request, reply) => reply.send(307, { location: 'http://[fe80::a9fe:a9fe]/latest/api/token', 'content-length': '0' }));

      // Act
      const send = client().send({ registry: registry.host, method: 'GET', path: '/v2/app/blobs/x', retry: false });

      // Assess
      await expect(send).rejects.toMatchObject({ code: 'REGISTRY_ERROR', message: expect.stringMatching(/link-local address/) });
    });

    it.each([
      ['through NAT64 (an AWS NAT gateway translates 64:ff9b::/96)', 'https://[64:ff9b::a9fe:a9fe]/latest/api/token', /link-local address/],
      ['as a 6to4 address', 'https://[2002:a9fe:a9fe::1]/latest/api/token', /link-local address/],
    ])('refuses a redirect to the metadata service written %s, before connecting', async (_how, location, refusal) => {
      // Prepare: an IPv6 address with the IPv4 metadata address inside, which a translator on the path would reach.
      const registry = await hostile((_request, reply) => reply.send(307, { location, 'content-length': '0' }), certificate);
      const registryHttp = new RegistryHttp({ insecureRegistries: [registry.host], retryPolicy: createRetryPolicy(noWait) });
      clients.push(registryHttp);

      // Act
      const send = registryHttp.send({ registry: registry.host, method: 'GET', path: '/v2/app/blobs/x', retry: false });

      // Assess
      await expect(send).rejects.toMatchObject({ code: 'REGISTRY_ERROR', message: expect.stringMatching(refusal) });
    });
  });

  describe('through an HTTP proxy (UndiciWire)', () => {
    let certificate: SelfSignedCertificate;
    let proxy: HttpProxy;

    beforeAll(() => {
      certificate = selfSignedCertificate('127.0.0.1');
    });

    afterEach(async () => {
      vi.restoreAllMocks();
      await proxy.stop();
    });

    /** A DNS where each name answers the addresses given for it, one answer per lookup (the last one repeats). */
    function hostileDns(answers: Record<string, string[]>): void {
      const original = dns.lookup.bind(dns);
      const asked = new Map<string, number>();
      vi.spyOn(dns, 'lookup').mockImplementation(((hostname: string, options: dns.LookupOptions, callback: (...args: unknown[]) => void) => {
        const sequence = answers[hostname];
        if (!sequence) return original(hostname, options, callback as never);
        const count = asked.get(hostname) ?? 0;
        asked.set(hostname, count + 1);
        const address = sequence[Math.min(count, sequence.length - 1)] ?? '';
        const family = address.includes(':') ? 6 : 4;
        process.nextTick(() => (options.all ? callback(null, [{ address, family }]) : callback(null, address, family)));
        return undefined;
      }) as never);
    }

    async function proxiedClient(options: { noProxy?: string; insecure?: string[] } = {}): Promise<RegistryHttp> {
      proxy = await startHttpProxy();
      const wire = new UndiciWire({ httpProxy: proxy.url, httpsProxy: proxy.url, ...(options.noProxy ? { noProxy: options.noProxy } : {}) });
      const registryHttp = new RegistryHttp({ wire, timeoutMs: 2_000, insecureRegistries: options.insecure ?? [], retryPolicy: createRetryPolicy(noWait) });
      clients.push(registryHttp);
      return registryHttp;
    }

    it('refuses a redirect to a name that resolves to the metadata service, without asking the proxy for a tunnel there', async () => {
      // Prepare
      hostileDns({ 'metadata.attacker.test': ['169.254.169.254'] });
      const registry = await hostile((_request, reply) => reply.send(307, { location: 'https://metadata.attacker.test/latest/meta-data/', 'content-length': '0' }));
      const registryHttp = await proxiedClient();

      // Act
      const send = registryHttp.send({ registry: registry.host, method: 'GET', path: '/v2/app/blobs/x', retry: false });

      // Assess
      await expect(send).rejects.toMatchObject({ code: 'REGISTRY_ERROR', message: expect.stringMatching(/metadata\.attacker\.test, which resolves to 169\.254\.169\.254, a link-local address/) });
      expect(proxy.targets.map((target) => target.authority)).not.toContain('metadata.attacker.test:443');
    });

    it('connects a NO_PROXY name only to the address it vetted, even when the DNS answers differently the second time (rebinding)', async () => {
      // Prepare: the first answer is public; every later one is the metadata service.
      hostileDns({ 'storage.attacker.test': ['203.0.113.7', '169.254.169.254'] });
      const registry = await hostile((_request, reply) => reply.send(307, { location: 'https://storage.attacker.test/blob', 'content-length': '0' }));
      const registryHttp = await proxiedClient({ noProxy: 'storage.attacker.test' });

      // Act
      const send = registryHttp.send({ registry: registry.host, method: 'GET', path: '/v2/app/blobs/x', retry: false });

      // Assess
      await expect(send).rejects.toMatchObject({ code: 'REGISTRY_ERROR', message: expect.stringMatching(/which resolves to 169\.254\.169\.254, a link-local address/) });
      expect(new Set(proxy.targets.map((target) => target.authority))).toEqual(new Set([registry.host]));
    });

    it('closes the download feeding an upload that is refused before it is sent (a Location whose name resolves to the metadata service)', async () => {
      // Prepare
      hostileDns({ 'uploads.attacker.test': ['169.254.169.254'] });
      const registry = await hostile((_request, reply) => reply.send(200, { 'content-length': '0' }));
      let destroyed = false;
      const download = { start: () => undefined, resume: () => undefined, destroy: () => void (destroyed = true) };
      const registryHttp = await proxiedClient();

      // Act
      const send = registryHttp.send({
        registry: registry.host,
        method: 'PUT',
        path: 'https://uploads.attacker.test/v2/app/blobs/uploads/1?digest=sha256:x',
        pathKind: 'upload location',
        body: { length: 4, open: () => download, replayable: false },
      });

      // Assess
      await expect(send).rejects.toMatchObject({ code: 'REGISTRY_ERROR', message: expect.stringMatching(/link-local address/) });
      expect(destroyed).toBe(true);
    });

    it("judges a NO_PROXY registry's network by where its connection went, as the direct wire does", async () => {
      // Prepare: a local registry named by a name sends us to another local port, which a local
      // registry may do (a remote one may not); that port's certificate is not trusted.
      hostileDns({ 'registry.lab.test': ['127.0.0.1'] });
      const storage = await hostile((_request, reply) => reply.send(200, { 'content-type': 'application/octet-stream' }, 'blob'), certificate);
      const registry = await hostile((request, reply) => {
        if (request.target === '/v2/') reply.send(200, { 'content-length': '0' });
        else reply.send(307, { location: `https://127.0.0.1:${storage.url.port}/blob`, 'content-length': '0' });
      }, certificate);
      const name = `registry.lab.test:${registry.url.port}`;
      const registryHttp = await proxiedClient({ noProxy: 'registry.lab.test', insecure: [name] });

      // Act
      const send = registryHttp.send({ registry: name, method: 'GET', path: '/v2/app/blobs/x', retry: false });

      // Assess: followed (not refused as a loopback address), then stopped by the certificate check.
      await expect(send).rejects.toMatchObject({ message: expect.stringMatching(/SELF_SIGNED|certificate/i) });
      expect(storage.connections).toBe(1);
      expect(proxy.targets.map((target) => target.authority)).toEqual([storage.host]);
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

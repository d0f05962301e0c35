/**
 * Registry traffic behind an HTTP proxy (a corporate network, a Lambda in a VPC without NAT): real
 * registries, a real local CONNECT proxy, and the proxy chosen the way production chooses it,
 * from `HTTPS_PROXY`/`HTTP_PROXY`/`NO_PROXY`.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { copyImage } from '../../../lib/oci/copy/copyImage';
import { parseImageReference } from '../../../lib/oci/reference';
import { anonymousCredentials, staticCredentials } from '../../../lib/oci/transport/credentials';
import { UndiciWire } from '../../../lib/oci/transport/UndiciWire';
import { type HttpProxy, startHttpProxy } from '../../support/httpProxy';
import { type RegistryServer, startRegistry } from '../../support/registryServer';
import { skopeoInspectRaw } from '../../support/skopeo';
import { buildTestImage, type TestImage } from '../../support/testImages';

const PROXY_VARIABLES = ['HTTPS_PROXY', 'https_proxy', 'HTTP_PROXY', 'http_proxy', 'NO_PROXY', 'no_proxy'] as const;

describe('copyImage through an HTTP proxy', () => {
  let source: RegistryServer;
  let destination: RegistryServer;
  let proxy: HttpProxy;
  let image: TestImage;
  const saved = new Map<string, string | undefined>();

  beforeAll(async () => {
    [source, destination, proxy] = await Promise.all([startRegistry(), startRegistry({ auth: { htpasswd: { user: 'bob', password: 'bob-secret' } } }), startHttpProxy()]);
    image = await buildTestImage({ url: source.url, repository: 'app', tag: 'v1' }, { layers: [40_000, 3_000_000], platforms: ['linux/amd64', 'linux/arm64'], seed: 'through-proxy' });
    for (const name of PROXY_VARIABLES) saved.set(name, process.env[name]);
  });

  afterEach(() => {
    for (const [name, value] of saved) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  });

  afterAll(async () => {
    await Promise.all([source?.stop(), destination?.stop(), proxy?.stop()]);
  });

  const credentials = (registry: string) => (registry === destination.host ? staticCredentials({ username: 'bob', password: 'bob-secret' }) : anonymousCredentials);

  it('sends every request of a copy through the proxy named by HTTP_PROXY, digests unchanged', async () => {
    // Prepare: the copy builds its client itself, from the environment
    for (const name of PROXY_VARIABLES) delete process.env[name];
    process.env.HTTP_PROXY = proxy.url;
    const tunnels = proxy.targets.length;

    // Act
    const report = await copyImage(parseImageReference(`${source.host}/app:v1`), parseImageReference(`${destination.host}/proxied/app:v1`), { credentials });

    // Assess
    expect(report).toMatchObject({ destinationDigest: image.digest, blobsCopied: 6, manifestsCopied: 3 });
    expect((await skopeoInspectRaw(`${destination.host}/proxied/app:v1`, { creds: 'bob:bob-secret' })).digest).toBe(image.digest);
    expect(new Set(proxy.targets.slice(tunnels).map((target) => target.authority))).toEqual(new Set([source.host, destination.host]));
  });

  it('goes straight to hosts NO_PROXY names, and through the proxy to the others', async () => {
    // Prepare
    for (const name of PROXY_VARIABLES) delete process.env[name];
    process.env.https_proxy = proxy.url;
    process.env.http_proxy = proxy.url;
    process.env.no_proxy = `example.invalid, ${destination.host}`;
    const tunnels = proxy.targets.length;

    // Act
    const report = await copyImage(parseImageReference(`${source.host}/app:v1`), parseImageReference(`${destination.host}/no-proxy/app:v1`), { credentials });

    // Assess
    expect(report.destinationDigest).toBe(image.digest);
    expect(new Set(proxy.targets.slice(tunnels).map((target) => target.authority))).toEqual(new Set([source.host]));
  });

  it('authenticates to the proxy with the credentials in its URL, and names the proxy when it refuses', async () => {
    // Prepare
    const guarded = await startHttpProxy({ requireAuthorization: `Basic ${Buffer.from('proxy-user:proxy-pass').toString('base64')}` });
    const withCredentials = guarded.url.replace('http://', 'http://proxy-user:proxy-pass@');
    const withWrongCredentials = guarded.url.replace('http://', 'http://proxy-user:wrong@');

    try {
      // Act
      const report = await copyImage(parseImageReference(`${source.host}/app:v1`), parseImageReference(`${destination.host}/proxy-auth/app:v1`), {
        credentials,
        wire: new UndiciWire({ httpProxy: withCredentials }),
      });
      const refused = copyImage(parseImageReference(`${source.host}/app:v1`), parseImageReference(`${destination.host}/proxy-refused/app:v1`), {
        credentials,
        wire: new UndiciWire({ httpProxy: withWrongCredentials }),
        retry: { sleep: () => Promise.resolve() },
      });

      // Assess
      expect(report.destinationDigest).toBe(image.digest);
      await expect(refused).rejects.toMatchObject({ code: 'REGISTRY_ERROR', message: expect.stringContaining('the proxy refused the tunnel (HTTP 407 to CONNECT)') });
      await expect(refused).rejects.not.toMatchObject({ message: expect.stringMatching(/proxy-pass|wrong/) });
    } finally {
      await guarded.stop();
    }
  });
});

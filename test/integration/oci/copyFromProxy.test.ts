import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyImage } from '../../../lib/oci/copy/copyImage';
import { listIndexPlatforms, resolveManifestDigest } from '../../../lib/oci/copy/resolve';
import { parseImageReference } from '../../../lib/oci/reference';
import { anonymousCredentials } from '../../../lib/oci/transport/credentials';
import { type RegistryServer, startRegistry } from '../../support/registryServer';
import { skopeoInspectRaw } from '../../support/skopeo';
import { buildTestImage, type TestImage } from '../../support/testImages';
import { startTokenIssuer, type TokenIssuer } from '../../support/tokenIssuer';

const credentials = (): typeof anonymousCredentials => anonymousCredentials;

describe('copyImage from a registry in pull-through proxy mode', () => {
  let issuer: TokenIssuer;
  let upstream: RegistryServer;
  let proxy: RegistryServer;
  let destination: RegistryServer;
  let image: TestImage;

  beforeAll(async () => {
    // The upstream uses token auth without anonymous access, like Docker Hub with an account:
    // distribution 2.8 only hands proxy credentials to Bearer realms, not to Basic upstreams.
    issuer = await startTokenIssuer({ users: { mirror: 'mirror-secret' } });
    upstream = await startRegistry({ auth: { token: issuer } });
    [proxy, destination] = await Promise.all([startRegistry({ proxy: { remoteUrl: upstream.url, username: 'mirror', password: 'mirror-secret' } }), startRegistry()]);
    const setupToken = await issuer.mintToken('setup', [{ type: 'repository', name: 'library/app', actions: ['pull', 'push'] }]);
    image = await buildTestImage(
      { url: upstream.url, repository: 'library/app', tag: '1.0', authorization: `Bearer ${setupToken}` },
      { layers: [50_000, 2_000_000], platforms: ['linux/amd64', 'linux/arm64', 'linux/arm/v7'], seed: 'proxy' },
    );
  });

  afterAll(async () => {
    await Promise.all([proxy?.stop(), destination?.stop()]);
    await upstream?.stop();
    await issuer?.stop();
  });

  it('copies every platform through the proxy with digests unchanged', async () => {
    // Act
    const report = await copyImage(parseImageReference(`${proxy.host}/library/app:1.0`), parseImageReference(`${destination.host}/cache/app:1.0`), { credentials });

    // Assess
    expect(report).toMatchObject({ sourceDigest: image.digest, destinationDigest: image.digest, platforms: ['linux/amd64', 'linux/arm64', 'linux/arm/v7'], blobsCopied: 9 });
    expect((await skopeoInspectRaw(`${destination.host}/cache/app:1.0`)).digest).toBe(image.digest);
    expect(issuer.requests.some((r) => r.user === 'mirror' && r.status === 200)).toBe(true);
  });

  it('resolves digests and platforms through the proxy', async () => {
    const reference = parseImageReference(`${proxy.host}/library/app:1.0`);
    expect(await resolveManifestDigest(reference, credentials)).toMatchObject({ digest: image.digest, mediaType: image.mediaType });
    expect(await listIndexPlatforms(reference, credentials)).toEqual(['linux/amd64', 'linux/arm64', 'linux/arm/v7']);
    const child = image.manifests[2];
    expect(await listIndexPlatforms(parseImageReference(`${proxy.host}/library/app@${child?.digest ?? ''}`), credentials)).toEqual(['linux/arm/v7']);
  });

  it('fails clearly when asked to push to the proxy', async () => {
    // distribution 2.8 in proxy mode answers HEAD of a manifest its upstream lacks with 500, and
    // upload POSTs with 405 UNSUPPORTED; either way the copy stops before anything is tagged.
    await expect(
      copyImage(parseImageReference(`${destination.host}/cache/app:1.0`), parseImageReference(`${proxy.host}/library/pushed:1.0`), {
        credentials,
        retry: { maxAttempts: 2, baseDelayMs: 1 },
      }),
    ).rejects.toMatchObject({ code: 'REGISTRY_ERROR', message: expect.stringMatching(/HTTP (500|405)/) });
  });
});

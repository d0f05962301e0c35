import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyImage } from '../../../lib/oci/copy/copyImage';
import { parseImageReference } from '../../../lib/oci/reference';
import { anonymousCredentials, type CredentialProvider, staticCredentials } from '../../../lib/oci/transport/credentials';
import { type RegistryServer, startRegistry } from '../../support/registryServer';
import { skopeoInspectRaw } from '../../support/skopeo';
import { buildTestImage, headManifestDigest, type TestImage } from '../../support/testImages';
import { startTokenIssuer, type TokenIssuer } from '../../support/tokenIssuer';

function basic(user: string, password: string): string {
  return `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
}

describe('copyImage with htpasswd (Basic) registries', () => {
  let source: RegistryServer;
  let destination: RegistryServer;
  let image: TestImage;
  const sourceUser = { username: 'alice', password: 'alice-secret' };
  const destinationUser = { username: 'bob', password: 'bob:secret' };

  beforeAll(async () => {
    [source, destination] = await Promise.all([
      startRegistry({ auth: { htpasswd: { user: sourceUser.username, password: sourceUser.password } } }),
      startRegistry({ auth: { htpasswd: { user: destinationUser.username, password: destinationUser.password } } }),
    ]);
    image = await buildTestImage(
      { url: source.url, repository: 'private/app', tag: 'v1', authorization: basic(sourceUser.username, sourceUser.password) },
      { layers: [10_000, 500_000], platforms: ['linux/amd64', 'linux/arm64'], seed: 'htpasswd' },
    );
  });

  afterAll(async () => {
    await Promise.all([source?.stop(), destination?.stop()]);
  });

  const credentialsFor =
    (sourceProvider: CredentialProvider, destinationProvider: CredentialProvider) =>
    (registry: string): CredentialProvider =>
      registry === source.host ? sourceProvider : destinationProvider;

  it('copies with user:password on both sides', async () => {
    // Act
    const report = await copyImage(parseImageReference(`${source.host}/private/app:v1`), parseImageReference(`${destination.host}/mirror/app:v1`), {
      credentials: credentialsFor(staticCredentials(sourceUser), staticCredentials(destinationUser)),
    });

    // Assess
    expect(report).toMatchObject({ destinationDigest: image.digest, manifestsCopied: 3, blobsCopied: 6 });
    const witnessed = await skopeoInspectRaw(`${destination.host}/mirror/app:v1`, { creds: `${destinationUser.username}:${destinationUser.password}` });
    expect(witnessed.digest).toBe(image.digest);
  });

  it('fails with REGISTRY_UNAUTHORIZED naming the user but never the password', async () => {
    const failure = copyImage(parseImageReference(`${source.host}/private/app:v1`), parseImageReference(`${destination.host}/mirror/denied:v1`), {
      credentials: credentialsFor(staticCredentials({ username: 'alice', password: 'wrong-password' }), staticCredentials(destinationUser)),
    });

    await expect(failure).rejects.toMatchObject({ code: 'REGISTRY_UNAUTHORIZED', message: expect.stringContaining('user "alice"') });
    await expect(failure).rejects.not.toMatchObject({ message: expect.stringContaining('wrong-password') });
    expect(await headManifestDigest(destination.url, 'mirror/denied', 'v1', basic(destinationUser.username, destinationUser.password))).toBeUndefined();
  });

  it('fails with REGISTRY_UNAUTHORIZED when no credentials are configured', async () => {
    await expect(
      copyImage(parseImageReference(`${source.host}/private/app:v1`), parseImageReference(`${destination.host}/mirror/anon:v1`), { credentials: () => anonymousCredentials }),
    ).rejects.toMatchObject({ code: 'REGISTRY_UNAUTHORIZED', message: expect.stringContaining('anonymous') });
  });
});

describe('copyImage with token-auth registries', () => {
  let issuer: TokenIssuer;
  let source: RegistryServer;
  let destination: RegistryServer;
  let image: TestImage;
  const user = { username: 'carol', password: 'carol-secret' };

  beforeAll(async () => {
    issuer = await startTokenIssuer({ users: { [user.username]: user.password }, allowAnonymousPull: true });
    [source, destination] = await Promise.all([startRegistry({ auth: { token: issuer } }), startRegistry({ auth: { token: issuer } })]);
    const setupToken = await issuer.mintToken('setup', [{ type: 'repository', name: 'public/app', actions: ['pull', 'push'] }]);
    image = await buildTestImage(
      { url: source.url, repository: 'public/app', tag: 'v1', authorization: `Bearer ${setupToken}` },
      { layers: [20_000, 700_000, 1_500_000], seed: 'token' },
    );
  });

  afterAll(async () => {
    await Promise.all([source?.stop(), destination?.stop()]);
    await issuer?.stop();
  });

  it('pulls with an anonymous token, pushes with a user token, and asks for each scope once', async () => {
    // Prepare
    issuer.requests.splice(0);

    // Act
    const report = await copyImage(parseImageReference(`${source.host}/public/app:v1`), parseImageReference(`${destination.host}/mirror/app:v1`), {
      credentials: (registry) => (registry === destination.host ? staticCredentials(user) : anonymousCredentials),
    });

    // Assess
    expect(report).toMatchObject({ destinationDigest: image.digest, blobsCopied: 4 });
    expect(issuer.requests).toEqual(
      expect.arrayContaining([
        { user: undefined, service: issuer.service, scopes: ['repository:public/app:pull'], status: 200 },
        { user: 'carol', service: issuer.service, scopes: ['repository:mirror/app:pull,push'], status: 200 },
      ]),
    );
    expect(issuer.requests).toHaveLength(2);
    const witnessed = await skopeoInspectRaw(`${destination.host}/mirror/app:v1`, { creds: `${user.username}:${user.password}` });
    expect(witnessed.digest).toBe(image.digest);
  });

  it('asks for a token covering both repositories to mount within one registry', async () => {
    issuer.requests.splice(0);

    const report = await copyImage(parseImageReference(`${destination.host}/mirror/app:v1`), parseImageReference(`${destination.host}/mirror/app-copy:v1`), {
      credentials: () => staticCredentials(user),
    });

    expect(report).toMatchObject({ blobsMounted: 4, blobsCopied: 0 });
    expect(issuer.requests.map((r) => r.scopes)).toContainEqual(['repository:mirror/app-copy:pull,push', 'repository:mirror/app:pull']);
  });

  it('fails with REGISTRY_UNAUTHORIZED when the token service rejects the password', async () => {
    await expect(
      copyImage(parseImageReference(`${source.host}/public/app:v1`), parseImageReference(`${destination.host}/mirror/rejected:v1`), {
        credentials: (registry) => (registry === destination.host ? staticCredentials({ username: 'carol', password: 'nope' }) : anonymousCredentials),
      }),
    ).rejects.toMatchObject({ code: 'REGISTRY_UNAUTHORIZED', message: expect.stringContaining('refused user "carol"') });
  });

  it('fails with REGISTRY_UNAUTHORIZED when an anonymous token may not push', async () => {
    await expect(
      copyImage(parseImageReference(`${source.host}/public/app:v1`), parseImageReference(`${destination.host}/mirror/anonymous-push:v1`), {
        credentials: () => anonymousCredentials,
      }),
    ).rejects.toMatchObject({ code: 'REGISTRY_UNAUTHORIZED' });
  });
});

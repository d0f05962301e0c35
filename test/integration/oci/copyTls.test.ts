import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyImage } from '../../../lib/oci/copy/copyImage';
import { parseImageReference } from '../../../lib/oci/reference';
import { anonymousCredentials } from '../../../lib/oci/transport/credentials';
import { type RegistryServer, startRegistry } from '../../support/registryServer';
import { skopeoInspectRaw } from '../../support/skopeo';
import { buildTestImage, type TestImage } from '../../support/testImages';

const MB = 1_000_000;
const credentials = (): typeof anonymousCredentials => anonymousCredentials;

// Every registry the product talks to in production is https: this runs the byte path (a TLS
// download's records written straight into a TLS upload) against real registries serving TLS.
describe('copyImage over TLS', () => {
  let plain: RegistryServer;
  let first: RegistryServer;
  let second: RegistryServer;
  let image: TestImage;
  let large: TestImage;

  const ref = (registry: RegistryServer, name: string): ReturnType<typeof parseImageReference> => parseImageReference(`${registry.host}/${name}`);

  beforeAll(async () => {
    [plain, first, second] = await Promise.all([startRegistry(), startRegistry({ tls: true }), startRegistry({ tls: true })]);
    [image, large] = await Promise.all([
      buildTestImage({ url: plain.url, repository: 'team/app', tag: 'v1' }, { layers: [200_000, 12 * MB], platforms: ['linux/amd64', 'linux/arm64'], seed: 'tls' }),
      buildTestImage({ url: plain.url, repository: 'team/large', tag: 'v1' }, { layers: [40 * MB], seed: 'tls-large' }),
    ]);
  });

  afterAll(async () => {
    await Promise.all([plain?.stop(), first?.stop(), second?.stop()]);
  });

  it('copies a two-platform image from one https registry to another, digests unchanged (checked with skopeo)', async () => {
    // Prepare: the image on the first TLS registry
    await copyImage(ref(plain, 'team/app:v1'), ref(first, 'team/app:v1'), { credentials, insecureRegistries: [first.host] });

    // Act
    const report = await copyImage(ref(first, 'team/app:v1'), ref(second, 'mirror/app:v1'), { credentials, insecureRegistries: [first.host, second.host] });

    // Assess
    expect(report.destinationDigest).toBe(image.digest);
    expect(report.blobsCopied).toBe(6);
    expect(report.bytesCopied).toBeGreaterThan(24 * MB);
    expect((await skopeoInspectRaw(`${second.host}/mirror/app:v1`)).digest).toBe(image.digest);
  });

  it('skips everything on a second copy over TLS', async () => {
    const report = await copyImage(ref(first, 'team/app:v1'), ref(second, 'mirror/app-again:v1'), { credentials, insecureRegistries: [first.host, second.host] });
    const again = await copyImage(ref(first, 'team/app:v1'), ref(second, 'mirror/app-again:v1'), { credentials, insecureRegistries: [first.host, second.host] });

    expect(report.destinationDigest).toBe(image.digest);
    expect(again.blobsCopied).toBe(0);
    expect(again.bytesCopied).toBe(0);
  });

  it('does not speak plain http to a TLS registry it was not told is insecure', async () => {
    await expect(copyImage(ref(plain, 'team/app:v1'), ref(first, 'team/refused:v1'), { credentials, retry: { maxAttempts: 1 } })).rejects.toMatchObject({
      code: expect.stringMatching(/^REGISTRY_/),
    });
  });

  it('copies a 40 MB layer from an https registry to a plain-http one byte for byte', async () => {
    // Prepare: TLS keeps decrypting records after the download pauses, while the plain upload
    // still holds a view of the last chunk it was given (its write pending)
    await copyImage(ref(plain, 'team/large:v1'), ref(first, 'team/large:v1'), { credentials, insecureRegistries: [first.host] });

    // Act
    const report = await copyImage(ref(first, 'team/large:v1'), ref(plain, 'mirror/large:v1'), { credentials, insecureRegistries: [first.host] });

    // Assess: the registry checked the layer's digest on upload; skopeo confirms the manifest
    expect(report.destinationDigest).toBe(large.digest);
    expect(report.bytesCopied).toBeGreaterThan(40 * MB);
    expect((await skopeoInspectRaw(`${plain.host}/mirror/large:v1`)).digest).toBe(large.digest);
  });
});

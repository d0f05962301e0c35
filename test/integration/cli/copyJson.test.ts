import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCliProcess } from '../../support/cliProcess';
import { type RegistryServer, startRegistry } from '../../support/registryServer';
import { buildTestImage, headManifestDigest, type TestImage } from '../../support/testImages';
import { documentedJsonFields } from '../../support/readme';

describe('ecr-autopilot copy --json (the executable, between two local registries)', () => {
  let source: RegistryServer;
  let destination: RegistryServer;
  let image: TestImage;

  beforeAll(async () => {
    [source, destination] = await Promise.all([startRegistry(), startRegistry()]);
    image = await buildTestImage({ url: source.url, repository: 'tools/app', tag: 'v1' }, { layers: [3000, 200_000], seed: 'cli-copy-json' });
  });

  afterAll(async () => {
    await Promise.all([source?.stop(), destination?.stop()]);
  });

  it('copies and prints the fields the README documents, schemaVersion 1 first', async () => {
    // Act
    const result = runCliProcess(['copy', `${source.host}/tools/app:v1`, `${destination.host}/mirror/app:v1`, '--json']);

    // Assess
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    const output = JSON.parse(result.stdout) as Record<string, unknown>;
    expect(Object.keys(output)).toEqual(documentedJsonFields().get('copy'));
    expect(output).toMatchObject({ schemaVersion: 1, sourceDigest: image.digest, destinationDigest: image.digest, blobsCopied: 3, newIndex: false });
    expect(await headManifestDigest(destination.url, 'mirror/app', 'v1')).toBe(image.digest);
  });
});

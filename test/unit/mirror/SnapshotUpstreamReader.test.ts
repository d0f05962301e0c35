import { describe, expect, it } from 'vitest';
import { SnapshotUpstreamReader } from '../../../lib/mirror/UpstreamReader';
import { digestOf } from '../../support/events';
import { CA, DOCKER_LIST } from './mirrorFixtures';

const REFERENCE = `${CA}:v1.32.0`;
const reader = new SnapshotUpstreamReader([
  {
    reference: REFERENCE,
    digest: digestOf('ca index'),
    mediaType: DOCKER_LIST,
    platforms: ['linux/amd64', 'linux/arm64', 'linux/s390x'],
    subsetDigests: { 'linux/amd64,linux/arm64': digestOf('ca amd64+arm64') },
  },
]);

describe('SnapshotUpstreamReader', () => {
  it('answers the upstream digest as the destination digest for all platforms', async () => {
    // Act
    const image = await reader.resolve({ sourceReference: REFERENCE, platforms: 'all' });

    // Assess
    expect(image).toEqual({ reference: REFERENCE, digest: digestOf('ca index'), mediaType: DOCKER_LIST, platforms: ['linux/amd64', 'linux/arm64', 'linux/s390x'], destinationDigest: digestOf('ca index') });
  });

  it('looks a subset up by its sorted key, whatever order the target lists it in', async () => {
    // Act
    const image = await reader.resolve({ sourceReference: REFERENCE, platforms: ['linux/arm64', 'linux/amd64'] });

    // Assess
    expect(image.destinationDigest).toBe(digestOf('ca amd64+arm64'));
  });

  it('leaves the destination digest unknown for a subset the snapshot does not record', async () => {
    // Act
    const image = await reader.resolve({ sourceReference: REFERENCE, platforms: ['linux/s390x'] });

    // Assess
    expect(image.destinationDigest).toBeUndefined();
  });

  it('fails with IMAGE_NOT_FOUND, saying how to fix it, for a reference the snapshot lacks', async () => {
    // Act
    const result = reader.resolve({ sourceReference: `${CA}:v9.9.9`, platforms: 'all' });

    // Assess
    await expect(result).rejects.toMatchObject({ code: 'IMAGE_NOT_FOUND', message: expect.stringContaining("add it to plan offline") });
  });
});

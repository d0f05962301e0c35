import { describe, expect, it } from 'vitest';
import { parseDescribeImagesOutput } from '../../../lib/lifecycle';
import { AutopilotError } from '../../../lib/errors';

describe('parseDescribeImagesOutput', () => {
  it('reads CLI v2 output with ISO-8601 times and every field the evaluator uses', () => {
    // Prepare
    const output = {
      imageDetails: [
        {
          registryId: '123456789012',
          repositoryName: 'my-repo',
          imageDigest: 'sha256:aa',
          imageTags: ['v1', 'latest'],
          imageSizeInBytes: 1234,
          imagePushedAt: '2026-01-02T03:04:05.123000+00:00',
          imageScanStatus: { status: 'COMPLETE' },
          imageManifestMediaType: 'application/vnd.oci.image.index.v1+json',
          artifactMediaType: 'application/vnd.oci.image.config.v1+json',
          lastRecordedPullTime: '2026-02-01T00:00:00+01:00',
          imageStatus: 'ACTIVE',
          lastArchivedAt: '2025-12-01T00:00:00Z',
          lastActivatedAt: '2025-12-15T00:00:00Z',
        },
        { imageDigest: 'sha256:bb', imagePushedAt: '2026-01-03T00:00:00Z', subjectManifestDigest: 'sha256:aa' },
      ],
    };

    // Act
    const images = parseDescribeImagesOutput(output);

    // Assess
    expect(images).toEqual([
      {
        imageDigest: 'sha256:aa',
        imageTags: ['v1', 'latest'],
        imageSizeInBytes: 1234,
        imagePushedAt: new Date('2026-01-02T03:04:05.123Z'),
        storageClass: 'STANDARD',
        imageManifestMediaType: 'application/vnd.oci.image.index.v1+json',
        artifactMediaType: 'application/vnd.oci.image.config.v1+json',
        lastRecordedPullTime: new Date('2026-01-31T23:00:00Z'),
        lastArchivedAt: new Date('2025-12-01T00:00:00Z'),
        lastActivatedAt: new Date('2025-12-15T00:00:00Z'),
      },
      { imageDigest: 'sha256:bb', imageTags: [], imagePushedAt: new Date('2026-01-03T00:00:00Z'), storageClass: 'STANDARD', subjectManifestDigest: 'sha256:aa' },
    ]);
  });

  it('reads CLI v1 epoch seconds', () => {
    // Act
    const [parsed] = parseDescribeImagesOutput({ imageDetails: [{ imageDigest: 'sha256:aa', imagePushedAt: 1767322800.5 }] });

    // Assess
    expect(parsed?.imagePushedAt).toEqual(new Date(1767322800500));
  });

  it('accepts Date values as the SDK returns them, and a bare list', () => {
    // Act
    const [parsed] = parseDescribeImagesOutput([{ imageDigest: 'sha256:aa', imagePushedAt: new Date('2026-01-01T00:00:00Z') }]);

    // Assess
    expect(parsed?.imagePushedAt).toEqual(new Date('2026-01-01T00:00:00Z'));
  });

  it.each([
    { status: 'ACTIVE', storageClass: 'STANDARD' },
    { status: 'ARCHIVED', storageClass: 'ARCHIVE' },
    { status: 'ACTIVATING', storageClass: 'ARCHIVE' },
  ])('maps imageStatus $status to storage class $storageClass', ({ status, storageClass }) => {
    // Act
    const [parsed] = parseDescribeImagesOutput({ imageDetails: [{ imageDigest: 'sha256:aa', imagePushedAt: 1, imageStatus: status }] });

    // Assess
    expect(parsed?.storageClass).toBe(storageClass);
  });

  it.each([
    { name: 'a missing imageDetails', json: { images: [] }, message: /\(root\): expected \{"imageDetails"/ },
    { name: 'an entry that is not an object', json: { imageDetails: ['sha256:aa'] }, message: /imageDetails\[0\]: expected an object/ },
    { name: 'a missing digest', json: { imageDetails: [{ imagePushedAt: 1 }] }, message: /imageDetails\[0\]\.imageDigest: is required/ },
    { name: 'a missing push time', json: { imageDetails: [{ imageDigest: 'sha256:aa' }] }, message: /imageDetails\[0\] \(sha256:aa\)\.imagePushedAt: is required/ },
    { name: 'a time without a zone', json: { imageDetails: [{ imageDigest: 'sha256:aa', imagePushedAt: '2026-01-01T00:00:00' }] }, message: /imagePushedAt: expected an ISO-8601 time/ },
    { name: 'a time that is not a time', json: { imageDetails: [{ imageDigest: 'sha256:aa', imagePushedAt: 1, lastRecordedPullTime: 'yesterday' }] }, message: /lastRecordedPullTime: expected an ISO-8601/ },
    { name: 'tags that are not strings', json: { imageDetails: [{ imageDigest: 'sha256:aa', imagePushedAt: 1, imageTags: [1] }] }, message: /imageTags: expected a list of strings/ },
    { name: 'a negative size', json: { imageDetails: [{ imageDigest: 'sha256:aa', imagePushedAt: 1, imageSizeInBytes: -1 }] }, message: /imageSizeInBytes: expected a number of bytes/ },
    { name: 'an unknown imageStatus', json: { imageDetails: [{ imageDigest: 'sha256:aa', imagePushedAt: 1, imageStatus: 'DELETED' }] }, message: /imageStatus: expected one of ACTIVE, ARCHIVED, ACTIVATING, got "DELETED"/ },
    { name: 'a second entry with a bad field', json: { imageDetails: [{ imageDigest: 'sha256:aa', imagePushedAt: 1 }, { imageDigest: 'sha256:bb', imagePushedAt: {} }] }, message: /imageDetails\[1\] \(sha256:bb\)\.imagePushedAt/ },
  ])('rejects $name with a USAGE error naming the entry and field', ({ json, message }) => {
    // Act
    let caught: unknown;
    try {
      parseDescribeImagesOutput(json);
    } catch (error) {
      caught = error;
    }

    // Assess
    expect(caught).toBeInstanceOf(AutopilotError);
    expect((caught as AutopilotError).code).toBe('USAGE');
    expect((caught as AutopilotError).message).toMatch(message);
  });
});

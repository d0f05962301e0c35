import { describe, expect, it } from 'vitest';
import { computeDigest } from '../../../lib/oci/digest';
import { isForeignLayer, parseManifest } from '../../../lib/oci/manifestDocument';
import { DOCKER_MANIFEST, OCI_ARTIFACT_MANIFEST, OCI_INDEX, OCI_MANIFEST } from '../../../lib/oci/mediaTypes';
import type { RawManifest } from '../../../lib/oci/types';

const blob = { mediaType: 'application/octet-stream', digest: computeDigest(Buffer.from('x')), size: 1 };

function raw(mediaType: string, document: unknown): RawManifest {
  const bytes = Buffer.from(JSON.stringify(document));
  return { mediaType, digest: computeDigest(bytes), bytes };
}

describe('parseManifest', () => {
  it.each([
    { name: 'an OCI index', manifest: raw(OCI_INDEX, { schemaVersion: 2, manifests: [blob] }), kind: 'index' },
    { name: 'an index served as plain JSON', manifest: raw('application/json', { schemaVersion: 2, manifests: [] }), kind: 'index' },
    { name: 'a Docker v2 manifest', manifest: raw(DOCKER_MANIFEST, { schemaVersion: 2, config: blob, layers: [blob] }), kind: 'image' },
    { name: 'an OCI 1.1 artifact (image manifest with artifactType)', manifest: raw(OCI_MANIFEST, { schemaVersion: 2, artifactType: 'a/b', config: blob, layers: [] }), kind: 'image' },
    { name: 'an OCI 1.1-rc artifact manifest', manifest: raw(OCI_ARTIFACT_MANIFEST, { blobs: [blob] }), kind: 'artifact' },
    { name: 'something else', manifest: raw('application/vnd.example+json', { hello: 'world' }), kind: 'opaque' },
  ])('recognises $name', ({ manifest, kind }) => {
    expect(parseManifest(manifest).kind).toBe(kind);
  });

  it('rejects descriptors without a valid digest or size, naming where', () => {
    const bad = raw(OCI_MANIFEST, { schemaVersion: 2, config: blob, layers: [{ ...blob, size: -1 }] });
    expect(() => parseManifest(bad)).toThrow(expect.objectContaining({ code: 'REGISTRY_ERROR', message: expect.stringContaining('layers[0]') }));
    expect(() => parseManifest({ ...bad, bytes: Buffer.from('not json') })).toThrow(/not valid JSON/);
  });

  it('recognises foreign layers, which are not copied', () => {
    expect(isForeignLayer({ ...blob, mediaType: 'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip', urls: ['https://mcr.microsoft.com/x'] })).toBe(true);
    expect(isForeignLayer(blob)).toBe(false);
  });
});

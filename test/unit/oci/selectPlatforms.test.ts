import { describe, expect, it } from 'vitest';
import { computeDigest } from '../../../lib/oci/digest';
import { parseManifest } from '../../../lib/oci/manifestDocument';
import { OCI_INDEX, OCI_MANIFEST } from '../../../lib/oci/mediaTypes';
import { formatPlatform, parsePlatform, platformMatches } from '../../../lib/oci/platform';
import { isAttestation, platformsOf, selectPlatforms } from '../../../lib/oci/copy/selectPlatforms';
import type { IndexDocument, RawManifest } from '../../../lib/oci/types';

const digestOf = (name: string): string => computeDigest(Buffer.from(name));

const ATTESTATION = {
  mediaType: OCI_MANIFEST,
  digest: digestOf('att-arm64'),
  size: 10,
  platform: { os: 'unknown', architecture: 'unknown' },
  annotations: { 'vnd.docker.reference.type': 'attestation-manifest', 'vnd.docker.reference.digest': digestOf('arm64') },
};

/** An OCI index of `platforms` (`os/arch[/variant]`, each child's digest derived from its architecture), plus `extra` entries. */
function index(platforms: readonly string[] = ['linux/amd64', 'linux/arm64/v8', 'linux/s390x'], extra: readonly object[] = [ATTESTATION]): { raw: RawManifest; document: IndexDocument } {
  const bytes = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_INDEX,
      manifests: [...platforms.map((platform) => ({ mediaType: OCI_MANIFEST, digest: digestOf(platform.split('/')[1] ?? ''), size: 10, platform: parsePlatform(platform) })), ...extra],
      annotations: { 'org.opencontainers.image.source': 'https://example' },
    }),
  );
  const raw = { mediaType: OCI_INDEX, digest: computeDigest(bytes), bytes };
  const parsed = parseManifest(raw);
  if (parsed.kind !== 'index') throw new Error('fixture is not an index');
  return { raw, document: parsed.document };
}

describe('selectPlatforms', () => {
  it('keeps the original bytes when no platform is asked for', () => {
    const { raw, document } = index();
    const selection = selectPlatforms(raw, document, undefined);
    expect(selection).toMatchObject({ root: raw, newIndex: false });
    expect(selection.children).toHaveLength(4);
  });

  it('builds a new index with the chosen images, their attestations and the original annotations', () => {
    // Act
    const { raw, document } = index();
    const selection = selectPlatforms(raw, document, [parsePlatform('linux/amd64'), parsePlatform('linux/arm64')]);

    // Assess
    expect(selection.newIndex).toBe(true);
    expect(selection.root.digest).not.toBe(raw.digest);
    expect(selection.root.digest).toBe(computeDigest(selection.root.bytes));
    const rebuilt = JSON.parse(selection.root.bytes.toString()) as IndexDocument;
    expect(rebuilt.manifests.map((m) => m.digest)).toEqual([digestOf('amd64'), digestOf('arm64'), digestOf('att-arm64')]);
    expect(rebuilt.annotations).toEqual({ 'org.opencontainers.image.source': 'https://example' });
    expect(platformsOf(selection.children)).toEqual(['linux/amd64', 'linux/arm64/v8']);
  });

  it('treats "every platform listed" as no subset', () => {
    const { raw, document } = index();
    const selection = selectPlatforms(raw, document, ['linux/amd64', 'linux/arm64', 'linux/s390x'].map(parsePlatform));
    expect(selection).toMatchObject({ root: raw, newIndex: false });
  });

  it('names what the index offers when a platform is missing', () => {
    const { raw, document } = index();
    expect(() => selectPlatforms(raw, document, [parsePlatform('windows/amd64')])).toThrow(
      expect.objectContaining({ code: 'USAGE', message: 'The source index has no windows/amd64 image; it offers linux/amd64, linux/arm64/v8, linux/s390x' }),
    );
  });

  it('does not count attestations as platforms', () => {
    const { document } = index();
    expect(document.manifests.filter(isAttestation)).toHaveLength(1);
    expect(platformsOf(document.manifests)).toEqual(['linux/amd64', 'linux/arm64/v8', 'linux/s390x']);
  });
});

describe('platform strings', () => {
  it('parses, formats and matches with optional variants', () => {
    expect(parsePlatform(' Linux/ARM/v7 ')).toEqual({ os: 'linux', architecture: 'arm', variant: 'v7' });
    expect(formatPlatform({ os: 'linux', architecture: 'amd64' })).toBe('linux/amd64');
    expect(platformMatches({ os: 'linux', architecture: 'arm64', variant: 'v8' }, parsePlatform('linux/arm64'))).toBe(true);
    expect(platformMatches({ os: 'linux', architecture: 'arm', variant: 'v6' }, parsePlatform('linux/arm/v7'))).toBe(false);
  });

  it.each([
    ['linux/arm64/v8', { os: 'linux', architecture: 'arm64' }, true],
    ['linux/arm64', { os: 'linux', architecture: 'arm64', variant: 'v8' }, true],
    ['linux/aarch64', { os: 'linux', architecture: 'arm64' }, true],
    ['linux/arm64/8', { os: 'linux', architecture: 'arm64', variant: 'v8' }, true],
    ['linux/arm64/v8', { os: 'linux', architecture: 'arm64', variant: 'v9' }, false],
    ['linux/x86_64', { os: 'linux', architecture: 'amd64' }, true],
    ['linux/amd64/v1', { os: 'linux', architecture: 'amd64' }, true],
    ['linux/arm/v7', { os: 'linux', architecture: 'arm' }, true],
    ['linux/armhf', { os: 'linux', architecture: 'arm', variant: 'v7' }, true],
    ['linux/arm/v6', { os: 'linux', architecture: 'arm' }, false],
    ['linux/arm64', { os: 'windows', architecture: 'arm64' }, false],
  ] as const)('normalises as containerd does: --platform %s against an index entry %o matches: %s', (wanted, entry, matches) => {
    expect(platformMatches(entry, parsePlatform(wanted))).toBe(matches);
  });

  it('selects the index entry linux/arm64 for --platform linux/arm64/v8', () => {
    // Prepare: an index whose arm64 entry carries no variant, as most do
    const { raw, document } = index(['linux/amd64', 'linux/arm64'], []);

    // Act
    const selection = selectPlatforms(raw, document, [parsePlatform('linux/arm64/v8')]);

    // Assess
    expect(selection.children.map((child) => child.digest)).toEqual([digestOf('arm64')]);
  });

  it.each(['linux', 'linux/', '/amd64', 'a/b/c/d', 'linux/arm/'])('rejects "%s"', (text) => {
    expect(() => parsePlatform(text)).toThrow(expect.objectContaining({ code: 'USAGE' }));
  });
});

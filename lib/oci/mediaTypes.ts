/**
 * Manifest and blob media types the copy engine understands.
 *
 * Docker schema 1 (`application/vnd.docker.distribution.manifest.v1+json`) is deliberately absent:
 * asking for it makes ECR convert schema 2 images to schema 1 when pulling by tag, which changes
 * the digest we would copy.
 */

export const DOCKER_MANIFEST = 'application/vnd.docker.distribution.manifest.v2+json';
export const DOCKER_MANIFEST_LIST = 'application/vnd.docker.distribution.manifest.list.v2+json';
export const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
export const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
/**
 * The artifact manifest of the OCI 1.1 release candidates (`blobs[]`, no config). Dropped from the
 * final spec in favour of image manifests with `artifactType`, but registries still hold some.
 */
export const OCI_ARTIFACT_MANIFEST = 'application/vnd.oci.artifact.manifest.v1+json';

export const DOCKER_IMAGE_CONFIG = 'application/vnd.docker.container.image.v1+json';
export const OCI_IMAGE_CONFIG = 'application/vnd.oci.image.config.v1+json';
/** The empty JSON blob (`{}`) OCI 1.1 artifacts use as their config. */
export const OCI_EMPTY_JSON = 'application/vnd.oci.empty.v1+json';

export const OCI_LAYER_TAR = 'application/vnd.oci.image.layer.v1.tar';
export const OCI_LAYER_TAR_GZIP = 'application/vnd.oci.image.layer.v1.tar+gzip';
export const DOCKER_LAYER_TAR_GZIP = 'application/vnd.docker.image.rootfs.diff.tar.gzip';

/**
 * Every manifest type we accept, most specific first. Sent as `Accept` on every manifest request so
 * the registry returns the stored bytes instead of converting them.
 */
export const MANIFEST_MEDIA_TYPES: readonly string[] = [
  OCI_INDEX,
  DOCKER_MANIFEST_LIST,
  OCI_MANIFEST,
  DOCKER_MANIFEST,
  OCI_ARTIFACT_MANIFEST,
];

/**
 * RFC 6838 §4.2: `type-name "/" subtype-name`, each a restricted-name (a letter or digit, then up
 * to 126 of letters, digits and `!#$&-^_.+`). The OCI image spec requires it of every `mediaType`.
 */
const MEDIA_TYPE = /^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}\/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}$/;

/**
 * True for a media type (without parameters) that follows RFC 6838's grammar. A media type read
 * from a registry becomes a request header (the manifest PUT's `Content-Type`): anything else
 * could carry a line break or a second header.
 *
 * @example
 * isValidMediaType('application/vnd.oci.image.manifest.v1+json'); // true
 * isValidMediaType('application/json\r\nx-injected: 1'); // false
 */
export function isValidMediaType(mediaType: string): boolean {
  return MEDIA_TYPE.test(mediaType);
}

/**
 * True for media types whose document lists other manifests (`manifests[]`).
 *
 * @example
 * isIndexMediaType(DOCKER_MANIFEST_LIST); // true
 */
export function isIndexMediaType(mediaType: string): boolean {
  return mediaType === OCI_INDEX || mediaType === DOCKER_MANIFEST_LIST;
}

/**
 * True for media types whose document lists blobs (`config` and `layers[]`).
 *
 * @example
 * isImageManifestMediaType(OCI_MANIFEST); // true
 */
export function isImageManifestMediaType(mediaType: string): boolean {
  return mediaType === OCI_MANIFEST || mediaType === DOCKER_MANIFEST;
}

/**
 * True for config media types that carry `os`/`architecture` (so a platform can be read from them).
 *
 * @example
 * isImageConfigMediaType(OCI_EMPTY_JSON); // false: an artifact's empty config
 */
export function isImageConfigMediaType(mediaType: string): boolean {
  return mediaType === OCI_IMAGE_CONFIG || mediaType === DOCKER_IMAGE_CONFIG;
}

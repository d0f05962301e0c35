/**
 * Shared data types of the OCI client: references, descriptors and the manifest documents we read.
 * Only the fields the copy engine needs are typed; manifests are always pushed as the raw bytes
 * that were fetched, never re-serialised from these types.
 */

/** A repository on a registry, e.g. `{ registry: '127.0.0.1:5000', repository: 'team/app' }`. */
export interface RepositoryRef {
  /** `host` or `host:port`, as written by the user (lower case). */
  registry: string;
  /** Repository path without the registry, e.g. `eks/aws-load-balancer-controller`. */
  repository: string;
}

/** A parsed image reference. At least one of `tag` and `digest` is set for a source image. */
export interface ImageReference extends RepositoryRef {
  tag?: string;
  /** `sha256:<64 hex>` (or another registered algorithm). */
  digest?: string;
}

/** Where an image runs. `variant` is set for ARM (`v7`, `v8`). */
export interface Platform {
  os: string;
  architecture: string;
  variant?: string;
  'os.version'?: string;
}

/** An OCI content descriptor: what a manifest says about a blob or a child manifest. */
export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  platform?: Platform;
  artifactType?: string;
  annotations?: Record<string, string>;
  /** Foreign layers (Windows base images) live at these URLs and are not stored in the registry. */
  urls?: string[];
}

/** The parts of an image manifest (OCI or Docker v2) the engine reads. */
export interface ImageManifestDocument {
  schemaVersion: number;
  mediaType?: string;
  artifactType?: string;
  config: Descriptor;
  layers: Descriptor[];
  subject?: Descriptor;
}

/** The parts of an index (OCI index or Docker manifest list) the engine reads. */
export interface IndexDocument {
  schemaVersion: number;
  mediaType?: string;
  artifactType?: string;
  manifests: Descriptor[];
  subject?: Descriptor;
  annotations?: Record<string, string>;
}

/** A manifest exactly as stored: its bytes, the media type they were served with, and their digest. */
export interface RawManifest {
  mediaType: string;
  digest: string;
  bytes: Buffer;
}

import { readImagePlatform } from '../oci/copy/imagePlatform';
import { platformsOf, selectPlatforms } from '../oci/copy/selectPlatforms';
import { parseManifest } from '../oci/manifestDocument';
import { formatPlatform, parsePlatform } from '../oci/platform';
import { parseImageReference } from '../oci/reference';
import { RegistryClient } from '../oci/remote/RegistryClient';
import type { CredentialsForRegistry } from '../oci/transport/credentials';
import type { CallOptions } from '../shared/retry';
import type { MirrorTarget } from './mirrorTargets';
import type { UpstreamImage, UpstreamReader } from './UpstreamReader';

/**
 * Reads upstream registries with our OCI client: one manifest GET per tag gives the digest, the
 * platforms of an index, and — for a platform subset — the digest of the index the copy will build
 * (the same bytes `copyImage` pushes), so an unchanged mirror is recognised without copying.
 * Built once per container; each `resolve` takes its invocation's signal.
 */
export class OciUpstreamReader implements UpstreamReader {
  /** `timeoutMs`: how long a silent registry is waited for (`CopyOptions.timeoutMs`; default 30 s). */
  constructor(private readonly options: { credentials: CredentialsForRegistry; insecureRegistries?: string[]; timeoutMs?: number }) {}

  async resolve(target: Pick<MirrorTarget, 'sourceReference' | 'platforms'>, call: CallOptions = {}): Promise<UpstreamImage> {
    const signal = call.signal ? { signal: call.signal } : {};
    const ref = parseImageReference(target.sourceReference);
    const client = new RegistryClient({
      credentials: this.options.credentials,
      ...(this.options.insecureRegistries ? { insecureRegistries: this.options.insecureRegistries } : {}),
      ...(this.options.timeoutMs === undefined ? {} : { timeoutMs: this.options.timeoutMs }),
    });
    try {
      const manifest = await client.manifests.get(ref, ref.digest ?? ref.tag ?? 'latest', signal);
      const parsed = parseManifest(manifest);
      if (parsed.kind === 'index') {
        const wanted = target.platforms === 'all' ? undefined : target.platforms.map(parsePlatform);
        return {
          reference: target.sourceReference,
          digest: manifest.digest,
          mediaType: manifest.mediaType,
          platforms: platformsOf(parsed.document.manifests),
          destinationDigest: selectPlatforms(manifest, parsed.document, wanted).root.digest,
        };
      }
      // A single-platform image is copied as it is; its platform lives in its config blob. Read it
      // from the manifest already fetched: a second manifest GET would count as another pull
      // against the upstream's rate limit, and the tag could have moved in between.
      const platform = parsed.kind === 'image' ? await readImagePlatform(client, ref, parsed.document, signal) : undefined;
      return { reference: target.sourceReference, digest: manifest.digest, mediaType: manifest.mediaType, platforms: platform ? [formatPlatform(platform)] : [], destinationDigest: manifest.digest };
    } finally {
      client.close();
    }
  }
}

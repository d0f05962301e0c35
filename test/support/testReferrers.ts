/**
 * Test referrers (OCI 1.1 artifacts with a `subject`), pushed with raw HTTP the way a signer would
 * on a registry without the referrers API: the artifact by digest, then the fallback index tagged
 * `sha256-<hex>` listing it.
 *
 * @example
 * const signature = await pushTestReferrer({ url: registry.url, repository: 'app' }, { digest: image.digest, mediaType: image.mediaType, size: image.bytes.length });
 */
import { createHash } from 'node:crypto';
import { type PushTarget, rawRequest } from './testImages';

const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
const OCI_EMPTY = 'application/vnd.oci.empty.v1+json';

export interface PushedReferrer {
  digest: string;
  bytes: Buffer;
  artifactType: string;
  /** The fallback index pushed under `sha256-<hex>` of the subject. */
  fallbackTag: string;
}

function sha256(bytes: Buffer): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

async function put(target: PushTarget, path: string, expected: number, init: Parameters<typeof rawRequest>[2]): Promise<void> {
  const response = await rawRequest('PUT', `${target.url}/v2/${target.repository}${path}`, {
    ...init,
    ...(target.authorization === undefined ? {} : { authorization: target.authorization }),
  });
  if (response.status !== expected) throw new Error(`PUT ${path}: HTTP ${response.status} ${response.body.slice(0, 300)}`);
}

async function pushSmallBlob(target: PushTarget, bytes: Buffer): Promise<string> {
  const digest = sha256(bytes);
  const started = await rawRequest('POST', `${target.url}/v2/${target.repository}/blobs/uploads/`, {
    headers: { 'content-length': '0' },
    ...(target.authorization === undefined ? {} : { authorization: target.authorization }),
  });
  const location = new URL(String(started.headers.location), target.url);
  location.searchParams.set('digest', digest);
  const committed = await rawRequest('PUT', location.toString(), {
    body: bytes,
    headers: { 'content-type': 'application/octet-stream' },
    ...(target.authorization === undefined ? {} : { authorization: target.authorization }),
  });
  if (committed.status !== 201) throw new Error(`blob ${digest}: HTTP ${committed.status}`);
  return digest;
}

/**
 * Pushes a signature-like artifact referring to `subject`, and the fallback index listing it.
 *
 * @example
 * await pushTestReferrer(target, { digest, mediaType, size }, 'application/vnd.example.signature');
 */
export async function pushTestReferrer(
  target: PushTarget,
  subject: { digest: string; mediaType: string; size: number },
  artifactType = 'application/vnd.example.signature.v1',
): Promise<PushedReferrer> {
  const empty = Buffer.from('{}');
  const payload = Buffer.from(`signature over ${subject.digest}`);
  const emptyDigest = await pushSmallBlob(target, empty);
  const payloadDigest = await pushSmallBlob(target, payload);
  const bytes = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      artifactType,
      config: { mediaType: OCI_EMPTY, digest: emptyDigest, size: empty.length },
      layers: [{ mediaType: 'application/vnd.example.signature.payload', digest: payloadDigest, size: payload.length }],
      subject,
    }),
  );
  const digest = sha256(bytes);
  await put(target, `/manifests/${digest}`, 201, { body: bytes, headers: { 'content-type': OCI_MANIFEST } });
  const fallbackTag = subject.digest.replace(':', '-');
  const index = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: [{ mediaType: OCI_MANIFEST, digest, size: bytes.length, artifactType }] }));
  await put(target, `/manifests/${fallbackTag}`, 201, { body: index, headers: { 'content-type': OCI_INDEX } });
  return { digest, bytes, artifactType, fallbackTag };
}

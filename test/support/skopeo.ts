/**
 * skopeo as an independent witness: what a second, unrelated OCI client sees in a registry.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { promisify } from 'node:util';

const run = promisify(execFile);
/** Manifests are at most 4 MiB; leave room for anything skopeo prints besides. */
const MAX_OUTPUT_BYTES = 16 * 1024 * 1024;

/**
 * The raw manifest bytes skopeo fetches for `reference` (`host:port/repo:tag`), plus their sha256.
 * `--tls-verify=false` lets skopeo fall back to plain http on loopback registries.
 *
 * @example
 * const { digest } = await skopeoInspectRaw(`${registry.host}/app:v1`);
 */
export async function skopeoInspectRaw(reference: string, options: { creds?: string } = {}): Promise<{ bytes: Buffer; digest: string }> {
  const args = ['inspect', '--raw', '--tls-verify=false', ...(options.creds ? ['--creds', options.creds] : []), `docker://${reference}`];
  const { stdout } = await run('skopeo', args, { encoding: 'buffer', maxBuffer: MAX_OUTPUT_BYTES });
  return { bytes: stdout, digest: `sha256:${createHash('sha256').update(stdout).digest('hex')}` };
}

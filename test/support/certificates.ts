/**
 * Self-signed certificates for test servers (TLS registries, HTTPS servers, the token issuer),
 * generated with `openssl` (P-256 key, valid two days) in a temporary directory that is deleted
 * at once.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface SelfSignedCertificate {
  /** PKCS#8 private key, PEM. */
  key: string;
  /** The certificate, PEM. */
  cert: string;
}

/**
 * A fresh key and self-signed certificate for `commonName`.
 *
 * @example
 * const server = createHttpsServer(selfSignedCertificate('localhost'), handler);
 */
export function selfSignedCertificate(commonName: string): SelfSignedCertificate {
  const directory = mkdtempSync(join(tmpdir(), 'ecr-autopilot-certificate-'));
  try {
    execFileSync(
      'openssl',
      ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', 'key.pem', '-out', 'cert.pem', '-days', '2', '-subj', `/CN=${commonName}`],
      { cwd: directory, stdio: 'pipe' },
    );
    return { key: readFileSync(join(directory, 'key.pem'), 'utf8'), cert: readFileSync(join(directory, 'cert.pem'), 'utf8') };
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
}

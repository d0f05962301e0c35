/**
 * What to do about a failed `copy`: the engine says what failed and where; this adds the flag or
 * setting that fixes it — credentials for the registry that refused them, `--insecure-registry`
 * for a loopback registry that speaks TLS while we spoke plain http to it.
 */
import { connect } from 'node:tls';
import { AutopilotError, hasErrorCode } from '../lib/errors';
import { isEcrRegistry } from '../lib/oci/reference';
import { createSchemePolicy, isLoopbackHost } from '../lib/oci/transport/schemePolicy';
import { timeoutPhaseOf } from '../lib/oci/transport/wire';
import { anonymousCredentials } from '../lib/oci/transport/credentials';
import { RegistryError } from '../lib/oci/transport/registryErrors';
import type { ImageReference } from '../lib/oci/types';
import { DESTINATION_CREDENTIALS_ENV, SOURCE_CREDENTIALS_ENV } from './copyCredentials';

/** A TLS handshake with a loopback registry finishes in milliseconds; this only bounds a stuck one. */
const TLS_PROBE_TIMEOUT_MS = 3_000;

export interface CopyFailureContext {
  source: ImageReference;
  destination: ImageReference;
  insecureRegistries: readonly string[];
}

/**
 * True when `host:port` completes a TLS handshake (certificate unchecked: only the protocol matters).
 *
 * @example
 * await speaksTls('127.0.0.1:5000'); // true for a registry started with a certificate
 */
export function speaksTls(host: string, timeoutMs = TLS_PROBE_TIMEOUT_MS): Promise<boolean> {
  const colon = host.lastIndexOf(':');
  const name = host.slice(0, colon).replace(/^\[|\]$/g, '');
  const port = Number(host.slice(colon + 1));
  if (colon <= 0 || !Number.isInteger(port)) return Promise.resolve(false);
  return new Promise((resolve) => {
    const socket = connect({ host: name, port, rejectUnauthorized: false, timeout: timeoutMs });
    const done = (result: boolean) => {
      socket.destroy();
      resolve(result);
    };
    socket.once('secureConnect', () => done(true));
    socket.once('error', () => done(false));
    socket.once('timeout', () => done(false));
  });
}

/** The registries of the copy that `error` names, destination first. */
function namedRegistries(error: AutopilotError, context: CopyFailureContext): string[] {
  const hosts = [context.destination.registry, context.source.registry];
  return [...new Set(hosts)].filter((host) => error.message.includes(host));
}

function credentialsHint(host: string, context: CopyFailureContext, refused: string | undefined): string {
  const ecr = isEcrRegistry(host);
  if (ecr) {
    return `the AWS identity needs ecr:GetAuthorizationToken and pull (or push) permissions on the repository in ${ecr.region}; or give ${host} credentials yourself with --authfile <file>`;
  }
  const isDestination = host === context.destination.registry;
  const isSource = host === context.source.registry;
  const flags = [
    ...(isSource ? [`--src-creds <user:password> (or ${SOURCE_CREDENTIALS_ENV})`] : []),
    ...(isDestination ? [`--dest-creds <user:password> (or ${DESTINATION_CREDENTIALS_ENV})`] : []),
  ];
  const dockerHub = isSource && host === 'registry-1.docker.io' ? '; Docker Hub also answers this way for a repository that does not exist, so check the name' : '';
  // Credentials were sent and refused: the fix is in them, not in giving some.
  const check = refused ? `check the user name and password (or token) of ${refused}, or give others` : 'give credentials';
  return `${check} for ${host} with ${flags.join(' or ')}, or --authfile <file> (\`docker login\` and \`skopeo login\` write one)${dockerHub}`;
}

function withHint(error: AutopilotError, hint: string): AutopilotError {
  return new AutopilotError(error.code, `${error.message.replace(/\.$/, '')}; ${hint}`, { cause: error, source: 'user', retryable: false });
}

/**
 * Returns the error to report for a failed copy: the same failure with what to do added when we
 * can tell, otherwise `error` itself.
 *
 * @example
 * try { await copyImage(src, dst, options) } catch (error) { throw await explainCopyFailure(error, { source: src, destination: dst, insecureRegistries: [] }) }
 */
export async function explainCopyFailure(error: unknown, context: CopyFailureContext): Promise<unknown> {
  if (!(error instanceof AutopilotError)) return error;
  const hosts = namedRegistries(error, context);
  // Our own credential errors (a missing helper, an unusable token) already say what to do.
  if (hasErrorCode(error, 'REGISTRY_UNAUTHORIZED') && error.source !== 'user' && hosts.length > 0) {
    const refused = error instanceof RegistryError && error.status === 401 && error.credentialsUsed !== anonymousCredentials.description ? error.credentialsUsed : undefined;
    return withHint(error, hosts.map((host) => credentialsHint(host, context, refused)).join('; '));
  }
  // A registry that stayed silent to a plain-http request speaks no TLS either (a TLS server refuses
  // such a request at once): probing it would only add the probe's wait to the timeout.
  if (hasErrorCode(error, 'REGISTRY_ERROR') && timeoutPhaseOf(error.cause) === undefined) {
    const policy = createSchemePolicy(context.insecureRegistries);
    for (const host of hosts) {
      if (isLoopbackHost(host) && policy.choose(host).schemes[0] === 'http' && (await speaksTls(host))) {
        return withHint(error, `${host} speaks https, but loopback registries are reached over plain http unless named: add --insecure-registry ${host} (https, certificate not checked)`);
      }
    }
  }
  return error;
}

/**
 * Docker credential helpers (`docker-credential-<name>`, e.g. `osxkeychain`, `pass`, `ecr-login`,
 * `gcloud`): the programs `credsStore` and `credHelpers` name. The protocol
 * (docker/docker-credential-helpers): run `docker-credential-<name> get`, write the server URL to its
 * stdin, read `{"ServerURL","Username","Secret"}` from its stdout; a helper that knows nothing of the
 * server exits non-zero with "credentials not found in native keychain".
 *
 * The server URL goes through stdin, never the command line, so no credential or host list ever
 * shows in `ps`. The helper's output is untrusted: bounded, parsed strictly, never echoed whole.
 */
import { spawn } from 'node:child_process';
import { AutopilotError } from '../../errors';
import type { BasicCredential } from './credentials';

/** A helper that has not answered by then is stuck (waiting for a keychain prompt nobody sees). */
export const CREDENTIAL_HELPER_TIMEOUT_MS = 30_000;
/** A credential is a few KB at most (a JWT); more is not a helper speaking the protocol. */
const MAX_HELPER_OUTPUT_BYTES = 64 * 1024;
/** What helpers print when they hold nothing for the server (credentials.errCredentialsNotFoundMessage). */
const NOT_FOUND_MESSAGE = 'credentials not found in native keychain';
/** Helper names become part of a program name: no paths, no shell characters. */
const HELPER_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
/** The user name helpers return with an identity token (an OAuth refresh token) instead of a password. */
const IDENTITY_TOKEN_USER = '<token>';

/** Docker Hub's credentials are stored under its v1 index URL, as `docker login` writes them. */
const DOCKER_HUB_SERVER_URL = 'https://index.docker.io/v1/';
const DOCKER_HUB_HOSTS: ReadonlySet<string> = new Set(['docker.io', 'index.docker.io', 'registry-1.docker.io']);

export interface CredentialHelperOptions {
  timeoutMs?: number;
  /** The environment the helper runs with (default: ours, so it finds its keychain, AWS profile, …). */
  env?: NodeJS.ProcessEnv;
}

/** Where the helper was configured, for messages: `credsStore in /home/me/.docker/config.json`. */
export interface HelperOrigin {
  helper: string;
  configuredIn: string;
}

/**
 * The server URL a helper is asked about for a registry host.
 *
 * @example
 * helperServerUrl('registry-1.docker.io'); // 'https://index.docker.io/v1/'
 * helperServerUrl('quay.io'); // 'quay.io'
 */
export function helperServerUrl(registry: string): string {
  return DOCKER_HUB_HOSTS.has(registry.toLowerCase()) ? DOCKER_HUB_SERVER_URL : registry;
}

/** Printable, single-line, short: helper output may be anything. */
function sanitise(text: string): string {
  const line = text.split(/\r?\n/).find((candidate) => candidate.trim() !== '') ?? '';
  return line.replace(/[^\x20-\x7e]/g, '?').trim().slice(0, 200);
}

function failure(origin: HelperOrigin, problem: string, fix: string, cause?: unknown): AutopilotError {
  return new AutopilotError('REGISTRY_UNAUTHORIZED', `The credential helper docker-credential-${origin.helper} (${origin.configuredIn}) ${problem}; ${fix}`, {
    source: 'user',
    ...(cause === undefined ? {} : { cause }),
  });
}

function parseHelperAnswer(stdout: string, origin: HelperOrigin): BasicCredential | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(stdout);
  } catch (error) {
    throw failure(origin, `answered with something that is not JSON ("${sanitise(stdout)}")`, 'check that it is a Docker credential helper', error);
  }
  const { Username: username, Secret: secret } = (typeof parsed === 'object' && parsed !== null ? parsed : {}) as { Username?: unknown; Secret?: unknown };
  if (typeof username !== 'string' || typeof secret !== 'string') {
    throw failure(origin, 'answered without a string Username and Secret', 'check that it is a Docker credential helper');
  }
  if (username === '' && secret === '') return undefined;
  if (username === IDENTITY_TOKEN_USER) {
    throw failure(origin, 'holds an identity token (an OAuth login), which ecr-autopilot cannot use', 'log in with a user name and password or access token, or give the credentials with --src-creds/--dest-creds');
  }
  return { username, password: secret };
}

/**
 * Asks a credential helper for a registry's credentials; undefined when it has none.
 *
 * @example
 * const credential = await runCredentialHelper({ helper: 'osxkeychain', configuredIn: 'credsStore in ~/.docker/config.json' }, 'quay.io');
 */
export function runCredentialHelper(origin: HelperOrigin, registry: string, options: CredentialHelperOptions = {}): Promise<BasicCredential | undefined> {
  if (!HELPER_NAME.test(origin.helper)) {
    return Promise.reject(
      new AutopilotError('USAGE', `The credential helper name "${sanitise(origin.helper)}" (${origin.configuredIn}) is not a plain name like "osxkeychain" or "ecr-login"; fix the file`),
    );
  }
  const timeoutMs = options.timeoutMs ?? CREDENTIAL_HELPER_TIMEOUT_MS;
  return new Promise((resolve, reject) => {
    const child = spawn(`docker-credential-${origin.helper}`, ['get'], { stdio: ['pipe', 'pipe', 'pipe'], env: options.env ?? process.env, windowsHide: true });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    let bytes = 0;
    let settled = false;
    const finish = (outcome: () => BasicCredential | undefined) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      try {
        resolve(outcome());
      } catch (error) {
        reject(error);
      }
    };
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      finish(() => {
        throw failure(origin, `did not answer within ${timeoutMs / 1000} s`, 'run it by hand to see whether it waits for input (a locked keychain, a login prompt)');
      });
    }, timeoutMs);
    const collect = (into: Buffer[]) => (chunk: Buffer) => {
      bytes += chunk.length;
      if (bytes > MAX_HELPER_OUTPUT_BYTES) {
        child.kill('SIGKILL');
        finish(() => {
          throw failure(origin, `wrote more than ${MAX_HELPER_OUTPUT_BYTES} bytes`, 'check that it is a Docker credential helper');
        });
        return;
      }
      into.push(chunk);
    };
    child.stdout.on('data', collect(stdout));
    child.stderr.on('data', collect(stderr));
    child.stdin.on('error', () => undefined); // A helper may exit without reading; its exit status tells.
    child.on('error', (error: NodeJS.ErrnoException) =>
      finish(() => {
        if (error.code === 'ENOENT') {
          throw failure(origin, 'is not installed (not on PATH)', `install docker-credential-${origin.helper}, or remove it from the file`, error);
        }
        throw failure(origin, `could not be started (${error.code ?? error.message})`, 'check that it is executable', error);
      }),
    );
    child.on('close', (code) =>
      finish(() => {
        const out = Buffer.concat(stdout).toString('utf8');
        if (code === 0) return parseHelperAnswer(out, origin);
        const message = `${out}\n${Buffer.concat(stderr).toString('utf8')}`;
        if (message.includes(NOT_FOUND_MESSAGE)) return undefined;
        throw failure(origin, `failed (exit ${code ?? 'signal'}: "${sanitise(message)}")`, 'run it by hand to see why');
      }),
    );
    child.stdin.end(helperServerUrl(registry));
  });
}

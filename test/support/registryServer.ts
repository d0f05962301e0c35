/**
 * Real registries for integration tests: Debian's `docker-registry` (distribution 2.8) started on a
 * free loopback port with its storage in a temporary directory.
 *
 * Supported setups:
 * - anonymous (`auth: 'none'`, the default);
 * - HTTP Basic with an htpasswd file (`auth: { htpasswd: { user, password } }`, bcrypt via bcryptjs);
 * - token auth (`auth: { token: issuer }` with an issuer from `startTokenIssuer`);
 * - TLS with a self-signed certificate (`tls: true`; clients must skip verification, i.e. name the
 *   registry as insecure);
 * - pull-through proxy mode (`proxy: { remoteUrl, username?, password? }`); distribution refuses
 *   pushes to a proxy registry (405 UNSUPPORTED), so a proxy is only ever a copy *source*. In 2.8
 *   the proxy hands `username`/`password` only to the upstream's Bearer token realm: an upstream
 *   behind htpasswd (Basic) is not reachable, so use an anonymous or token-auth upstream.
 *
 * `startRegistry` resolves once `GET /v2/` answers (polling the socket; no fixed sleeps) and
 * `stop()` kills the process and deletes its directory. Call `stop()` in `afterAll`. A registry
 * never outlives the process that started it, however that process ends (see `WATCHDOG`).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { access, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { request as requestTls } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import bcrypt from 'bcryptjs';
import { stringify } from 'yaml';
import { selfSignedCertificate } from './certificates';
import { findFreePort } from './freePort';
import { REGISTRY_BINARY } from './testTier';
import type { TokenIssuer } from './tokenIssuer';

/** Generous: the registry starts in well under a second, but CI machines can be slow. */
const STARTUP_TIMEOUT_MS = 20_000;
/** How often the readiness probe retries while the process starts. */
const READINESS_POLL_MS = 20;
/** bcrypt's minimum cost: distribution checks the password on every request, so keep it cheap. */
const HTPASSWD_BCRYPT_COST = 4;
/** Attempts when the free port we picked was taken before the registry bound it. */
const PORT_ATTEMPTS = 3;

/**
 * The registry runs under this `sh` script, whose standard input is a pipe from the process that
 * started it. That pipe closes when the starter ends, however it ends — `stop()`, a crash, vitest
 * killing a worker, SIGKILL, where no exit handler of ours could run — and then `read` returns and
 * the script kills the registry and deletes its directory (a copy benchmark leaves hundreds of MB).
 * A registry that exits by itself (a port taken at start) ends the script with its status, and
 * leaves the directory for the next attempt. Arguments: the directory, then the registry command.
 */
const WATCHDOG = [
  'directory=$1; shift',
  'exec 3<&0',
  '"$@" </dev/null 3<&- &',
  'registry=$!',
  // The mark tells the script below that the watcher, not the registry itself, ended it.
  '( read -r _ <&3; : > "$directory/.stopping"; kill "$registry" 2>/dev/null ) &',
  'watcher=$!',
  // The shell's own stderr is the starter's pipe, closed once the starter is gone: the shell's
  // notice that a job was killed would die there of SIGPIPE, before cleaning up.
  'exec 3<&- 2>/dev/null',
  'wait "$registry"; status=$?',
  'if [ -e "$directory/.stopping" ]; then rm -rf "$directory"; else kill "$watcher" 2>/dev/null; fi',
  'exit "$status"',
].join('\n');

export type RegistryAuth = 'none' | { htpasswd: { user: string; password: string } } | { token: Pick<TokenIssuer, 'realm' | 'service' | 'issuer' | 'rootCertificatePem'> };

export interface RegistryServerOptions {
  auth?: RegistryAuth;
  proxy?: { remoteUrl: string; username?: string; password?: string };
  /** Where the registry's temporary directory is created (default: the OS temp directory). */
  parentDirectory?: string;
  /** Serve https with a self-signed certificate generated per registry. */
  tls?: boolean;
}

export interface RegistryServer {
  /** `127.0.0.1:<port>`: the registry part of image references. */
  host: string;
  /** `http://127.0.0.1:<port>` (`https://` with `tls`). */
  url: string;
  /** The temporary directory holding config, storage and auth files. */
  directory: string;
  stop(): Promise<void>;
}

function probe(url: string): Promise<boolean> {
  return new Promise((resolve) => {
    const send = url.startsWith('https:') ? requestTls : request;
    const req = send(`${url}/v2/`, { method: 'GET', timeout: 1000, rejectUnauthorized: false }, (response) => {
      response.resume();
      resolve(true);
    });
    req.on('error', () => resolve(false));
    req.on('timeout', () => req.destroy());
    req.end();
  });
}

async function writeConfig(directory: string, port: number, options: RegistryServerOptions): Promise<string> {
  const config: Record<string, unknown> = {
    version: 0.1,
    log: { level: 'error', accesslog: { disabled: true } },
    storage: { filesystem: { rootdirectory: join(directory, 'data') }, delete: { enabled: true } },
    http: { addr: `127.0.0.1:${port}`, secret: `test-secret-${port}` },
  };
  if (options.tls) {
    const { key, cert } = selfSignedCertificate('127.0.0.1');
    await writeFile(join(directory, 'tls-key.pem'), key);
    await writeFile(join(directory, 'tls-cert.pem'), cert);
    config.http = { ...(config.http as Record<string, unknown>), tls: { certificate: join(directory, 'tls-cert.pem'), key: join(directory, 'tls-key.pem') } };
  }
  const auth = options.auth ?? 'none';
  if (auth !== 'none' && 'htpasswd' in auth) {
    const path = join(directory, 'htpasswd');
    const hash = bcrypt.hashSync(auth.htpasswd.password, HTPASSWD_BCRYPT_COST);
    await writeFile(path, `${auth.htpasswd.user}:${hash}\n`);
    config.auth = { htpasswd: { realm: 'test-registry', path } };
  } else if (auth !== 'none' && 'token' in auth) {
    const path = join(directory, 'token-root.pem');
    await writeFile(path, auth.token.rootCertificatePem);
    config.auth = { token: { realm: auth.token.realm, service: auth.token.service, issuer: auth.token.issuer, rootcertbundle: path } };
  }
  if (options.proxy) {
    config.proxy = {
      remoteurl: options.proxy.remoteUrl,
      ...(options.proxy.username === undefined ? {} : { username: options.proxy.username }),
      ...(options.proxy.password === undefined ? {} : { password: options.proxy.password }),
    };
  }
  const path = join(directory, 'config.yml');
  await writeFile(path, stringify(config));
  return path;
}

/** The environment without REGISTRY_* variables, which would override the config file. */
function registryEnvironment(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('REGISTRY_')));
}

/** Closes the watchdog's pipe (it then stops the registry) and waits for it to end. */
async function stopProcess(child: ChildProcess): Promise<void> {
  child.stdin?.destroy();
  if (child.exitCode !== null || child.signalCode !== null) return;
  await new Promise<void>((resolve) => {
    const killer = setTimeout(() => child.kill('SIGKILL'), 5000);
    child.once('exit', () => {
      clearTimeout(killer);
      resolve();
    });
  });
}

async function launch(directory: string, options: RegistryServerOptions): Promise<{ child: ChildProcess; port: number }> {
  let lastFailure = '';
  for (let attempt = 0; attempt < PORT_ATTEMPTS; attempt += 1) {
    const port = await findFreePort();
    const configPath = await writeConfig(directory, port, options);
    const child = spawn('sh', ['-c', WATCHDOG, 'docker-registry-watchdog', directory, REGISTRY_BINARY, 'serve', configPath], { stdio: ['pipe', 'ignore', 'pipe'], env: registryEnvironment() });
    // Nothing is ever written to the pipe; an error on it (the script already gone) is no news.
    child.stdin?.on('error', () => undefined);
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString('utf8')).slice(-4000);
    });
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    let hasExited = false;
    void exited.then(() => {
      hasExited = true;
    });
    const deadline = Date.now() + STARTUP_TIMEOUT_MS;
    while (!hasExited && Date.now() < deadline) {
      if (await probe(`${options.tls ? 'https' : 'http'}://127.0.0.1:${port}`)) return { child, port };
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, READINESS_POLL_MS))]);
    }
    await stopProcess(child);
    lastFailure = hasExited ? `exited: ${stderr.trim()}` : `did not answer within ${STARTUP_TIMEOUT_MS} ms: ${stderr.trim()}`;
    if (!/address already in use/i.test(stderr)) break;
  }
  throw new Error(`docker-registry ${lastFailure}`);
}

/**
 * Starts a registry and waits until it answers.
 *
 * @example
 * const registry = await startRegistry({ auth: { htpasswd: { user: 'alice', password: 's3cret' } } });
 * afterAll(() => registry.stop());
 */
export async function startRegistry(options: RegistryServerOptions = {}): Promise<RegistryServer> {
  const directory = await mkdtemp(join(options.parentDirectory ?? tmpdir(), 'ecr-autopilot-registry-'));
  let launched: { child: ChildProcess; port: number };
  try {
    launched = await launch(directory, options);
  } catch (error) {
    await rm(directory, { recursive: true, force: true });
    throw error;
  }
  const host = `127.0.0.1:${launched.port}`;
  return {
    host,
    url: `${options.tls ? 'https' : 'http'}://${host}`,
    directory,
    stop: async () => {
      await stopProcess(launched.child);
      await rm(directory, { recursive: true, force: true });
    },
  };
}

/**
 * The upload sessions still open in a repository's `_uploads` directory (filesystem storage), e.g.
 * `join(registry.directory, 'data/docker/registry/v2/repositories/<repo>/_uploads')`. A session is
 * open while its `startedat` file exists: a DELETE removes it. (A PUT cut off mid-request may still
 * write its hash state afterwards, leaving a `hashstates/` remnant that is no session.)
 *
 * @example
 * expect(await openUploadSessions(uploadsDirectory)).toEqual([]);
 */
export async function openUploadSessions(uploadsDirectory: string): Promise<string[]> {
  const entries = await readdir(uploadsDirectory).catch(() => [] as string[]);
  const open: string[] = [];
  for (const entry of entries) {
    if (await access(join(uploadsDirectory, entry, 'startedat')).then(() => true, () => false)) open.push(entry);
  }
  return open;
}

/**
 * Registry credentials where Docker, skopeo, podman and crane keep them: Docker's `config.json`
 * and the containers `auth.json` (containers-auth.json(5)), which share one format —
 * `auths` (per registry, base64 `user:password` in `auth`), `credHelpers` (a helper per registry)
 * and Docker's `credsStore` (one helper for every registry).
 *
 * Which entry applies to a registry follows the tools that write them: a `credHelpers` entry
 * for the host, then `credsStore`, then `auths` — the most specific key first, since auth.json may
 * key by `host/namespace` — with keys written as URLs (`https://index.docker.io/v1/`) reduced to their
 * host.
 */
import { readFileSync } from 'node:fs';
import * as z from 'zod/mini';
import { AutopilotError, type ValidationIssue, formatIssue } from '../../errors';
import { toValidationIssues } from '../../validation/toValidationIssues';
import type { BasicCredential } from './credentials';

const AuthEntry = z.looseObject({
  /** base64 of `user:password`. */
  auth: z.optional(z.string()),
  username: z.optional(z.string()),
  password: z.optional(z.string()),
  /** An OAuth refresh token from `docker login` against a registry that issues them. */
  identitytoken: z.optional(z.string()),
});

/** The fields of `config.json` / `auth.json` that hold credentials; everything else is left alone. */
const AuthFileSchema = z.looseObject({
  auths: z.optional(z.record(z.string(), AuthEntry)),
  credHelpers: z.optional(z.record(z.string(), z.string())),
  credsStore: z.optional(z.string()),
});

/** Where a registry's credentials are, according to one auth file. */
export type AuthFileEntry =
  | { kind: 'basic'; credential: BasicCredential; key: string }
  | { kind: 'helper'; helper: string; field: 'credHelpers' | 'credsStore' }
  | { kind: 'identityToken'; key: string };

/** A parsed auth file. */
export interface AuthFile {
  path: string;
  /** `auths`, keyed by normalised key (`host` or `host/namespace`). */
  auths: ReadonlyMap<string, z.infer<typeof AuthEntry>>;
  credHelpers: ReadonlyMap<string, string>;
  credsStore: string | undefined;
}

/** The hosts Docker Hub is known by; entries under any of them apply to all. */
const DOCKER_HUB_HOSTS: ReadonlySet<string> = new Set(['docker.io', 'index.docker.io', 'registry-1.docker.io']);

/** `https://index.docker.io/v1/` → `docker.io`; `quay.io/team` stays; hosts are lower case. */
function normaliseKey(key: string): string {
  let text = key.trim();
  const scheme = /^[a-z][a-z0-9+.-]*:\/\//i.exec(text);
  // A key written as a URL names a host only (Docker's convention); the path is an API version.
  if (scheme) text = text.slice(scheme[0].length).split('/')[0] ?? '';
  const slash = text.indexOf('/');
  const host = (slash < 0 ? text : text.slice(0, slash)).toLowerCase();
  const rest = slash < 0 ? '' : text.slice(slash).replace(/\/+$/, '');
  return `${DOCKER_HUB_HOSTS.has(host) ? 'docker.io' : host}${rest}`;
}

function invalid(path: string, issues: readonly ValidationIssue[]): AutopilotError {
  return new AutopilotError('USAGE', `Invalid auth file ${path}: ${issues.map(formatIssue).join('; ')}; fix the file or log in again (docker login, skopeo login)`);
}

/**
 * Parses an auth file's text.
 *
 * @example
 * const file = parseAuthFile('/home/me/.docker/config.json', '{"auths":{"quay.io":{"auth":"dTpw"}}}');
 */
export function parseAuthFile(path: string, text: string): AuthFile {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw invalid(path, [{ path: '', message: `is not JSON (${error instanceof Error ? error.message : String(error)})` }]);
  }
  const result = AuthFileSchema.safeParse(json);
  if (!result.success) throw invalid(path, toValidationIssues(result.error.issues, json));
  const auths = new Map<string, z.infer<typeof AuthEntry>>();
  for (const [key, entry] of Object.entries(result.data.auths ?? {})) auths.set(normaliseKey(key), entry);
  const credHelpers = new Map<string, string>();
  for (const [key, helper] of Object.entries(result.data.credHelpers ?? {})) credHelpers.set(normaliseKey(key), helper);
  return { path, auths, credHelpers, credsStore: result.data.credsStore?.trim() || undefined };
}

/**
 * Reads and parses an auth file; undefined when it does not exist (and `required` is false).
 *
 * @example
 * const file = readAuthFile(join(homedir(), '.docker', 'config.json'));
 */
export function readAuthFile(path: string, options: { required?: boolean } = {}): AuthFile | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' && !options.required) return undefined;
    throw new AutopilotError('USAGE', `Cannot read the auth file ${path} (${code ?? String(error)}); check the path`, { cause: error });
  }
  return parseAuthFile(path, text);
}

function decodeAuth(key: string, entry: z.infer<typeof AuthEntry>, path: string): BasicCredential | undefined {
  if (entry.auth) {
    const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon <= 0) throw invalid(path, [{ path: `auths.${key}.auth`, message: 'is not base64 of user:password' }]);
    return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
  }
  if (entry.username && entry.password !== undefined) return { username: entry.username, password: entry.password };
  return undefined;
}

/** `quay.io/team/app` → `['quay.io/team/app', 'quay.io/team', 'quay.io']`: the most specific key first. */
function candidateKeys(registry: string, repository: string): string[] {
  const host = normaliseKey(registry);
  const keys = [host];
  const parts = repository.split('/');
  for (let length = 1; length <= parts.length; length += 1) keys.unshift(`${host}/${parts.slice(0, length).join('/')}`);
  return keys;
}

/**
 * What `file` says about the credentials for `registry` (and `repository`, for namespaced keys).
 *
 * @example
 * lookupAuthFile(file, 'quay.io', 'team/app'); // { kind: 'basic', credential: { username, password }, key: 'quay.io' }
 */
export function lookupAuthFile(file: AuthFile, registry: string, repository: string): AuthFileEntry | undefined {
  const host = normaliseKey(registry);
  const helper = file.credHelpers.get(host);
  if (helper) return { kind: 'helper', helper, field: 'credHelpers' };
  if (file.credsStore) return { kind: 'helper', helper: file.credsStore, field: 'credsStore' };
  for (const key of candidateKeys(registry, repository)) {
    const entry = file.auths.get(key);
    if (!entry) continue;
    const credential = decodeAuth(key, entry, file.path);
    if (credential) return { kind: 'basic', credential, key };
    if (entry.identitytoken) return { kind: 'identityToken', key };
  }
  return undefined;
}

/**
 * The `auths` entry of `file` for a registry, ignoring helpers: what Docker falls back to when its
 * `credsStore` has nothing for the host.
 */
export function lookupStoredAuth(file: AuthFile, registry: string, repository: string): AuthFileEntry | undefined {
  return lookupAuthFile({ ...file, credHelpers: new Map(), credsStore: undefined }, registry, repository);
}

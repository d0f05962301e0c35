/**
 * Which credentials `copy` uses for each registry, found where skopeo, crane and Docker users
 * keep them. For each registry host, the first that has something wins:
 *
 *  1. `--src-creds` / `--dest-creds` (typed by the user);
 *  2. `ECR_AUTOPILOT_SRC_CREDS` / `ECR_AUTOPILOT_DEST_CREDS` (`user:password`, for CI: nothing in `ps`);
 *  3. the auth file named by `--authfile` or `REGISTRY_AUTH_FILE` (containers-auth.json format);
 *  4. for a private ECR host, `GetAuthorizationToken` with the AWS credentials (stored ECR logins
 *     expire after 12 hours, so ECR's own token beats them);
 *  5. the auth files the tools write by default: `$XDG_RUNTIME_DIR/containers/auth.json`,
 *     `~/.config/containers/auth.json`, `~/.docker/config.json` (`credHelpers`, `credsStore`, `auths`);
 *  6. anonymous.
 *
 * Credential helpers get the server on stdin, never in their arguments. Auth files are parsed, and
 * helpers run, only when a registry asks for credentials and a file exists: a copy between
 * anonymous registries loads neither the parser (and its schema library) nor child_process.
 */
import { existsSync } from 'node:fs';
import { AutopilotError } from '../lib/errors';
import { type EcrRegistryHost, isEcrRegistry, parseImageReference } from '../lib/oci/reference';
import type { AuthFile, AuthFileEntry } from '../lib/oci/transport/authFile';
import { authFileSearch } from '../lib/oci/transport/authFileSearch';
import type { CredentialHelperOptions } from '../lib/oci/transport/credentialHelper';
import { anonymousCredentials, type BasicCredential, type CredentialProvider, type CredentialsForRegistry, parseUserPassword, staticCredentials } from '../lib/oci/transport/credentials';
import type { GetEcrAuthorizationToken } from '../lib/oci/transport/ecrCredentials';
import type { AwsOptions } from './flags';

/** `user:password` for the source registry, for CI systems that hold secrets in the environment. */
export const SOURCE_CREDENTIALS_ENV = 'ECR_AUTOPILOT_SRC_CREDS';
/** `user:password` for the destination registry. */
export const DESTINATION_CREDENTIALS_ENV = 'ECR_AUTOPILOT_DEST_CREDS';

export interface CopyCredentialOptions {
  /** The source reference, as typed. */
  source: string;
  /** The destination reference, as typed. */
  destination: string;
  srcCreds?: string;
  destCreds?: string;
  /** `--authfile`: a containers-auth.json (or Docker config.json) file. */
  authfile?: string;
}

export interface CopyCredentialDeps {
  /** The GetAuthorizationToken call for an ECR registry; defaults to a live ECRClient in the host's region. */
  ecrTokenFor?: (registry: EcrRegistryHost) => GetEcrAuthorizationToken;
  /** `--profile` and `--timeout` for the ECR clients (the region is the host's). */
  aws?: AwsOptions;
  /** The environment to read (default `process.env`). */
  env?: NodeJS.ProcessEnv;
  /** The home directory for the default auth files (default: the user's). */
  home?: string;
  helper?: CredentialHelperOptions;
}

/** One place a registry's credentials may come from, tried in order. */
type Candidate = { kind: 'entry'; entry: AuthFileEntry; file: AuthFile } | { kind: 'provider'; provider: CredentialProvider };

/** A credential with the description that is safe to show next to it. */
interface Resolved {
  credential: BasicCredential | undefined;
  description: string;
  provider?: CredentialProvider;
}

function entryDescription(entry: AuthFileEntry, file: AuthFile): string {
  if (entry.kind === 'helper') return `docker-credential-${entry.helper} (${entry.field} in ${file.path})`;
  if (entry.kind === 'basic') return `user "${entry.credential.username}" from ${file.path}`;
  return `an identity token from ${file.path}`;
}

/**
 * Tries the candidates in order when credentials are first needed and keeps the first that has
 * some; a helper that knows nothing of the host passes to the next. `description` names the one in
 * use, so a 401 says which credentials the registry refused.
 */
function chainedCredentials(registry: string, repository: string, candidates: () => Promise<readonly Candidate[]>, helper: CredentialHelperOptions): CredentialProvider {
  let resolved: Promise<Resolved> | undefined;
  let description = 'not looked up yet';

  const resolve = async (signal?: AbortSignal): Promise<Resolved> => {
    for (const candidate of await candidates()) {
      if (candidate.kind === 'provider') {
        const credential = await candidate.provider.credential(signal);
        return { credential, description: candidate.provider.description, provider: candidate.provider };
      }
      const { entry, file } = candidate;
      if (entry.kind === 'basic') return { credential: entry.credential, description: entryDescription(entry, file) };
      if (entry.kind === 'identityToken') {
        throw new AutopilotError(
          'REGISTRY_UNAUTHORIZED',
          `${file.path} holds an identity token for ${entry.key} (an OAuth login), which ecr-autopilot cannot use; log in with a user name and password or access token, or give them with --src-creds/--dest-creds or ${SOURCE_CREDENTIALS_ENV}/${DESTINATION_CREDENTIALS_ENV}`,
          { source: 'user' },
        );
      }
      const { runCredentialHelper } = await import('../lib/oci/transport/credentialHelper');
      const credential = await runCredentialHelper({ helper: entry.helper, configuredIn: `${entry.field} in ${file.path}` }, registry, helper);
      if (credential) return { credential, description: entryDescription(entry, file) };
      if (entry.field === 'credsStore') {
        // Docker falls back to the file's own `auths` entry when its store has nothing for the host.
        const stored = (await authFiles()).lookupStoredAuth(file, registry, repository);
        if (stored?.kind === 'basic') return { credential: stored.credential, description: entryDescription(stored, file) };
      }
    }
    return { credential: undefined, description: 'anonymous (no credentials found)' };
  };

  return {
    get description() {
      return description;
    },
    async credential(signal?: AbortSignal) {
      resolved ??= resolve(signal).then((result) => {
        description = result.description;
        return result;
      });
      resolved.catch(() => {
        resolved = undefined;
      });
      return (await resolved).credential;
    },
    invalidate() {
      void resolved?.then((result) => result.provider?.invalidate());
      resolved = undefined;
    },
  };
}

function fromEnvironment(env: NodeJS.ProcessEnv, key: string): BasicCredential | undefined {
  const value = env[key];
  if (value === undefined || value === '') return undefined;
  return parseUserPassword(value, key);
}

/** The auth-file parser, loaded on first use. */
const authFiles = () => import('../lib/oci/transport/authFile');
type AuthFileModule = Awaited<ReturnType<typeof authFiles>>;

function entriesOf(parser: AuthFileModule, files: readonly AuthFile[], registry: string, repository: string): Candidate[] {
  return files.flatMap((file): Candidate[] => {
    const entry = parser.lookupAuthFile(file, registry, repository);
    return entry ? [{ kind: 'entry', entry, file }] : [];
  });
}

/**
 * Credentials per registry host for one copy, in the order described at the top of this file.
 * When both flags (or both variables) name the same host the destination's win (they need push).
 * Returns a warning to show, if any. Rejects when a named auth file is missing or invalid.
 *
 * @example
 * const { credentials } = await buildCopyCredentials({ source: 'quay.io/team/app:v1', destination: '123456789012.dkr.ecr.eu-west-1.amazonaws.com/app:v1' });
 */
export async function buildCopyCredentials(options: CopyCredentialOptions, deps: CopyCredentialDeps = {}): Promise<{ credentials: CredentialsForRegistry; warning?: string }> {
  const env = deps.env ?? process.env;
  const source = parseImageReference(options.source);
  const destination = parseImageReference(options.destination);
  const explicit = new Map<string, CredentialProvider>();
  let warning: string | undefined;

  const given = (flag: string, flagValue: string | undefined, variable: string): CredentialProvider | undefined => {
    const [credential, origin] = flagValue !== undefined ? [parseUserPassword(flagValue, flag), flag] : [fromEnvironment(env, variable), variable];
    return credential ? { ...staticCredentials(credential), description: `user "${credential.username}" (${origin})` } : undefined;
  };
  const sourceGiven = given('--src-creds', options.srcCreds, SOURCE_CREDENTIALS_ENV);
  const destinationGiven = given('--dest-creds', options.destCreds, DESTINATION_CREDENTIALS_ENV);
  if (sourceGiven) explicit.set(source.registry, sourceGiven);
  if (destinationGiven) {
    if (sourceGiven && source.registry === destination.registry) {
      warning = `Source and destination are both on ${destination.registry}; using the destination's credentials (${destinationGiven.description}) for both`;
    }
    explicit.set(destination.registry, destinationGiven);
  }

  const search = authFileSearch(env, { ...(options.authfile ? { authfile: options.authfile } : {}), ...(deps.home ? { home: deps.home } : {}) });
  // Read once, up front: a named file that is missing or broken is an error before any transfer.
  const parser = search.explicit ? await authFiles() : undefined;
  const explicitFile = search.explicit && parser ? parser.readAuthFile(search.explicit, { required: true }) : undefined;
  // The default files are parsed only once a registry asks for credentials, and only those that exist.
  let existingDefaults: string[] | undefined;
  let defaultFiles: Promise<{ parser: AuthFileModule; files: AuthFile[] }> | undefined;
  const readDefaults = (paths: readonly string[]) =>
    (defaultFiles ??= authFiles().then((loaded) => ({ parser: loaded, files: paths.flatMap((path) => loaded.readAuthFile(path) ?? []) })));

  const repositoryOn = (registry: string): string => (registry === destination.registry ? destination.repository : source.repository);
  const providers = new Map<string, CredentialProvider>();
  const credentials: CredentialsForRegistry = (registry) => {
    const existing = explicit.get(registry) ?? providers.get(registry);
    if (existing) return existing;
    const repository = repositoryOn(registry);
    const fromExplicitFile: Candidate[] = explicitFile && parser ? entriesOf(parser, [explicitFile], registry, repository) : [];
    const ecr = isEcrRegistry(registry);
    let provider: CredentialProvider;
    if (ecr) {
      const candidates = [...fromExplicitFile, { kind: 'provider', provider: ecrCredentialsOnFirstUse(ecr, registry, deps) } satisfies Candidate];
      provider = chainedCredentials(registry, repository, () => Promise.resolve(candidates), deps.helper ?? {});
    } else {
      const paths = (existingDefaults ??= search.defaults.filter((path) => existsSync(path)));
      provider =
        fromExplicitFile.length === 0 && paths.length === 0
          ? anonymousCredentials
          : chainedCredentials(
              registry,
              repository,
              async () => {
                const { parser: loaded, files } = await readDefaults(paths);
                return [...fromExplicitFile, ...entriesOf(loaded, files, registry, repository)];
              },
              deps.helper ?? {},
            );
    }
    providers.set(registry, provider);
    return provider;
  };
  return warning === undefined ? { credentials } : { credentials, warning };
}

/**
 * ECR's GetAuthorizationToken credentials for an ECR host, in the host's own region. The AWS SDK is
 * imported when a credential is first needed: a copy between other registries never loads it.
 */
function ecrCredentialsOnFirstUse(ecr: EcrRegistryHost, registry: string, deps: CopyCredentialDeps): CredentialProvider {
  let loading: Promise<CredentialProvider> | undefined;
  let loaded: CredentialProvider | undefined;
  const load = async (): Promise<CredentialProvider> => {
    const { ecrAuthorizationTokenFromSdk, ecrCredentials } = await import('../lib/oci/transport/ecrCredentials');
    const given = deps.ecrTokenFor?.(ecr);
    if (given) return ecrCredentials(given);
    const [{ ECRClient }, { awsClientConfig, requireAwsSession }] = await Promise.all([import('@aws-sdk/client-ecr'), import('./awsClientConfig')]);
    const client = new ECRClient(awsClientConfig(deps.aws, { region: ecr.region }));
    const getToken = ecrAuthorizationTokenFromSdk(client);
    return ecrCredentials(async (signal) => {
      await requireAwsSession(client, { instead: `or give ${registry} credentials yourself (${DESTINATION_CREDENTIALS_ENV}, --dest-creds or --authfile)` });
      return getToken(signal);
    });
  };
  return {
    description: 'ECR GetAuthorizationToken',
    async credential(signal) {
      loading ??= load();
      loaded = await loading;
      return loaded.credential(signal);
    },
    invalidate() {
      loaded?.invalidate();
    },
  };
}

/**
 * The credential port: how the transport gets a user name and password for a registry.
 * Providers never appear in messages with their secrets; `description` is safe to print.
 */
import { AutopilotError } from '../../errors';

/** A user name and password, sent as HTTP Basic or exchanged for a Bearer token. */
export interface BasicCredential {
  username: string;
  password: string;
}

/** Supplies credentials for one registry. */
export interface CredentialProvider {
  /** Safe to show: `anonymous`, `user "ci"`, `ECR GetAuthorizationToken`. */
  readonly description: string;
  /** The credential to use now, or undefined for anonymous access. */
  credential(signal?: AbortSignal): Promise<BasicCredential | undefined>;
  /** The registry rejected the last credential: the next `credential()` must not reuse it. */
  invalidate(): void;
}

/** Chooses the provider for a registry host (`host[:port]`). */
export type CredentialsForRegistry = (registry: string) => CredentialProvider;

/**
 * No credentials: public registries, or token realms that issue anonymous pull tokens.
 *
 * @example
 * const credentials: CredentialsForRegistry = () => anonymousCredentials;
 */
export const anonymousCredentials: CredentialProvider = {
  description: 'anonymous',
  credential: () => Promise.resolve(undefined),
  invalidate: () => undefined,
};

/**
 * A fixed user name and password.
 *
 * @example
 * const provider = staticCredentials({ username: 'ci', password: process.env.REGISTRY_PASSWORD ?? '' });
 */
export function staticCredentials(credential: BasicCredential): CredentialProvider {
  return {
    description: `user "${credential.username}"`,
    credential: () => Promise.resolve(credential),
    invalidate: () => undefined,
  };
}

/**
 * Parses `user:password` (as given to `--src-creds`); the password may itself contain colons.
 *
 * @example
 * parseUserPassword('ci:s3:cret'); // { username: 'ci', password: 's3:cret' }
 */
export function parseUserPassword(text: string, flag = 'credentials'): BasicCredential {
  const colon = text.indexOf(':');
  if (colon <= 0) {
    throw new AutopilotError('USAGE', `Invalid ${flag}: expected user:password (the user name must not be empty)`);
  }
  return { username: text.slice(0, colon), password: text.slice(colon + 1) };
}

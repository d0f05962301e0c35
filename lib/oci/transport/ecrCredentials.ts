/**
 * ECR registry credentials from `GetAuthorizationToken` (aws-ecr-facts §4): a base64 `AWS:<password>`
 * pair valid for 12 hours, usable as HTTP Basic for any registry the caller may access.
 */
import { type ECRClient, GetAuthorizationTokenCommand } from '@aws-sdk/client-ecr';
import { AutopilotError } from '../../errors';
import { callAws } from '../../shared/awsCall';
import type { BasicCredential, CredentialProvider } from './credentials';

/** Fetch a new token this long before `expiresAt`, so a long copy never starts with a dying token. */
export const ECR_TOKEN_REFRESH_MARGIN_MS = 5 * 60 * 1000;

/** What `GetAuthorizationToken` returns for one registry. */
export interface EcrAuthorizationToken {
  /** base64 of `AWS:<password>`. */
  authorizationToken: string;
  expiresAt: Date;
  /** `https://<acct>.dkr.ecr.<region>.amazonaws.com`. */
  proxyEndpoint: string;
}

/** Fetches an authorization token; injected so tests can fake it. */
export type GetEcrAuthorizationToken = (signal?: AbortSignal) => Promise<EcrAuthorizationToken>;

export interface EcrCredentialsOptions {
  /** Injectable clock (ms since epoch). */
  now?: () => number;
}

function decodeAuthorizationToken(token: string): BasicCredential {
  const decoded = Buffer.from(token, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon <= 0) {
    throw new AutopilotError('REGISTRY_UNAUTHORIZED', 'ECR returned an authorization token that is not base64 "AWS:<password>"');
  }
  return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/**
 * Credentials for a private ECR registry, cached until 5 minutes before the token expires; one
 * `GetAuthorizationToken` call is shared by concurrent callers.
 *
 * @example
 * const provider = ecrCredentials(ecrAuthorizationTokenFromSdk(new ECRClient({ region: 'eu-west-1' })));
 */
export function ecrCredentials(getAuthorizationToken: GetEcrAuthorizationToken, options: EcrCredentialsOptions = {}): CredentialProvider {
  const now = options.now ?? Date.now;
  let cached: { credential: BasicCredential; refreshAtMs: number } | undefined;
  let inFlight: Promise<BasicCredential> | undefined;

  return {
    description: 'ECR GetAuthorizationToken',
    credential(signal?: AbortSignal): Promise<BasicCredential> {
      if (cached && now() < cached.refreshAtMs) return Promise.resolve(cached.credential);
      inFlight ??= getAuthorizationToken(signal)
        .then((token) => {
          const credential = decodeAuthorizationToken(token.authorizationToken);
          cached = { credential, refreshAtMs: token.expiresAt.getTime() - ECR_TOKEN_REFRESH_MARGIN_MS };
          return credential;
        })
        .finally(() => {
          inFlight = undefined;
        });
      return inFlight;
    },
    invalidate(): void {
      cached = undefined;
    },
  };
}

/**
 * The live `GetAuthorizationToken` call, with throttling retries.
 *
 * @example
 * const getToken = ecrAuthorizationTokenFromSdk(new ECRClient({ region: 'us-east-1' }));
 */
export function ecrAuthorizationTokenFromSdk(client: ECRClient): GetEcrAuthorizationToken {
  return async (signal?: AbortSignal) => {
    let output;
    try {
      output = await callAws('GetAuthorizationToken', (sdk) => client.send(new GetAuthorizationTokenCommand({}), sdk), { signal });
    } catch (error) {
      if (error instanceof AutopilotError) throw error;
      const name = error instanceof Error ? error.name : '';
      if (name === 'AccessDeniedException' || name === 'UnrecognizedClientException' || name === 'ExpiredTokenException') {
        throw new AutopilotError('REGISTRY_UNAUTHORIZED', `ECR GetAuthorizationToken failed (${name}); the caller needs valid AWS credentials and ecr:GetAuthorizationToken`, {
          cause: error,
        });
      }
      throw new AutopilotError('AWS_ERROR', `ECR GetAuthorizationToken failed: ${error instanceof Error ? error.message : String(error)}`, { cause: error, retryable: true });
    }
    const data = output.authorizationData?.[0];
    if (!data?.authorizationToken || !data.expiresAt) {
      throw new AutopilotError('AWS_ERROR', 'ECR GetAuthorizationToken returned no authorization data');
    }
    return { authorizationToken: data.authorizationToken, expiresAt: data.expiresAt, proxyEndpoint: data.proxyEndpoint ?? '' };
  };
}

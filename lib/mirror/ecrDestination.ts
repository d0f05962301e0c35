import type { ECRClient } from '@aws-sdk/client-ecr';
import { ecrAuthorizationTokenFromSdk, ecrCredentials, type EcrAuthorizationToken } from '../oci/transport/ecrCredentials';
import type { MirrorDestination } from './OciCopyWriter';

/**
 * The account's own ECR registry as the mirror destination: the host comes from
 * `GetAuthorizationToken`'s `proxyEndpoint`, and the same token (cached until shortly before it
 * expires) authenticates the pushes.
 *
 * @example
 * const destination = ecrDestination(new ECRClient({ region }));
 * await destination.registry(); // '123456789012.dkr.ecr.ap-northeast-2.amazonaws.com'
 */
export function ecrDestination(client: ECRClient): MirrorDestination {
  const fetchToken = ecrAuthorizationTokenFromSdk(client);
  let latest: Promise<EcrAuthorizationToken> | undefined;
  const getToken = (signal?: AbortSignal) => {
    latest = fetchToken(signal);
    latest.catch(() => {
      latest = undefined;
    });
    return latest;
  };
  return {
    credentials: ecrCredentials(getToken),
    async registry(signal?: AbortSignal) {
      return new URL((await (latest ?? getToken(signal))).proxyEndpoint).host;
    },
  };
}

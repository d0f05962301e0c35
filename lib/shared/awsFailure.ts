import { AutopilotError, hasErrorCode } from '../errors';

/**
 * An error an AWS call ended with that no adapter translated (expired credentials, a network
 * failure, an unexpected service exception), as an `AutopilotError` whose message says what failed
 * and what to do. Used where a command goes on item by item (teardown, `ptc status`) and must
 * report each failure, never a raw SDK error. An `AutopilotError` is returned unchanged.
 *
 * @example
 * explainAwsFailure(expiredToken, 'ecr:DeleteRepository mirror/eks/aws-load-balancer-controller').message
 * // 'ecr:DeleteRepository mirror/eks/…: the AWS credentials have expired (…); refresh them (aws sso login, or new session credentials) and run it again'
 */
export function explainAwsFailure(error: unknown, what: string): AutopilotError {
  if (error instanceof AutopilotError) return error;
  const name = error instanceof Error ? error.name : 'Error';
  const detail = error instanceof Error && error.message ? error.message : String(error);
  const code = (error as { code?: unknown } | null)?.code;
  const fault = (error as { $fault?: unknown } | null)?.$fault;
  const status = (error as { $metadata?: { httpStatusCode?: number } } | null)?.$metadata?.httpStatusCode;
  const options = { cause: error };

  if (/^(AccessDenied|AccessDeniedException|UnauthorizedOperation|AuthorizationError|AuthorizationErrorException)$/.test(name)) {
    return new AutopilotError('ACCESS_DENIED', `${what} was denied (${detail}); grant this action to the role or user running it`, options);
  }
  if (/^(ExpiredToken|ExpiredTokenException|RequestExpired|TokenRefreshRequired)$/.test(name)) {
    return new AutopilotError('ACCESS_DENIED', `${what}: the AWS credentials have expired (${detail}); refresh them (aws sso login, or new session credentials) and run it again`, options);
  }
  if (/^(UnrecognizedClientException|InvalidClientTokenId|InvalidSignatureException|SignatureDoesNotMatch|IncompleteSignature)$/.test(name)) {
    return new AutopilotError('ACCESS_DENIED', `${what}: AWS does not accept these credentials (${name}); check AWS_PROFILE or the access key, and that the region is enabled for the account`, options);
  }
  if (name === 'CredentialsProviderError' || name === 'TokenProviderError') {
    return new AutopilotError('ACCESS_DENIED', `${what}: no AWS credentials were found (${detail}); set AWS_PROFILE (or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY), or use --plan`, {
      ...options,
      source: 'user',
    });
  }
  if (/^(ThrottlingException|Throttling|TooManyRequestsException|RequestLimitExceeded)$/.test(name) || status === 429) {
    return new AutopilotError('THROTTLED', `${what} was throttled by AWS (${name}); run it again in a few minutes`, { ...options, retryable: true });
  }
  if ((typeof code === 'string' && /^(ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|EHOSTUNREACH|ENETUNREACH)$/.test(code)) || name === 'TimeoutError') {
    return new AutopilotError('AWS_ERROR', `${what}: the AWS endpoint could not be reached (${typeof code === 'string' ? code : name}); check the network, AWS_REGION and AWS_ENDPOINT_URL, then run it again`, {
      ...options,
      retryable: true,
    });
  }
  if (fault === 'server' || (status !== undefined && status >= 500)) {
    return new AutopilotError('AWS_ERROR', `${what}: AWS answered with an internal error (${name}: ${detail}); run it again`, { ...options, retryable: true });
  }
  return new AutopilotError('AWS_ERROR', `${what} failed: ${name}: ${detail}; check that the resource and the region are the ones meant, then run it again`, options);
}

/**
 * One read of a command that goes item by item (teardown, `ptc status`): its result, or, when it
 * fails for a reason of its own (denied, expired credentials, an unexpected answer), undefined
 * after `report` got the explained message. Cancellation is rethrown, and so is AWS out of reach
 * (silent, unreachable, throttled or failing past the retries), explained: every other call would
 * wait for the same, so it is said once.
 *
 * @example
 * const rules = (await readOrReport('ecr:DescribePullThroughCacheRules', () => reader.listRules(), (message) => failures.push(message))) ?? [];
 */
export async function readOrReport<T>(operation: string, read: () => Promise<T>, report: (message: string) => void): Promise<T | undefined> {
  try {
    return await read();
  } catch (error) {
    if (hasErrorCode(error, 'ABORTED')) throw error;
    const explained = explainAwsFailure(error, operation);
    if (explained.retryable) throw explained;
    report(explained.message);
    return undefined;
  }
}

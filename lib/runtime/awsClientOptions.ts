/**
 * The options every AWS SDK client of ours is built with, in Lambda and in the CLI: a connect and an
 * idle limit, so an endpoint that accepts the connection and then says nothing fails in seconds
 * (naming its host) instead of holding the caller for minutes.
 *
 * The SDK's `NodeHttpHandler` waits without limit by default (`connectionTimeout`, `requestTimeout`
 * and `socketTimeout` default to 0), and its `requestTimeout` only logs a warning unless
 * `throwOnRequestTimeout` is set (`@smithy/types` NodeHttpHandlerOptions).
 */
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { AutopilotError } from '../errors';

/** Time to establish the TCP (and TLS) connection to an AWS endpoint. */
export const AWS_CONNECT_TIMEOUT_MS = 10_000;
/**
 * Time an AWS endpoint may stay silent. AWS API answers are small, so the whole request is held to
 * it: a request that takes longer has an endpoint that stopped answering.
 */
export const AWS_IDLE_TIMEOUT_MS = 30_000;

export interface AwsClientSettings {
  /** The region; by default the SDK's own chain (AWS_REGION, the profile's region). */
  region?: string;
  /** A named profile from the shared config files, as AWS_PROFILE would choose. */
  profile?: string;
  /** SDK attempts per call (default 3). */
  maxAttempts?: number;
  /** How long an endpoint may stay silent (default `AWS_IDLE_TIMEOUT_MS`); connecting gets at most `AWS_CONNECT_TIMEOUT_MS`. */
  timeoutMs?: number;
  /** Appended to a silence failure: how the caller can allow longer (the CLI names `--timeout`). */
  longerWaitHint?: string;
}

/** What the SDK client constructors accept from us. */
export interface AwsClientOptions {
  region?: string;
  profile?: string;
  maxAttempts: number;
  requestHandler: BoundedHttpHandler;
}

export interface Limits {
  connectMs: number;
  idleMs: number;
  longerWaitHint: string | undefined;
}

type HandleArguments = Parameters<NodeHttpHandler['handle']>;

/**
 * The SDK's HTTP handler with our limits, whose silence failures name the endpoint. A silence is
 * not worth retrying (the endpoint that said nothing for 30 s will say nothing again), so it leaves
 * as an `AutopilotError`, which the SDK's retry strategy does not classify as transient.
 */
export class BoundedHttpHandler extends NodeHttpHandler {
  constructor(readonly limits: Limits) {
    super({ connectionTimeout: limits.connectMs, requestTimeout: limits.idleMs, throwOnRequestTimeout: true, socketTimeout: limits.idleMs });
  }

  override async handle(...[request, options]: HandleArguments): ReturnType<NodeHttpHandler['handle']> {
    try {
      return await super.handle(request, options);
    } catch (error) {
      throw explainSilence(error, request.hostname + (request.port ? `:${request.port}` : ''), this.limits);
    }
  }
}

function seconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(1))} s`;
}

/** A `TimeoutError` from the handler becomes a message naming the host and the way out; anything else passes. */
function explainSilence(error: unknown, host: string, limits: Limits): unknown {
  if (!(error instanceof Error) || error.name !== 'TimeoutError') return error;
  const connecting = error.message.includes('establish a connection');
  const what = connecting ? `did not accept a connection within ${seconds(limits.connectMs)}` : `did not answer within ${seconds(limits.idleMs)}`;
  // No `cause`: the SDK's retry strategy looks through causes and would retry the TimeoutError.
  return new AutopilotError('AWS_ERROR', `The AWS endpoint ${host} ${what}; check the network (and AWS_ENDPOINT_URL, if set)${limits.longerWaitHint ? `, ${limits.longerWaitHint}` : ''}`, {
    retryable: true,
  });
}

/**
 * Options for an AWS SDK client: our connect and idle limits, the attempts, and the region and
 * profile when given (otherwise the SDK's default chain decides).
 *
 * @example
 * const ecr = new ECRClient(awsClientOptions({ region: 'eu-west-1' }));
 */
export function awsClientOptions(settings: AwsClientSettings = {}): AwsClientOptions {
  const idleMs = settings.timeoutMs ?? AWS_IDLE_TIMEOUT_MS;
  if (!(Number.isFinite(idleMs) && idleMs > 0)) throw new AutopilotError('USAGE', `The timeout must be a positive number of milliseconds, not ${idleMs}`);
  return {
    ...(settings.region ? { region: settings.region } : {}),
    ...(settings.profile ? { profile: settings.profile } : {}),
    maxAttempts: settings.maxAttempts ?? 3,
    requestHandler: new BoundedHttpHandler({ connectMs: Math.min(AWS_CONNECT_TIMEOUT_MS, idleMs), idleMs, longerWaitHint: settings.longerWaitHint }),
  };
}

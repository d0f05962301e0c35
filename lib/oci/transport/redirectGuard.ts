/**
 * Following redirects without leaking credentials.
 *
 * Registries redirect blob downloads to storage (ECR to presigned S3 URLs, Docker Hub to a CDN).
 * Those URLs carry their own signature; sending the registry's `Authorization` there would leak
 * the registry credential to a third party (and S3 rejects requests with two auth mechanisms).
 * So `Authorization` is only ever sent to the registry's own host and port.
 */
import { AutopilotError } from '../../errors';

/** More hops than any registry needs (ECR uses one); a loop fails quickly. */
export const MAX_REDIRECTS = 5;

const REDIRECT_STATUSES: ReadonlySet<number> = new Set([301, 302, 303, 307, 308]);

/**
 * True for the statuses we follow.
 *
 * @example
 * isRedirectStatus(307); // true
 */
export function isRedirectStatus(status: number): boolean {
  return REDIRECT_STATUSES.has(status);
}

/** The next hop of a redirect. */
export interface RedirectPlan {
  url: URL;
  method: string;
  /** Whether the request body is sent again (307/308 keep it; 303 and POST→GET drop it). */
  keepBody: boolean;
  /** Whether `Authorization` may be sent: only to the registry's own host and port. */
  sendAuthorization: boolean;
}

export interface RedirectContext {
  /** The URL that answered with the redirect. */
  from: URL;
  status: number;
  /** The `Location` header. */
  location: string | undefined;
  method: string;
  /** Redirects already followed for this request. */
  hops: number;
  /** The registry's `host[:port]`. */
  registryHost: string;
  /** Whether plain http is allowed to this host (loopback or --insecure-registry). */
  allowsHttp: (host: string) => boolean;
}

/**
 * Decides where a redirect goes and what may be sent there; throws `REGISTRY_ERROR` for loops,
 * missing `Location`, non-http(s) targets and https→http downgrades to hosts not allowed plain http.
 *
 * @example
 * planRedirect({ from: new URL('https://r.example/v2/a/blobs/sha256:…'), status: 307,
 *   location: 'https://bucket.s3.amazonaws.com/x?X-Amz-Signature=…', method: 'GET', hops: 0,
 *   registryHost: 'r.example', allowsHttp: () => false }).sendAuthorization; // false
 */
export function planRedirect(context: RedirectContext): RedirectPlan {
  if (context.hops >= MAX_REDIRECTS) {
    throw new AutopilotError('REGISTRY_ERROR', `Too many redirects (more than ${MAX_REDIRECTS}) from ${context.registryHost}`);
  }
  if (!context.location) {
    throw new AutopilotError('REGISTRY_ERROR', `${context.registryHost} answered ${context.status} without a Location header`);
  }
  let url: URL;
  try {
    url = new URL(context.location, context.from);
  } catch (error) {
    throw new AutopilotError('REGISTRY_ERROR', `${context.registryHost} redirected to an invalid URL`, { cause: error });
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new AutopilotError('REGISTRY_ERROR', `${context.registryHost} redirected to an unsupported ${url.protocol} URL`);
  }
  if (url.protocol === 'http:' && !context.allowsHttp(url.host)) {
    throw new AutopilotError('REGISTRY_ERROR', `${context.registryHost} redirected to plain http on ${url.host}; refusing to downgrade from https`);
  }
  // 303 always, and 301/302 for POST (as browsers and fetch do), turn into a body-less GET.
  const becomesGet = context.status === 303 || ((context.status === 301 || context.status === 302) && context.method === 'POST');
  const method = becomesGet && context.method !== 'HEAD' ? 'GET' : context.method;
  return {
    url,
    method,
    keepBody: !becomesGet,
    sendAuthorization: url.host.toLowerCase() === context.registryHost.toLowerCase(),
  };
}

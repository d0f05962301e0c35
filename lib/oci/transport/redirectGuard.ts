/**
 * Following redirects without leaking credentials.
 *
 * Registries redirect blob downloads to storage (ECR to presigned S3 URLs, Docker Hub to a CDN).
 * Those URLs carry their own signature; sending the registry's `Authorization` there would leak
 * the registry credential to a third party (and S3 rejects requests with two auth mechanisms).
 * So `Authorization` is only ever sent to the registry's own origin, and every target passes the
 * follow-up policy (no downgrade, no loopback/link-local/private address the user did not name).
 */
import { AutopilotError } from '../../errors';
import type { FollowUp } from './followUpPolicy';

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

/** The next hop of a redirect: where, and what may go along (`sameOrigin`: the registry's credentials). */
export interface RedirectPlan extends FollowUp {
  method: string;
  /** Whether the request body is sent again (307/308 keep it; 303 and POST→GET drop it). */
  keepBody: boolean;
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
  /** The registry's `host[:port]`, for messages. */
  registry: string;
  /** The follow-up policy of the registry: throws for targets it refuses. */
  followUp: (target: URL, from: URL) => FollowUp;
}

/**
 * Decides where a redirect goes and what may be sent there; throws `REGISTRY_ERROR` for loops,
 * a missing or invalid `Location`, and targets the follow-up policy refuses.
 *
 * @example
 * planRedirect({ from: new URL('https://r.example/v2/a/blobs/sha256:…'), status: 307,
 *   location: 'https://bucket.s3.amazonaws.com/x?X-Amz-Signature=…', method: 'GET', hops: 0,
 *   registry: 'r.example', followUp: (target, from) => checkFollowUp(target, from, 'redirect', origin, schemePolicy) }).sameOrigin; // false
 */
export function planRedirect(context: RedirectContext): RedirectPlan {
  if (context.hops >= MAX_REDIRECTS) {
    throw new AutopilotError('REGISTRY_ERROR', `Too many redirects (more than ${MAX_REDIRECTS}) from ${context.registry}`);
  }
  if (!context.location) {
    throw new AutopilotError('REGISTRY_ERROR', `${context.registry} answered ${context.status} without a Location header`);
  }
  let url: URL;
  try {
    url = new URL(context.location, context.from);
  } catch (error) {
    throw new AutopilotError('REGISTRY_ERROR', `${context.registry} redirected to an invalid URL`, { cause: error });
  }
  const followUp = context.followUp(url, context.from);
  // 303 always, and 301/302 for POST (as browsers and fetch do), turn into a body-less GET.
  const becomesGet = context.status === 303 || ((context.status === 301 || context.status === 302) && context.method === 'POST');
  const method = becomesGet && context.method !== 'HEAD' ? 'GET' : context.method;
  return { ...followUp, method, keepBody: !becomesGet };
}

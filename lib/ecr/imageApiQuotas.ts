/**
 * ECR's documented rate quotas for the API actions behind image pushes and pulls, and what each
 * registry request costs in them. A push to `<account>.dkr.ecr.<region>.amazonaws.com` with the OCI
 * distribution API is served by these actions, each with its own per-account, per-Region rate.
 * The mirror's copies are paced under them (`EcrImageApiPacer`, planned by `planFleet`).
 */
import type { PacedExchange, RequestPacing } from '../oci/transport/requestPacing';
import { CallPacer, realPacerClock, type PacerClock } from '../shared/callPacer';

/**
 * Default rate quotas, requests per second per account and Region (all adjustable). "Amazon ECR
 * service quotas", https://docs.aws.amazon.com/AmazonECR/latest/userguide/service-quotas.html
 * (also aws-ecr-facts §6). GetAuthorizationToken (500/s) is an SDK call made once per batch (the
 * token is cached), so it is not paced here. Control-plane actions (DescribeImages, ListImages,
 * BatchDeleteImage, GetLifecyclePolicy, DescribeRepositories…) have no published rate: they are
 * paced by `fleet.ecrCallsPerSecond` instead.
 */
export const ECR_IMAGE_API_RATE_QUOTAS = {
  BatchCheckLayerAvailability: 1000,
  BatchGetImage: 2000,
  CompleteLayerUpload: 100,
  GetDownloadUrlForLayer: 3000,
  InitiateLayerUpload: 100,
  PutImage: 10,
  UploadLayerPart: 500,
} as const;

export type EcrImageApi = keyof typeof ECR_IMAGE_API_RATE_QUOTAS;
export const ECR_IMAGE_APIS = Object.keys(ECR_IMAGE_API_RATE_QUOTAS) as EcrImageApi[];

const MANIFEST_PATH = /^\/v2\/.+\/manifests\/[^/]+$/;
const BLOB_PATH = /^\/v2\/.+\/blobs\/[^/]+$/;
const UPLOADS_PATH = /^\/v2\/.+\/blobs\/uploads\/?$/;
const UPLOAD_SESSION_PATH = /^\/v2\/.+\/blobs\/uploads\/[^/]+$/;

/**
 * The ECR actions an OCI distribution request to an ECR registry is served by. A request with no
 * documented rate (the `/v2/` ping, tag lists, referrers, cancelling an upload) costs none.
 * A monolithic upload (a PUT or POST with the blob) counts as the part and the completion; a POST
 * with a body also opens the session.
 *
 * @example
 * ecrImageApisOf({ registry, method: 'PUT', url: new URL(`https://${registry}/v2/app/manifests/v1`), hasBody: true }); // ['PutImage']
 */
export function ecrImageApisOf(exchange: Pick<PacedExchange, 'method' | 'url' | 'hasBody'>): EcrImageApi[] {
  const path = exchange.url.pathname;
  const method = exchange.method.toUpperCase();
  if (MANIFEST_PATH.test(path)) {
    if (method === 'PUT') return ['PutImage'];
    if (method === 'GET' || method === 'HEAD') return ['BatchGetImage'];
    return [];
  }
  if (UPLOADS_PATH.test(path)) {
    if (method !== 'POST') return [];
    return exchange.hasBody ? ['InitiateLayerUpload', 'UploadLayerPart', 'CompleteLayerUpload'] : ['InitiateLayerUpload'];
  }
  if (UPLOAD_SESSION_PATH.test(path)) {
    if (method === 'PATCH') return ['UploadLayerPart'];
    if (method === 'PUT') return exchange.hasBody ? ['UploadLayerPart', 'CompleteLayerUpload'] : ['CompleteLayerUpload'];
    return [];
  }
  if (BLOB_PATH.test(path)) {
    if (method === 'HEAD') return ['BatchCheckLayerAvailability'];
    if (method === 'GET') return ['GetDownloadUrlForLayer'];
  }
  return [];
}

/**
 * Paces requests to an ECR registry per action: each action has its own evenly spaced rate
 * (`CallPacer`), and a request waits for the slot of every action it costs. With `n` batches each
 * pacing at `rate / n`, the fleet never exceeds `rate` for any action together.
 *
 * @example
 * const pacing = new EcrImageApiPacer(planFleet(config.fleet, 'mirror').imageApiCallsPerSecondPerBatch);
 */
export class EcrImageApiPacer implements RequestPacing {
  private readonly pacers: ReadonlyMap<EcrImageApi, CallPacer>;

  constructor(callsPerSecond: Readonly<Record<EcrImageApi, number>>, clock: PacerClock = realPacerClock) {
    this.pacers = new Map(ECR_IMAGE_APIS.map((api) => [api, new CallPacer(callsPerSecond[api], clock)]));
  }

  async pace(exchange: PacedExchange, signal?: AbortSignal): Promise<void> {
    for (const api of ecrImageApisOf(exchange)) await this.pacers.get(api)?.take(signal);
  }

  /** The rate each action is paced at, in calls per second. */
  rates(): Record<EcrImageApi, number> {
    return Object.fromEntries(ECR_IMAGE_APIS.map((api) => [api, this.pacers.get(api)?.callsPerSecond ?? 0])) as Record<EcrImageApi, number>;
  }
}

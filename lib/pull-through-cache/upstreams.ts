/**
 * Every upstream registry ECR pull-through cache supports (aws-ecr-facts §3.1, [MODEL]
 * `UpstreamRegistry`): its `upstreamRegistry` enum value, its `upstreamRegistryUrl`, and what it
 * needs to authenticate. Pure data: the configuration schema, the reconcile planner and the
 * failure guidance all read it, and none of them imports the SDK.
 */

/** The `upstreamRegistry` enum of CreatePullThroughCacheRule ([MODEL], botocore 1.43.11). */
export const UPSTREAM_REGISTRIES = [
  'ecr-public',
  'k8s',
  'quay',
  'docker-hub',
  'github-container-registry',
  'azure-container-registry',
  'gitlab-container-registry',
  'chainguard',
  'ecr',
] as const;
export type UpstreamRegistry = (typeof UPSTREAM_REGISTRIES)[number];

/**
 * How a rule authenticates upstream:
 * - `none`: anonymous pulls only;
 * - `optional`: anonymous by default, a Secrets Manager secret may raise upstream rate limits;
 * - `required`: a Secrets Manager secret (`ecr-pullthroughcache/…`, §3.2) is mandatory;
 * - `role`: ECR-to-ECR; an IAM role (`customRoleArn`) is needed only across accounts.
 */
export type UpstreamCredential = 'none' | 'optional' | 'required' | 'role';

export interface Upstream {
  upstreamRegistry: UpstreamRegistry;
  /** For people: `Docker Hub`. */
  title: string;
  /** The fixed `upstreamRegistryUrl`, or undefined when each rule names its own (Azure, ECR). */
  url?: string;
  /** For upstreams without a fixed URL: the shape a rule's `upstreamUrl` must have. */
  urlPattern?: RegExp;
  /** An example of `urlPattern`, for error messages. */
  urlExample?: string;
  credential: UpstreamCredential;
  /** What the secret's `username` and `accessToken` are for this upstream (§3.2). */
  secretHint?: { username: string; accessToken: string };
  /** Said aloud wherever a fact about this upstream is not documented. */
  unconfirmed?: string;
  /**
   * The prefixes people give this upstream's rules (the enum value and the usual short names, as in
   * AWS's examples: `docker-hub`, `github`). A failed pull under one of them that the configuration
   * does not declare is reported with the configuration lines to add. Only upstreams with a fixed
   * URL have aliases: for the others the lines could not be complete.
   */
  aliases?: readonly string[];
}

export const UPSTREAMS: Readonly<Record<UpstreamRegistry, Upstream>> = {
  'ecr-public': {
    upstreamRegistry: 'ecr-public',
    title: 'Amazon ECR Public',
    url: 'public.ecr.aws',
    credential: 'optional',
    secretHint: { username: '<Amazon ECR Public user>', accessToken: '<token>' },
    aliases: ['ecr-public'],
  },
  k8s: { upstreamRegistry: 'k8s', title: 'Kubernetes (registry.k8s.io)', url: 'registry.k8s.io', credential: 'none', aliases: ['k8s'] },
  quay: { upstreamRegistry: 'quay', title: 'Quay', url: 'quay.io', credential: 'none', aliases: ['quay'] },
  'docker-hub': {
    upstreamRegistry: 'docker-hub',
    title: 'Docker Hub',
    url: 'registry-1.docker.io',
    credential: 'required',
    secretHint: { username: '<Docker Hub user name>', accessToken: '<Docker Hub personal access token>' },
    aliases: ['docker-hub', 'dockerhub'],
  },
  'github-container-registry': {
    upstreamRegistry: 'github-container-registry',
    title: 'GitHub Container Registry',
    url: 'ghcr.io',
    credential: 'required',
    secretHint: { username: '<GitHub user name>', accessToken: '<GitHub personal access token (classic) with read:packages>' },
    aliases: ['github', 'ghcr', 'github-container-registry'],
  },
  'azure-container-registry': {
    upstreamRegistry: 'azure-container-registry',
    title: 'Azure Container Registry',
    urlPattern: /^[a-z0-9]{5,50}\.azurecr\.io$/,
    urlExample: 'myregistry.azurecr.io',
    credential: 'required',
    secretHint: { username: '<Azure token or service principal name>', accessToken: '<its password>' },
  },
  'gitlab-container-registry': {
    upstreamRegistry: 'gitlab-container-registry',
    title: 'GitLab Container Registry (GitLab.com only)',
    url: 'registry.gitlab.com',
    credential: 'required',
    secretHint: { username: '<GitLab user name>', accessToken: '<GitLab access token with read_registry>' },
    aliases: ['gitlab', 'gitlab-container-registry'],
  },
  chainguard: {
    upstreamRegistry: 'chainguard',
    title: 'Chainguard Registry',
    // The API documentation lists no URL for chainguard; third parties use cgr.dev (§3.1).
    url: 'cgr.dev',
    credential: 'required',
    secretHint: { username: '<Chainguard pull token identity>', accessToken: '<Chainguard pull token password>' },
    unconfirmed: 'the upstream URL cgr.dev is not in the ECR API documentation (UNCONFIRMED); set upstreamUrl if ECR rejects it',
    aliases: ['chainguard'],
  },
  ecr: {
    upstreamRegistry: 'ecr',
    title: 'Amazon ECR (another region or account)',
    urlPattern: /^\d{12}\.dkr\.ecr\.[a-z]{2}(?:-[a-z]+)+-\d+\.amazonaws\.com$/,
    urlExample: '111122223333.dkr.ecr.us-east-1.amazonaws.com',
    credential: 'role',
  },
};

/**
 * True when a rule for this upstream must carry a credential secret.
 *
 * @example
 * requiresSecret('docker-hub') // true
 */
export function requiresSecret(upstreamRegistry: UpstreamRegistry): boolean {
  return UPSTREAMS[upstreamRegistry].credential === 'required';
}

/**
 * The upstream a prefix is a known alias of, if any.
 *
 * @example
 * upstreamOfAlias('ghcr') // 'github-container-registry'
 */
export function upstreamOfAlias(prefix: string): UpstreamRegistry | undefined {
  return UPSTREAM_REGISTRIES.find((upstream) => UPSTREAMS[upstream].aliases?.includes(prefix));
}

/**
 * Image references as users write them: `registry/repo:tag`, `registry/repo@sha256:…`, or both.
 * The grammar follows distribution's `reference` package; the registry part is mandatory because
 * guessing Docker Hub for a copy tool hides mistakes (`myrepo:1` would silently go to docker.io).
 */
import { AutopilotError } from '../errors';
import { parseDigest } from './digest';
import type { ImageReference } from './types';

/** Docker Hub's API host; `docker.io` itself serves no registry API. */
const DOCKER_HUB_API_HOST = 'registry-1.docker.io';
const DOCKER_HUB_ALIASES: ReadonlySet<string> = new Set(['docker.io', 'index.docker.io', DOCKER_HUB_API_HOST]);
/** distribution rejects longer names (reference.NameTotalLengthMax). */
const MAX_REPOSITORY_LENGTH = 255;

const HOST_PATTERN = /^(?:\[[0-9a-fA-F:.]+\]|[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*)(?::[0-9]{1,5})?$/;
const PATH_COMPONENT_PATTERN = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
/** A tag as docker and distribution accept it. */
export const TAG_PATTERN = /^[\w][\w.-]{0,127}$/;

const EXAMPLE = 'e.g. public.ecr.aws/eks/aws-load-balancer-controller:v2.9.2 or 123456789012.dkr.ecr.eu-west-1.amazonaws.com/app@sha256:…';

function usage(input: string, problem: string): AutopilotError {
  return new AutopilotError('USAGE', `Invalid image reference "${input}": ${problem} (${EXAMPLE})`);
}

function looksLikeRegistryHost(component: string): boolean {
  return component.includes('.') || component.includes(':') || component === 'localhost' || component.startsWith('[');
}

/**
 * Parses a full image reference. A reference with neither tag nor digest is returned without
 * either; callers that need one (the copy source) say so in their own error.
 *
 * @example
 * parseImageReference('registry.k8s.io/autoscaling/cluster-autoscaler:v1.32.0');
 * // { registry: 'registry.k8s.io', repository: 'autoscaling/cluster-autoscaler', tag: 'v1.32.0' }
 */
export function parseImageReference(input: string): ImageReference {
  let text = input.trim();
  if (text === '') throw usage(input, 'it is empty');
  if (/^https?:\/\//i.test(text)) throw usage(input, 'drop the http(s):// scheme; references name a registry host, not a URL');
  if (text.startsWith('docker://')) text = text.slice('docker://'.length);
  if (/\s/.test(text)) throw usage(input, 'it contains whitespace');

  let digest: string | undefined;
  const at = text.indexOf('@');
  if (at >= 0) {
    digest = text.slice(at + 1);
    text = text.slice(0, at);
    try {
      parseDigest(digest);
    } catch (error) {
      throw usage(input, error instanceof Error ? error.message : String(error));
    }
  }

  const slash = text.indexOf('/');
  const hostPart = slash > 0 ? text.slice(0, slash) : '';
  if (slash <= 0 || !looksLikeRegistryHost(hostPart)) {
    throw usage(input, 'the registry host is missing; write the full reference including the registry');
  }
  if (!HOST_PATTERN.test(hostPart)) throw usage(input, `"${hostPart}" is not a valid registry host`);

  let path = text.slice(slash + 1);
  let tag: string | undefined;
  const colon = path.lastIndexOf(':');
  if (colon >= 0) {
    tag = path.slice(colon + 1);
    path = path.slice(0, colon);
    if (!TAG_PATTERN.test(tag)) throw usage(input, `tag "${tag}" must match [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}`);
  }
  if (path === '') throw usage(input, 'the repository is missing');
  for (const component of path.split('/')) {
    if (!PATH_COMPONENT_PATTERN.test(component)) {
      throw usage(input, `repository component "${component}" must be lower-case letters and digits separated by ".", "_", "__" or "-"`);
    }
  }

  let registry = hostPart.toLowerCase();
  if (DOCKER_HUB_ALIASES.has(registry)) {
    registry = DOCKER_HUB_API_HOST;
    // Docker Hub's official images live under library/ even though users omit it.
    if (!path.includes('/')) path = `library/${path}`;
  }
  if (path.length > MAX_REPOSITORY_LENGTH) throw usage(input, `the repository name is longer than ${MAX_REPOSITORY_LENGTH} characters`);

  const reference: ImageReference = { registry, repository: path };
  if (tag !== undefined) reference.tag = tag;
  if (digest !== undefined) reference.digest = digest;
  return reference;
}

/**
 * Formats a reference back into its canonical text form.
 *
 * @example
 * formatImageReference({ registry: 'localhost:5000', repository: 'app', tag: 'v1' }); // 'localhost:5000/app:v1'
 */
export function formatImageReference(reference: ImageReference): string {
  const tag = reference.tag === undefined ? '' : `:${reference.tag}`;
  const digest = reference.digest === undefined ? '' : `@${reference.digest}`;
  return `${reference.registry}/${reference.repository}${tag}${digest}`;
}

/** The account and region of a private ECR registry host. */
export interface EcrRegistryHost {
  accountId: string;
  region: string;
}

/**
 * `<acct>.dkr.ecr[-fips].<region>.amazonaws.com[.cn]` and the dual-stack `<acct>.dkr-ecr.<region>.on.aws`.
 */
const ECR_HOST_PATTERN = /^(\d{12})\.dkr\.ecr(?:-fips)?\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?$/;
const ECR_DUALSTACK_HOST_PATTERN = /^(\d{12})\.dkr-ecr(?:-fips)?\.([a-z0-9-]+)\.on\.aws$/;

/**
 * Recognises a private ECR registry host, which authenticates with `GetAuthorizationToken`.
 *
 * @example
 * isEcrRegistry('123456789012.dkr.ecr.eu-west-1.amazonaws.com'); // { accountId: '123456789012', region: 'eu-west-1' }
 * isEcrRegistry('public.ecr.aws'); // undefined (ECR Public uses anonymous tokens)
 */
export function isEcrRegistry(host: string): EcrRegistryHost | undefined {
  const name = host.toLowerCase().replace(/:443$/, '');
  const match = ECR_HOST_PATTERN.exec(name) ?? ECR_DUALSTACK_HOST_PATTERN.exec(name);
  if (!match?.[1] || !match[2]) return undefined;
  return { accountId: match[1], region: match[2] };
}

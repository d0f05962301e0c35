import { PTC_SECRET_PREFIX } from './limits';
import { requiresSecret, UPSTREAMS, type UpstreamRegistry } from './upstreams';

/**
 * What a pull-through cache failure most likely means and how to fix it. The failure codes of
 * `ECR Pull Through Cache Action` are UNCONFIRMED (aws-ecr-facts §1.4): they plausibly mirror
 * ECR's `ImageFailureCode` (`UpstreamAccessDenied`, `UpstreamTooManyRequests`, …), and
 * ValidatePullThroughCacheRule returns free text. So codes and reasons are matched loosely, by
 * keyword and HTTP status, and anything unrecognised still gets useful generic guidance.
 */
export type FailureCategory =
  | 'credentials'
  | 'rate-limit'
  | 'image-not-found'
  | 'upstream-unavailable'
  | 'access-denied'
  | 'kms'
  | 'kms-region'
  | 'secret'
  | 'quota'
  | 'not-declared'
  | 'unknown';

export interface Guidance {
  /** The failure code as received (or `unknown`). */
  code: string;
  category: FailureCategory;
  /** One line, e.g. `Upstream credentials were rejected`. */
  title: string;
  likelyCause: string;
  fix: string;
  /** Commands that diagnose or fix it, with placeholders instead of any secret value. */
  commands: string[];
  severity: 'warning' | 'critical';
}

export interface FailureContext {
  /** The failure text (`failure-reason`, or ValidatePullThroughCacheRule's `failure`). */
  reason?: string;
  prefix?: string;
  repositoryName?: string;
  upstream?: UpstreamRegistry;
  /** The rule's credential secret NAME, when the configuration declares one. */
  secretName?: string;
  region?: string;
}

/** Keyword tests in order: the first match wins, so specific upstream codes come before `accessdenied`. */
const CLASSIFIERS: ReadonlyArray<{ category: FailureCategory; test: RegExp }> = [
  { category: 'rate-limit', test: /toomanyrequests|ratelimit|429|throttl/ },
  { category: 'credentials', test: /upstreamaccessdenied|unauthori[sz]ed|401|authenticat|user ?name|password|(?:invalid|bad|wrong) ?credentials/ },
  { category: 'secret', test: /secretnotfound|unabletoaccesssecret|unabletodecryptsecret|secret/ },
  { category: 'kms-region', test: /kmskeyregion/ },
  { category: 'kms', test: /kms/ },
  { category: 'image-not-found', test: /imagenotfound|manifestunknown|notfound|404|nameunknown/ },
  { category: 'upstream-unavailable', test: /upstreamunavailable|unavailable|timeout|timedout|5\d\d|serviceerror|connection/ },
  { category: 'access-denied', test: /accessdenied|forbidden|403|imageinaccessible|notauthorized/ },
  { category: 'quota', test: /limitexceeded|quota/ },
];

/**
 * The likely cause and fix of a pull-through cache failure.
 *
 * @example
 * explainPtcFailure('UpstreamTooManyRequests', { prefix: 'docker-hub' }).category // 'rate-limit'
 */
export function explainPtcFailure(code: string | undefined, context: FailureContext = {}): Guidance {
  const key = `${code ?? ''} ${context.reason ?? ''}`.toLowerCase().replace(/[^a-z0-9 ]/g, '');
  const category = CLASSIFIERS.find((classifier) => classifier.test.test(key))?.category ?? 'unknown';
  const prefix = context.prefix ?? '<prefix>';
  const region = context.region ? ` --region ${context.region}` : '';
  const validate = `aws ecr validate-pull-through-cache-rule --ecr-repository-prefix ${prefix}${region}`;
  const upstreamTitle = context.upstream ? UPSTREAMS[context.upstream].title : 'the upstream registry';
  const base = { code: code ?? 'unknown', category };
  switch (category) {
    case 'credentials':
      return {
        ...base,
        title: `${upstreamTitle} rejected the credentials`,
        likelyCause: `The user name or access token in ${context.secretName ?? 'the rule\'s secret'} is wrong, expired or revoked, or lacks read access to the image.`,
        fix: 'Store a valid user name and access token in the secret (JSON keys username and accessToken), then validate the rule.',
        commands: [...(context.secretName ? [putSecretCommand(context.secretName, context.region, context.upstream)] : []), validate],
        severity: 'critical',
      };
    case 'rate-limit':
      return {
        ...base,
        title: `${upstreamTitle} rate-limited the pull`,
        likelyCause: 'The upstream pull quota is used up (Docker Hub limits anonymous and free accounts per 6 hours). ECR keeps serving the last cached copy of images it already has.',
        fix: 'Authenticate with an account that has a higher limit (a paid Docker Hub plan), pull less often, or mirror the image instead; then pull again later.',
        commands: [validate],
        severity: 'warning',
      };
    case 'image-not-found':
      return {
        ...base,
        title: 'The image was not found upstream',
        likelyCause: `The repository or tag does not exist upstream${context.repositoryName ? ` for ${context.repositoryName}` : ''}, or the path maps to the wrong upstream repository.`,
        fix: `Check the name and tag upstream. Docker Hub official images need /library/ (${prefix}/library/alpine:3.20), other images must not have it; with upstreamRepositoryPrefix, the path after ${prefix}/ is appended to it.`,
        commands: [],
        severity: 'warning',
      };
    case 'upstream-unavailable':
      return {
        ...base,
        title: `${upstreamTitle} was unavailable`,
        likelyCause: 'The upstream registry timed out or returned a server error. ECR keeps serving the last cached copy of images it already has.',
        fix: 'Usually temporary: pull again later. If it persists, check the upstream status page.',
        commands: [validate],
        severity: 'warning',
      };
    case 'access-denied':
      return {
        ...base,
        title: 'The pull was denied',
        likelyCause: 'The identity pulling lacks ecr:BatchImportUpstreamImage or ecr:CreateRepository (needed on the first pull through a rule), or a registry permission policy narrows them.',
        fix: `Grant the puller ecr:BatchImportUpstreamImage and ecr:CreateRepository on arn:aws:ecr:<region>:<account>:repository/${prefix}/* (identity or registry policy), then pull again.`,
        commands: ['aws ecr get-registry-policy'],
        severity: 'critical',
      };
    case 'kms':
      return {
        ...base,
        title: 'A KMS key could not be used',
        likelyCause: "The repository creation template's KMS key, or the secret's KMS key, does not let ECR use it.",
        fix: "Allow ECR's service-linked role (AWSServiceRoleForECRPullThroughCache) in the KMS key policy, or use AES256 / the AWS managed key.",
        commands: [`aws ecr describe-repository-creation-templates --prefixes ${prefix}${region}`],
        severity: 'critical',
      };
    case 'kms-region':
      return {
        ...base,
        title: "The template's KMS key is in another region",
        likelyCause: `The repository creation template for ${prefix}/ names a KMS key of another region; ECR uses only a key in the repository's own region${context.region ? ` (${context.region})` : ''}, so neither the template nor the rule was created.`,
        fix: `Set kmsKey to the ARN of a key in ${context.region ?? "the rule's region"} (for a multi-Region key, its replica there), then pull again or run the sync.`,
        commands: [`aws kms list-aliases${region}`],
        severity: 'critical',
      };
    case 'secret':
      return {
        ...base,
        title: 'ECR cannot read the credential secret',
        likelyCause: `The secret${context.secretName ? ` ${context.secretName}` : ''} is missing, scheduled for deletion, in another account or region, or encrypted with a key ECR cannot use.`,
        fix: 'Create or restore the secret in the same account and region as the rule, named ecr-pullthroughcache/…, then validate the rule.',
        commands: [...(context.secretName ? [createSecretCommand(context.secretName, context.region, context.upstream)] : []), validate],
        severity: 'critical',
      };
    case 'quota':
      return {
        ...base,
        title: 'An ECR quota is reached',
        likelyCause: 'The registry already has 50 pull-through cache rules (not adjustable), or too many templates.',
        fix: 'Delete rules nobody uses, or set pullThroughCache.prune: true so the sync deletes undeclared ones.',
        commands: [`aws ecr describe-pull-through-cache-rules${region}`],
        severity: 'critical',
      };
    case 'not-declared':
    case 'unknown':
      return {
        ...base,
        title: 'The pull through the cache failed',
        likelyCause: `ECR reported ${code ?? 'a failure'}${context.reason ? `: ${context.reason}` : ''}; the cause is not one we recognise.`,
        fix: 'Validate the rule, check the upstream and the image name, then pull again.',
        commands: [validate],
        severity: 'warning',
      };
  }
}

/** A rule people could declare: a prefix that is a known alias of an upstream with a fixed URL. */
export interface UndeclaredRule {
  prefix: string;
  upstream: UpstreamRegistry;
  /** Declared rules that already cache this upstream under another prefix. */
  sameUpstream: readonly string[];
}

/**
 * Why a pull under a known upstream alias found no rule, and the configuration entry that fixes it:
 * ecr-autopilot creates only the rules the configuration declares.
 *
 * @example
 * explainUndeclaredPrefix({ prefix: 'ghcr', upstream: 'github-container-registry', sameUpstream: [] }, { region: 'ap-northeast-2' }).configLines
 * // ['{ prefix: ghcr, upstream: github-container-registry, credentialSecret: ecr-pullthroughcache/ghcr }']
 */
export function explainUndeclaredPrefix(rule: UndeclaredRule, context: { region?: string; repositoryName?: string } = {}): Guidance & { configLines: string[] } {
  const upstream = UPSTREAMS[rule.upstream];
  const secretName = requiresSecret(rule.upstream) ? `${PTC_SECRET_PREFIX}${rule.prefix}` : undefined;
  const entry = `{ prefix: ${rule.prefix}, upstream: ${rule.upstream}${secretName ? `, credentialSecret: ${secretName}` : ''} }`;
  const elsewhere =
    rule.sameUpstream.length > 0 ? ` ${upstream.title} is already cached under ${rule.sameUpstream.map((prefix) => `${prefix}/`).join(', ')}: pulling through that prefix may be what was meant.` : '';
  return {
    code: 'NOT_DECLARED',
    category: 'not-declared',
    title: `${rule.prefix}/ is not a declared pull-through cache prefix`,
    likelyCause: `${context.repositoryName ?? `A repository under ${rule.prefix}/`} was pulled through ${rule.prefix}/, the usual prefix for ${upstream.title} (${upstream.url ?? 'its registry'}), but the configuration declares no rule for it, and ecr-autopilot creates only declared rules.${elsewhere}`,
    fix: `Declare the rule under pullThroughCache.rules in infra/autopilot.yml and deploy: the next failed pull (or the daily sync) creates it with its template. To create it only when first pulled, also list ${rule.prefix} in pullThroughCache.autoCreate.${secretName ? ` ${upstream.title} needs credentials: create the secret ${secretName} first.` : ''}`,
    commands: secretName ? [createSecretCommand(secretName, context.region, rule.upstream)] : [],
    severity: 'warning',
    configLines: [entry],
  };
}

/**
 * The command that creates a pull-through cache secret, with placeholders (never a value).
 *
 * @example
 * createSecretCommand('ecr-pullthroughcache/docker-hub', 'ap-northeast-2', 'docker-hub')
 * // aws secretsmanager create-secret --name ecr-pullthroughcache/docker-hub --region ap-northeast-2 --secret-string '{"username":"<Docker Hub user name>",…}'
 */
export function createSecretCommand(name: string, region?: string, upstream?: UpstreamRegistry): string {
  return `aws secretsmanager create-secret --name ${name}${region ? ` --region ${region}` : ''} --secret-string '${secretTemplate(upstream)}'`;
}

function putSecretCommand(name: string, region?: string, upstream?: UpstreamRegistry): string {
  return `aws secretsmanager put-secret-value --secret-id ${name}${region ? ` --region ${region}` : ''} --secret-string '${secretTemplate(upstream)}'`;
}

function secretTemplate(upstream: UpstreamRegistry | undefined): string {
  const hint = (upstream ? UPSTREAMS[upstream].secretHint : undefined) ?? { username: '<user name>', accessToken: '<access token>' };
  return JSON.stringify({ username: hint.username, accessToken: hint.accessToken });
}

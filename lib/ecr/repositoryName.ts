import * as z from 'zod/mini';

/**
 * ECR repository names, defined once for events, configuration and pull-through cache limits.
 *
 * Source: Amazon ECR API Reference, CreateRepository, `repositoryName`
 * (https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_CreateRepository.html):
 * length 2–256, pattern
 * `(?:[a-z0-9]+(?:[._-][a-z0-9]+)*\/)*[a-z0-9]+(?:[._-][a-z0-9]+)*` in older models and, in the
 * current service model, `[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*(\/[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*)*`,
 * which also allows `__` and runs of `-` between alphanumerics (`team__a/api`, `a--b`). The current
 * one is what ECR accepts today, so it is the one used everywhere.
 */

/** One path component: lowercase alphanumerics joined by `.`, `_`, `__` or a run of `-`. */
const COMPONENT_SOURCE = '[a-z0-9]+(?:(?:\\.|_|__|-+)[a-z0-9]+)*';

/** Unanchored source of the name pattern, to compose prefixes (pull-through cache) from. */
export const REPOSITORY_NAME_SOURCE = `${COMPONENT_SOURCE}(?:\\/${COMPONENT_SOURCE})*`;

/** A whole repository name (no length check: see the limits below). */
export const REPOSITORY_NAME_PATTERN = new RegExp(`^${REPOSITORY_NAME_SOURCE}$`);

export const REPOSITORY_NAME_MIN_LENGTH = 2;
export const REPOSITORY_NAME_MAX_LENGTH = 256;

/** Every character a repository name can hold; a glob with anything else can never match one. */
export const REPOSITORY_NAME_CHARACTERS = /^[a-z0-9._/-]*$/;

/** How the rule reads in an error message. */
export const REPOSITORY_NAME_RULE =
  'lowercase letters and digits, in components separated by /, with ., _, __ or runs of - only between letters and digits';

/**
 * Why a string is not an ECR repository name, or undefined when it is one.
 *
 * @example
 * repositoryNameProblem('team__a/api') // undefined
 * repositoryNameProblem('Team/api')    // 'must be …'
 */
export function repositoryNameProblem(name: string): string | undefined {
  if (name.length < REPOSITORY_NAME_MIN_LENGTH) return `must be at least ${REPOSITORY_NAME_MIN_LENGTH} characters long (ECR repositoryName)`;
  if (name.length > REPOSITORY_NAME_MAX_LENGTH) return `must be at most ${REPOSITORY_NAME_MAX_LENGTH} characters long (ECR repositoryName)`;
  if (!REPOSITORY_NAME_PATTERN.test(name)) return `must be a valid ECR repository name: ${REPOSITORY_NAME_RULE}`;
  return undefined;
}

/** True for a name ECR accepts. */
export function isRepositoryName(name: string): boolean {
  return repositoryNameProblem(name) === undefined;
}

/** The schema for a repository name, wherever one is read (events, snapshots, configuration). */
export const RepositoryName = z
  .string()
  .check(
    z.minLength(REPOSITORY_NAME_MIN_LENGTH, `must be at least ${REPOSITORY_NAME_MIN_LENGTH} characters long (ECR repositoryName)`),
    z.maxLength(REPOSITORY_NAME_MAX_LENGTH, `must be at most ${REPOSITORY_NAME_MAX_LENGTH} characters long (ECR repositoryName)`),
    z.regex(REPOSITORY_NAME_PATTERN, `must be a valid ECR repository name: ${REPOSITORY_NAME_RULE}`),
  );

/**
 * A repository-name prefix (`mirror`, `team__a/cache`): name components, so that `<prefix>/<path>`
 * is a name. At most 254 characters: `/` and at least one more character must still fit in 256.
 */
export const RepositoryNamePrefix = z
  .string()
  .check(
    z.maxLength(REPOSITORY_NAME_MAX_LENGTH - 2, `must be at most ${REPOSITORY_NAME_MAX_LENGTH - 2} characters long, so that <prefix>/<name> fits ECR's ${REPOSITORY_NAME_MAX_LENGTH}`),
    z.regex(REPOSITORY_NAME_PATTERN, `must be a repository-name prefix such as mirror: ${REPOSITORY_NAME_RULE}`),
  );

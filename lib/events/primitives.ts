import * as z from 'zod/mini';

/**
 * Field shapes shared by several event and configuration schemas.
 * One definition each, so an ECR constraint is written down once.
 */

/** `sha256:` followed by 64 lowercase hex characters. */
export const ImageDigest = z.string().check(z.regex(/^sha256:[a-f0-9]{64}$/, 'must be "sha256:" followed by 64 lowercase hex characters'));

/** ECR repository names: one definition for events, configuration and limits (`lib/ecr/repositoryName.ts`). */
export { RepositoryName } from '../ecr/repositoryName';

/** Image tags: 1–300 characters (QUOTAS). */
export const ImageTag = z.string().check(z.minLength(1), z.maxLength(300));

export const AccountId = z.string().check(z.regex(/^\d{12}$/, 'must be a 12-digit AWS account id'));

export const AwsRegion = z.string().check(z.regex(/^[a-z]{2}(?:-[a-z]+)+-\d+$/, 'must be an AWS region such as us-east-1'));

/** ISO-8601 timestamps as EventBridge writes them (`2019-11-16T01:54:34Z`). */
export const IsoTimestamp = z.string().check(
  z.refine((value) => /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2})$/.test(value) && !Number.isNaN(Date.parse(value)), {
    message: 'must be an ISO-8601 timestamp such as 2024-05-08T20:44:54Z',
  }),
);

/** `arn:aws:ecr:<region>:<account>:repository/<name>`; the name is captured. */
export const REPOSITORY_ARN_PATTERN = /^arn:aws(?:-[a-z]+)*:ecr:([a-z0-9-]+):(\d{12}):repository\/(.+)$/;

export const RepositoryArn = z.string().check(z.regex(REPOSITORY_ARN_PATTERN, 'must be an ECR repository ARN (arn:aws:ecr:<region>:<account>:repository/<name>)'));

/** Severity keys ECR uses in `finding-severity-counts` and scan findings. */
export const SEVERITIES = ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW', 'INFORMATIONAL', 'UNDEFINED'] as const;
export type Severity = (typeof SEVERITIES)[number];

export const Count = z.int().check(z.gte(0));

import * as z from 'zod/mini';

/**
 * Field shapes shared by several event and configuration schemas.
 * One definition each, so an ECR constraint is written down once.
 */

/** What ECR computes for every image: `sha256:` followed by 64 lowercase hex characters. */
export const IMAGE_DIGEST_PATTERN = /^sha256:[a-f0-9]{64}$/;

/** A digest we read or write ourselves (snapshots, requests): always well-formed. */
export const ImageDigest = z.string().check(z.regex(IMAGE_DIGEST_PATTERN, 'must be "sha256:" followed by 64 lowercase hex characters'));

/** True for a digest an image can really have; events may carry placeholders (see `EventImageDigest`). */
export function isImageDigest(value: string | undefined): value is string {
  return value !== undefined && IMAGE_DIGEST_PATTERN.test(value);
}

/**
 * `image-digest` as events carry it. AWS's own documented samples use placeholders, such as
 * `sha256:7f5b…abcd1234` (60 hex characters) or `sha256:36c7…e5EXAMPLE`, and a user may send them
 * with `aws events put-events`: they are accepted here, and a handler that needs a real digest
 * checks `isImageDigest` and ignores the event with a reason. Only what no AWS service sends (no
 * `sha256:` algorithm, characters outside a digest's) is malformed.
 */
export const EventImageDigest = z.string().check(z.regex(/^sha256:[0-9A-Za-z]+$/, 'must be "sha256:" followed by the digest'));

/**
 * An optional string field that AWS sends as `""` when it has no value: the `image-tag` of an
 * untagged push (every platform manifest of a multi-arch push, every push by digest), the
 * `image-tag` and `image-digest` of a failed pull-through cache sync. `""` reads as absent, so the
 * handlers see `undefined` ("untagged"), never an empty tag.
 *
 * @example
 * z.object({ 'image-tag': absentWhenEmpty(ImageTag) }).parse({ 'image-tag': '' }) // { 'image-tag': undefined }
 */
export function absentWhenEmpty(schema: z.ZodMiniType<string, string>) {
  return z.optional(z.pipe(z.pipe(z.string(), z.transform((value: string): string | undefined => (value === '' ? undefined : value))), z.optional(schema)));
}

/** ECR repository names: one definition for events, configuration and limits (`lib/ecr/repositoryName.ts`). */
export { RepositoryName } from '../ecr/repositoryName';

/** Image tags: 1–300 characters (QUOTAS). */
export const ImageTag = z.string().check(z.minLength(1), z.maxLength(300));

/** `image-tags` of a scan event: absent or `[]` for an untagged image; an empty entry is no tag. */
export const ImageTags = z._default(
  z.pipe(
    z.array(z.string().check(z.maxLength(300))),
    z.transform((tags: string[]) => tags.filter((tag) => tag !== '')),
  ),
  [],
);

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

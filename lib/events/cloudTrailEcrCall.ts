import * as z from 'zod/mini';
import { eventBridgeEvent } from './envelope';

/**
 * `AWS API Call via CloudTrail` for ECR (aws-ecr-facts §7). A failed pull through an unknown
 * prefix arrives as `BatchGetImage` or `GetDownloadUrlForLayer` with
 * `errorCode: RepositoryNotFoundException` and the requested `repositoryName`.
 */
export const CloudTrailEcrCallDetail = z.looseObject({
  eventVersion: z.optional(z.string()),
  eventSource: z.literal('ecr.amazonaws.com'),
  eventName: z.string().check(z.minLength(1)),
  eventTime: z.optional(z.string()),
  awsRegion: z.optional(z.string()),
  eventID: z.optional(z.string()),
  eventType: z.optional(z.string()),
  errorCode: z.optional(z.string()),
  errorMessage: z.optional(z.string()),
  sourceIPAddress: z.optional(z.string()),
  userAgent: z.optional(z.string()),
  userIdentity: z.optional(z.looseObject({ type: z.optional(z.string()), arn: z.optional(z.string()) })),
  requestParameters: z.optional(
    z.nullable(
      z.looseObject({
        repositoryName: z.optional(z.string()),
        registryId: z.optional(z.string()),
      }),
    ),
  ),
});

export const CloudTrailEcrCallEvent = eventBridgeEvent('aws.ecr', 'AWS API Call via CloudTrail', CloudTrailEcrCallDetail);
export type CloudTrailEcrCallEvent = z.output<typeof CloudTrailEcrCallEvent>;

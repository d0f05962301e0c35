import * as z from 'zod/mini';
import { eventBridgeEvent } from './envelope';
import { Count, EventImageDigest, ImageTags, RepositoryArn } from './primitives';

/**
 * `Inspector2 Scan` (aws-ecr-facts §1.7). Inspector sends it for every resource type it scans:
 * ECR images, EC2 instances (`instance-id`), Lambda functions and machine images
 * (`machine-image-id`; https://docs.aws.amazon.com/inspector/latest/user/eventbridge-integration.html,
 * "Machine image initial scan"). Only an ECR image scan
 * carries `repository-name` (beware: the repository ARN, not the name) and `image-digest`, so both
 * are optional here and the handler ignores scans of other resources with a reason. Severity keys
 * are CRITICAL, HIGH, MEDIUM and TOTAL, and may be absent when there are no findings.
 */
export const Inspector2ScanDetail = z.looseObject({
  'scan-status': z.string().check(z.minLength(1)),
  'repository-name': z.optional(RepositoryArn),
  'finding-severity-counts': z._default(z.record(z.string(), Count), {}),
  'image-digest': z.optional(EventImageDigest),
  'image-tags': ImageTags,
  'instance-id': z.optional(z.string()),
  'machine-image-id': z.optional(z.string()),
  version: z.optional(z.string()),
});

export const Inspector2ScanEvent = eventBridgeEvent('aws.inspector2', 'Inspector2 Scan', Inspector2ScanDetail);
export type Inspector2ScanEvent = z.output<typeof Inspector2ScanEvent>;

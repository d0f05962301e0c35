import * as z from 'zod/mini';
import { eventBridgeEvent } from './envelope';
import { Count, ImageDigest, ImageTag, RepositoryName } from './primitives';

/**
 * `ECR Image Scan` (basic scanning, aws-ecr-facts §1.3). A severity key is present only when its
 * count is above zero; `image-tags` may be empty (an untagged platform manifest of an index).
 */
export const EcrImageScanDetail = z.looseObject({
  'scan-status': z.string().check(z.minLength(1)),
  'repository-name': RepositoryName,
  'finding-severity-counts': z._default(z.record(z.string(), Count), {}),
  'image-digest': ImageDigest,
  'image-tags': z.array(ImageTag),
});

export const EcrImageScanEvent = eventBridgeEvent('aws.ecr', 'ECR Image Scan', EcrImageScanDetail);
export type EcrImageScanEvent = z.output<typeof EcrImageScanEvent>;

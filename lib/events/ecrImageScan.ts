import * as z from 'zod/mini';
import { eventBridgeEvent } from './envelope';
import { Count, EventImageDigest, ImageTags, RepositoryName } from './primitives';

/**
 * `ECR Image Scan` (basic scanning, aws-ecr-facts §1.3). A severity key is present only when its
 * count is above zero, so a scan without findings may carry no `finding-severity-counts` at all;
 * `image-tags` may be empty or absent (an untagged platform manifest of an index). `scan-status` is
 * `COMPLETE` or one of the other `ScanStatus` values (`FAILED`, `UNSUPPORTED_IMAGE`, …): the
 * handler reports those as scans without readable findings.
 */
export const EcrImageScanDetail = z.looseObject({
  'scan-status': z.string().check(z.minLength(1)),
  'repository-name': RepositoryName,
  'finding-severity-counts': z._default(z.record(z.string(), Count), {}),
  'image-digest': EventImageDigest,
  'image-tags': ImageTags,
});

export const EcrImageScanEvent = eventBridgeEvent('aws.ecr', 'ECR Image Scan', EcrImageScanDetail);
export type EcrImageScanEvent = z.output<typeof EcrImageScanEvent>;

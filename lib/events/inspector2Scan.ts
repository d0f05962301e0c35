import * as z from 'zod/mini';
import { eventBridgeEvent } from './envelope';
import { Count, ImageDigest, ImageTag, RepositoryArn } from './primitives';

/**
 * `Inspector2 Scan` (enhanced scanning, aws-ecr-facts §1.7). Beware: `repository-name` carries the
 * repository ARN, not the name. Severity keys are CRITICAL, HIGH, MEDIUM and TOTAL.
 */
export const Inspector2ScanDetail = z.looseObject({
  'scan-status': z.string().check(z.minLength(1)),
  'repository-name': RepositoryArn,
  'finding-severity-counts': z._default(z.record(z.string(), Count), {}),
  'image-digest': ImageDigest,
  'image-tags': z._default(z.array(ImageTag), []),
  version: z.optional(z.string()),
});

export const Inspector2ScanEvent = eventBridgeEvent('aws.inspector2', 'Inspector2 Scan', Inspector2ScanDetail);
export type Inspector2ScanEvent = z.output<typeof Inspector2ScanEvent>;

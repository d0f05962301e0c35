import * as z from 'zod/mini';
import { EcrImageScanEvent } from '../events/ecrImageScan';
import { originOf, type EventOrigin } from '../events/envelope';
import { Inspector2ScanEvent } from '../events/inspector2Scan';
import { isImageDigest, REPOSITORY_ARN_PATTERN } from '../events/primitives';

/** `onImageScan` accepts basic (`ECR Image Scan`) and enhanced (`Inspector2 Scan`) scan events. */
export const ImageScanEvent = z.discriminatedUnion('detail-type', [EcrImageScanEvent, Inspector2ScanEvent]);
export type ImageScanEvent = z.output<typeof ImageScanEvent>;

/** A finished scan, whichever scanner produced it. */
export interface CompletedScan {
  origin: EventOrigin;
  registryId: string;
  repositoryName: string;
  imageDigest: string;
  imageTags: string[];
  scanType: 'BASIC' | 'ENHANCED';
  status: string;
  /** True when findings can be read (COMPLETE for basic, INITIAL_SCAN_COMPLETE for enhanced). */
  complete: boolean;
  /** The counts the event carried (for the log: findings are re-read and counted ourselves). */
  eventCounts: Record<string, number>;
}

const COMPLETE_STATUSES: ReadonlySet<string> = new Set(['COMPLETE', 'INITIAL_SCAN_COMPLETE', 'ACTIVE']);

/** A scan event that is not about an ECR image we can read: why it is ignored. */
export interface IgnoredScan {
  ignored: string;
}

/**
 * Normalises both event shapes, or says why the event names no ECR image to report on. For
 * Inspector2, `repository-name` is the repository ARN: the name (and the registry id) come out of
 * it; an Inspector2 scan of an EC2 instance, a Lambda function or an AMI has none.
 *
 * @example
 * const scan = toCompletedScan(event);
 * if ('ignored' in scan) return ignore(scan.ignored);
 */
export function toCompletedScan(event: ImageScanEvent): CompletedScan | IgnoredScan {
  const origin = originOf(event);
  if (event['detail-type'] === 'Inspector2 Scan') {
    const detail = event.detail;
    const arn = detail['repository-name'];
    const match = arn === undefined ? null : REPOSITORY_ARN_PATTERN.exec(arn);
    if (!match) return { ignored: `Inspector2 scanned ${scannedResource(event)}, not an ECR image; onImageScan reports ECR image scans only` };
    const repositoryName = match[3] as string;
    const digestProblem = imageDigestProblem(detail['image-digest']);
    if (digestProblem) return { ignored: `the Inspector2 scan of ${repositoryName} ${digestProblem}` };
    return {
      origin,
      registryId: match[2] ?? event.account,
      repositoryName,
      imageDigest: detail['image-digest'] as string,
      imageTags: detail['image-tags'],
      scanType: 'ENHANCED',
      status: detail['scan-status'],
      complete: COMPLETE_STATUSES.has(detail['scan-status']),
      eventCounts: detail['finding-severity-counts'],
    };
  }
  const basic = event.detail;
  const digestProblem = imageDigestProblem(basic['image-digest']);
  if (digestProblem) return { ignored: `the scan of ${basic['repository-name']} ${digestProblem}` };
  return {
    origin,
    registryId: event.account,
    repositoryName: basic['repository-name'],
    imageDigest: basic['image-digest'],
    imageTags: basic['image-tags'],
    scanType: 'BASIC',
    status: basic['scan-status'],
    complete: COMPLETE_STATUSES.has(basic['scan-status']),
    eventCounts: basic['finding-severity-counts'],
  };
}

/** Why an event's digest names no image we could read, or undefined when it is a real digest. */
export function imageDigestProblem(digest: string | undefined): string | undefined {
  if (digest === undefined) return 'names no image-digest';
  if (isImageDigest(digest)) return undefined;
  return `has image-digest ${digest}, which is no sha256 digest of 64 hex characters (AWS's documentation samples carry such placeholders), so there is no image to read`;
}

/** What an Inspector2 scan without an ECR repository was about, for the log. */
function scannedResource(event: Inspector2ScanEvent): string {
  const instanceId = event.detail['instance-id'];
  if (instanceId) return `EC2 instance ${instanceId}`;
  const machineImageId = event.detail['machine-image-id'];
  if (machineImageId) return `machine image (AMI) ${machineImageId}`;
  const resource = event.resources[0];
  if (resource === undefined) return 'a resource it does not name';
  if (/^arn:[^:]+:lambda:/.test(resource)) return `Lambda function ${resource}`;
  if (/^arn:[^:]+:ec2:[^:]*:[^:]*:image\//.test(resource) || /^ami-/.test(resource)) return `machine image (AMI) ${resource}`;
  if (/^i-[0-9a-f]+$/.test(resource)) return `EC2 instance ${resource}`;
  return resource;
}

import * as z from 'zod/mini';
import { EcrImageScanEvent } from '../events/ecrImageScan';
import { originOf, type EventOrigin } from '../events/envelope';
import { Inspector2ScanEvent } from '../events/inspector2Scan';
import { REPOSITORY_ARN_PATTERN } from '../events/primitives';

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

/**
 * Normalises both event shapes. For Inspector2, `repository-name` is the repository ARN: the name
 * (and the registry id) come out of it.
 */
export function toCompletedScan(event: ImageScanEvent): CompletedScan {
  const origin = originOf(event);
  const detail = event.detail;
  if (event['detail-type'] === 'Inspector2 Scan') {
    const arn = event.detail['repository-name'];
    const match = REPOSITORY_ARN_PATTERN.exec(arn);
    return {
      origin,
      registryId: match?.[2] ?? event.account,
      repositoryName: match?.[3] ?? arn,
      imageDigest: detail['image-digest'],
      imageTags: detail['image-tags'],
      scanType: 'ENHANCED',
      status: detail['scan-status'],
      complete: COMPLETE_STATUSES.has(detail['scan-status']),
      eventCounts: detail['finding-severity-counts'],
    };
  }
  const basic = event.detail;
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

import type { FunctionDefinition } from '../runtime/types';
import { reportImageScan, type ScanDeps } from './reportImageScan';
import { ImageScanEvent } from './scanEvent';

/** `onImageScan`: `ECR Image Scan` (basic) and `Inspector2 Scan` (enhanced). */
export const onImageScan: FunctionDefinition<typeof ImageScanEvent, ScanDeps> = {
  name: 'onImageScan',
  eventName: 'image scan event (ECR Image Scan or Inspector2 Scan)',
  eventSchema: ImageScanEvent,
  run: reportImageScan,
};

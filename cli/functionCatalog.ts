import type * as z from 'zod/mini';
import { sweepLifecycleFunction } from '../lib/lifecycle/sweepLifecycle';
import { mirrorImagesFunction } from '../lib/mirror/mirrorImages';
import { teardownLabFunction } from '../lib/verify/teardownLab';
import { verifyLabFunction } from '../lib/verify/verifyLab';
import { notifySlack } from '../lib/notify/deliverToSlack';
import { onPullThroughCache } from '../lib/pull-through-cache/onPullThroughCache';
import { syncPullThroughCache } from '../lib/pull-through-cache/syncPullThroughCache';
import { onImagePush } from '../lib/push/onImagePush';
import type { FunctionDefinition, FunctionReport } from '../lib/runtime/types';
import { onImageScan } from '../lib/scan/onImageScan';
import type { CliDeps } from './deps';

/**
 * Every function the CLI can invoke, by its Lambda name. The definitions are the same objects the
 * Lambda entry points use, so `invoke` runs exactly the deployed code path.
 */
type AnyDefinition = FunctionDefinition<z.ZodMiniType, CliDeps, FunctionReport>;

export const FUNCTIONS: Readonly<Record<string, AnyDefinition>> = {
  onImagePush,
  onImageScan,
  notifySlack,
  onPullThroughCache,
  syncPullThroughCache,
  sweepLifecycle: sweepLifecycleFunction,
  mirrorImages: mirrorImagesFunction,
  verifyLab: verifyLabFunction,
  teardownLab: teardownLabFunction,
};

export function functionNames(): string[] {
  return Object.keys(FUNCTIONS);
}

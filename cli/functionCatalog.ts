import type * as z from 'zod/mini';
import type { FunctionDefinition, FunctionReport } from '../lib/runtime/types';
import type { CliDeps } from './deps';

type AnyDefinition = FunctionDefinition<z.ZodMiniType, CliDeps, FunctionReport>;

/**
 * Every function the CLI can invoke, by its Lambda name, each loaded only when it runs. The
 * definitions are the same objects the Lambda entry points use, so `invoke` runs exactly the
 * deployed code path.
 */
const LOADERS = {
  onImagePush: async () => (await import('../lib/push/onImagePush')).onImagePush,
  onImageScan: async () => (await import('../lib/scan/onImageScan')).onImageScan,
  notifySlack: async () => (await import('../lib/notify/deliverToSlack')).notifySlack,
  onPullThroughCache: async () => (await import('../lib/pull-through-cache/onPullThroughCache')).onPullThroughCache,
  syncPullThroughCache: async () => (await import('../lib/pull-through-cache/syncPullThroughCache')).syncPullThroughCache,
  sweepLifecycle: async () => (await import('../lib/lifecycle/sweepLifecycle')).sweepLifecycleFunction,
  mirrorImages: async () => (await import('../lib/mirror/mirrorImages')).mirrorImagesFunction,
  verifyLab: async () => (await import('../lib/verify/verifyLab')).verifyLabFunction,
  teardownLab: async () => (await import('../lib/verify/teardownLab')).teardownLabFunction,
  onFleetRunInterrupted: async () => (await import('../lib/fleet/reportInterruptedFleetRun')).onFleetRunInterrupted,
} as const;

export type FunctionName = keyof typeof LOADERS;

export const FUNCTION_NAMES = Object.keys(LOADERS) as readonly FunctionName[];

function isFunctionName(name: string): name is FunctionName {
  return Object.hasOwn(LOADERS, name);
}

/** The definition of a function by its Lambda name; undefined for an unknown name. */
export async function loadFunction(name: string): Promise<AnyDefinition | undefined> {
  if (!isFunctionName(name)) return undefined;
  return (await LOADERS[name]()) as unknown as AnyDefinition;
}

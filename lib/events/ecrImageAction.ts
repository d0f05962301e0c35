import * as z from 'zod/mini';
import { eventBridgeEvent } from './envelope';
import { ImageDigest, ImageTag, RepositoryName } from './primitives';

/**
 * `ECR Image Action` (aws-ecr-facts §1.1): one event per completed push, delete or storage-class
 * change. `image-tag` is a single string and is absent for untagged pushes (e.g. the platform
 * manifests of a multi-arch push). `resources` is empty, so the repository comes from the detail.
 */
export const EcrImageActionDetail = z.looseObject({
  result: z.string().check(z.minLength(1)),
  'repository-name': RepositoryName,
  'image-digest': ImageDigest,
  'action-type': z.enum(['PUSH', 'DELETE', 'UPDATE_STORAGE_CLASS']),
  'image-tag': z.optional(ImageTag),
  'manifest-media-type': z.optional(z.string()),
  'artifact-media-type': z.optional(z.string()),
  'target-storage-class': z.optional(z.enum(['ARCHIVE', 'STANDARD'])),
  'last-activated-at': z.optional(z.string()),
});

export const EcrImageActionEvent = eventBridgeEvent('aws.ecr', 'ECR Image Action', EcrImageActionDetail);
export type EcrImageActionEvent = z.output<typeof EcrImageActionEvent>;

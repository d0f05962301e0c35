import * as z from 'zod/mini';
import { eventBridgeEvent } from './envelope';
import { absentWhenEmpty, EventImageDigest, ImageTag, RepositoryName } from './primitives';

/**
 * `ECR Image Action` (aws-ecr-facts §1.1): one event per completed push, delete or storage-class
 * change. `image-tag` is a single string, `""` (or absent) for untagged pushes: the platform
 * manifests of a multi-arch push, and every push by digest. `resources` is empty, so the repository
 * comes from the detail. `action-type` and `result` are read as strings: an action or result AWS
 * adds later is ignored by the handler, with a reason, rather than dead-lettered.
 */
export const EcrImageActionDetail = z.looseObject({
  result: z.string().check(z.minLength(1)),
  'repository-name': RepositoryName,
  'image-digest': EventImageDigest,
  'action-type': z.string().check(z.minLength(1)),
  'image-tag': absentWhenEmpty(ImageTag),
  'manifest-media-type': absentWhenEmpty(z.string()),
  'artifact-media-type': absentWhenEmpty(z.string()),
  'target-storage-class': z.optional(z.string()),
  'last-activated-at': z.optional(z.string()),
});

export const EcrImageActionEvent = eventBridgeEvent('aws.ecr', 'ECR Image Action', EcrImageActionDetail);
export type EcrImageActionEvent = z.output<typeof EcrImageActionEvent>;

import * as z from 'zod/mini';
import { eventBridgeEvent } from './envelope';
import { absentWhenEmpty, EventImageDigest, ImageTag, RepositoryName } from './primitives';

/**
 * `ECR Pull Through Cache Action` (aws-ecr-facts §1.4). Fires only when a rule matched the pull.
 * The failure spelling of `sync-status` and the set of `failure-code`s are UNCONFIRMED, so both are
 * plain strings here and interpreted by the pull-through-cache domain. A failed sync may name no
 * image: `image-tag` and `image-digest` are then `""`, which reads as absent.
 */
export const PtcActionDetail = z.looseObject({
  'rule-version': z.optional(z.string()),
  'sync-status': z.string().check(z.minLength(1)),
  'ecr-repository-prefix': z.string().check(z.minLength(1)),
  'repository-name': RepositoryName,
  'upstream-registry-url': z.string().check(z.minLength(1)),
  'image-tag': absentWhenEmpty(ImageTag),
  'image-digest': absentWhenEmpty(EventImageDigest),
  'failure-code': absentWhenEmpty(z.string()),
  'failure-reason': absentWhenEmpty(z.string()),
});

export const PtcActionEvent = eventBridgeEvent('aws.ecr', 'ECR Pull Through Cache Action', PtcActionDetail);
export type PtcActionEvent = z.output<typeof PtcActionEvent>;

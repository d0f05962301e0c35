import { AutopilotError } from '../errors';
import type { ApplyOptions, Change, ChangeOutcome, ChangeWriter } from './types';

/**
 * A live writer made of one writer per action or per service, so a Lambda bundle only contains the
 * clients its function uses. A change goes to the writer registered for its exact action
 * (`ecr:CreatePullThroughCacheRule`) if there is one, otherwise to the writer of its service
 * prefix (`ecr`, `sns`, `events`, `slack`, `oci`).
 *
 * @example
 * const writer = routeChanges({ ecr: ecrRegistry, sns: snsPublisher });
 * await writer.apply({ action: 'sns:Publish', target: topicArn, reason: 'push summary', notice }, { signal });
 */
export function routeChanges<C extends Change>(writers: Readonly<Record<string, ChangeWriter<never>>>): ChangeWriter<C> {
  return {
    async apply(change: C, options: ApplyOptions): Promise<ChangeOutcome> {
      const service = change.action.split(':', 1)[0] ?? '';
      const writer = (writers[change.action] ?? writers[service]) as ChangeWriter<C> | undefined;
      if (!writer) {
        throw new AutopilotError('INTERNAL', `No writer is configured for ${change.action}; this function cannot apply ${service} changes`);
      }
      return writer.apply(change, options);
    },
  };
}

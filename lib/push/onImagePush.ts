import { EcrImageActionEvent } from '../events/ecrImageAction';
import type { FunctionDefinition } from '../runtime/types';
import { handleImagePush, type PushDeps } from './handleImagePush';

/** `onImagePush`: EventBridge `aws.ecr` / `ECR Image Action` (PUSH, SUCCESS). */
export const onImagePush: FunctionDefinition<typeof EcrImageActionEvent, PushDeps> = {
  name: 'onImagePush',
  eventName: 'ECR Image Action event',
  eventSchema: EcrImageActionEvent,
  ownsDeadline: true,
  run: handleImagePush,
};

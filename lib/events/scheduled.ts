import * as z from 'zod/mini';
import { eventBridgeEvent } from './envelope';

/** `Scheduled Event` from an EventBridge schedule rule; the detail is always `{}`. */
export const ScheduledEvent = eventBridgeEvent('aws.events', 'Scheduled Event', z.looseObject({}));
export type ScheduledEvent = z.output<typeof ScheduledEvent>;

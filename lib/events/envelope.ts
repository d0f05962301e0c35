import * as z from 'zod/mini';
import { AccountId, AwsRegion, IsoTimestamp } from './primitives';

/**
 * The EventBridge envelope every `aws.ecr`, `aws.inspector2` and `aws.events` event shares.
 * Detail schemas are plugged in per detail-type; unknown detail fields are kept (AWS adds fields
 * over time), but the fields we rely on are checked strictly.
 */
export function eventBridgeEvent<const DetailType extends string, const Source extends string, Detail extends z.ZodMiniType>(
  source: Source,
  detailType: DetailType,
  detail: Detail,
) {
  return z.object({
    version: z.string(),
    id: z.string().check(z.minLength(1)),
    'detail-type': z.literal(detailType),
    source: z.literal(source),
    account: AccountId,
    time: IsoTimestamp,
    region: AwsRegion,
    resources: z.array(z.string()),
    detail,
  });
}

/** The envelope fields our reports carry along (where the event came from). */
export interface EventOrigin {
  eventId: string;
  account: string;
  region: string;
  time: string;
}

export function originOf(event: { id: string; account: string; region: string; time: string }): EventOrigin {
  return { eventId: event.id, account: event.account, region: event.region, time: event.time };
}

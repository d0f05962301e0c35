import { S3Client } from '@aws-sdk/client-s3';
import { S3FleetStore } from '../../lib/fleet/FleetStore';
import { readEnv } from '../../lib/runtime/env';
import { clientOptions } from './liveClients';

/** The fleet bucket (`FLEET_BUCKET`, set by the stack): work items and Distributed Map results. */
export function liveFleetStore(): S3FleetStore {
  const bucket = readEnv({ key: 'FLEET_BUCKET', fix: 'set it to the name of the ecr-autopilot fleet bucket (serverless.yml sets it)' });
  return new S3FleetStore({ client: new S3Client(clientOptions()), bucket });
}

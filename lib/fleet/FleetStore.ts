import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { AutopilotError } from '../errors';
import { callAws } from '../shared/awsCall';

/**
 * The fleet bucket, where a run's work items are listed for the Map's `ItemReader` and where the
 * Map's `ResultWriter` leaves the batches' results. Run bookkeeping, not a change to the registry:
 * it is written directly, not through the plan seam.
 */
export interface FleetStore {
  readonly bucket: string;
  putJson(key: string, value: unknown): Promise<void>;
  /** The parsed JSON of an object; throws `AWS_ERROR` naming the key when it is missing or not JSON. */
  getJson(key: string): Promise<unknown>;
}

/**
 * The live store on S3 (the bucket of infra/resources/fleet.yml: encrypted, private, expiring).
 *
 * @example
 * const store = new S3FleetStore({ client: new S3Client({}), bucket: readEnv({ key: 'FLEET_BUCKET', fix }) });
 */
export class S3FleetStore implements FleetStore {
  readonly bucket: string;
  private readonly client: S3Client;

  constructor(options: { client: S3Client; bucket: string }) {
    this.client = options.client;
    this.bucket = options.bucket;
  }

  async putJson(key: string, value: unknown): Promise<void> {
    await callAws('s3:PutObject', (sdk) => this.client.send(new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: JSON.stringify(value), ContentType: 'application/json' }), sdk));
  }

  async getJson(key: string): Promise<unknown> {
    let text: string;
    try {
      const output = await callAws('s3:GetObject', (sdk) => this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }), sdk));
      text = (await output.Body?.transformToString('utf8')) ?? '';
    } catch (error) {
      if (error instanceof Error && error.name === 'NoSuchKey') {
        throw new AutopilotError('AWS_ERROR', `s3://${this.bucket}/${key} does not exist; the run's items or results expired or were never written`, { cause: error });
      }
      throw error;
    }
    try {
      return JSON.parse(text) as unknown;
    } catch (error) {
      throw new AutopilotError('AWS_ERROR', `s3://${this.bucket}/${key} is not JSON`, { cause: error });
    }
  }
}

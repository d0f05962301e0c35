import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { AutopilotError } from '../errors';
import { abortedError, type CallOptions } from '../shared/retry';
import { callAws } from '../shared/awsCall';

/** An object of the fleet bucket, as a listing names it. */
export interface StoredObject {
  key: string;
  lastModified: Date;
}

/**
 * The fleet bucket, where a run's work items are listed for the Map's `ItemReader` and where the
 * Map's `ResultWriter` leaves the batches' results. Run bookkeeping, not a change to the registry:
 * it is written directly, not through the plan seam. Every call takes the run's signal like any
 * other AWS call: once it fired, nothing more is sent (`ABORTED`).
 */
export interface FleetStore {
  readonly bucket: string;
  putJson(key: string, value: unknown, options?: CallOptions): Promise<void>;
  /** The parsed JSON of an object; throws `AWS_ERROR` naming the key when it is missing or not JSON. */
  getJson(key: string, options?: CallOptions): Promise<unknown>;
  /** Every object whose key starts with `prefix` (all pages; no page is asked for after a stop). */
  list(prefix: string, options?: CallOptions): Promise<StoredObject[]>;
}

/**
 * S3 key prefixes are object keys: at most 1,024 bytes of UTF-8
 * (https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-keys.html).
 */
const MAX_KEY_BYTES = 1024;

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

  async putJson(key: string, value: unknown, options: CallOptions = {}): Promise<void> {
    await callAws('s3:PutObject', (sdk) => this.client.send(new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: JSON.stringify(value), ContentType: 'application/json' }), sdk), { signal: options.signal });
  }

  async getJson(key: string, options: CallOptions = {}): Promise<unknown> {
    let text: string;
    try {
      const output = await callAws('s3:GetObject', (sdk) => this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }), sdk), { signal: options.signal });
      // The body streams on the request the signal aborts; a body read after the stop is not used.
      text = (await output.Body?.transformToString('utf8')) ?? '';
      if (options.signal?.aborted) throw abortedError(options.signal, 's3:GetObject');
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

  async list(prefix: string, options: CallOptions = {}): Promise<StoredObject[]> {
    if (Buffer.byteLength(prefix, 'utf8') > MAX_KEY_BYTES) throw new AutopilotError('INTERNAL', `An S3 prefix is at most ${MAX_KEY_BYTES} bytes; "${prefix.slice(0, 80)}…" is longer`);
    const objects: StoredObject[] = [];
    let token: string | undefined;
    do {
      const page = await callAws('s3:ListObjectsV2', (sdk) =>
        this.client.send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix: prefix, ...(token ? { ContinuationToken: token } : {}) }), sdk),
        { signal: options.signal },
      );
      for (const object of page.Contents ?? []) if (object.Key) objects.push({ key: object.Key, lastModified: object.LastModified ?? new Date(0) });
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return objects;
  }
}

/**
 * The fleet bucket in memory: for plan mode (where nothing of a run exists), the bench and tests.
 * Objects hold JSON text, as S3 would, so nothing shares references with the caller.
 *
 * @example
 * const store = new MemoryFleetStore(); store.put('runs/sweep/run-1/items.json', []);
 */
export class MemoryFleetStore implements FleetStore {
  readonly bucket: string;
  private readonly objects = new Map<string, { text: string; lastModified: Date }>();
  private writes = 0;

  constructor(bucket = 'ecr-autopilot-fleet') {
    this.bucket = bucket;
  }

  /** Writes an object at once (what the Step Functions driver and the bench do for ResultWriter). */
  put(key: string, value: unknown): void {
    // Each write is later than the one before, like S3's LastModified within a run.
    this.writes += 1;
    this.objects.set(key, { text: JSON.stringify(value), lastModified: new Date(this.writes * 1000) });
  }

  /** The parsed object, or null when there is none. */
  get(key: string): unknown {
    const object = this.objects.get(key);
    return object === undefined ? null : (JSON.parse(object.text) as unknown);
  }

  async putJson(key: string, value: unknown, options: CallOptions = {}): Promise<void> {
    if (options.signal?.aborted) throw abortedError(options.signal, 's3:PutObject');
    this.put(key, value);
  }

  async getJson(key: string, options: CallOptions = {}): Promise<unknown> {
    if (options.signal?.aborted) throw abortedError(options.signal, 's3:GetObject');
    const object = this.objects.get(key);
    if (object === undefined) throw new AutopilotError('AWS_ERROR', `s3://${this.bucket}/${key} does not exist; the run's items or results expired or were never written`);
    return JSON.parse(object.text) as unknown;
  }

  async list(prefix: string, options: CallOptions = {}): Promise<StoredObject[]> {
    if (options.signal?.aborted) throw abortedError(options.signal, 's3:ListObjectsV2');
    return [...this.objects].filter(([key]) => key.startsWith(prefix)).map(([key, object]) => ({ key, lastModified: object.lastModified }));
  }
}

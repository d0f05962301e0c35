/**
 * Reads what `aws ecr describe-images` prints into `LifecycleImage`s, for offline previews.
 *
 * CLI v2 prints times as ISO-8601 strings (`2026-01-02T03:04:05.123000+00:00`), CLI v1 as epoch
 * seconds (`1767322800.0`); the SDK returns `Date`s. All three are accepted.
 */
import { AutopilotError } from '../errors';
import { IMAGE_STATUSES, storageClassOfStatus } from '../ecr/types';
import type { LifecycleImage } from './types';

// A trailing zone is required so that a time never depends on the machine's time zone.
const ISO_8601 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/;

type JsonObject = Record<string, unknown>;

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function fail(where: string, message: string): never {
  throw new AutopilotError('USAGE', `describe-images input ${where}: ${message}`);
}

function readTime(entry: JsonObject, key: string, where: string, required: boolean): Date | undefined {
  const value = entry[key];
  if (value === undefined || value === null) {
    if (required) fail(`${where}.${key}`, 'is required');
    return undefined;
  }
  let time = Number.NaN;
  if (value instanceof Date) time = value.getTime();
  else if (typeof value === 'number' && Number.isFinite(value)) time = value * 1000;
  else if (typeof value === 'string' && ISO_8601.test(value)) time = Date.parse(value);
  if (Number.isNaN(time)) {
    fail(`${where}.${key}`, `expected an ISO-8601 time with a zone or epoch seconds, got ${JSON.stringify(value)}`);
  }
  return new Date(time);
}

function readString(entry: JsonObject, key: string, where: string): string | undefined {
  const value = entry[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') fail(`${where}.${key}`, `expected a string, got ${JSON.stringify(value)}`);
  return value;
}

function readImage(entry: unknown, where: string): LifecycleImage {
  if (!isObject(entry)) fail(where, 'expected an object');
  const imageDigest = readString(entry, 'imageDigest', where);
  if (imageDigest === undefined || imageDigest === '') fail(`${where}.imageDigest`, 'is required');
  const named = `${where} (${imageDigest})`;

  const tags = entry['imageTags'];
  if (tags !== undefined && tags !== null && (!Array.isArray(tags) || tags.some((tag) => typeof tag !== 'string'))) {
    fail(`${named}.imageTags`, 'expected a list of strings');
  }
  const size = entry['imageSizeInBytes'];
  if (size !== undefined && size !== null && (typeof size !== 'number' || !Number.isFinite(size) || size < 0)) {
    fail(`${named}.imageSizeInBytes`, `expected a number of bytes, got ${JSON.stringify(size)}`);
  }
  const status = readString(entry, 'imageStatus', named);
  // The same mapping as the live sweep's (ACTIVATING is still ARCHIVE), so both agree.
  const storageClass = storageClassOfStatus(status);
  if (storageClass === undefined) {
    fail(`${named}.imageStatus`, `expected one of ${IMAGE_STATUSES.join(', ')}, got ${JSON.stringify(status)}`);
  }

  const image: LifecycleImage = {
    imageDigest,
    imageTags: Array.isArray(tags) ? [...(tags as string[])] : [],
    imagePushedAt: readTime(entry, 'imagePushedAt', named, true) as Date,
    storageClass,
  };
  if (typeof size === 'number') image.imageSizeInBytes = size;
  const optionalTimes = ['lastRecordedPullTime', 'lastArchivedAt', 'lastActivatedAt'] as const;
  for (const key of optionalTimes) {
    const time = readTime(entry, key, named, false);
    if (time !== undefined) image[key] = time;
  }
  const optionalStrings = ['imageManifestMediaType', 'artifactMediaType', 'subjectManifestDigest'] as const;
  for (const key of optionalStrings) {
    const value = readString(entry, key, named);
    if (value !== undefined) image[key] = value;
  }
  return image;
}

/** What one `aws ecr describe-images` output holds, besides the images. */
export interface DescribeImagesPage {
  images: LifecycleImage[];
  /**
   * Set when the output is one page of several: the API's `nextToken` (`--no-paginate`) or the
   * CLI's `NextToken` (`--max-items`). The images of the other pages are missing.
   */
  nextToken?: string;
  /** The repository every entry names (`repositoryName`), when they all name the same one. */
  repositoryName?: string;
}

/**
 * Reads `aws ecr describe-images` output (`{"imageDetails": [...]}`, or the bare list): the images,
 * whether more pages exist, and which repository they are from. Throws `AutopilotError('USAGE')`
 * naming the entry and field that is wrong.
 *
 * @example
 * readDescribeImagesPage({ imageDetails: [...], NextToken: 'eyJ…' }).nextToken // 'eyJ…': a partial listing
 */
export function readDescribeImagesPage(json: unknown): DescribeImagesPage {
  const list = Array.isArray(json) ? json : isObject(json) ? json['imageDetails'] : undefined;
  if (!Array.isArray(list)) fail('(root)', 'expected {"imageDetails": [...]} as printed by `aws ecr describe-images`');
  const page: DescribeImagesPage = { images: list.map((entry: unknown, i) => readImage(entry, `imageDetails[${i}]`)) };
  if (isObject(json)) {
    const token = json['nextToken'] ?? json['NextToken'];
    if (typeof token === 'string' && token !== '') page.nextToken = token;
  }
  const names = new Set(list.flatMap((entry: unknown) => (isObject(entry) && typeof entry['repositoryName'] === 'string' ? [entry['repositoryName']] : [])));
  if (names.size === 1) page.repositoryName = [...names][0] as string;
  return page;
}

/**
 * Parses `aws ecr describe-images` output (`{"imageDetails": [...]}`, or the bare list) into
 * lifecycle images. Other fields (scan status, registry id, …) are ignored.
 * Throws `AutopilotError('USAGE')` naming the entry and field that is wrong.
 *
 * @example
 * parseDescribeImagesOutput({ imageDetails: [{ imageDigest: 'sha256:ab…', imageTags: ['v1'],
 *   imagePushedAt: '2026-01-02T03:04:05+00:00', imageStatus: 'ARCHIVED' }] });
 * // → [{ imageDigest: 'sha256:ab…', imageTags: ['v1'], imagePushedAt: Date, storageClass: 'ARCHIVE' }]
 */
export function parseDescribeImagesOutput(json: unknown): LifecycleImage[] {
  return readDescribeImagesPage(json).images;
}

/**
 * Sample events and small builders for the foundation's tests: the events in `events/`, images,
 * scan findings and SNS deliveries, shaped as the AWS APIs return them.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { EnhancedImageScanFinding, ImageDetail, ImageScanFinding, Repository } from '@aws-sdk/client-ecr';
import type { Context } from 'aws-lambda';

/** A JSON event as read from a file: loosely typed, so tests can mutate any field. */
export type EventJson = Record<string, any>;

export const EVENTS_DIR = fileURLToPath(new URL('../../events/', import.meta.url));

/** The sample event names, as `loadEvent` takes them. */
export const SAMPLE_EVENTS = {
  pushTagged: 'ecr-image-action/push-tagged',
  pushIndex: 'ecr-image-action/push-index',
  pushPlatformUntagged: 'ecr-image-action/push-platform-untagged',
  delete: 'ecr-image-action/delete',
  basicScan: 'ecr-image-scan/basic-complete',
  platformScan: 'ecr-image-scan/platform-untagged',
  inspectorScan: 'inspector2-scan/initial-scan-complete',
  snsPushSummary: 'sns/push-summary-notice',
} as const;

/**
 * A fresh copy of a sample event from `events/` (mutating it never affects another test).
 *
 * @example
 * const event = loadEvent('ecr-image-action/push-index');
 */
export function loadEvent(name: string): EventJson {
  return JSON.parse(readFileSync(eventFile(name), 'utf8')) as EventJson;
}

/** The path of a sample event, e.g. for `ecr-autopilot invoke --event`. */
export function eventFile(name: string): string {
  return `${EVENTS_DIR}${name}.json`;
}

/** A deterministic `sha256:` digest for a readable name. */
export function digestOf(name: string): string {
  return `sha256:${createHash('sha256').update(name).digest('hex')}`;
}

export const ACCOUNT = '123456789012';
export const REGION = 'ap-northeast-2';
export const TOPIC_ARN = `arn:aws:sns:${REGION}:${ACCOUNT}:ecr-autopilot-notifications`;

export const MEDIA_TYPES = {
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
} as const;

/** An `ECR Image Action` event (PUSH SUCCESS of a tagged single-platform image unless overridden). */
export function imageActionEvent(detail: EventJson = {}, envelope: EventJson = {}): EventJson {
  const event = loadEvent(SAMPLE_EVENTS.pushTagged);
  Object.assign(event, envelope);
  event.detail = { ...event.detail, ...detail };
  for (const [key, value] of Object.entries(detail)) if (value === undefined) delete event.detail[key];
  return event;
}

/** An `ECR Image Scan` event (COMPLETE, tagged v1.4.0 of team-a/api unless overridden). */
export function imageScanEvent(detail: EventJson = {}, envelope: EventJson = {}): EventJson {
  const event = loadEvent(SAMPLE_EVENTS.basicScan);
  Object.assign(event, envelope);
  event.detail = { ...event.detail, ...detail };
  return event;
}

/** An SNS event delivering one message (by default, the notice JSON as the `lambda` key carries it). */
export function snsEvent(message: unknown, options: { messageId?: string } = {}): EventJson {
  const event = loadEvent(SAMPLE_EVENTS.snsPushSummary);
  const record = event.Records[0];
  record.Sns.Message = typeof message === 'string' ? message : JSON.stringify(message);
  if (options.messageId) record.Sns.MessageId = options.messageId;
  return event;
}

/** The notice carried by the sample SNS event. */
export function sampleNotice(): EventJson {
  return JSON.parse(loadEvent(SAMPLE_EVENTS.snsPushSummary).Records[0].Sns.Message) as EventJson;
}

/** A repository as DescribeRepositories returns it. */
export function sdkRepository(name: string, settings: Partial<Repository> = {}): Repository {
  return {
    repositoryName: name,
    repositoryArn: `arn:aws:ecr:${REGION}:${ACCOUNT}:repository/${name}`,
    registryId: ACCOUNT,
    repositoryUri: `${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com/${name}`,
    imageTagMutability: 'MUTABLE',
    imageScanningConfiguration: { scanOnPush: false },
    ...settings,
  };
}

/** An image as DescribeImages returns it. */
export function sdkImage(name: string, settings: Partial<ImageDetail> & { digest?: string } = {}): ImageDetail {
  const { digest, ...rest } = settings;
  return {
    registryId: ACCOUNT,
    repositoryName: 'team-a/api',
    imageDigest: digest ?? digestOf(name),
    imageTags: [],
    imagePushedAt: new Date('2026-11-20T08:00:00Z'),
    imageSizeInBytes: 1000,
    imageManifestMediaType: MEDIA_TYPES.dockerManifest,
    imageScanStatus: { status: 'COMPLETE' },
    ...rest,
  };
}

/** An OCI index manifest listing the given platform manifests (and a buildx attestation). */
export function indexManifest(children: Array<{ digest: string; platform: string }>, options: { attestation?: boolean } = {}): string {
  const manifests: EventJson[] = children.map(({ digest, platform }) => {
    const [os, architecture, variant] = platform.split('/');
    return { mediaType: MEDIA_TYPES.ociManifest, digest, size: 1234, platform: { os, architecture, ...(variant ? { variant } : {}) } };
  });
  if (options.attestation) {
    manifests.push({
      mediaType: MEDIA_TYPES.ociManifest,
      digest: digestOf('attestation'),
      size: 566,
      platform: { os: 'unknown', architecture: 'unknown' },
      annotations: { 'vnd.docker.reference.type': 'attestation-manifest', 'vnd.docker.reference.digest': children[0]?.digest },
    });
  }
  return JSON.stringify({ schemaVersion: 2, mediaType: MEDIA_TYPES.ociIndex, manifests });
}

export type Severity = 'CRITICAL' | 'HIGH' | 'MEDIUM' | 'LOW' | 'INFORMATIONAL' | 'UNDEFINED';

/** A basic-scanning finding as DescribeImageScanFindings returns it. */
export function basicFinding(id: string, severity: Severity, options: { packageName?: string; version?: string; fixedIn?: string; score?: number; description?: string } = {}): ImageScanFinding {
  const attributes = [
    { key: 'package_name', value: options.packageName ?? `pkg-${id.toLowerCase()}` },
    { key: 'package_version', value: options.version ?? '1.0.0' },
    ...(options.fixedIn ? [{ key: 'fixed_in_version', value: options.fixedIn }] : []),
    ...(options.score !== undefined ? [{ key: 'CVSS3_SCORE', value: String(options.score) }] : []),
  ];
  return {
    name: id,
    severity,
    uri: `https://nvd.nist.gov/vuln/detail/${id}`,
    description: options.description ?? `${id} in pkg-${id.toLowerCase()}`,
    attributes,
  };
}

/** `count` distinct basic findings, severities cycling through `severities`. */
export function manyFindings(count: number, severities: readonly Severity[] = ['LOW']): ImageScanFinding[] {
  return Array.from({ length: count }, (_, i) => basicFinding(`CVE-2024-${String(10000 + i)}`, severities[i % severities.length] as Severity));
}

/** An enhanced (Inspector) finding with one or more vulnerable packages. */
export function enhancedFinding(id: string, severity: string, packages: Array<{ name: string; version: string; release?: string; fixedInVersion?: string }>): EnhancedImageScanFinding {
  return {
    findingArn: `arn:aws:inspector2:${REGION}:${ACCOUNT}:finding/${id}`,
    title: `${id} - ${packages.map((p) => p.name).join(', ')}`,
    severity,
    score: 7.5,
    packageVulnerabilityDetails: {
      vulnerabilityId: id,
      source: 'NVD',
      sourceUrl: `https://nvd.nist.gov/vuln/detail/${id}`,
      vulnerablePackages: packages,
    },
  };
}

/** Splits items into pages of `size` and answers a paginated call by its `nextToken`. */
export function pagesOf<T>(items: readonly T[], size: number): Array<{ items: T[]; nextToken?: string }> {
  const pages: Array<{ items: T[]; nextToken?: string }> = [];
  for (let i = 0; i < items.length || pages.length === 0; i += size) {
    const next = i + size < items.length ? `token-${pages.length + 1}` : undefined;
    pages.push({ items: items.slice(i, i + size), ...(next ? { nextToken: next } : {}) });
  }
  return pages;
}

/** The page a `nextToken` asks for (undefined → the first page). */
export function pageFor<T>(pages: ReadonlyArray<{ items: T[]; nextToken?: string }>, nextToken: string | undefined): { items: T[]; nextToken?: string } {
  const index = nextToken === undefined ? 0 : Number(nextToken.replace('token-', ''));
  const page = pages[index];
  if (!page) throw new Error(`no page for token ${nextToken}`);
  return page;
}

/** A Lambda context for calling handlers directly. */
export function lambdaContext(functionName = 'ecr-autopilot-test'): Context {
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${functionName}`,
    memoryLimitInMB: '256',
    awsRequestId: 'c6af9ac6-7b61-11e6-9a41-93e812345678',
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: '2026/11/20/[$LATEST]abcdef',
    getRemainingTimeInMillis: () => 60_000,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

import { describe, expect, it } from 'vitest';
import { EventValidationError } from '../../../lib/errors';
import {
  CloudTrailEcrCallEvent,
  EcrImageActionEvent,
  EcrImageScanEvent,
  Inspector2ScanEvent,
  PtcActionEvent,
  ScheduledEvent,
  SnsEvent,
  parseEvent,
} from '../../../lib/events';
import { ImageScanEvent, toCompletedScan } from '../../../lib/scan/scanEvent';
import { digestOf, loadEvent, SAMPLE_EVENTS, type EventJson } from '../../support/events';

/** The issues of a rejected event, as `path: message`. */
function rejection(schema: Parameters<typeof parseEvent>[0], raw: unknown): EventValidationError {
  try {
    parseEvent(schema, raw, 'test event');
  } catch (error) {
    if (error instanceof EventValidationError) return error;
    throw error;
  }
  throw new Error('the event was accepted');
}

function paths(error: EventValidationError): string[] {
  return error.issues.map((issue) => issue.path);
}

const envelope = {
  version: '0',
  id: '5c7a3b2e-1d4f-4e6a-9b8c-7d6e5f4a3b2c',
  account: '123456789012',
  time: '2026-11-20T09:15:00Z',
  region: 'ap-northeast-2',
  resources: [],
};

/** Realistic events of the kinds that have no sample in events/ yet (later issues add them). */
const ptcEvent: EventJson = {
  ...envelope,
  'detail-type': 'ECR Pull Through Cache Action',
  source: 'aws.ecr',
  detail: {
    'rule-version': '1',
    'sync-status': 'SUCCESS',
    'ecr-repository-prefix': 'ecr-public',
    'repository-name': 'ecr-public/nginx/nginx',
    'upstream-registry-url': 'public.ecr.aws',
    'image-tag': '1.27',
    'image-digest': digestOf('nginx'),
  },
};

const cloudTrailEvent: EventJson = {
  ...envelope,
  'detail-type': 'AWS API Call via CloudTrail',
  source: 'aws.ecr',
  detail: {
    eventVersion: '1.08',
    eventSource: 'ecr.amazonaws.com',
    eventName: 'BatchGetImage',
    awsRegion: 'ap-northeast-2',
    errorCode: 'RepositoryNotFoundException',
    requestParameters: { repositoryName: 'quay/prometheus/prometheus', registryId: '123456789012' },
  },
};

const scheduledEvent: EventJson = {
  ...envelope,
  'detail-type': 'Scheduled Event',
  source: 'aws.events',
  resources: ['arn:aws:events:ap-northeast-2:123456789012:rule/ecr-autopilot-dev-sweepLifecycle'],
  detail: {},
};

describe('event schemas', () => {
  it.each([SAMPLE_EVENTS.pushTagged, SAMPLE_EVENTS.pushIndex, SAMPLE_EVENTS.pushPlatformUntagged, SAMPLE_EVENTS.delete])('accepts the ECR Image Action sample %s', (name) => {
    // Prepare
    const raw = loadEvent(name);

    // Act
    const event = parseEvent(EcrImageActionEvent, raw, 'ECR Image Action event');

    // Assess: AWS sends "image-tag": "" for an untagged push, which reads as no tag.
    expect(event.detail['repository-name']).toBe(raw.detail['repository-name']);
    expect(event.detail['image-tag']).toBe(raw.detail['image-tag'] === '' ? undefined : raw.detail['image-tag']);
  });

  it.each([SAMPLE_EVENTS.basicScan, SAMPLE_EVENTS.platformScan])('accepts the ECR Image Scan sample %s', (name) => {
    // Prepare
    const raw = loadEvent(name);

    // Act
    const event = parseEvent(EcrImageScanEvent, raw, 'ECR Image Scan event');

    // Assess
    expect(event.detail['image-digest']).toBe(raw.detail['image-digest']);
    expect(event.detail['image-tags']).toEqual(raw.detail['image-tags']);
  });

  it('accepts the Inspector2 Scan sample', () => {
    // Prepare
    const raw = loadEvent(SAMPLE_EVENTS.inspectorScan);

    // Act
    const event = parseEvent(Inspector2ScanEvent, raw, 'Inspector2 Scan event');

    // Assess
    expect(event.detail['repository-name']).toBe('arn:aws:ecr:ap-northeast-2:123456789012:repository/team-a/web');
  });

  it('accepts the SNS sample and keeps the notice JSON as the message', () => {
    // Prepare
    const raw = loadEvent(SAMPLE_EVENTS.snsPushSummary);

    // Act
    const event = parseEvent(SnsEvent, raw, 'SNS event');

    // Assess
    expect(JSON.parse(event.Records[0]?.Sns.Message ?? '')).toMatchObject({ kind: 'push.summary', repository: 'team-a/web' });
  });

  it.each([
    ['ECR Pull Through Cache Action', PtcActionEvent, ptcEvent],
    ['AWS API Call via CloudTrail', CloudTrailEcrCallEvent, cloudTrailEvent],
    ['Scheduled Event', ScheduledEvent, scheduledEvent],
  ] as const)('accepts a realistic %s event', (_name, schema, raw) => {
    // Act
    const event = parseEvent(schema, structuredClone(raw), 'event');

    // Assess
    expect(event.id).toBe(envelope.id);
  });

  it('fills the defaults of an ECR Image Scan event without findings', () => {
    // Prepare
    const raw = loadEvent(SAMPLE_EVENTS.basicScan);
    delete raw.detail['finding-severity-counts'];

    // Act
    const event = parseEvent(EcrImageScanEvent, raw, 'ECR Image Scan event');

    // Assess
    expect(event.detail['finding-severity-counts']).toEqual({});
  });

  it('keeps detail fields AWS adds later', () => {
    // Prepare
    const raw = loadEvent(SAMPLE_EVENTS.pushTagged);
    raw.detail['future-field'] = { nested: true };

    // Act
    const event = parseEvent(EcrImageActionEvent, raw, 'ECR Image Action event');

    // Assess
    expect((event.detail as Record<string, unknown>)['future-field']).toEqual({ nested: true });
  });
});

describe('event schemas reject malformed events with the field path', () => {
  it.each([
    ['a digest without the sha256: prefix', (e: EventJson) => (e.detail['image-digest'] = 'c4fa8457ad16'), 'detail.image-digest', /sha256:/],
    ['a digest with characters no digest has', (e: EventJson) => (e.detail['image-digest'] = 'sha256:../../etc/passwd'), 'detail.image-digest', /sha256:/],
    ['a missing repository name', (e: EventJson) => delete e.detail['repository-name'], 'detail.repository-name', /is required/],
    ['an uppercase repository name', (e: EventJson) => (e.detail['repository-name'] = 'Team-A/API'), 'detail.repository-name', /valid ECR repository name/],
    ['an action type that is not a string', (e: EventJson) => (e.detail['action-type'] = 42), 'detail.action-type', /must be a string/],
    ['an image tag that is a list', (e: EventJson) => (e.detail['image-tag'] = ['v1']), 'detail.image-tag', /must be a string/],
    ['an empty result', (e: EventJson) => (e.detail.result = ''), 'detail.result', /at least 1 character/],
    ['a short account id', (e: EventJson) => (e.account = '1234'), 'account', /12-digit/],
    ['a region that is not one', (e: EventJson) => (e.region = 'Seoul'), 'region', /AWS region/],
    ['a time that is not ISO-8601', (e: EventJson) => (e.time = 'yesterday'), 'time', /ISO-8601/],
    ['another detail-type', (e: EventJson) => (e['detail-type'] = 'ECR Image Scan'), 'detail-type', /"ECR Image Action"/],
    ['another source', (e: EventJson) => (e.source = 'aws.s3'), 'source', /"aws.ecr"/],
    ['no detail at all', (e: EventJson) => delete e.detail, 'detail', /is required/],
    ['an empty id', (e: EventJson) => (e.id = ''), 'id', /at least 1 character/],
  ])('rejects an ECR Image Action event with %s', (_what, mutate, path, message) => {
    // Prepare
    const raw = loadEvent(SAMPLE_EVENTS.pushTagged);
    mutate(raw);

    // Act
    const error = rejection(EcrImageActionEvent, raw);

    // Assess
    expect(error.code).toBe('EVENT_INVALID');
    expect(paths(error)).toContain(path);
    expect(error.issues.find((issue) => issue.path === path)?.message).toMatch(message);
    expect(error.message).toContain(path);
  });

  it('names the fix for a missing field', () => {
    // Prepare
    const raw = loadEvent(SAMPLE_EVENTS.pushTagged);
    delete raw.detail['image-digest'];

    // Act
    const error = rejection(EcrImageActionEvent, raw);

    // Assess
    expect(error.issues).toEqual([{ path: 'detail.image-digest', message: 'is required (string)', fix: 'add "image-digest"' }]);
  });

  it('reports every offending field at once', () => {
    // Prepare
    const raw = loadEvent(SAMPLE_EVENTS.basicScan);
    raw.detail['image-digest'] = 'nope';
    raw.detail['image-tags'] = 'v1.4.0';
    raw.detail['finding-severity-counts'] = { CRITICAL: -1 };

    // Act
    const error = rejection(EcrImageScanEvent, raw);

    // Assess
    expect(paths(error).sort()).toEqual(['detail.finding-severity-counts.CRITICAL', 'detail.image-digest', 'detail.image-tags']);
  });

  it('names the array index of a bad image tag', () => {
    // Prepare
    const raw = loadEvent(SAMPLE_EVENTS.basicScan);
    raw.detail['image-tags'] = ['v1.4.0', 'x'.repeat(301)];

    // Act
    const error = rejection(EcrImageScanEvent, raw);

    // Assess
    expect(paths(error)).toEqual(['detail.image-tags[1]']);
  });

  it('rejects an SNS event without records', () => {
    // Act
    const error = rejection(SnsEvent, { Records: [] });

    // Assess
    expect(error.issues).toEqual([{ path: 'Records', message: 'must have at least 1 item(s)' }]);
  });

  it('rejects an SNS record from another source with the record index', () => {
    // Prepare
    const raw = loadEvent(SAMPLE_EVENTS.snsPushSummary);
    raw.Records[0].EventSource = 'aws:sqs';
    delete raw.Records[0].Sns.TopicArn;

    // Act
    const error = rejection(SnsEvent, raw);

    // Assess
    expect(paths(error).sort()).toEqual(['Records[0].EventSource', 'Records[0].Sns.TopicArn']);
  });

  it('rejects a CloudTrail event from another service', () => {
    // Prepare
    const raw = structuredClone(cloudTrailEvent);
    raw.detail.eventSource = 's3.amazonaws.com';

    // Act
    const error = rejection(CloudTrailEcrCallEvent, raw);

    // Assess
    expect(paths(error)).toEqual(['detail.eventSource']);
  });

  it('rejects a pull-through cache event without its upstream', () => {
    // Prepare
    const raw = structuredClone(ptcEvent);
    delete raw.detail['upstream-registry-url'];

    // Act
    const error = rejection(PtcActionEvent, raw);

    // Assess
    expect(paths(error)).toEqual(['detail.upstream-registry-url']);
  });
});

describe('Inspector2 Scan events', () => {
  it('requires the repository ARN in repository-name', () => {
    // Prepare
    const raw = loadEvent(SAMPLE_EVENTS.inspectorScan);
    raw.detail['repository-name'] = 'team-a/web';

    // Act
    const error = rejection(Inspector2ScanEvent, raw);

    // Assess
    expect(error.issues).toEqual([{ path: 'detail.repository-name', message: 'must be an ECR repository ARN (arn:aws:ecr:<region>:<account>:repository/<name>)' }]);
  });

  it('reads the repository name and registry id out of the ARN', () => {
    // Prepare
    const raw = loadEvent(SAMPLE_EVENTS.inspectorScan);
    raw.detail['repository-name'] = 'arn:aws:ecr:ap-northeast-2:210987654321:repository/team-b/nested/worker';

    // Act
    const scan = toCompletedScan(parseEvent(ImageScanEvent, raw, 'scan event'));

    // Assess
    expect(scan).toMatchObject({ repositoryName: 'team-b/nested/worker', registryId: '210987654321', scanType: 'ENHANCED', complete: true });
  });

  it('accepts the ARN of another partition', () => {
    // Prepare
    const raw = loadEvent(SAMPLE_EVENTS.inspectorScan);
    raw.detail['repository-name'] = 'arn:aws-us-gov:ecr:us-gov-west-1:123456789012:repository/team-a/web';
    raw.region = 'us-gov-west-1';

    // Act
    const scan = toCompletedScan(parseEvent(ImageScanEvent, raw, 'scan event'));

    // Assess
    expect(scan).toMatchObject({ repositoryName: 'team-a/web' });
  });

  it('defaults missing image tags to none', () => {
    // Prepare
    const raw = loadEvent(SAMPLE_EVENTS.inspectorScan);
    delete raw.detail['image-tags'];

    // Act
    const event = parseEvent(Inspector2ScanEvent, raw, 'Inspector2 Scan event');

    // Assess
    expect(event.detail['image-tags']).toEqual([]);
  });

  it('takes a basic scan event by its own repository name and the account as registry', () => {
    // Act
    const scan = toCompletedScan(parseEvent(ImageScanEvent, loadEvent(SAMPLE_EVENTS.basicScan), 'scan event'));

    // Assess
    expect(scan).toMatchObject({ repositoryName: 'team-a/api', registryId: '123456789012', scanType: 'BASIC', complete: true, imageTags: ['v1.4.0'] });
  });

  it('rejects a scan event of an unknown detail-type, naming the allowed ones', () => {
    // Prepare
    const raw = loadEvent(SAMPLE_EVENTS.basicScan);
    raw['detail-type'] = 'ECR Image Scan Started';

    // Act
    const error = rejection(ImageScanEvent, raw);

    // Assess
    expect(error.issues).toEqual([{ path: 'detail-type', message: 'must be one of "ECR Image Scan", "Inspector2 Scan", found "ECR Image Scan Started"' }]);
  });
});

import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ECRClient } from '@aws-sdk/client-ecr';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadEvent, SAMPLE_EVENTS, type EventJson } from '../support/events';
import { captureLogs, LAMBDA_ENV, setEnv } from '../support/lambdaHarness';
import { assertOnlyValidationErrors, FUZZ_RUNS } from './fuzzHarness';
import { REPOSITORY_NAME_PATTERN } from './invalidInputs';
import { badDigestAt, junk, junkAt, notMatching, otherThan, removeRequired, safeJson, setAt, wrongType, wrongTypeFor, type Kind, type Mutated, type Path } from './mutations';

const ecr = mockClient(ECRClient);
const sns = mockClient(SNSClient);
const events = mockClient(EventBridgeClient);
const dynamo = mockClient(DynamoDBClient);

const BASIC: EventJson[] = [SAMPLE_EVENTS.basicScan, SAMPLE_EVENTS.platformScan].map(loadEvent);
const ENHANCED: EventJson = loadEvent(SAMPLE_EVENTS.inspectorScan);

const ENVELOPE_REQUIRED: Path[] = [['version'], ['id'], ['detail-type'], ['source'], ['account'], ['time'], ['region'], ['resources'], ['detail']];
const ENVELOPE_TYPED: Array<{ path: Path; kind: Kind }> = [
  ...['version', 'id', 'detail-type', 'source', 'account', 'time', 'region'].map((key) => ({ path: [key], kind: 'string' as const })),
  { path: ['resources'], kind: 'array' },
  { path: ['detail'], kind: 'object' },
];
const SCAN_DETAIL_TYPES = ['ECR Image Scan', 'Inspector2 Scan'];

function common(base: EventJson, detailRequired: string[]): fc.Arbitrary<Mutated>[] {
  return [
    removeRequired(base, [...ENVELOPE_REQUIRED, ...detailRequired.map((key) => ['detail', key])]),
    wrongType(base, [
      ...ENVELOPE_TYPED,
      ...['scan-status', 'repository-name', 'image-digest'].map((key) => ({ path: ['detail', key], kind: 'string' as const })),
      { path: ['detail', 'image-tags'], kind: 'array' },
      { path: ['detail', 'finding-severity-counts'], kind: 'record' },
    ]),
    wrongTypeFor('int').map((value) => ({ mutation: `finding-severity-counts.HIGH = ${safeJson(value)}`, event: setAt(base, ['detail', 'finding-severity-counts', 'HIGH'], value) })),
    fc.string({ minLength: 301, maxLength: 320 }).map((tag) => ({ mutation: `an image tag of ${tag.length} characters`, event: setAt(base, ['detail', 'image-tags'], ['v1', tag]) })),
    badDigestAt(base, ['detail', 'image-digest']),
    otherThan(base, ['detail-type'], SCAN_DETAIL_TYPES),
    notMatching(base, ['account'], /^\d{12}$/),
    notMatching(base, ['time'], /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2})$/),
    junkAt(base, ['detail'], detailRequired),
    junk(['detail-type', 'detail']),
  ];
}

function basicMutations(base: EventJson): fc.Arbitrary<Mutated> {
  return fc.oneof(
    // image-tags may be absent (an untagged image): not required.
    ...common(base, ['scan-status', 'repository-name', 'image-digest']),
    otherThan(base, ['source'], ['aws.ecr']),
    notMatching(base, ['detail', 'repository-name'], REPOSITORY_NAME_PATTERN),
  );
}

function enhancedMutations(base: EventJson): fc.Arbitrary<Mutated> {
  return fc.oneof(
    // repository-name and image-digest are absent from Inspector2 scans of EC2 instances, Lambda
    // functions and AMIs (ignored by the handler, not malformed): only scan-status is required.
    ...common(base, ['scan-status']),
    otherThan(base, ['source'], ['aws.inspector2']),
    // Inspector2 puts the repository ARN in repository-name: a plain name is invalid.
    notMatching(base, ['detail', 'repository-name'], /^arn:aws(?:-[a-z]+)*:ecr:([a-z0-9-]+):(\d{12}):repository\/(.+)$/),
    fc.constant({ mutation: 'a repository name instead of the ARN', event: setAt(base, ['detail', 'repository-name'], 'team-a/web') }),
  );
}

let restoreEnv: () => void;
let handler: Parameters<typeof assertOnlyValidationErrors>[0];
let logs: ReturnType<typeof captureLogs>;

beforeAll(async () => {
  restoreEnv = setEnv(LAMBDA_ENV);
  handler = (await import('../../functions/onImageScan')).handler as unknown as typeof handler;
  logs = captureLogs();
});

afterAll(() => {
  logs.restore();
  restoreEnv();
});

describe('onImageScan fuzzing', () => {
  it(`rejects ${FUZZ_RUNS} mutated ECR Image Scan and Inspector2 Scan events with EventValidationError only, putting and publishing nothing`, async () => {
    // Prepare
    const mutations = fc.oneof(fc.constantFrom(...BASIC).chain(basicMutations), enhancedMutations(ENHANCED));

    // Act
    const runs = await assertOnlyValidationErrors(handler, mutations);

    // Assess
    expect(runs).toBeGreaterThanOrEqual(FUZZ_RUNS);
    expect(ecr).not.toHaveReceivedAnyCommand();
    expect(events).not.toHaveReceivedAnyCommand();
    expect(sns).not.toHaveReceivedAnyCommand();
    expect(dynamo).not.toHaveReceivedAnyCommand();
  });
});

import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ECRClient } from '@aws-sdk/client-ecr';
import { SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadEvent, SAMPLE_EVENTS, type EventJson } from '../support/events';
import { captureLogs, LAMBDA_ENV, setEnv } from '../support/lambdaHarness';
import { assertOnlyValidationErrors, FUZZ_RUNS } from './fuzzHarness';
import { REPOSITORY_NAME_PATTERN } from './invalidInputs';
import { badDigestAt, junk, junkAt, notMatching, otherThan, removeRequired, wrongType, type Kind, type Mutated, type Path } from './mutations';

const ecr = mockClient(ECRClient);
const sns = mockClient(SNSClient);
const dynamo = mockClient(DynamoDBClient);

const SAMPLES: EventJson[] = [SAMPLE_EVENTS.pushTagged, SAMPLE_EVENTS.pushIndex, SAMPLE_EVENTS.pushPlatformUntagged, SAMPLE_EVENTS.delete].map(loadEvent);

const ENVELOPE_REQUIRED: Path[] = [['version'], ['id'], ['detail-type'], ['source'], ['account'], ['time'], ['region'], ['resources'], ['detail']];
const DETAIL_REQUIRED = ['result', 'repository-name', 'image-digest', 'action-type'];
const TYPED: Array<{ path: Path; kind: Kind }> = [
  ...['version', 'id', 'detail-type', 'source', 'account', 'time', 'region'].map((key) => ({ path: [key], kind: 'string' as const })),
  { path: ['resources'], kind: 'array' },
  { path: ['detail'], kind: 'object' },
  ...[...DETAIL_REQUIRED, 'image-tag', 'manifest-media-type', 'artifact-media-type'].map((key) => ({ path: ['detail', key], kind: 'string' as const })),
];

function mutationsOf(base: EventJson): fc.Arbitrary<Mutated> {
  return fc.oneof(
    removeRequired(base, [...ENVELOPE_REQUIRED, ...DETAIL_REQUIRED.map((key) => ['detail', key])]),
    wrongType(base, TYPED),
    badDigestAt(base, ['detail', 'image-digest']),
    otherThan(base, ['detail-type'], ['ECR Image Action']),
    otherThan(base, ['source'], ['aws.ecr']),
    notMatching(base, ['account'], /^\d{12}$/),
    notMatching(base, ['region'], /^[a-z]{2}(?:-[a-z]+)+-\d+$/),
    notMatching(base, ['time'], /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2})$/),
    notMatching(base, ['detail', 'repository-name'], REPOSITORY_NAME_PATTERN),
    fc.constant({ mutation: 'empty id', event: { ...base, id: '' } }),
    fc.constant({ mutation: 'empty result', event: { ...base, detail: { ...base.detail, result: '' } } }),
    fc.constant({ mutation: 'empty action-type', event: { ...base, detail: { ...base.detail, 'action-type': '' } } }),
    junkAt(base, ['detail'], DETAIL_REQUIRED),
    junk(['detail-type', 'detail']),
  );
}

let restoreEnv: () => void;
let handler: Parameters<typeof assertOnlyValidationErrors>[0];
let logs: ReturnType<typeof captureLogs>;

beforeAll(async () => {
  restoreEnv = setEnv(LAMBDA_ENV);
  handler = (await import('../../functions/onImagePush')).handler as unknown as typeof handler;
  logs = captureLogs();
});

afterAll(() => {
  logs.restore();
  restoreEnv();
});

describe('onImagePush fuzzing', () => {
  it(`rejects ${FUZZ_RUNS} mutated ECR Image Action events with EventValidationError only, publishing nothing`, async () => {
    // Act
    const runs = await assertOnlyValidationErrors(handler, fc.constantFrom(...SAMPLES).chain(mutationsOf));

    // Assess
    expect(runs).toBeGreaterThanOrEqual(FUZZ_RUNS);
    expect(ecr).not.toHaveReceivedAnyCommand();
    expect(sns).not.toHaveReceivedAnyCommand();
    expect(dynamo).not.toHaveReceivedAnyCommand();
    expect(logs.lines().filter((line) => line.level === 'ERROR' && line.code === 'EVENT_INVALID').length).toBeGreaterThanOrEqual(FUZZ_RUNS);
  });
});

import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it, vi, type MockInstance } from 'vitest';
import { loadEvent, SAMPLE_EVENTS, sampleNotice, type EventJson } from '../support/events';
import { captureLogs, LAMBDA_ENV, setEnv } from '../support/lambdaHarness';
import { assertOnlyValidationErrors, FUZZ_RUNS } from './fuzzHarness';
import { junk, otherThan, removeAt, removeRequired, safeJson, setAt, wrongType, wrongTypeFor, type Kind, type Mutated, type Path } from './mutations';

const secrets = mockClient(SecretsManagerClient);
const dynamo = mockClient(DynamoDBClient);

const BASE: EventJson = loadEvent(SAMPLE_EVENTS.snsPushSummary);
const NOTICE: EventJson = sampleNotice();
const MESSAGE: Path = ['Records', 0, 'Sns', 'Message'];

/** The SNS event with another message (a notice object is serialised). */
function withMessage(message: unknown): EventJson {
  return setAt(BASE, MESSAGE, typeof message === 'string' ? message : JSON.stringify(message));
}

const NOTICE_REQUIRED: Path[] = [
  ['id'],
  ['kind'],
  ['severity'],
  ['occurredAt'],
  ['origin'],
  ['origin', 'region'],
  ['data'],
  ...['repositoryName', 'registryId', 'imageDigest', 'imageUri', 'tags', 'platforms', 'governance', 'consoleUrl'].map((key) => ['data', key]),
];
const NOTICE_TYPED: Array<{ path: Path; kind: Kind }> = [
  ...['id', 'kind', 'severity', 'occurredAt', 'repository'].map((key) => ({ path: [key], kind: 'string' as const })),
  { path: ['origin'], kind: 'object' },
  { path: ['data'], kind: 'object' },
  ...['repositoryName', 'registryId', 'imageDigest', 'imageUri', 'consoleUrl', 'mediaType'].map((key) => ({ path: ['data', key], kind: 'string' as const })),
  ...['tags', 'platforms', 'governance'].map((key) => ({ path: ['data', key], kind: 'array' as const })),
];

const recordMutations: fc.Arbitrary<Mutated> = fc.oneof(
  removeRequired(BASE, [['Records'], ['Records', 0, 'EventSource'], ['Records', 0, 'Sns'], ['Records', 0, 'Sns', 'MessageId'], ['Records', 0, 'Sns', 'TopicArn'], MESSAGE]),
  wrongType(BASE, [
    { path: ['Records'], kind: 'array' },
    { path: ['Records', 0], kind: 'object' },
    { path: ['Records', 0, 'Sns'], kind: 'object' },
    ...['EventSource'].map((key) => ({ path: ['Records', 0, key], kind: 'string' as const })),
    ...['MessageId', 'TopicArn', 'Message'].map((key) => ({ path: ['Records', 0, 'Sns', key], kind: 'string' as const })),
  ]),
  fc.constant({ mutation: 'no records', event: setAt(BASE, ['Records'], []) }),
  fc.constant({ mutation: 'an empty MessageId', event: setAt(BASE, ['Records', 0, 'Sns', 'MessageId'], '') }),
  otherThan(BASE, ['Records', 0, 'EventSource'], ['aws:sns']),
  junk(['Records']),
);

const messageMutations: fc.Arbitrary<Mutated> = fc.oneof(
  fc
    .string()
    .filter((text) => {
      try {
        JSON.parse(text);
        return false;
      } catch {
        return true;
      }
    })
    .map((text) => ({ mutation: `message ${JSON.stringify(text)}`, event: withMessage(text) })),
  fc.constantFrom(...NOTICE_REQUIRED).map((path) => ({ mutation: `notice without ${path.join('.')}`, event: withMessage(removeAt(NOTICE, path)) })),
  fc.constantFrom(...NOTICE_TYPED).chain(({ path, kind }) => wrongTypeFor(kind).map((value) => ({ mutation: `notice ${path.join('.')} = ${safeJson(value)}`, event: withMessage(setAt(NOTICE, path, value)) }))),
  otherThan(NOTICE, ['kind'], ['push.summary', 'scan.summary']).map(({ mutation, event }) => ({ mutation: `notice ${mutation}`, event: withMessage(event) })),
  otherThan(NOTICE, ['severity'], ['info', 'warning', 'critical']).map(({ mutation, event }) => ({ mutation: `notice ${mutation}`, event: withMessage(event) })),
  fc.constant({ mutation: 'notice with an empty id', event: withMessage({ ...NOTICE, id: '' }) }),
  fc
    .anything()
    .filter((value) => value === null || typeof value !== 'object' || Array.isArray(value) || !('data' in (value as object)))
    .map((value) => ({ mutation: 'message is JSON but no notice', event: withMessage(JSON.stringify(value) ?? 'undefined') })),
);

let restoreEnv: () => void;
let handler: Parameters<typeof assertOnlyValidationErrors>[0];
let logs: ReturnType<typeof captureLogs>;
let fetchSpy: MockInstance<typeof fetch>;

beforeAll(async () => {
  restoreEnv = setEnv(LAMBDA_ENV);
  handler = (await import('../../functions/notifySlack')).handler as unknown as typeof handler;
  fetchSpy = vi.spyOn(globalThis, 'fetch').mockImplementation(async () => new Response('ok', { status: 200 }));
  logs = captureLogs();
});

afterAll(() => {
  logs.restore();
  fetchSpy.mockRestore();
  restoreEnv();
});

describe('notifySlack fuzzing', () => {
  it(`rejects ${FUZZ_RUNS} mutated SNS deliveries with EventValidationError only, posting nothing to Slack`, async () => {
    // Act
    const runs = await assertOnlyValidationErrors(handler, fc.oneof(recordMutations, messageMutations));

    // Assess
    expect(runs).toBeGreaterThanOrEqual(FUZZ_RUNS);
    expect(fetchSpy).not.toHaveBeenCalled();
    expect(secrets).not.toHaveReceivedAnyCommand();
    expect(dynamo).not.toHaveReceivedAnyCommand();
  });
});

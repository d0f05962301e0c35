/**
 * An `undefined` event, for every Lambda entry point. It must be rejected like any other invalid
 * event: EventValidationError, nothing read, changed or published. (middy 6 replaces a missing
 * event with `{}`, a valid manual invoke for five functions; lambdaEntry passes `null` instead.)
 */
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { EventValidationError } from '../../lib/errors';
import { lambdaContext } from '../support/events';
import { captureLogs, LAMBDA_ENV, setEnv } from '../support/lambdaHarness';
import { blockNetwork, mockAwsClients, receivedCommands } from './noSideEffects';

type Handler = (event: unknown, context: ReturnType<typeof lambdaContext>) => Promise<unknown>;

const aws = mockAwsClients();

const FUNCTIONS = {
  onImagePush: () => import('../../functions/onImagePush'),
  onImageScan: () => import('../../functions/onImageScan'),
  notifySlack: () => import('../../functions/notifySlack'),
  onPullThroughCache: () => import('../../functions/onPullThroughCache'),
  syncPullThroughCache: () => import('../../functions/syncPullThroughCache'),
  sweepLifecycle: () => import('../../functions/sweepLifecycle'),
  mirrorImages: () => import('../../functions/mirrorImages'),
  verifyLab: () => import('../../functions/verifyLab'),
  teardownLab: () => import('../../functions/teardownLab'),
} as const;
type FunctionName = keyof typeof FUNCTIONS;

const handlers = new Map<FunctionName, Handler>();

beforeAll(async () => {
  setEnv({ ...LAMBDA_ENV, STACK_NAME: 'ecr-autopilot-test' });
  for (const [name, load] of Object.entries(FUNCTIONS)) handlers.set(name as FunctionName, (await load()).handler as unknown as Handler);
  const network = blockNetwork();
  const logs = captureLogs();
  return () => {
    logs.restore();
    network.restore();
  };
});

beforeEach(() => {
  for (const mock of Object.values(aws)) mock.reset();
});

async function rejectsUndefined(name: FunctionName): Promise<void> {
  // Act
  let thrown: unknown;
  try {
    await handlers.get(name)?.(undefined, lambdaContext());
  } catch (error) {
    thrown = error;
  }

  // Assess
  expect(receivedCommands(aws)).toEqual([]);
  expect(thrown).toBeInstanceOf(EventValidationError);
  expect((thrown as EventValidationError).eventId).toBeUndefined();
}

describe('an undefined event', () => {
  for (const name of Object.keys(FUNCTIONS) as FunctionName[]) {
    it(`${name} rejects it, reading and changing nothing`, () => rejectsUndefined(name));
  }
});

/**
 * One fuzz suite for a Lambda entry point: sets its environment, imports it, runs it against
 * FUZZ_RUNS invalid events (`assertOnlyValidationErrors`), then checks that the premise held (every
 * event failed the schema) and that nothing was changed, published or fetched.
 */
import type fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { captureLogs, LAMBDA_ENV, setEnv } from '../support/lambdaHarness';
import { assertOnlyValidationErrors, FUZZ_RUNS } from './fuzzHarness';
import type { premiseGuard } from './invalidInputs';
import type { Mutated } from './mutations';
import { blockNetwork, mockAwsClients, receivedCommands, type AwsMocks } from './noSideEffects';

type Handler = Parameters<typeof assertOnlyValidationErrors>[0];

export interface FuzzSuite {
  /** The function's name, as in `functions/`. */
  name: string;
  /** What the events are, for the test title ("mutated schedules and manual invokes"). */
  what: string;
  env?: Record<string, string>;
  load: () => Promise<{ handler: unknown }>;
  mutations: fc.Arbitrary<Mutated>;
  guard: ReturnType<typeof premiseGuard>;
  /** Further checks on the mocks once every run is done. */
  also?: (aws: AwsMocks) => void;
}

export function fuzzSuite(suite: FuzzSuite): void {
  const aws = mockAwsClients();
  let restoreEnv: () => void;
  let handler: Handler;
  let logs: ReturnType<typeof captureLogs>;
  let network: ReturnType<typeof blockNetwork>;

  beforeAll(async () => {
    restoreEnv = setEnv({ ...LAMBDA_ENV, ...suite.env });
    handler = (await suite.load()).handler as Handler;
    network = blockNetwork();
    logs = captureLogs();
  });

  afterAll(() => {
    logs.restore();
    network.restore();
    restoreEnv();
  });

  describe(`${suite.name} fuzzing`, () => {
    it(`rejects ${FUZZ_RUNS} ${suite.what} with EventValidationError only, changing, publishing and fetching nothing`, async () => {
      // Act
      const runs = await assertOnlyValidationErrors(handler, suite.mutations);

      // Assess
      expect(runs).toBeGreaterThanOrEqual(FUZZ_RUNS);
      expect(suite.guard.accidentallyValid, 'mutations meant to be invalid that the schema accepts').toEqual([]);
      expect(receivedCommands(aws)).toEqual([]);
      for (const mock of Object.values(aws)) expect(mock).not.toHaveReceivedAnyCommand();
      expect(network.calls()).toEqual([]);
      suite.also?.(aws);
      const rejected = logs.lines().filter((line) => line.level === 'ERROR' && line.code === 'EVENT_INVALID' && line.function === suite.name);
      expect(rejected.length).toBeGreaterThanOrEqual(FUZZ_RUNS);
    });
  });
}

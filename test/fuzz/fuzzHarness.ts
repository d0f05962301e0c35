/**
 * Runs a Lambda handler against mutated events and checks the one allowed outcome: an
 * EventValidationError that carries the event id, and nothing else.
 */
import fc from 'fast-check';
import { expect } from 'vitest';
import { EventValidationError } from '../../lib/errors';
import { eventIdOf } from '../../lib/events/parseEvent';
import { lambdaContext } from '../support/events';
import type { Mutated } from './mutations';

/** Runs per handler: at least 1,000 (the issue's floor); FUZZ_RUNS raises it for a longer search. */
export const FUZZ_RUNS = Math.max(1000, Number(process.env.FUZZ_RUNS ?? 1000));

export async function assertOnlyValidationErrors(
  handler: (event: unknown, context: ReturnType<typeof lambdaContext>) => Promise<unknown>,
  mutations: fc.Arbitrary<Mutated>,
): Promise<number> {
  let runs = 0;
  const context = lambdaContext();
  await fc.assert(
    fc.asyncProperty(mutations, async ({ event }) => {
      runs += 1;
      let thrown: unknown;
      try {
        await handler(event, context);
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(EventValidationError);
      expect((thrown as EventValidationError).eventId).toBe(eventIdOf(event));
      expect((thrown as EventValidationError).issues.length).toBeGreaterThan(0);
    }),
    { numRuns: FUZZ_RUNS, seed: Number(process.env.FUZZ_SEED ?? Date.now() % 2 ** 31), endOnFailure: true },
  );
  return runs;
}

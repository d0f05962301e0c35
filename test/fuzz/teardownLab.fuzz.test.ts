import fc from 'fast-check';
import { expect } from 'vitest';
import { TeardownLabEvent } from '../../lib/verify/teardownLab';
import { fuzzSuite } from './fuzzSuite';
import { anyJunk, BOOLEAN, foreignSamples, manualMutations, premiseGuard } from './invalidInputs';
import { receivedCommands } from './noSideEffects';

// TeardownLabEvent = strict {apply?: boolean} (default false). The destructive function: an invalid
// event must never reach a Delete* call, however close it is to {"apply": true}.
const guard = premiseGuard(TeardownLabEvent);

/** Near misses of {"apply": true}: a truthy non-boolean, an extra key, a wrapper, a serialisation. */
const ALMOST_APPLY = fc.constantFrom<unknown>(
  { apply: 'true' },
  { apply: 1 },
  { apply: 'yes' },
  { apply: [true] },
  { apply: { value: true } },
  { apply: true, dryRun: false },
  { apply: true, force: true },
  { Apply: true },
  { 'apply ': true },
  { apply: true, detail: {} },
  JSON.parse('{"apply": true, "__proto__": {"apply": true}}'),
  JSON.parse('{"__proto__": {"apply": true}}'),
  [{ apply: true }],
  '{"apply": true}',
  'apply',
  true,
  1,
).map((event) => ({ mutation: `almost apply: ${JSON.stringify(event)}`, event }));

fuzzSuite({
  name: 'teardownLab',
  what: 'mutated manual invokes and other functions’ events',
  load: () => import('../../functions/teardownLab'),
  guard,
  mutations: fc.oneof(
    { arbitrary: guard.byConstruction(manualMutations([{ key: 'apply', ...BOOLEAN }])), weight: 5 },
    { arbitrary: guard.byConstruction(ALMOST_APPLY), weight: 2 },
    { arbitrary: guard.byConstruction(foreignSamples()), weight: 1 },
    { arbitrary: guard.junk(anyJunk), weight: 2 },
  ),
  also: (aws) => {
    expect(receivedCommands(aws).filter((command) => command.includes('Delete'))).toEqual([]);
    expect(aws.ecr.calls().length + aws.secrets.calls().length).toBe(0);
  },
});

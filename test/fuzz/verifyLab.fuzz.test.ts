import fc from 'fast-check';
import { VerifyLabEvent } from '../../lib/verify/verifyLab';
import { fuzzSuite } from './fuzzSuite';
import { anyJunk, BOOLEAN, foreignSamples, manualMutations, premiseGuard } from './invalidInputs';

// VerifyLabEvent = strict {notify?: boolean} (default true); no EventBridge event is valid, not even a schedule.
const guard = premiseGuard(VerifyLabEvent);

fuzzSuite({
  name: 'verifyLab',
  what: 'mutated manual invokes and other functions’ events',
  env: { STACK_NAME: 'ecr-autopilot-test' },
  load: () => import('../../functions/verifyLab'),
  guard,
  mutations: fc.oneof(
    { arbitrary: guard.byConstruction(manualMutations([{ key: 'notify', ...BOOLEAN }])), weight: 6 },
    { arbitrary: guard.byConstruction(foreignSamples()), weight: 1 },
    { arbitrary: guard.junk(anyJunk), weight: 2 },
  ),
});

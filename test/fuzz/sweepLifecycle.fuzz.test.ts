import fc from 'fast-check';
import { SweepLifecycleEvent } from '../../lib/lifecycle/sweepLifecycle';
import { loadEvent } from '../support/events';
import { fuzzSuite } from './fuzzSuite';
import { anyJunk, envelopeMutations, foreignSamples, manualMutations, NON_EMPTY_STRING_LIST, NON_NEGATIVE_INT, premiseGuard } from './invalidInputs';

// SweepLifecycleEvent = Scheduled Event | strict {repositories?: non-empty string[] (≥ 1), maxDeletions?: int ≥ 0}.
const SCHEDULED = loadEvent('scheduled/sweep-lifecycle');
const guard = premiseGuard(SweepLifecycleEvent);

fuzzSuite({
  name: 'sweepLifecycle',
  what: 'mutated schedules and manual invokes',
  load: () => import('../../functions/sweepLifecycle'),
  guard,
  mutations: fc.oneof(
    { arbitrary: guard.byConstruction(envelopeMutations(SCHEDULED, { detailTypes: ['Scheduled Event'], sources: ['aws.events'] })), weight: 4 },
    {
      arbitrary: guard.byConstruction(
        manualMutations([
          { key: 'repositories', ...NON_EMPTY_STRING_LIST },
          { key: 'maxDeletions', ...NON_NEGATIVE_INT },
        ]),
      ),
      weight: 5,
    },
    { arbitrary: guard.byConstruction(foreignSamples('scheduled')), weight: 1 },
    { arbitrary: guard.junk(anyJunk), weight: 2 },
  ),
});

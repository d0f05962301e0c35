import fc from 'fast-check';
import { SyncPtcEvent } from '../../lib/pull-through-cache/syncPullThroughCache';
import { loadEvent } from '../support/events';
import { fuzzSuite } from './fuzzSuite';
import { anyJunk, BOOLEAN, envelopeMutations, foreignSamples, manualMutations, premiseGuard } from './invalidInputs';

// SyncPtcEvent = Scheduled Event | strict {prune?: boolean}.
const SCHEDULED = loadEvent('scheduled/sync-pull-through-cache');
const guard = premiseGuard(SyncPtcEvent);

fuzzSuite({
  name: 'syncPullThroughCache',
  what: 'mutated schedules and manual invokes',
  load: () => import('../../functions/syncPullThroughCache'),
  guard,
  mutations: fc.oneof(
    { arbitrary: guard.byConstruction(envelopeMutations(SCHEDULED, { detailTypes: ['Scheduled Event'], sources: ['aws.events'] })), weight: 4 },
    { arbitrary: guard.byConstruction(manualMutations([{ key: 'prune', ...BOOLEAN }])), weight: 4 },
    { arbitrary: guard.byConstruction(foreignSamples('scheduled')), weight: 1 },
    { arbitrary: guard.junk(anyJunk), weight: 2 },
  ),
});

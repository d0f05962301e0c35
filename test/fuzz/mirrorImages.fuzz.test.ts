import fc from 'fast-check';
import { MirrorImagesEvent } from '../../lib/mirror/mirrorImages';
import { loadEvent } from '../support/events';
import { fuzzSuite } from './fuzzSuite';
import { anyJunk, envelopeMutations, foreignSamples, manualMutations, NON_EMPTY_STRING_LIST, premiseGuard } from './invalidInputs';

// MirrorImagesEvent = Scheduled Event | strict {sources?: non-empty string[] (≥ 1)}.
const SCHEDULED = loadEvent('scheduled/mirror-images');
const guard = premiseGuard(MirrorImagesEvent);

fuzzSuite({
  name: 'mirrorImages',
  what: 'mutated schedules and manual invokes',
  load: () => import('../../functions/mirrorImages'),
  guard,
  mutations: fc.oneof(
    { arbitrary: guard.byConstruction(envelopeMutations(SCHEDULED, { detailTypes: ['Scheduled Event'], sources: ['aws.events'] })), weight: 4 },
    { arbitrary: guard.byConstruction(manualMutations([{ key: 'sources', ...NON_EMPTY_STRING_LIST }])), weight: 4 },
    { arbitrary: guard.byConstruction(foreignSamples('scheduled')), weight: 1 },
    { arbitrary: guard.junk(anyJunk), weight: 2 },
  ),
});

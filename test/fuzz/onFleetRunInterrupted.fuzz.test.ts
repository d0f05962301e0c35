import fc from 'fast-check';
import { StepFunctionsExecutionStatusChangeEvent } from '../../lib/events/stepFunctionsExecutionStatusChange';
import { loadEvent, type EventJson } from '../support/events';
import { fuzzSuite } from './fuzzSuite';
import { anyJunk, envelopeMutations, foreignSamples, premiseGuard } from './invalidInputs';
import { junk, junkAt, notMatching, removeRequired, setAt, wrongType, type Kind, type Path } from './mutations';

// StepFunctionsExecutionStatusChangeEvent: aws.states / Step Functions Execution Status Change; detail:
//   executionArn and stateMachineArn Step Functions ARNs, name 1–80, status non-empty, startDate a
//   number, stopDate a number or null, error/cause/redriveStatus/redriveStatusReason strings or null,
//   redriveCount an integer ≥ 0 or null; everything after startDate optional.
const SAMPLES: EventJson[] = ['step-functions/fleet-sweep-failed', 'step-functions/aws-doc-execution-failed'].map(loadEvent);
const ENVELOPE = { detailTypes: ['Step Functions Execution Status Change'], sources: ['aws.states'] };
const REQUIRED = ['executionArn', 'stateMachineArn', 'name', 'status', 'startDate'];
const at = (key: string): Path => ['detail', key];
const TYPED: Array<{ path: Path; kind: Kind }> = [
  ...['executionArn', 'stateMachineArn', 'name', 'status'].map((key) => ({ path: at(key), kind: 'string' as const })),
];

function mutations(base: EventJson): fc.Arbitrary<{ mutation: string; event: unknown }> {
  return fc.oneof(
    envelopeMutations(base, ENVELOPE),
    removeRequired(base, REQUIRED.map(at)),
    wrongType(base, TYPED),
    // Numbers and nullable fields: anything but what they may hold.
    fc.constantFrom('startDate', 'stopDate').chain((key) =>
      fc.oneof(fc.string(), fc.boolean(), fc.array(fc.integer(), { maxLength: 2 })).map((value) => ({ mutation: `${key} = ${JSON.stringify(value)}`, event: setAt(base, at(key), value) })),
    ),
    fc.constant({ mutation: 'startDate = null', event: setAt(base, at('startDate'), null) }),
    fc.constantFrom('error', 'cause', 'redriveStatus', 'redriveStatusReason').chain((key) =>
      fc.oneof(fc.integer(), fc.boolean(), fc.array(fc.string(), { maxLength: 2 })).map((value) => ({ mutation: `${key} = ${JSON.stringify(value)}`, event: setAt(base, at(key), value) })),
    ),
    fc.oneof(fc.integer({ max: -1 }), fc.double({ noNaN: true }).filter((n) => !Number.isInteger(n)), fc.string()).map((value) => ({ mutation: `redriveCount = ${JSON.stringify(value)}`, event: setAt(base, at('redriveCount'), value) })),
    notMatching(base, at('executionArn'), /^arn:[a-z-]+:states:[a-z0-9-]+:\d{12}:execution:[^:]+:[^:]+$/),
    notMatching(base, at('stateMachineArn'), /^arn:[a-z-]+:states:[a-z0-9-]+:\d{12}:stateMachine:[^:]+$/),
    fc.constantFrom('', 'x'.repeat(81)).map((name) => ({ mutation: `name of ${name.length} characters`, event: setAt(base, at('name'), name) })),
    fc.constant({ mutation: 'empty status', event: setAt(base, at('status'), '') }),
  );
}

const guard = premiseGuard(StepFunctionsExecutionStatusChangeEvent);

fuzzSuite({
  name: 'onFleetRunInterrupted',
  what: 'mutated Step Functions Execution Status Change events',
  env: { FLEET_BUCKET: 'ecr-autopilot-test-fleet', STACK_NAME: 'ecr-autopilot-dev' },
  load: () => import('../../functions/onFleetRunInterrupted'),
  guard,
  mutations: fc.oneof(
    { arbitrary: guard.byConstruction(fc.constantFrom(...SAMPLES).chain(mutations)), weight: 8 },
    { arbitrary: guard.byConstruction(fc.constantFrom(...SAMPLES).chain((base) => junkAt(base, ['detail'], REQUIRED))), weight: 1 },
    { arbitrary: guard.byConstruction(foreignSamples('step-functions')), weight: 1 },
    { arbitrary: guard.junk(fc.oneof(anyJunk, junk(['detail-type', 'detail']))), weight: 2 },
  ),
});

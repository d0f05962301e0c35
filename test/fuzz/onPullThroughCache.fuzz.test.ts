import fc from 'fast-check';
import { PullThroughCacheEvent } from '../../lib/pull-through-cache/onPullThroughCache';
import { loadEvent, type EventJson } from '../support/events';
import { fuzzSuite } from './fuzzSuite';
import { anyJunk, envelopeMutations, foreignSamples, premiseGuard, REPOSITORY_NAME_PATTERN } from './invalidInputs';
import { badDigest, junk, junkAt, notMatching, otherThan, removeRequired, safeJson, setAt, wrongType, wrongTypeFor, type Kind, type Mutated, type Path } from './mutations';

// PullThroughCacheEvent = discriminated union on detail-type of
//   ECR Pull Through Cache Action (aws.ecr; detail: sync-status, ecr-repository-prefix, upstream-registry-url
//     non-empty, repository-name an ECR name, image-tag empty or 1–300, image-digest empty or sha256:…) and
//   AWS API Call via CloudTrail (aws.ecr; detail: eventSource 'ecr.amazonaws.com', eventName non-empty,
//     optional strings, userIdentity an object, requestParameters an object or null).
const PTC_SAMPLES: EventJson[] = ['ptc-action/sync-failed', 'ptc-action/sync-succeeded'].map(loadEvent);
const CLOUDTRAIL: EventJson = loadEvent('cloudtrail/batch-get-image-repository-not-found');
const ENVELOPE = { detailTypes: ['ECR Pull Through Cache Action', 'AWS API Call via CloudTrail'], sources: ['aws.ecr'] };

const PTC_REQUIRED = ['sync-status', 'ecr-repository-prefix', 'repository-name', 'upstream-registry-url'];
const PTC_STRINGS = [...PTC_REQUIRED, 'rule-version', 'image-tag', 'image-digest', 'failure-code', 'failure-reason'];

const CLOUDTRAIL_REQUIRED = ['eventSource', 'eventName'];
const CLOUDTRAIL_STRINGS = [...CLOUDTRAIL_REQUIRED, 'eventVersion', 'eventTime', 'awsRegion', 'eventID', 'eventType', 'errorCode', 'errorMessage', 'sourceIPAddress', 'userAgent'];

const strings = (keys: readonly string[], under: Path = ['detail']): Array<{ path: Path; kind: Kind }> => keys.map((key) => ({ path: [...under, key], kind: 'string' as const }));

function ptcMutations(base: EventJson): fc.Arbitrary<Mutated> {
  return fc.oneof(
    envelopeMutations(base, ENVELOPE),
    removeRequired(base, PTC_REQUIRED.map((key) => ['detail', key])),
    wrongType(base, strings(PTC_STRINGS)),
    // image-tag and image-digest may be "" (a failed sync that names no image): not mutations.
    fc.constantFrom('sync-status', 'ecr-repository-prefix', 'upstream-registry-url').map((key) => ({ mutation: `empty ${key}`, event: setAt(base, ['detail', key], '') })),
    notMatching(base, ['detail', 'repository-name'], REPOSITORY_NAME_PATTERN),
    fc.constantFrom('a', '7', 'x'.repeat(257), `${'team-a/'.repeat(37)}api`).map((name) => ({ mutation: `repository-name of ${name.length} characters`, event: setAt(base, ['detail', 'repository-name'], name) })),
    fc.string({ minLength: 301, maxLength: 320 }).map((tag) => ({ mutation: `image-tag of ${tag.length} characters`, event: setAt(base, ['detail', 'image-tag'], tag) })),
    // "" is no digest there, and reads as absent: every other bad digest is malformed.
    badDigest.filter((digest) => digest !== '').map((digest) => ({ mutation: `detail.image-digest = ${JSON.stringify(digest)}`, event: setAt(base, ['detail', 'image-digest'], digest) })),
    // The other branch's detail-type: this detail has no eventSource or eventName.
    fc.constant({ mutation: 'detail-type = AWS API Call via CloudTrail', event: setAt(base, ['detail-type'], 'AWS API Call via CloudTrail') }),
  );
}

const cloudTrailMutations: fc.Arbitrary<Mutated> = fc.oneof(
  envelopeMutations(CLOUDTRAIL, ENVELOPE),
  removeRequired(CLOUDTRAIL, CLOUDTRAIL_REQUIRED.map((key) => ['detail', key])),
  wrongType(CLOUDTRAIL, [
    ...strings(CLOUDTRAIL_STRINGS),
    ...strings(['type', 'arn'], ['detail', 'userIdentity']),
    ...strings(['repositoryName', 'registryId'], ['detail', 'requestParameters']),
    // userIdentity may be absent, but never null or a scalar.
    { path: ['detail', 'userIdentity'], kind: 'object' },
  ]),
  // requestParameters is nullable: anything but an object or null.
  wrongTypeFor('object')
    .filter((value) => value !== null)
    .map((value) => ({ mutation: `detail.requestParameters = ${safeJson(value)}`, event: setAt(CLOUDTRAIL, ['detail', 'requestParameters'], value) })),
  otherThan(CLOUDTRAIL, ['detail', 'eventSource'], ['ecr.amazonaws.com']),
  fc.constant({ mutation: 'empty eventName', event: setAt(CLOUDTRAIL, ['detail', 'eventName'], '') }),
  // The other branch's detail-type: this detail has no sync-status, prefix, repository-name or upstream URL.
  fc.constant({ mutation: 'detail-type = ECR Pull Through Cache Action', event: setAt(CLOUDTRAIL, ['detail-type'], 'ECR Pull Through Cache Action') }),
);

const guard = premiseGuard(PullThroughCacheEvent);

fuzzSuite({
  name: 'onPullThroughCache',
  what: 'mutated ECR Pull Through Cache Action and CloudTrail events',
  load: () => import('../../functions/onPullThroughCache'),
  guard,
  mutations: fc.oneof(
    { arbitrary: guard.byConstruction(fc.constantFrom(...PTC_SAMPLES).chain(ptcMutations)), weight: 5 },
    { arbitrary: guard.byConstruction(cloudTrailMutations), weight: 4 },
    { arbitrary: guard.byConstruction(fc.constantFrom(...PTC_SAMPLES).chain((base) => junkAt(base, ['detail'], PTC_REQUIRED))), weight: 1 },
    { arbitrary: guard.byConstruction(junkAt(CLOUDTRAIL, ['detail'], CLOUDTRAIL_REQUIRED)), weight: 1 },
    { arbitrary: guard.byConstruction(foreignSamples('ptc-action', 'cloudtrail')), weight: 1 },
    { arbitrary: guard.junk(fc.oneof(anyJunk, junk(['detail-type', 'detail']))), weight: 2 },
  ),
});

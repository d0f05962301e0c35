import type { RepositoryClass } from '../config/types';
import type { BatchDeleteImageChange, ImageToDelete } from '../ecr/changes';
import { MAX_IMAGE_IDS_PER_DELETE } from '../ecr/limits';
import { mediaTypeOf, readIndexChildDigests } from '../ecr/manifests';
import type { RegistryReader } from '../ecr/RegistryReader';
import { isIndexMediaType, type ImageDetail } from '../ecr/types';
import { hasErrorCode } from '../errors';
import { applyChanges, firedSignal, readSignal, type RunSignals, stopReason } from '../plan/applyChanges';
import type { AppliedChange, ChangeWriter, ItemFailure } from '../plan/types';
import { evaluateLifecyclePolicy } from './evaluateLifecyclePolicy';
import { planExpiry, type ExpiryGraph, type ExpiryPlan, type KeptImage, type KeptReason, type PlannedExpiry } from './planExpiry';
import type { SharedDeletionCap } from './sharedDeletionCap';
import { parseLifecyclePolicy } from './validateLifecyclePolicy';

/** The per-run deletion cap when the configuration has no lifecycle section (the schema's default). */
export const DEFAULT_MAX_DELETIONS_PER_RUN = 200;

/** What expiring one repository did (or, in plan mode, would do). */
export interface RepositoryExpiry {
  repositoryName: string;
  plan: ExpiryPlan;
  deletions: AppliedChange<BatchDeleteImageChange>[];
  /** Images deleted (live) or that would be deleted (plan mode). */
  expired: PlannedExpiry[];
  /** What the plan kept, and what deletion held back because it changed since it was read. */
  kept: KeptImage[];
  /** Per-image failures BatchDeleteImage returned, none dropped. */
  failures: ItemFailure[];
  bytesReclaimed: number;
}

/**
 * Expires what a class's lifecycle policy selects now, with the safety rules native ECR lacks.
 *
 * Input: a repository and its class (which has a lifecycle policy). Output: the plan, the deletion
 * changes with their outcomes, and the ledger of expired images.
 * 1. List every image (DescribeImages, all pages, active and archived).
 * 2. Evaluate the policy exactly as ECR would (`evaluateLifecyclePolicy`); stop if nothing expires.
 * 3. Read the index manifests (BatchGetImage) to know which images kept indexes still reference.
 * 4. Plan (`planExpiry`): protected tags, index children, referrers, the deletion cap.
 * 5. Delete in waves, at most 100 image ids per BatchDeleteImage: an image goes after every image
 *    that references it (indexes before children, referrers before subjects). Each batch is
 *    described again just before its deletion, and what changed since step 1 is held (race safety).
 *    Once the run stops (`options.stop`), no batch starts: the rest is held as `run-stopped`, the
 *    batch in flight finishes. Reads end at the stop.
 *
 * @example
 * const expiry = await expireRepository('team-a/api', servicesClass, { registry, writer, now }, { maxDeletions: 200 });
 */
export async function expireRepository(
  repositoryName: string,
  repositoryClass: RepositoryClass,
  deps: { registry: RegistryReader; writer: ChangeWriter<BatchDeleteImageChange>; now: Date },
  options: {
    maxDeletions: number;
    /** A cap shared with concurrent runs (expire-on-push): deletions are reserved from it after planning and what was not deleted is given back. */
    sharedCap?: SharedDeletionCap;
  } & RunSignals,
): Promise<RepositoryExpiry | undefined> {
  if (!repositoryClass.lifecyclePolicy) return undefined;
  const run: RunSignals = { signal: options.signal, stop: options.stop };
  const policy = parseLifecyclePolicy(repositoryClass.lifecyclePolicy.text);
  const images: ImageDetail[] = [];
  for await (const image of deps.registry.listImages(repositoryName, { signal: readSignal(run) })) images.push(image);
  const preview = evaluateLifecyclePolicy(policy, images, { now: deps.now });

  // Manifests are read only when something would expire: BatchGetImage may count as a pull.
  const expiring = preview.previewResults.some((result) => result.action.type === 'EXPIRE');
  const graph: ExpiryGraph = expiring ? await readIndexGraph(deps.registry, repositoryName, images, readSignal(run)) : { indexChildren: new Map() };
  const planWithin = (maxDeletions: number, capDescription?: string): ExpiryPlan =>
    planExpiry({ preview, images, protectedTagPatterns: repositoryClass.protectedTags, graph, maxDeletions, policy, ...(capDescription ? { capDescription } : {}) });
  let plan = planWithin(options.maxDeletions);
  const sharedCap = options.sharedCap;
  let reserved = 0;
  // After a stop nothing is reserved: the deletion below holds every batch as run-stopped.
  if (sharedCap && plan.expire.length > 0 && !firedSignal(run)) {
    reserved = await sharedCap.reserve(plan.expire.length, { signal: readSignal(run) }).catch(stoppedAs(run, 0));
    if (reserved < plan.expire.length && !firedSignal(run)) {
      // Other runs took the rest of the shared cap: plan again within what this one got.
      plan = planWithin(reserved, sharedCap.description);
      await giveBack(sharedCap, reserved - plan.expire.length, run);
      reserved = plan.expire.length;
    }
  }

  const { deletions, held } = await deleteInWaves(repositoryName, repositoryClass, plan, graph, images, deps, run);

  const byDigest = new Map(plan.expire.map((image) => [image.imageDigest, image]));
  const expired: PlannedExpiry[] = [];
  const failures: ItemFailure[] = [];
  for (const { change, outcome } of deletions) {
    if (outcome.status === 'planned') {
      for (const image of change.images) expired.push(byDigest.get(image.imageDigest) as PlannedExpiry);
    } else if (outcome.status === 'failed' && !outcome.failures) {
      for (const image of change.images) failures.push({ item: image.imageDigest, code: 'DeleteFailed', reason: outcome.message ?? 'BatchDeleteImage failed' });
    } else {
      for (const digest of outcome.completed ?? []) {
        const image = byDigest.get(digest);
        if (image) expired.push(image);
      }
      failures.push(...(outcome.failures ?? []));
    }
  }
  // What was reserved but surely not deleted (held back, refused) goes back to the shared cap. An
  // image ECR reports as not found stays used: the first attempt of a retried call (its answer lost)
  // or someone else deleted it, and giving it back could let the window's runs delete more than the
  // cap. A batch cancelled in flight gives nothing back (`giveBack`), as it may be partly done.
  const notFound = failures.filter((failure) => failure.code === 'ImageNotFound').length;
  if (sharedCap) await giveBack(sharedCap, reserved - expired.length - notFound, run);
  return {
    repositoryName,
    plan,
    kept: [...plan.kept, ...held],
    deletions,
    expired,
    failures,
    bytesReclaimed: expired.reduce((sum, image) => sum + (image.imageSizeInBytes ?? 0), 0),
  };
}

/** The value to go on with when the run's stop cancelled a call; any other error is rethrown. */
function stoppedAs<T>(run: RunSignals, value: T): (error: unknown) => T {
  return (error) => {
    if (hasErrorCode(error, 'ABORTED') && firedSignal(run)) return value;
    throw error;
  };
}

/**
 * Gives reserved deletions back to the shared cap, best effort: a give-back that fails leaves the
 * cap used up for the rest of its window, which deletes less, never more.
 */
async function giveBack(sharedCap: SharedDeletionCap, count: number, run: RunSignals): Promise<void> {
  if (count <= 0 || run.signal?.aborted) return;
  await sharedCap.release(count, { signal: run.signal }).catch(() => undefined);
}

/**
 * Step 5, race-safe. Between the listing and a deletion, a push can tag an image (even with a
 * protected tag), move a tag, or pull it; `BatchDeleteImage` has no condition, and deleting by digest
 * takes every tag with the image. So each batch is described again (DescribeImages) just before it
 * is deleted, and an image whose tags, push, pull, activation time or storage class changed, or that
 * is gone, is held (`changed-since-read`) with whatever it references (its children, its subject),
 * as is what an image that failed to delete references. The deletion itself names a tagged image
 * by its digest and each of its tags (`EcrRegistry`), so a tag moved to another image meanwhile is
 * never removed from that image.
 */
async function deleteInWaves(
  repositoryName: string,
  repositoryClass: RepositoryClass,
  plan: ExpiryPlan,
  graph: ExpiryGraph,
  images: readonly ImageDetail[],
  deps: { registry: RegistryReader; writer: ChangeWriter<BatchDeleteImageChange> },
  run: RunSignals,
): Promise<{ deletions: AppliedChange<BatchDeleteImageChange>[]; held: KeptImage[] }> {
  const read = new Map(images.map((image) => [image.imageDigest, image]));
  const held = new Map<string, KeptImage>();
  const hold = (image: { imageDigest: string; imageTags: readonly string[] }, reason: KeptReason, detail: string): void => {
    if (held.has(image.imageDigest)) return;
    held.set(image.imageDigest, { imageDigest: image.imageDigest, imageTags: [...image.imageTags], reason, detail });
    holdReferenced(image, detail);
  };
  /** What a kept image references must stay too: the manifests an index lists, a referrer's subject. */
  const holdReferenced = (image: { imageDigest: string; imageTags: readonly string[] }, detail: string): void => {
    const what = `${image.imageDigest}${image.imageTags.length > 0 ? ` (tags: ${image.imageTags.join(', ')})` : ''}`;
    for (const child of graph.indexChildren.get(image.imageDigest) ?? []) {
      hold({ imageDigest: child, imageTags: read.get(child)?.imageTags ?? [] }, 'index-child', `listed by index ${what}, which is not deleted: ${detail}`);
    }
    const subject = read.get(image.imageDigest)?.subjectManifestDigest;
    if (subject) hold({ imageDigest: subject, imageTags: read.get(subject)?.imageTags ?? [] }, 'referrer-subject', `subject of referrer ${what}, which is not deleted: ${detail}`);
  };

  const waves = deletionWaves(plan, graph, images);
  const deletions: AppliedChange<BatchDeleteImageChange>[] = [];
  for (const [waveIndex, wave] of waves.entries()) {
    const pass = waves.length > 1 ? ` (pass ${waveIndex + 1} of ${waves.length}: ${waveIndex < waves.length - 1 ? 'indexes and referrers first' : 'then what they referenced'})` : '';
    for (const batch of batchByImageIds(wave.filter((image) => !held.has(image.imageDigest)))) {
      const holdStopped = (stopped: AbortSignal): void => {
        for (const image of batch) hold(image, 'run-stopped', `not deleted: ${stopReason(stopped)}; the next run evaluates it again`);
      };
      const stopped = firedSignal(run);
      if (stopped) {
        holdStopped(stopped);
        continue;
      }
      let described: ImageDetail[];
      try {
        described = await deps.registry.describeImages(repositoryName, batch.map((image) => image.imageDigest), { signal: readSignal(run) });
      } catch (error) {
        // The stop came during the check: what earlier batches deleted stays in the report.
        const stoppedNow = hasErrorCode(error, 'ABORTED') ? firedSignal(run) : undefined;
        if (!stoppedNow) throw error;
        holdStopped(stoppedNow);
        continue;
      }
      const current = new Map(described.map((image) => [image.imageDigest, image]));
      const unchanged: PlannedExpiry[] = [];
      for (const image of batch) {
        const change = changeSinceRead(read.get(image.imageDigest) as ImageDetail, current.get(image.imageDigest));
        if (change === undefined) unchanged.push(image);
        else hold(image, 'changed-since-read', change);
      }
      if (unchanged.length === 0) continue;
      const change: BatchDeleteImageChange = {
        action: 'ecr:BatchDeleteImage',
        target: repositoryName,
        reason: `expire ${unchanged.length} image(s) the lifecycle policy (${repositoryClass.lifecyclePolicy?.source}) selects${pass}`,
        images: unchanged.map((image) => toImageToDelete(image, current.get(image.imageDigest) as ImageDetail)),
      };
      const applied = await applyChanges(deps.writer, [change], run);
      deletions.push(...applied);
      for (const { outcome } of applied) {
        // Stopped before it started, or cancelled in flight: not done (or not known to be done).
        if (outcome.status === 'stopped') for (const image of change.images) hold(image, 'run-stopped', `not deleted: ${outcome.message ?? 'the run stopped'}; the next run evaluates it again`);
      }
      // A failed image is reported as a failure, not as kept; what it references must not go either.
      for (const image of notDeleted(applied)) holdReferenced(image, 'its deletion failed');
    }
  }
  return { deletions, held: [...held.values()] };
}

/** What changed about an image since it was listed, or undefined when nothing that lifecycle looks at did. */
function changeSinceRead(before: ImageDetail, now: ImageDetail | undefined): string | undefined {
  if (now === undefined) return 'it is no longer in the repository (deleted meanwhile)';
  const changes: string[] = [];
  const added = now.imageTags.filter((tag) => !before.imageTags.includes(tag));
  const removed = before.imageTags.filter((tag) => !now.imageTags.includes(tag));
  if (added.length > 0) changes.push(`tagged ${added.join(', ')}`);
  if (removed.length > 0) changes.push(`lost tag ${removed.join(', ')}`);
  const sameTime = (a: Date | undefined, b: Date | undefined) => a?.getTime() === b?.getTime();
  if (!sameTime(before.imagePushedAt, now.imagePushedAt)) changes.push('pushed again');
  if (!sameTime(before.lastRecordedPullTime, now.lastRecordedPullTime)) changes.push('pulled');
  if (!sameTime(before.lastActivatedAt, now.lastActivatedAt)) changes.push('restored from archive');
  if (before.storageClass !== now.storageClass) changes.push(`moved to ${now.storageClass}`);
  return changes.length === 0 ? undefined : `it changed since it was read (${changes.join('; ')}); the next run evaluates it again`;
}

/**
 * Batches of at most 100 image ids, as BatchDeleteImage takes: a tagged image is named by each of its
 * tags (see `EcrRegistry`), so it weighs one id per tag; an image with more tags than that goes alone.
 */
function batchByImageIds(images: readonly PlannedExpiry[]): PlannedExpiry[][] {
  const batches: PlannedExpiry[][] = [];
  let batch: PlannedExpiry[] = [];
  let ids = 0;
  for (const image of images) {
    const weight = Math.max(1, image.imageTags.length);
    if (batch.length > 0 && ids + weight > MAX_IMAGE_IDS_PER_DELETE) {
      batches.push(batch);
      batch = [];
      ids = 0;
    }
    batch.push(image);
    ids += weight;
  }
  if (batch.length > 0) batches.push(batch);
  return batches;
}

function notDeleted(applied: readonly AppliedChange<BatchDeleteImageChange>[]): ImageToDelete[] {
  return applied.flatMap(({ change, outcome }) => {
    if (outcome.status === 'planned') return [];
    const completed = new Set(outcome.completed ?? []);
    return change.images.filter((image) => !completed.has(image.imageDigest));
  });
}

/**
 * Index digest → the manifests it lists, for every index of the repository, and every index whose
 * manifest could not be read, with why, which `planExpiry` treats as unknown children. ECR's
 * `imageManifestMediaType` is optional in DescribeImages
 * (https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_ImageDetail.html), so an image listed
 * without one is read too: it may be an index. A manifest that BatchGetImage did not return, or that
 * is malformed, counts as unreadable (fail safe), never as an index that lists nothing.
 */
export async function readIndexGraph(registry: RegistryReader, repositoryName: string, images: readonly ImageDetail[], signal?: AbortSignal): Promise<ExpiryGraph> {
  const listedAsIndex = new Set(images.filter((image) => isIndexMediaType(image.imageManifestMediaType)).map((image) => image.imageDigest));
  const toRead = images.filter((image) => listedAsIndex.has(image.imageDigest) || image.imageManifestMediaType === undefined).map((image) => image.imageDigest);
  if (toRead.length === 0) return { indexChildren: new Map() };
  const read = await registry.getManifests(repositoryName, toRead, { signal });
  const mayBeIndex = (digest: string) => (listedAsIndex.has(digest) ? '' : '; ECR lists no media type for it, so it may be an index');
  const indexChildren = new Map<string, string[]>();
  const unreadableIndexes = new Map<string, string>();
  for (const manifest of read.manifests) {
    const isIndex = listedAsIndex.has(manifest.imageDigest) || isIndexMediaType(manifest.mediaType) || isIndexMediaType(mediaTypeOf(manifest.manifest));
    if (!isIndex) continue; // Listed without a media type, and an image manifest: nothing it lists.
    try {
      indexChildren.set(manifest.imageDigest, readIndexChildDigests(manifest.manifest));
    } catch (error) {
      unreadableIndexes.set(manifest.imageDigest, `${(error as Error).message}${mayBeIndex(manifest.imageDigest)}`);
    }
  }
  for (const failure of read.failures) {
    unreadableIndexes.set(failure.imageDigest, `${failure.code}${failure.reason ? `: ${failure.reason}` : ''}${mayBeIndex(failure.imageDigest)}`);
  }
  return { indexChildren, ...(unreadableIndexes.size > 0 ? { unreadableIndexes } : {}) };
}

/**
 * Splits the planned deletions into waves: an image is deleted in a later wave than every planned
 * image that references it (an index listing it, a referrer whose subject it is). Within a wave no
 * image references another, so a BatchDeleteImage call never depends on its own order.
 */
export function deletionWaves(plan: Pick<ExpiryPlan, 'expire' | 'deletionOrder'>, graph: ExpiryGraph, images: readonly ImageDetail[]): PlannedExpiry[][] {
  const planned = new Map(plan.expire.map((image) => [image.imageDigest, image]));
  const referencedBy = new Map<string, string[]>();
  const addReference = (from: string, to: string) => {
    if (!planned.has(from) || !planned.has(to)) return;
    referencedBy.set(to, [...(referencedBy.get(to) ?? []), from]);
  };
  for (const [index, children] of graph.indexChildren) for (const child of children) addReference(index, child);
  for (const image of images) if (image.subjectManifestDigest) addReference(image.imageDigest, image.subjectManifestDigest);

  const wave = new Map<string, number>();
  const waveOf = (digest: string, visiting: Set<string>): number => {
    const known = wave.get(digest);
    if (known !== undefined) return known;
    if (visiting.has(digest)) return 0; // A reference cycle cannot occur in a registry; never loop on bad data.
    visiting.add(digest);
    const parents = referencedBy.get(digest) ?? [];
    const value = parents.length === 0 ? 0 : 1 + Math.max(...parents.map((parent) => waveOf(parent, visiting)));
    wave.set(digest, value);
    return value;
  };
  const waves: PlannedExpiry[][] = [];
  for (const digest of plan.deletionOrder) {
    const image = planned.get(digest);
    if (!image) continue;
    const index = waveOf(digest, new Set());
    (waves[index] ??= []).push(image);
  }
  return waves.filter((images) => images.length > 0);
}

/** The image as it is now (its tags name it in the deletion), with what the ledger says about it. */
function toImageToDelete(image: PlannedExpiry, current: ImageDetail): ImageToDelete {
  return {
    imageDigest: image.imageDigest,
    imageTags: [...current.imageTags],
    ...(image.imageSizeInBytes !== undefined ? { imageSizeInBytes: image.imageSizeInBytes } : {}),
    appliedRulePriority: image.appliedRulePriority,
    reason: image.reason,
  };
}

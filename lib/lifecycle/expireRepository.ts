import type { RepositoryClass } from '../config/types';
import type { BatchDeleteImageChange, ImageToDelete } from '../ecr/changes';
import { MAX_IMAGE_IDS_PER_DELETE } from '../ecr/limits';
import { parseIndexChildren } from '../ecr/manifests';
import type { RegistryReader } from '../ecr/RegistryReader';
import { isIndexMediaType, type ImageDetail } from '../ecr/types';
import { applyChanges } from '../plan/applyChanges';
import type { AppliedChange, ChangeWriter, ItemFailure } from '../plan/types';
import { chunk } from '../shared/chunk';
import { evaluateLifecyclePolicy } from './evaluateLifecyclePolicy';
import { planExpiry, type ExpiryGraph, type ExpiryPlan, type PlannedExpiry } from './planExpiry';
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
 * 5. Delete in waves, at most 100 images per BatchDeleteImage: an image goes after every image that
 *    references it (indexes before children, referrers before subjects).
 *
 * @example
 * const expiry = await expireRepository('team-a/api', servicesClass, { registry, writer, now }, { maxDeletions: 200 });
 */
export async function expireRepository(
  repositoryName: string,
  repositoryClass: RepositoryClass,
  deps: { registry: RegistryReader; writer: ChangeWriter<BatchDeleteImageChange>; now: Date },
  options: { maxDeletions: number },
): Promise<RepositoryExpiry | undefined> {
  if (!repositoryClass.lifecyclePolicy) return undefined;
  const policy = parseLifecyclePolicy(repositoryClass.lifecyclePolicy.text);
  const images: ImageDetail[] = [];
  for await (const image of deps.registry.listImages(repositoryName)) images.push(image);
  const preview = evaluateLifecyclePolicy(policy, images, { now: deps.now });

  // Manifests are read only when something would expire: BatchGetImage may count as a pull.
  const expiring = preview.previewResults.some((result) => result.action.type === 'EXPIRE');
  const graph: ExpiryGraph = expiring ? await readIndexGraph(deps.registry, repositoryName, images) : { indexChildren: new Map() };
  const plan = planExpiry({
    preview,
    images,
    protectedTagPatterns: repositoryClass.protectedTags,
    graph,
    maxDeletions: options.maxDeletions,
    policy,
  });

  const changes = deletionWaves(plan, graph, images).flatMap((wave, waveIndex, waves) =>
    chunk(wave, MAX_IMAGE_IDS_PER_DELETE).map(
      (batch): BatchDeleteImageChange => ({
        action: 'ecr:BatchDeleteImage',
        target: repositoryName,
        reason: `expire ${batch.length} image(s) the lifecycle policy (${repositoryClass.lifecyclePolicy?.source}) selects${waves.length > 1 ? ` (pass ${waveIndex + 1} of ${waves.length}: ${waveIndex < waves.length - 1 ? 'indexes and referrers first' : 'then what they referenced'})` : ''}`,
        images: batch.map(toImageToDelete),
      }),
    ),
  );
  const deletions = await applyChanges(deps.writer, changes);

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
  return {
    repositoryName,
    plan,
    deletions,
    expired,
    failures,
    bytesReclaimed: expired.reduce((sum, image) => sum + (image.imageSizeInBytes ?? 0), 0),
  };
}

/** Index digest → the manifests it lists, for every index of the repository. */
async function readIndexGraph(registry: RegistryReader, repositoryName: string, images: readonly ImageDetail[]): Promise<ExpiryGraph> {
  const indexDigests = images.filter((image) => isIndexMediaType(image.imageManifestMediaType)).map((image) => image.imageDigest);
  const manifests = indexDigests.length > 0 ? await registry.getManifests(repositoryName, indexDigests) : [];
  return { indexChildren: new Map(manifests.map((manifest) => [manifest.imageDigest, parseIndexChildren(manifest.manifest).map((child) => child.digest)])) };
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

function toImageToDelete(image: PlannedExpiry): ImageToDelete {
  return {
    imageDigest: image.imageDigest,
    imageTags: image.imageTags,
    ...(image.imageSizeInBytes !== undefined ? { imageSizeInBytes: image.imageSizeInBytes } : {}),
    appliedRulePriority: image.appliedRulePriority,
    reason: image.reason,
  };
}

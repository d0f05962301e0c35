/**
 * Turns a lifecycle preview into a safe deletion plan: the safety rules native ECR lacks
 * (protected tags, images still referenced by kept indexes or referrers, a per-run cap) and an
 * order that BatchDeleteImage accepts.
 *
 * Pure: the caller reads index manifests and images first and passes them in.
 */
import { AutopilotError } from '../errors';
import { describeLifecycleRule } from './describeLifecycleRule';
import { compileTagPattern, matchesTag, type TagMatcher } from './tagPattern';
import type { LifecycleImage, LifecyclePolicy, LifecyclePreview, LifecyclePreviewResult } from './types';

/** Which manifests reference which (read from index manifests with BatchGetImage). */
export interface ExpiryGraph {
  /** Index (manifest list) digest → the digests of the manifests it lists. */
  readonly indexChildren: ReadonlyMap<string, readonly string[]>;
  /**
   * Indexes whose manifest could not be read (digest → why). Their children are unknown, and any
   * untagged image may be one of them, so while one exists no untagged image is expired.
   */
  readonly unreadableIndexes?: ReadonlyMap<string, string>;
}

export interface PlanExpiryInput {
  readonly preview: LifecyclePreview;
  /** Every image of the repository, for tags, sizes and `subjectManifestDigest`. */
  readonly images: readonly LifecycleImage[];
  /** Tag patterns (ECR `*` globs, whole-tag) whose images are never expired. */
  readonly protectedTagPatterns: readonly string[];
  readonly graph: ExpiryGraph;
  /** The per-run deletion cap; omit for no cap. */
  readonly maxDeletions?: number;
  /** What the cap is, for the reason of what it keeps; default `the per-run deletion cap of <maxDeletions>`. */
  readonly capDescription?: string;
  /** The evaluated policy, so reasons can say what each rule selects. */
  readonly policy?: LifecyclePolicy;
}

/**
 * Why the plan keeps an image the policy selects: a protected tag; listed by a kept index; the
 * subject of a kept referrer; its facts are unknown (in the preview but not in the listing); an
 * index of the repository could not be read (untagged images only); the deletion cap; or, found at
 * deletion time, the image changed since it was read (`changed-since-read`, see `expireRepository`),
 * or the run stopped (its deadline, Ctrl-C) before deleting it (`run-stopped`): not done, not kept
 * by a rule; the next run evaluates it again.
 */
export type KeptReason = 'protected-tag' | 'index-child' | 'referrer-subject' | 'facts-unknown' | 'index-unreadable' | 'cap-reached' | 'changed-since-read' | 'run-stopped';

export interface PlannedExpiry {
  imageDigest: string;
  imageTags: string[];
  imagePushedAt: Date;
  imageSizeInBytes: number | undefined;
  /** The rule that selected the image; for a referrer, the rule that selected its subject. */
  appliedRulePriority: number;
  /** A sentence for the deletion ledger, e.g. `rule 2: more than 5 images tagged prod*`. */
  reason: string;
}

export interface KeptImage {
  imageDigest: string;
  imageTags: string[];
  reason: KeptReason;
  detail: string;
}

export interface ExpiryPlan {
  /** Images to delete, oldest push first. */
  expire: PlannedExpiry[];
  /** Images the preview (or a referrer cascade) would expire but the plan keeps, with why. */
  kept: KeptImage[];
  /** TRANSITION results, left to ECR's own engine. */
  transitions: LifecyclePreviewResult[];
  bytesReclaimed: number;
  /**
   * The digests of `expire` in the order to delete them: indexes before their children and
   * referrers before their subjects, so our own order never causes ImageReferencedByManifestList.
   */
  deletionOrder: string[];
}

interface ImageFacts {
  digest: string;
  tags: string[];
  pushedAt: Date;
  /** `pushedAt` in milliseconds, so sorting tens of thousands of images calls no methods. */
  pushedMs: number;
  size: number | undefined;
}

/** Why an image is in the working expiry set. */
type ExpiryCause = { kind: 'rule'; rulePriority: number } | { kind: 'referrer'; subject: string; rulePriority: number };

function imageFacts(digest: string, tags: string[], pushedAt: Date, size: number | undefined): ImageFacts {
  return { digest, tags, pushedAt, pushedMs: pushedAt.getTime(), size };
}

function byPushThenDigest(a: ImageFacts, b: ImageFacts): number {
  const byTime = a.pushedMs - b.pushedMs;
  if (byTime !== 0) return byTime;
  return a.digest < b.digest ? -1 : a.digest > b.digest ? 1 : 0;
}

function describeImage(facts: ImageFacts): string {
  return facts.tags.length === 0 ? `${facts.digest} (untagged)` : `${facts.digest} (tags: ${facts.tags.join(', ')})`;
}

function pushToList(map: Map<string, string[]>, key: string, value: string): void {
  const list = map.get(key);
  if (list === undefined) map.set(key, [value]);
  else list.push(value);
}

/** Connected groups of images that must be deleted together (union-find over dependency edges). */
function groupUnits(members: readonly string[], edges: ReadonlyArray<readonly [string, string]>): string[][] {
  const parent = new Map<string, string>(members.map((digest) => [digest, digest]));
  const find = (digest: string): string => {
    let root = digest;
    while (parent.get(root) !== root) root = parent.get(root) as string;
    parent.set(digest, root);
    return root;
  };
  for (const [a, b] of edges) {
    const ra = find(a);
    const rb = find(b);
    if (ra !== rb) parent.set(ra, rb);
  }
  const units = new Map<string, string[]>();
  for (const digest of members) pushToList(units, find(digest), digest);
  return [...units.values()];
}

/**
 * Plans which expired images to delete, and in which order, with the safety rules applied.
 *
 * Input: the preview, all images of the repository, protected tag patterns, the index graph and
 * an optional cap. Output: an `ExpiryPlan` with a reason for every expired and every kept image.
 *
 * Steps:
 * 1. Start from the preview's EXPIRE results; add every referrer (signature, SBOM) of an image
 *    being expired, since ECR removes referrers with their subject (§2.2).
 * 2. Repeat until nothing changes: keep images with a protected tag; keep images listed by an
 *    index that is kept (any index not being expired); keep the subject of a kept referrer.
 * 3. Group what is left into units (an index with its expiring children and referrers) and take
 *    whole units, oldest first, until the cap; the rest are kept as `cap-reached`.
 * 4. Order deletions so that indexes and referrers precede what they reference.
 *
 * @example
 * const plan = planExpiry({ preview, images, protectedTagPatterns: ['release-*'],
 *   graph: { indexChildren: new Map([['sha256:index', ['sha256:amd64', 'sha256:arm64']]]) }, maxDeletions: 100, policy });
 * plan.deletionOrder; // ['sha256:index', 'sha256:amd64', 'sha256:arm64', …]
 */
export function planExpiry(input: PlanExpiryInput): ExpiryPlan {
  const maxDeletions = input.maxDeletions ?? Number.POSITIVE_INFINITY;
  if (!(maxDeletions >= 0) || (Number.isFinite(maxDeletions) && !Number.isSafeInteger(maxDeletions))) {
    throw new AutopilotError('USAGE', `maxDeletions must be a whole number ≥ 0, got ${String(input.maxDeletions)}`);
  }
  const repository = new RepositoryView(input.images, input.preview, input.protectedTagPatterns);
  const kept = new KeptImages();
  const expiring = settleExpiring(repository, input.graph, kept);
  const deletionOrder = scheduleDeletions(repository, input.graph, expiring, kept, maxDeletions, input.capDescription ?? `the per-run deletion cap of ${maxDeletions}`);

  const expire = deletionOrder
    .map((digest) => repository.factsOf(digest))
    .sort(byPushThenDigest)
    .map((image): PlannedExpiry => {
      const cause = expiring.get(image.digest) as ExpiryCause;
      return {
        imageDigest: image.digest,
        imageTags: [...image.tags],
        imagePushedAt: image.pushedAt,
        imageSizeInBytes: image.size,
        appliedRulePriority: cause.rulePriority,
        reason: explainCause(cause, input.policy),
      };
    });
  return {
    expire,
    kept: kept.list(repository),
    transitions: input.preview.previewResults.filter((result) => result.action.type === 'TRANSITION'),
    bytesReclaimed: expire.reduce((sum, image) => sum + (image.imageSizeInBytes ?? 0), 0),
    deletionOrder,
  };
}

/** What the planner knows about the repository, indexed by digest. */
class RepositoryView {
  private readonly facts = new Map<string, ImageFacts>();
  /** Subject digest → its referrers' digests, sorted. */
  readonly referrersOf = new Map<string, string[]>();
  readonly subjectOf = new Map<string, string>();
  /** The preview's EXPIRE results: digest → applied rule priority. */
  readonly selected = new Map<string, number>();
  /** Selected images absent from `images`: their tags (and so their protection) are unknown. */
  readonly unknownFacts = new Set<string>();
  private readonly protectedMatchers: ReadonlyArray<{ pattern: string; matcher: TagMatcher }>;
  private readonly protection = new Map<string, string | undefined>();

  constructor(images: readonly LifecycleImage[], preview: LifecyclePreview, protectedTagPatterns: readonly string[]) {
    for (const image of images) {
      this.facts.set(image.imageDigest, imageFacts(image.imageDigest, image.imageTags, image.imagePushedAt, image.imageSizeInBytes));
      if (image.subjectManifestDigest === undefined) continue;
      pushToList(this.referrersOf, image.subjectManifestDigest, image.imageDigest);
      this.subjectOf.set(image.imageDigest, image.subjectManifestDigest);
    }
    for (const list of this.referrersOf.values()) list.sort();
    for (const result of preview.previewResults) {
      if (result.action.type !== 'EXPIRE') continue;
      this.selected.set(result.imageDigest, result.appliedRulePriority);
      if (!this.facts.has(result.imageDigest)) {
        // Fail safe: the preview's tags may be stale or partial, so the protected-tag check cannot be trusted.
        this.unknownFacts.add(result.imageDigest);
        this.facts.set(result.imageDigest, imageFacts(result.imageDigest, result.imageTags, result.imagePushedAt, undefined));
      }
    }
    this.protectedMatchers = protectedTagPatterns.map((pattern) => ({ pattern, matcher: compileTagPattern(pattern) }));
  }

  factsOf(digest: string): ImageFacts {
    return this.facts.get(digest) ?? imageFacts(digest, [], new Date(0), undefined);
  }

  /** Why the image is protected (its first tag matching a protected pattern), or undefined. */
  protectedBy(digest: string): string | undefined {
    if (this.protection.has(digest)) return this.protection.get(digest);
    let why: string | undefined;
    for (const tag of this.factsOf(digest).tags) {
      const hit = this.protectedMatchers.find(({ matcher }) => matchesTag(matcher, tag));
      if (hit !== undefined) {
        why = `tag "${tag}" matches protected pattern "${hit.pattern}"`;
        break;
      }
    }
    this.protection.set(digest, why);
    return why;
  }
}

/** Images the plan keeps, each with the first reason found. Only ever grows. */
class KeptImages {
  private readonly reasons = new Map<string, { reason: KeptReason; detail: string }>();

  has(digest: string): boolean {
    return this.reasons.has(digest);
  }

  /** Records the image as kept; false when it already was. */
  keep(digest: string, reason: KeptReason, detail: string): boolean {
    if (this.reasons.has(digest)) return false;
    this.reasons.set(digest, { reason, detail });
    return true;
  }

  list(repository: RepositoryView): KeptImage[] {
    return [...this.reasons.keys()]
      .map((digest) => repository.factsOf(digest))
      .sort(byPushThenDigest)
      .map((image) => {
        const { reason, detail } = this.reasons.get(image.digest) as { reason: KeptReason; detail: string };
        return { imageDigest: image.digest, imageTags: [...image.tags], reason, detail };
      });
  }
}

/**
 * Steps 1–2: the selected images plus their referrer cascade, minus everything the safety rules
 * keep, repeated until stable. `kept` only grows, so this ends after at most one pass per image.
 */
function settleExpiring(repository: RepositoryView, graph: ExpiryGraph, kept: KeptImages): Map<string, ExpiryCause> {
  for (const digest of repository.unknownFacts) {
    kept.keep(digest, 'facts-unknown', 'the preview selects it but the image listing does not have it, so its tags cannot be checked against the protected patterns');
  }
  const unreadable = [...(graph.unreadableIndexes ?? new Map<string, string>())];
  const unreadableDetail = unreadable.length === 0 ? undefined : describeUnreadable(unreadable);
  for (;;) {
    const expiring = new Map<string, ExpiryCause>();
    const queue: string[] = [];
    for (const [digest, rulePriority] of repository.selected) {
      if (kept.has(digest)) continue;
      expiring.set(digest, { kind: 'rule', rulePriority });
      queue.push(digest);
    }
    // §2.2: ECR expires referrers (signatures, SBOMs) with their subject; so do we, explicitly.
    for (let head = 0; head < queue.length; head += 1) {
      const subject = queue[head] as string;
      const cause = expiring.get(subject) as ExpiryCause;
      for (const referrer of repository.referrersOf.get(subject) ?? []) {
        if (expiring.has(referrer) || kept.has(referrer)) continue;
        expiring.set(referrer, { kind: 'referrer', subject, rulePriority: cause.rulePriority });
        queue.push(referrer);
      }
    }

    const survives = (digest: string): boolean => !expiring.has(digest) || kept.has(digest);
    let changed = false;
    for (const digest of expiring.keys()) {
      const why = repository.protectedBy(digest);
      if (why !== undefined) changed = kept.keep(digest, 'protected-tag', why) || changed;
      else if (unreadableDetail !== undefined && repository.factsOf(digest).tags.length === 0) changed = kept.keep(digest, 'index-unreadable', unreadableDetail) || changed;
    }
    // An index we do not know about (absent from `images`) counts as kept: never delete what a
    // live index may still reference.
    for (const [index, children] of graph.indexChildren) {
      if (!survives(index)) continue;
      const detail = `listed by index ${describeImage(repository.factsOf(index))}, which is kept`;
      for (const child of children) if (!survives(child)) changed = kept.keep(child, 'index-child', detail) || changed;
    }
    for (const [subject, referrers] of repository.referrersOf) {
      if (survives(subject)) continue;
      const keeper = referrers.find(survives);
      if (keeper === undefined) continue;
      changed = kept.keep(subject, 'referrer-subject', `subject of referrer ${describeImage(repository.factsOf(keeper))}, which is kept`) || changed;
    }
    if (!changed) return expiring;
  }
}

/**
 * Steps 3–4: groups the expiring images into dependency units, takes whole units oldest first
 * until the cap, keeps the rest as `cap-reached`, and returns the deletion order.
 */
function scheduleDeletions(
  repository: RepositoryView,
  graph: ExpiryGraph,
  expiring: ReadonlyMap<string, ExpiryCause>,
  kept: KeptImages,
  maxDeletions: number,
  capDescription: string,
): string[] {
  const edges: Array<readonly [string, string]> = []; // [delete first, then]
  for (const [index, children] of graph.indexChildren) {
    if (!expiring.has(index)) continue;
    for (const child of children) if (expiring.has(child) && child !== index) edges.push([index, child]);
  }
  // Every expiring referrer precedes its expiring subject, whether the cascade or a rule chose it.
  for (const digest of expiring.keys()) {
    const subject = repository.subjectOf.get(digest);
    if (subject !== undefined && subject !== digest && expiring.has(subject)) edges.push([digest, subject]);
  }
  const units = groupUnits([...expiring.keys()], edges)
    .map((unit) => unit.map((digest) => repository.factsOf(digest)).sort(byPushThenDigest))
    .sort((a, b) => byPushThenDigest(a[0] as ImageFacts, b[0] as ImageFacts));
  const before = new Map<string, string[]>(); // digest → digests that must be deleted before it
  for (const [first, then] of edges) pushToList(before, then, first);

  const deletionOrder: string[] = [];
  let capReached = false;
  for (const unit of units) {
    if (!capReached && deletionOrder.length + unit.length <= maxDeletions) {
      deletionOrder.push(...orderUnit(unit, before));
      continue;
    }
    // Stop at the first unit that does not fit, so a newer image is never deleted while an older
    // one is kept for lack of room.
    capReached = true;
    const detail = `${capDescription} is reached (${deletionOrder.length} deletions planned)`;
    for (const image of unit) kept.keep(image.digest, 'cap-reached', detail);
  }
  return deletionOrder;
}

/**
 * Orders one unit so that every image comes after those that reference it: its depth is one more
 * than the deepest image that must precede it. Within a depth, oldest first.
 */
function orderUnit(unit: readonly ImageFacts[], before: ReadonlyMap<string, readonly string[]>): string[] {
  if (unit.length === 1) return [(unit[0] as ImageFacts).digest];
  const depth = new Map<string, number>();
  const visiting = new Set<string>();
  const depthOf = (digest: string): number => {
    const known = depth.get(digest);
    if (known !== undefined) return known;
    // Content addressing makes cycles impossible; the guard only keeps bad input from looping.
    if (visiting.has(digest)) return 0;
    visiting.add(digest);
    const value = Math.max(-1, ...(before.get(digest) ?? []).map(depthOf)) + 1;
    visiting.delete(digest);
    depth.set(digest, value);
    return value;
  };
  // Array.prototype.sort is stable: within a depth, the unit's order (oldest first) stays.
  const byDepth = unit.map((image) => ({ image, depth: depthOf(image.digest) }));
  byDepth.sort((a, b) => a.depth - b.depth);
  return byDepth.map(({ image }) => image.digest);
}

function describeUnreadable(unreadable: ReadonlyArray<readonly [string, string]>): string {
  const [first] = unreadable;
  const [digest, why] = first as readonly [string, string];
  const more = unreadable.length > 1 ? ` (and ${unreadable.length - 1} more)` : '';
  return `the manifest of index ${digest}${more} could not be read (${why}); any untagged image may be one of its platforms, so none is expired this run`;
}

function explainCause(cause: ExpiryCause, policy: LifecyclePolicy | undefined): string {
  const rule = policy?.rules.find((candidate) => candidate.rulePriority === cause.rulePriority);
  const byRule = rule === undefined ? `rule ${cause.rulePriority} of the lifecycle policy` : `rule ${cause.rulePriority}: ${describeLifecycleRule(rule)}`;
  return cause.kind === 'rule' ? byRule : `referrer of expired subject ${cause.subject} (${byRule})`;
}

/**
 * An offline twin of ECR's lifecycle policy evaluator: given a validated policy, the repository's
 * images and the current time, it returns what GetLifecyclePolicyPreview would (§2.2, §2.7).
 *
 * Pure: no SDK, no clock (`now` is passed in), no input mutation.
 */
import { AutopilotError } from '../errors';
import { compileTagPattern, compileTagPrefix, matchesTag, type TagMatcher } from './tagPattern';
import type { LifecycleImage, LifecyclePolicy, LifecyclePolicyRule, LifecyclePreview, LifecyclePreviewResult } from './types';

export const MS_PER_DAY = 86_400_000;
/**
 * LP-EX: archived images have a 90-day minimum storage duration and lifecycle policies cannot
 * delete them sooner. Whether ECR rejects `sinceImageTransitioned` with countNumber < 90 or simply
 * never matches early is UNCONFIRMED (§2.1); the evaluator covers both by never expiring an image
 * archived less than 90 days ago, whatever countNumber says.
 */
export const ARCHIVE_MINIMUM_DAYS = 90;

export interface EvaluateLifecyclePolicyOptions {
  /** The evaluation time; ages are measured back from it. */
  now: Date;
}

const NO_RULE = -1;

function compareDigests(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function timeOf(value: Date | undefined, what: string, image: LifecycleImage, index: number): number {
  if (value === undefined) return Number.NaN;
  const time = value instanceof Date ? value.getTime() : Number.NaN;
  if (Number.isNaN(time)) {
    throw new AutopilotError('USAGE', `images[${index}] (${image.imageDigest}): ${what} is not a valid time`);
  }
  return time;
}

/**
 * Per-image facts in evaluation order (position k = k-th youngest), as flat typed arrays so that
 * the per-rule loops touch no objects.
 */
interface ImageTable {
  readonly size: number;
  /** Position → index in the caller's `images`. */
  readonly inputIndex: Int32Array;
  /** The tags of position k are `tags[tagStart[k]]` … `tags[tagStart[k + 1] - 1]`. */
  readonly tagStart: Int32Array;
  readonly tags: readonly string[];
  /** The position of the image each entry of `tags` belongs to. */
  readonly tagOwner: Int32Array;
  readonly archive: Uint8Array;
  readonly pushedAt: Float64Array;
  /** §2.2: push time, or `lastActivatedAt` for an image restored from archive. */
  readonly activeSince: Float64Array;
  /** §2.2: last recorded pull, falling back to `activeSince` when never pulled since (re)activation. */
  readonly lastUsed: Float64Array;
  /** `lastArchivedAt`; NaN when unknown, which never satisfies an age test. */
  readonly archivedAt: Float64Array;
}

function tabulate(images: readonly LifecycleImage[]): ImageTable {
  const size = images.length;
  const pushedByInput = new Float64Array(size);
  const activeByInput = new Float64Array(size);
  const seen = new Set<string>();
  images.forEach((image, i) => {
    if (seen.has(image.imageDigest)) {
      throw new AutopilotError('USAGE', `images[${i}]: digest ${image.imageDigest} appears more than once`);
    }
    seen.add(image.imageDigest);
    const pushed = timeOf(image.imagePushedAt, 'imagePushedAt', image, i);
    if (Number.isNaN(pushed)) throw new AutopilotError('USAGE', `images[${i}] (${image.imageDigest}): imagePushedAt is required`);
    const activated = timeOf(image.lastActivatedAt, 'lastActivatedAt', image, i);
    pushedByInput[i] = pushed;
    activeByInput[i] = Number.isNaN(activated) ? pushed : Math.max(pushed, activated);
  });

  // §2.2: imageCountMoreThan ranks images youngest first. Sorting once here serves every count
  // rule; ties are broken by digest so the result never depends on the input order.
  // (A plain array sorts faster with a comparator than a typed array does.)
  const inputIndex = Int32Array.from(
    Array.from({ length: size }, (_, i) => i).sort(
      (a, b) =>
        (activeByInput[b] as number) - (activeByInput[a] as number) ||
        compareDigests((images[a] as LifecycleImage).imageDigest, (images[b] as LifecycleImage).imageDigest),
    ),
  );

  const tagStart = new Int32Array(size + 1);
  const tags: string[] = [];
  const archive = new Uint8Array(size);
  const pushedAt = new Float64Array(size);
  const activeSince = new Float64Array(size);
  const lastUsed = new Float64Array(size);
  const archivedAt = new Float64Array(size);
  for (let k = 0; k < size; k += 1) {
    const i = inputIndex[k] as number;
    const image = images[i] as LifecycleImage;
    const since = activeByInput[i] as number;
    const pulled = timeOf(image.lastRecordedPullTime, 'lastRecordedPullTime', image, i);
    tagStart[k] = tags.length;
    for (const tag of image.imageTags) tags.push(tag);
    archive[k] = image.storageClass === 'ARCHIVE' ? 1 : 0;
    pushedAt[k] = pushedByInput[i] as number;
    activeSince[k] = since;
    lastUsed[k] = Number.isNaN(pulled) ? since : Math.max(pulled, since);
    archivedAt[k] = timeOf(image.lastArchivedAt, 'lastArchivedAt', image, i);
  }
  tagStart[size] = tags.length;
  const tagOwner = new Int32Array(tags.length);
  for (let k = 0; k < size; k += 1) tagOwner.fill(k, tagStart[k] as number, tagStart[k + 1] as number);
  return { size, inputIndex, tagStart, tags, tagOwner, archive, pushedAt, activeSince, lastUsed, archivedAt };
}

/**
 * Which images each tag filter selects, one byte per image. Masks are cached by matcher, so a
 * pattern that several rules share (`v*`, `sha-*`) is matched against the tags only once.
 */
class SelectionMasks {
  private readonly byMatcher = new Map<string, Uint8Array>();
  private untaggedMask: Uint8Array | undefined;

  constructor(private readonly table: ImageTable) {}

  /** The images a rule's tag selection matches; `undefined` means every image (`any`). */
  forRule(rule: LifecyclePolicyRule): Uint8Array | undefined {
    if (rule.tagStatus === 'any') return undefined;
    if (rule.tagStatus === 'untagged') return this.untagged();
    // §2.2: with several patterns or prefixes the image must match all of them, each against any
    // of its tags (one tag may satisfy several, different tags may satisfy different ones).
    const matchers = [...rule.tagPatternList.map(compileTagPattern), ...rule.tagPrefixList.map(compileTagPrefix)];
    const [first, ...others] = matchers.map((matcher) => this.forMatcher(matcher));
    if (first === undefined) return new Uint8Array(this.table.size);
    if (others.length === 0) return first;
    const combined = first.slice();
    for (const mask of others) for (let k = 0; k < combined.length; k += 1) combined[k] = (combined[k] as number) & (mask[k] as number);
    return combined;
  }

  private untagged(): Uint8Array {
    if (this.untaggedMask !== undefined) return this.untaggedMask;
    const { size, tagStart } = this.table;
    const mask = new Uint8Array(size);
    for (let k = 0; k < size; k += 1) mask[k] = tagStart[k + 1] === tagStart[k] ? 1 : 0;
    this.untaggedMask = mask;
    return mask;
  }

  private forMatcher(matcher: TagMatcher): Uint8Array {
    const cached = this.byMatcher.get(matcher.key);
    if (cached !== undefined) return cached;
    const { size, tags, tagOwner } = this.table;
    const mask = new Uint8Array(size);
    // One flat pass over every tag of every image. The common kinds get their own loop around a
    // single string builtin; this pass is the evaluator's hot spot (tags × distinct patterns).
    const count = tags.length;
    switch (matcher.kind) {
      case 'exact': {
        const { text } = matcher;
        for (let j = 0; j < count; j += 1) if (tags[j] === text) mask[tagOwner[j] as number] = 1;
        break;
      }
      case 'prefix': {
        const { head } = matcher;
        for (let j = 0; j < count; j += 1) if ((tags[j] as string).startsWith(head)) mask[tagOwner[j] as number] = 1;
        break;
      }
      case 'suffix': {
        const { tail } = matcher;
        for (let j = 0; j < count; j += 1) if ((tags[j] as string).endsWith(tail)) mask[tagOwner[j] as number] = 1;
        break;
      }
      default:
        for (let j = 0; j < count; j += 1) if (matchesTag(matcher, tags[j] as string)) mask[tagOwner[j] as number] = 1;
    }
    this.byMatcher.set(matcher.key, mask);
    return mask;
  }
}

/**
 * Applies one rule to every image, youngest first. `claimed` holds, per image, 1 + the index of the
 * first rule whose selection took it (0: none yet); `applied` records the index of the rule that
 * acts on each image.
 */
function applyRule(
  rule: LifecyclePolicyRule,
  ruleIndex: number,
  now: number,
  table: ImageTable,
  masks: SelectionMasks,
  claimed: Int32Array,
  applied: Int32Array,
): void {
  const selected = masks.forRule(rule);
  const wantArchive = rule.storageClass === 'archive' ? 1 : 0;
  const days = rule.countType === 'sinceImageTransitioned' ? Math.max(rule.countNumber, ARCHIVE_MINIMUM_DAYS) : rule.countNumber;
  // Boundary: "older than N days" is strict. An image pushed exactly N × 24 h before `now` is
  // not yet selected; one millisecond earlier it is. ECR documents no finer rule (§2.2), and it
  // acts "within 24 hours" anyway.
  const before = now - days * MS_PER_DAY;
  const reference =
    rule.countType === 'sinceImagePushed' ? table.activeSince : rule.countType === 'sinceImagePulled' ? table.lastUsed : table.archivedAt;
  const byCount = rule.countType === 'imageCountMoreThan';
  const { archive } = table;
  let seen = 0;
  for (let k = 0; k < table.size; k += 1) {
    // A rule only ever selects images of its own storage class (§2.1 storageClass).
    if (archive[k] !== wantArchive || (selected !== undefined && selected[k] === 0)) continue;
    seen += 1;
    const hit = byCount ? seen > rule.countNumber : (reference[k] as number) < before;
    // §2.2: an image that matches a higher-priority rule's selection cannot be taken by a lower
    // one, but it still counts towards the lower rule's imageCountMoreThan (Example A, §2.4).
    if (claimed[k] !== 0) continue;
    if (hit) applied[k] = ruleIndex;
    claimed[k] = ruleIndex + 1;
  }
}

/**
 * Evaluates a lifecycle policy the way ECR does and returns the GetLifecyclePolicyPreview shape.
 *
 * Input: a policy from `parseLifecyclePolicy`, the repository's images (standard and archived),
 * and `now`. Output: one preview result per image acted on, ordered by push time then digest,
 * plus the summary counts.
 *
 * Steps:
 * 1. Rank the images once, youngest first (restored images by `lastActivatedAt`).
 * 2. Evaluate every rule over every image of its storage class, in priority order.
 * 3. An image is acted on by the first rule whose count or age criterion it meets, provided no
 *    higher-priority rule selected it (§2.2); each image gets at most one action.
 *
 * Cost: one O(n log n) sort, one pass over all tags per distinct pattern or prefix, then
 * O(images) per rule.
 *
 * @example
 * const policy = parseLifecyclePolicy({ rules: [{ rulePriority: 1,
 *   selection: { tagStatus: 'untagged', countType: 'imageCountMoreThan', countNumber: 1 }, action: { type: 'expire' } }] });
 * const preview = evaluateLifecyclePolicy(policy, images, { now: new Date('2026-01-31T00:00:00Z') });
 * preview.summary.expiringImageTotalCount; // every untagged image but the newest
 */
export function evaluateLifecyclePolicy(
  policy: LifecyclePolicy,
  images: readonly LifecycleImage[],
  options: EvaluateLifecyclePolicyOptions,
): LifecyclePreview {
  return evaluate(policy, images, options).preview;
}

/** The preview, plus which rule selected each image (acting on it or not). */
export interface LifecycleEvaluation {
  preview: LifecyclePreview;
  /**
   * Image digest → the priority of the first rule whose selection (tag status, tags, storage class)
   * takes the image. That rule alone may act on it (§2.2); an image it does not act on (yet) is
   * kept by it from every later rule. Images no rule selects are absent.
   */
  selectedBy: ReadonlyMap<string, number>;
}

/**
 * `evaluateLifecyclePolicy`, also saying for every image which rule selected it: why an image
 * that is not acted on stays (`lifecycle preview --all`).
 *
 * @example
 * const { preview, selectedBy } = evaluateLifecyclePolicyWithSelection(policy, images, { now });
 * selectedBy.get(releaseImage.imageDigest); // 1: the keep rule for release-* took it
 */
export function evaluateLifecyclePolicyWithSelection(
  policy: LifecyclePolicy,
  images: readonly LifecycleImage[],
  options: EvaluateLifecyclePolicyOptions,
): LifecycleEvaluation {
  const { preview, table, claimed } = evaluate(policy, images, options);
  const selectedBy = new Map<string, number>();
  for (let k = 0; k < table.size; k += 1) {
    const ruleIndex = (claimed[k] as number) - 1;
    if (ruleIndex < 0) continue;
    const image = images[table.inputIndex[k] as number] as LifecycleImage;
    selectedBy.set(image.imageDigest, (policy.rules[ruleIndex] as LifecyclePolicyRule).rulePriority);
  }
  return { preview, selectedBy };
}

function evaluate(
  policy: LifecyclePolicy,
  images: readonly LifecycleImage[],
  options: EvaluateLifecyclePolicyOptions,
): { preview: LifecyclePreview; table: ImageTable; claimed: Int32Array } {
  const now = options.now.getTime();
  if (Number.isNaN(now)) throw new AutopilotError('USAGE', '`now` is not a valid time');
  const table = tabulate(images);
  const masks = new SelectionMasks(table);
  const claimed = new Int32Array(table.size);
  const applied = new Int32Array(table.size).fill(NO_RULE);
  // `policy.rules` is in priority order, so the first rule to mark an image wins.
  policy.rules.forEach((rule, ruleIndex) => applyRule(rule, ruleIndex, now, table, masks, claimed, applied));

  const actedOn: number[] = [];
  for (let k = 0; k < table.size; k += 1) if (applied[k] !== NO_RULE) actedOn.push(k);
  // Oldest push first, then digest: a stable order that does not depend on the input order.
  const digestAt = (k: number): string => (images[table.inputIndex[k] as number] as LifecycleImage).imageDigest;
  actedOn.sort((a, b) => (table.pushedAt[a] as number) - (table.pushedAt[b] as number) || compareDigests(digestAt(a), digestAt(b)));

  let expiring = 0;
  const previewResults = actedOn.map((k): LifecyclePreviewResult => {
    const rule = policy.rules[applied[k] as number] as LifecyclePolicyRule;
    const image = images[table.inputIndex[k] as number] as LifecycleImage;
    const expire = rule.action === 'expire';
    if (expire) expiring += 1;
    return {
      imageDigest: image.imageDigest,
      imageTags: [...image.imageTags],
      imagePushedAt: new Date(table.pushedAt[k] as number),
      action: expire ? { type: 'EXPIRE' } : { type: 'TRANSITION', targetStorageClass: 'ARCHIVE' },
      appliedRulePriority: rule.rulePriority,
      storageClass: image.storageClass,
    };
  });
  const transitioning = previewResults.length - expiring;
  const preview: LifecyclePreview = {
    previewResults,
    summary: {
      expiringImageTotalCount: expiring,
      // Only target classes with at least one image are listed (the one target today is ARCHIVE).
      transitioningImageTotalCounts: transitioning === 0 ? [] : [{ targetStorageClass: 'ARCHIVE', imageTotalCount: transitioning }],
    },
  };
  return { preview, table, claimed };
}

/**
 * The lifecycle preview for people: every image with what ECR's engine does to it and why (the
 * rule's own description), and where ecr-autopilot's enforcement keeps an image the preview
 * expires. Pure: the caller lists the images and reads the index manifests.
 */
import { describeLifecycleRule } from './describeLifecycleRule';
import { evaluateLifecyclePolicyWithSelection } from './evaluateLifecyclePolicy';
import { planExpiry, type ExpiryGraph, type KeptReason } from './planExpiry';
import type { ImageStorageClass, LifecycleImage, LifecyclePolicy, LifecyclePolicyRule, LifecyclePreview } from './types';

/** One image of the repository in the explained preview. */
export interface ExplainedImage {
  imageDigest: string;
  imageTags: string[];
  imagePushedAt: Date;
  storageClass: ImageStorageClass;
  imageSizeInBytes?: number;
  /** What ECR's engine does (GetLifecyclePolicyPreview's action), or KEEP when no rule acts on it. */
  action: 'EXPIRE' | 'TRANSITION' | 'KEEP';
  /** The rule acting on the image; for KEEP, the rule whose selection took it (none: no rule selects it). */
  rulePriority?: number;
  /** The rule's description (what it selects, when it has none); for an image no rule selects, says so. */
  reason: string;
  /** Set when ecr-autopilot's sweep keeps an image the preview expires: why, and what ECR does with it. */
  keptByAutopilot?: { reason: KeptReason; detail: string };
}

export interface ExplainedPreview {
  /** Exactly what GetLifecyclePolicyPreview returns (`lifecycle preview --json`). */
  preview: LifecyclePreview;
  /** Every image, oldest push first, then digest. */
  images: ExplainedImage[];
  /** Bytes of the images the preview expires (`imageSizeInBytes`; shared layers counted per image). */
  expiringBytes: number;
  /** Bytes of those ecr-autopilot's sweep deletes (the preview's, minus what it keeps). */
  sweepBytes: number;
  /** Expiring images whose size is unknown (counted as 0 above). */
  unknownSizes: number;
}

export interface ExplainLifecyclePreviewInput {
  policy: LifecyclePolicy;
  images: readonly LifecycleImage[];
  now: Date;
  /** The protected tags of the repository's class; none when the class is unknown. */
  protectedTagPatterns: readonly string[];
  /** The index manifests' children; empty when they were not read (describe-images holds none). */
  graph: ExpiryGraph;
}

/** What ECR's engine does with an image ecr-autopilot keeps, by the reason it keeps it. */
const ECR_DOES: Readonly<Record<KeptReason, string>> = {
  'protected-tag': "ECR's own engine still expires it: add a first rule that keeps this tag (a count no repository reaches)",
  // LifecyclePolicies.html: "If an image is referenced by a manifest list, it cannot be expired or
  // archived without the manifest list being deleted or archived first."
  'index-child': 'ECR does not expire it either while the manifest list references it',
  'referrer-subject': "ECR's own engine still expires it, and its referrers with it",
  'facts-unknown': '',
  'index-unreadable': '',
  'cap-reached': '',
  'changed-since-read': '',
  'run-stopped': '',
};

function ruleReason(rule: LifecyclePolicyRule | undefined): string {
  if (rule === undefined) return 'no rule selects it';
  return rule.description && rule.description.trim() !== '' ? rule.description : describeLifecycleRule(rule);
}

/**
 * Evaluates the policy as ECR does and explains every image.
 *
 * Input: the policy, all images, the time, the class's protected tags and the index graph.
 * Output: the preview (GetLifecyclePolicyPreview shape), one explained image per image, and the
 * bytes the preview and the sweep free.
 * 1. Evaluate, recording which rule selected each image (`evaluateLifecyclePolicyWithSelection`).
 * 2. Plan the sweep's expiry without a cap (`planExpiry`): what it keeps, and why.
 * 3. Per image: the action, the rule and its description, and the sweep's reason to keep it.
 *
 * @example
 * const explained = explainLifecyclePreview({ policy, images, now, protectedTagPatterns: ['release-*'], graph });
 * explained.images.find((image) => image.keptByAutopilot)?.keptByAutopilot?.detail
 * // 'tag "release-1" matches protected pattern "release-*"'
 */
export function explainLifecyclePreview(input: ExplainLifecyclePreviewInput): ExplainedPreview {
  const { preview, selectedBy } = evaluateLifecyclePolicyWithSelection(input.policy, input.images, { now: input.now });
  const plan = planExpiry({ preview, images: input.images, protectedTagPatterns: input.protectedTagPatterns, graph: input.graph, policy: input.policy });
  const rules = new Map(input.policy.rules.map((rule) => [rule.rulePriority, rule]));
  const results = new Map(preview.previewResults.map((result) => [result.imageDigest, result]));
  const kept = new Map(plan.kept.map((image) => [image.imageDigest, image]));

  let expiringBytes = 0;
  let unknownSizes = 0;
  const images = [...input.images]
    .sort((a, b) => a.imagePushedAt.getTime() - b.imagePushedAt.getTime() || (a.imageDigest < b.imageDigest ? -1 : a.imageDigest > b.imageDigest ? 1 : 0))
    .map((image): ExplainedImage => {
      const result = results.get(image.imageDigest);
      const rulePriority = result?.appliedRulePriority ?? selectedBy.get(image.imageDigest);
      const explained: ExplainedImage = {
        imageDigest: image.imageDigest,
        imageTags: [...image.imageTags],
        imagePushedAt: image.imagePushedAt,
        storageClass: image.storageClass,
        action: result?.action.type ?? 'KEEP',
        reason: ruleReason(rulePriority === undefined ? undefined : rules.get(rulePriority)),
      };
      if (rulePriority !== undefined) explained.rulePriority = rulePriority;
      if (image.imageSizeInBytes !== undefined) explained.imageSizeInBytes = image.imageSizeInBytes;
      if (explained.action === 'EXPIRE') {
        if (image.imageSizeInBytes === undefined) unknownSizes += 1;
        else expiringBytes += image.imageSizeInBytes;
        const keeping = kept.get(image.imageDigest);
        if (keeping) {
          const ecr = ECR_DOES[keeping.reason];
          explained.keptByAutopilot = { reason: keeping.reason, detail: ecr ? `${keeping.detail}; ${ecr}` : keeping.detail };
        }
      }
      return explained;
    });
  return { preview, images, expiringBytes, sweepBytes: plan.bytesReclaimed, unknownSizes };
}

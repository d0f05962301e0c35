/** Builders shared by the lifecycle tests: a fixed clock, images by age, rules by shorthand. */
import { MS_PER_DAY, parseLifecyclePolicy, type LifecycleImage, type LifecyclePolicy, type LifecycleRule } from '../../../lib/lifecycle';

/** Every lifecycle test measures ages back from this instant. */
export const NOW = new Date('2026-03-01T00:00:00.000Z');
export const MS_PER_HOUR = 3_600_000;

export function daysAgo(days: number): Date {
  return new Date(NOW.getTime() - days * MS_PER_DAY);
}

/** A readable fake digest: `sha256:A` for image A. */
export function digestOf(name: string): string {
  return `sha256:${name}`;
}

export interface ImageSpec {
  name: string;
  tags?: string[];
  pushedDaysAgo: number;
  pulledDaysAgo?: number;
  archivedDaysAgo?: number;
  activatedDaysAgo?: number;
  storageClass?: LifecycleImage['storageClass'];
  size?: number;
  subject?: string;
}

export function image(spec: ImageSpec): LifecycleImage {
  const built: LifecycleImage = {
    imageDigest: digestOf(spec.name),
    imageTags: spec.tags ?? [],
    imagePushedAt: daysAgo(spec.pushedDaysAgo),
    storageClass: spec.storageClass ?? 'STANDARD',
  };
  if (spec.pulledDaysAgo !== undefined) built.lastRecordedPullTime = daysAgo(spec.pulledDaysAgo);
  if (spec.archivedDaysAgo !== undefined) built.lastArchivedAt = daysAgo(spec.archivedDaysAgo);
  if (spec.activatedDaysAgo !== undefined) built.lastActivatedAt = daysAgo(spec.activatedDaysAgo);
  if (spec.size !== undefined) built.imageSizeInBytes = spec.size;
  if (spec.subject !== undefined) built.subjectManifestDigest = digestOf(spec.subject);
  return built;
}

/** The names (digest without `sha256:`) of the images in a list of results, sorted. */
export function namesOf(results: ReadonlyArray<{ imageDigest: string }>): string[] {
  return results.map((result) => result.imageDigest.replace(/^sha256:/, '')).sort();
}

export function policyOf(...rules: LifecycleRule[]): LifecyclePolicy {
  return parseLifecyclePolicy({ rules });
}

/** A valid rule with the common defaults; override any part. */
export function rule(rulePriority: number, selection: LifecycleRule['selection'], action: LifecycleRule['action'] = { type: 'expire' }): LifecycleRule {
  return { rulePriority, selection, action };
}

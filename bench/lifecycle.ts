/**
 * Lifecycle evaluation at ECR's scale: 100,000 images (the default per-repository quota) against
 * a 50-rule policy (the maximum). The baseline, measured in the same run, is the one sort of the
 * images by push time that any evaluator needs, so the ratio says how much the rules cost on top.
 */
import { evaluateLifecyclePolicy, MAX_RULES, parseDescribeImagesOutput, parseLifecyclePolicy, planExpiry, type LifecycleRule } from '../lib/lifecycle';
import type { BenchSection, Measurement } from './types';

const IMAGE_COUNT = 100_000; // QUOTAS: images per repository (default)
const SEED = 20260301;
const WARM_UP_RUNS = 2;
const MEASURED_RUNS = 7;
const TARGET_MS = 1000;
const NOW = new Date('2026-03-01T00:00:00Z');
const MS_PER_DAY = 86_400_000;

const TEAMS = Array.from({ length: 12 }, (_, i) => `team${String.fromCharCode(97 + i)}`);
const ENVIRONMENTS = ['prod', 'staging', 'dev', 'qa'];

/** mulberry32: a small seeded generator, so every run measures the same repository. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function pick<T>(random: () => number, values: readonly T[]): T {
  return values[Math.floor(random() * values.length)] as T;
}

/** What `aws ecr describe-images` prints for one image (the fields the evaluator reads). */
interface ImageDetail {
  imageDigest: string;
  imageTags?: string[];
  imagePushedAt: string;
  imageSizeInBytes: number;
  imageStatus: 'ACTIVE' | 'ARCHIVED';
  lastArchivedAt?: string;
  lastRecordedPullTime?: string;
}

function daysBefore(days: number): string {
  return new Date(NOW.getTime() - days * MS_PER_DAY).toISOString();
}

/** 100,000 images: ~25 % untagged, ~10 % archived, tags like `teamc-prod-1234`, `v3.2.1`, `sha-1a2b3c`. */
function generateImageDetails(): ImageDetail[] {
  const random = seededRandom(SEED);
  return Array.from({ length: IMAGE_COUNT }, (_, i): ImageDetail => {
    const pushedDaysAgo = random() * 730;
    const tags: string[] = [];
    if (random() >= 0.25) {
      tags.push(`${pick(random, TEAMS)}-${pick(random, ENVIRONMENTS)}-${i}`);
      if (random() < 0.4) tags.push(`v${Math.floor(random() * 5)}.${Math.floor(random() * 20)}.${i % 50}`);
      if (random() < 0.3) tags.push(`sha-${((i * 2654435761) >>> 0).toString(16)}`);
      if (random() < 0.05) tags.push(`feature-${i}`);
    }
    const archived = random() < 0.1;
    const detail: ImageDetail = {
      imageDigest: `sha256:${i.toString(16).padStart(64, '0')}`,
      imagePushedAt: daysBefore(pushedDaysAgo),
      imageSizeInBytes: 10_000_000 + Math.floor(random() * 500_000_000),
      imageStatus: archived ? 'ARCHIVED' : 'ACTIVE',
    };
    if (tags.length > 0) detail.imageTags = tags;
    if (archived) detail.lastArchivedAt = daysBefore(random() * pushedDaysAgo);
    if (random() < 0.6) detail.lastRecordedPullTime = daysBefore(random() * pushedDaysAgo);
    return detail;
  });
}

/** A valid 50-rule policy mixing patterns, prefixes, untagged and any, counts and ages. */
function generatePolicyRules(): LifecycleRule[] {
  const rules: LifecycleRule[] = [];
  const add = (selection: LifecycleRule['selection'], action: LifecycleRule['action'] = { type: 'expire' }): void => {
    rules.push({ rulePriority: rules.length + 1, selection, action });
  };
  for (const team of TEAMS) {
    add({ tagStatus: 'tagged', tagPatternList: [`${team}-prod-*`], countType: 'imageCountMoreThan', countNumber: 200 });
    add({ tagStatus: 'tagged', tagPatternList: [`${team}-*`, 'v*.*.*'], countType: 'sinceImagePushed', countUnit: 'days', countNumber: 180 });
  }
  for (const team of TEAMS) add({ tagStatus: 'tagged', tagPrefixList: [`${team}-dev`], countType: 'sinceImagePushed', countUnit: 'days', countNumber: 30 });
  for (const environment of ENVIRONMENTS) {
    add({ tagStatus: 'tagged', tagPatternList: [`*-${environment}-*`, 'sha-*'], countType: 'imageCountMoreThan', countNumber: 500 });
  }
  add({ tagStatus: 'tagged', tagPrefixList: ['feature-'], countType: 'sinceImagePushed', countUnit: 'days', countNumber: 14 });
  add({ tagStatus: 'tagged', tagPatternList: ['*staging*'], countType: 'sinceImagePulled', countUnit: 'days', countNumber: 60 }, { type: 'transition', targetStorageClass: 'archive' });
  add({ tagStatus: 'tagged', tagPatternList: ['*-qa-*'], countType: 'sinceImagePulled', countUnit: 'days', countNumber: 90 }, { type: 'transition', targetStorageClass: 'archive' });
  add({ tagStatus: 'untagged', countType: 'imageCountMoreThan', countNumber: 1000 });
  const archive = { storageClass: 'archive', countType: 'sinceImageTransitioned', countUnit: 'days' } as const;
  add({ tagStatus: 'tagged', tagPatternList: ['*-prod-*'], ...archive, countNumber: 365 });
  add({ tagStatus: 'tagged', tagPrefixList: ['feature-'], ...archive, countNumber: 120 });
  add({ tagStatus: 'untagged', ...archive, countNumber: 90 });
  add({ tagStatus: 'tagged', tagPatternList: ['v*'], ...archive, countNumber: 200 });
  add({ tagStatus: 'any', ...archive, countNumber: 400 });
  while (rules.length < MAX_RULES - 1) {
    const n = rules.length;
    add({ tagStatus: 'tagged', tagPatternList: [`*-${n}*`, `*${n % 10}`], countType: 'imageCountMoreThan', countNumber: 50 });
  }
  add({ tagStatus: 'any', countType: 'imageCountMoreThan', countNumber: 50_000 });
  return rules;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

function time(run: () => void): number {
  for (let i = 0; i < WARM_UP_RUNS; i += 1) run();
  const samples: number[] = [];
  for (let i = 0; i < MEASURED_RUNS; i += 1) {
    const start = performance.now();
    run();
    samples.push(performance.now() - start);
  }
  return Math.round(median(samples) * 10) / 10;
}

export const lifecycleBench: BenchSection = {
  title: 'Lifecycle policy evaluation',
  async run(): Promise<Measurement[]> {
    // Through JSON text and the describe-images reader, as `lifecycle preview --images` gets them
    // (this also makes the tags flat strings, as in production, not the generator's concatenations).
    const images = parseDescribeImagesOutput(JSON.parse(JSON.stringify({ imageDetails: generateImageDetails() })));
    const rules = generatePolicyRules();
    const policy = parseLifecyclePolicy({ rules });
    if (policy.rules.length !== MAX_RULES) throw new Error(`the bench policy has ${policy.rules.length} rules, expected ${MAX_RULES}`);

    const sortBaseline = time(() => {
      [...images].sort((a, b) => b.imagePushedAt.getTime() - a.imagePushedAt.getTime());
    });
    const evaluation = time(() => {
      evaluateLifecyclePolicy(policy, images, { now: NOW });
    });
    const preview = evaluateLifecyclePolicy(policy, images, { now: NOW });
    const planning = time(() => {
      planExpiry({ preview, images, policy, protectedTagPatterns: ['v1.*', '*-prod-1*'], graph: { indexChildren: new Map() }, maxDeletions: 10_000 });
    });
    const baseline = { name: `sort ${IMAGE_COUNT.toLocaleString('en-US')} images by push time`, value: sortBaseline };
    return [
      { name: `evaluate ${IMAGE_COUNT.toLocaleString('en-US')} images × ${MAX_RULES}-rule policy`, value: evaluation, unit: 'ms', baseline, target: { max: TARGET_MS } },
      { name: `plan expiry of ${preview.summary.expiringImageTotalCount.toLocaleString('en-US')} expiring images (cap 10,000)`, value: planning, unit: 'ms', baseline },
      { name: 'images acted on by the bench policy', value: preview.previewResults.length, unit: 'count' },
    ];
  },
};

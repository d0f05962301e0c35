import { readFileSync } from 'node:fs';
import { ECRClient } from '@aws-sdk/client-ecr';
import { EcrRegistry } from '../../lib/ecr/EcrRegistry';
import { SnapshotRegistry } from '../../lib/ecr/SnapshotRegistry';
import { AutopilotError } from '../../lib/errors';
import { parseDescribeImagesOutput } from '../../lib/lifecycle/describeImagesInput';
import { evaluateLifecyclePolicy } from '../../lib/lifecycle/evaluateLifecyclePolicy';
import { lifecyclePolicyWarnings } from '../../lib/lifecycle/lifecyclePolicyWarnings';
import type { LifecycleImage, LifecyclePreview } from '../../lib/lifecycle/types';
import { formatLifecyclePolicyIssue, parseLifecyclePolicy, validateLifecyclePolicy } from '../../lib/lifecycle/validateLifecyclePolicy';
import { formatBytes, shortDigest } from '../../lib/notify/present/format';
import type { CommandIo, ExitCode } from '../io';
import { readJsonFile } from './invoke';

/**
 * `ecr-autopilot lifecycle check <policy.json>`: every rule ECR enforces, offline. Exit 0 when the
 * policy is valid; otherwise 1 and every problem (rule, field, what to change).
 */
export async function runLifecycleCheck(options: { policy: string }, io: CommandIo): Promise<ExitCode> {
  const text = readText(options.policy);
  const issues = validateLifecyclePolicy(text);
  // Warnings are about what a valid policy selects; they never fail the check.
  const warnings = issues.length === 0 ? lifecyclePolicyWarnings(parseLifecyclePolicy(text)) : [];
  io.data({ valid: issues.length === 0, issues, warnings });
  if (issues.length === 0) {
    io.out(`${options.policy}: valid lifecycle policy${warnings.length > 0 ? ` (${warnings.length} warning${warnings.length === 1 ? '' : 's'})` : ''}`);
    for (const warning of warnings) io.out(`  warning: ${formatLifecyclePolicyIssue(warning)}`);
    return 0;
  }
  io.out(`${options.policy}: ${issues.length} problem${issues.length === 1 ? '' : 's'}`);
  for (const issue of issues) io.out(`  - ${formatLifecyclePolicyIssue(issue)}`);
  return 1;
}

export interface PreviewOptions {
  policy: string;
  images?: string;
  repository?: string;
  snapshot?: string;
  now?: string;
}

/**
 * `ecr-autopilot lifecycle preview --policy <file> (--images <file> | --repository <name>) [--now <ISO>] [--json]`:
 * what ECR's lifecycle engine would do, computed offline with the same semantics as
 * GetLifecyclePolicyPreview. `--json` prints exactly the preview response shape.
 */
export async function runLifecyclePreview(options: PreviewOptions, io: CommandIo): Promise<ExitCode> {
  if ((options.images === undefined) === (options.repository === undefined)) {
    throw new AutopilotError('USAGE', 'Give exactly one of --images <describe-images.json> or --repository <name>');
  }
  const now = options.now === undefined ? new Date() : new Date(options.now);
  if (Number.isNaN(now.getTime())) throw new AutopilotError('USAGE', `--now ${options.now} is not an ISO-8601 time; use e.g. 2026-11-20T09:00:00Z`);
  const policy = parseLifecyclePolicy(readText(options.policy));
  const images = options.images !== undefined ? parseDescribeImagesOutput(readJsonFile(options.images)) : await readRepositoryImages(options.repository as string, options.snapshot);
  const preview = evaluateLifecyclePolicy(policy, images, { now });
  io.data(preview);
  printPreviewTable(io, preview, images);
  return 0;
}

async function readRepositoryImages(repositoryName: string, snapshot: string | undefined): Promise<LifecycleImage[]> {
  let registry;
  if (snapshot) {
    registry = SnapshotRegistry.fromFile(snapshot);
  } else {
    const client = new ECRClient({});
    registry = new EcrRegistry({ client, region: await client.config.region() });
  }
  const images: LifecycleImage[] = [];
  for await (const image of registry.listImages(repositoryName)) images.push(image);
  return images;
}

function printPreviewTable(io: CommandIo, preview: LifecyclePreview, images: readonly LifecycleImage[]): void {
  const sizes = new Map(images.map((image) => [image.imageDigest, image.imageSizeInBytes]));
  const rows = preview.previewResults.map((result) => [
    result.imagePushedAt.toISOString().slice(0, 19).replace('T', ' '),
    shortDigest(result.imageDigest),
    result.imageTags.length > 0 ? result.imageTags.join(',') : '(untagged)',
    result.storageClass,
    result.action.type === 'TRANSITION' ? `TRANSITION→${result.action.targetStorageClass ?? 'ARCHIVE'}` : 'EXPIRE',
    String(result.appliedRulePriority),
    sizes.get(result.imageDigest) !== undefined ? formatBytes(sizes.get(result.imageDigest) as number) : '',
  ]);
  const header = ['PUSHED', 'DIGEST', 'TAGS', 'STORAGE', 'ACTION', 'RULE', 'SIZE'];
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => (row[column] ?? '').length)));
  const line = (cells: string[]) => cells.map((cell, column) => cell.padEnd(widths[column] ?? 0)).join('  ').trimEnd();
  if (rows.length === 0) {
    io.out(`Nothing to do: none of the ${images.length} images is selected.`);
  } else {
    io.out(line(header));
    for (const row of rows) io.out(line(row));
  }
  const transitions = preview.summary.transitioningImageTotalCounts.reduce((n, entry) => n + entry.imageTotalCount, 0);
  io.out(`\n${images.length} images: ${preview.summary.expiringImageTotalCount} expire, ${transitions} transition to archive.`);
}

function readText(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    throw new AutopilotError('USAGE', `Cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}; check the path`, { cause: error });
  }
}

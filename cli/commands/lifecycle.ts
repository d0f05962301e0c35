import { AutopilotError } from '../../lib/errors';
import type { RepositoryClass } from '../../lib/config/types';
import { repositoryNameProblem } from '../../lib/ecr/repositoryName';
import { isIndexMediaType, type ImageDetail } from '../../lib/ecr/types';
import { readDescribeImagesPage } from '../../lib/lifecycle/describeImagesInput';
import { explainLifecyclePreview, type ExplainedPreview } from '../../lib/lifecycle/explainLifecyclePreview';
import { readIndexGraph } from '../../lib/lifecycle/expireRepository';
import { lifecyclePolicyWarnings } from '../../lib/lifecycle/lifecyclePolicyWarnings';
import type { ExpiryGraph, KeptReason } from '../../lib/lifecycle/planExpiry';
import type { LifecycleImage } from '../../lib/lifecycle/types';
import { formatLifecyclePolicyIssue, parseLifecyclePolicy, validateLifecyclePolicy } from '../../lib/lifecycle/validateLifecyclePolicy';
import { formatBytes, shortDigest } from '../../lib/notify/present/format';
import type { DepsOptions } from '../deps';
import type { FlagValues } from '../flags';
import type { CommandIo, ExitCode } from '../io';
import { readJsonFile, readText } from '../readInput';

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

export interface PreviewOptions extends DepsOptions, FlagValues<'images' | 'repository' | 'now'> {
  policy: string;
  /** List the images no rule acts on too. */
  all?: boolean;
}

/** The images of the preview and what is known around them. */
interface PreviewInput {
  images: LifecycleImage[];
  repositoryName?: string;
  graph: ExpiryGraph;
  /** True when the index manifests were read (a registry or snapshot); describe-images has none. */
  graphRead: boolean;
}

/**
 * `ecr-autopilot lifecycle preview --policy <file> (--images <file> | --repository <name>) [--now <ISO>] [--all] [--json]`:
 * what ECR's lifecycle engine would do, computed offline with the same semantics as
 * GetLifecyclePolicyPreview, with each rule's description as the reason, the bytes freed, and where
 * ecr-autopilot's sweep keeps an image (protected tags of the repository's class, index children).
 * `--json` prints exactly the preview response shape.
 */
export async function runLifecyclePreview(options: PreviewOptions, io: CommandIo): Promise<ExitCode> {
  const repositories = options.repository ?? [];
  if ((options.images === undefined) === (repositories.length === 0) || repositories.length > 1) {
    throw new AutopilotError('USAGE', 'Give exactly one of --images <describe-images.json> or --repository <name>');
  }
  const now = options.now === undefined ? new Date() : new Date(options.now);
  if (Number.isNaN(now.getTime())) throw new AutopilotError('USAGE', `--now ${options.now} is not an ISO-8601 time; use e.g. 2026-11-20T09:00:00Z`);
  const policy = parseLifecyclePolicy(readText(options.policy));
  const input = options.images !== undefined ? readImagesFile(options.images, io) : await readRepository(repositories[0] as string, options, io.interrupt);
  const repositoryClass = input.repositoryName === undefined ? undefined : await repositoryClassOf(input.repositoryName);
  const explained = explainLifecyclePreview({ policy, images: input.images, now, protectedTagPatterns: repositoryClass?.protectedTags ?? [], graph: input.graph });
  io.data(explained.preview);
  const where = input.repositoryName === undefined ? 'repository unknown (no protected tags applied)' : `${input.repositoryName} · ${repositoryClass ? `class ${repositoryClass.name}${repositoryClass.protectedTags.length > 0 ? ` (protects ${repositoryClass.protectedTags.join(', ')})` : ''}` : 'no repository class'}`;
  io.out(`${where} · policy ${options.policy} · at ${now.toISOString()}`);
  printPreviewTable(io, explained, options.all ?? false);
  if (!input.graphRead) noteUnreadIndexes(io, explained, input.images);
  return 0;
}

/** `--images`: describe-images output; a partial page (nextToken) is said, since counts need every image. */
function readImagesFile(file: string, io: CommandIo): PreviewInput {
  const page = readDescribeImagesPage(readJsonFile(file));
  if (page.nextToken !== undefined) {
    io.err(
      `warning: ${file} is one page of describe-images (it has a nextToken): images on the other pages are missing, so counts and the result may be wrong; list every image with \`aws ecr describe-images --repository-name ${page.repositoryName ?? '<name>'}\` (no --max-items or --no-paginate), or use --repository`,
    );
  }
  return { images: page.images, ...(page.repositoryName ? { repositoryName: page.repositoryName } : {}), graph: { indexChildren: new Map() }, graphRead: false };
}

/**
 * The class governing a repository in the configuration (for its protected tags). Imported here, as
 * the registry readers below: `lifecycle check` loads none of it.
 */
async function repositoryClassOf(repositoryName: string): Promise<RepositoryClass | undefined> {
  const [{ configPath, loadConfig }, { matchRepositoryClass }] = await Promise.all([import('../../lib/config/loadConfig'), import('../../lib/config/matchRepositoryClass')]);
  return matchRepositoryClass(loadConfig(configPath()).config, repositoryName);
}

/** `--repository`: every image (all pages) and the index manifests, as the sweep reads them; live, or (`--plan`, `--snapshot`) from a snapshot. `signal`: Ctrl-C. */
async function readRepository(repositoryName: string, options: DepsOptions, signal: AbortSignal): Promise<PreviewInput> {
  // ECR would answer a name outside its pattern with a 400 (API Reference, DescribeImages repositoryName).
  const problem = repositoryNameProblem(repositoryName);
  if (problem) throw new AutopilotError('USAGE', `--repository ${repositoryName}: ${problem}`);
  const registry = await (await import('../deps')).cliRegistryReader(options);
  const images: ImageDetail[] = [];
  // Reads only: Ctrl-C cancels them outright.
  for await (const image of registry.listImages(repositoryName, { signal })) images.push(image);
  return { images, repositoryName, graph: await readIndexGraph(registry, repositoryName, images, signal), graphRead: true };
}

/** Why the sweep keeps images, for the summary line. */
const KEPT_BECAUSE: Readonly<Record<KeptReason, string>> = {
  'protected-tag': 'with a protected tag',
  'index-child': 'listed by a kept index',
  'referrer-subject': 'subject of a kept referrer',
  'facts-unknown': 'not in the listing',
  'index-unreadable': 'beside an unreadable index',
  'cap-reached': 'beyond the deletion cap',
  'changed-since-read': 'changed since read',
  'run-stopped': 'not deleted before the run stopped',
};

function printPreviewTable(io: CommandIo, explained: ExplainedPreview, all: boolean): void {
  const shown = explained.images.filter((image) => all || image.action !== 'KEEP');
  const rows = shown.map((image) => [
    image.imagePushedAt.toISOString().slice(0, 19).replace('T', ' '),
    shortDigest(image.imageDigest),
    image.imageTags.length > 0 ? image.imageTags.join(',') : '(untagged)',
    image.storageClass,
    image.action === 'TRANSITION' ? 'TRANSITION→ARCHIVE' : image.action,
    image.rulePriority === undefined ? '-' : String(image.rulePriority),
    image.imageSizeInBytes !== undefined ? formatBytes(image.imageSizeInBytes) : '',
    image.keptByAutopilot ? `${image.reason} [ecr-autopilot keeps it: ${image.keptByAutopilot.detail}]` : image.reason,
  ]);
  const header = ['PUSHED', 'DIGEST', 'TAGS', 'STORAGE', 'ACTION', 'RULE', 'SIZE', 'REASON'];
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => (row[column] ?? '').length)));
  // The reason comes last and is never padded: descriptions are long.
  const line = (cells: string[]) => cells.map((cell, column) => (column === cells.length - 1 ? cell : cell.padEnd(widths[column] ?? 0))).join('  ').trimEnd();
  const { summary } = explained.preview;
  if (rows.length === 0) {
    io.out(`Nothing to do: none of the ${explained.images.length} images is selected.`);
  } else {
    io.out(line(header));
    for (const row of rows) io.out(line(row));
  }
  const transitions = summary.transitioningImageTotalCounts.reduce((n, entry) => n + entry.imageTotalCount, 0);
  const unknown = explained.unknownSizes > 0 ? ` (size unknown for ${explained.unknownSizes})` : '';
  io.out(`\n${explained.images.length} images: ${summary.expiringImageTotalCount} expire, ${transitions} transition to archive; ${formatBytes(explained.expiringBytes)} freed${unknown}.`);
  const kept = explained.images.filter((image) => image.keptByAutopilot);
  if (kept.length > 0) {
    const byReason = new Map<KeptReason, number>();
    for (const image of kept) if (image.keptByAutopilot) byReason.set(image.keptByAutopilot.reason, (byReason.get(image.keptByAutopilot.reason) ?? 0) + 1);
    const reasons = [...byReason].map(([reason, count]) => `${count} ${KEPT_BECAUSE[reason]}`).join(', ');
    io.out(`ecr-autopilot's sweep keeps ${kept.length} of the ${summary.expiringImageTotalCount} (${reasons}): it frees ${formatBytes(explained.sweepBytes)}.`);
  }
  const quiet = explained.images.length - shown.length;
  if (quiet > 0) io.out(`${quiet} image${quiet === 1 ? '' : 's'} no rule acts on ${quiet === 1 ? 'is' : 'are'} not listed; --all lists ${quiet === 1 ? 'it' : 'them'} with the rule that keeps ${quiet === 1 ? 'it' : 'them'}.`);
}

/** describe-images has no manifests: say that expiring untagged images may be children of a kept index. */
function noteUnreadIndexes(io: CommandIo, explained: ExplainedPreview, images: readonly LifecycleImage[]): void {
  const expiring = new Set(explained.preview.previewResults.filter((result) => result.action.type === 'EXPIRE').map((result) => result.imageDigest));
  const keptIndexes = images.filter((image) => isIndexMediaType(image.imageManifestMediaType) && !expiring.has(image.imageDigest)).length;
  const untagged = images.filter((image) => image.imageTags.length === 0 && expiring.has(image.imageDigest)).length;
  if (untagged === 0 || keptIndexes === 0) return;
  io.out(
    `note: describe-images does not say which manifests an image index lists: some of the ${untagged} untagged images expiring here may be platform images of the ${keptIndexes} kept index${keptIndexes === 1 ? '' : 'es'}, which neither ECR nor ecr-autopilot deletes while the index exists; --repository reads the index manifests.`,
  );
}

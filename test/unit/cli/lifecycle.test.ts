import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ECRClient } from '@aws-sdk/client-ecr';
import { SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { captureCliOutput, cliStderr, cliStdout, runCli } from '../../support/cli';
import { DEFAULT_CONFIG_PATH } from '../../../lib/config';
import { formatLifecyclePolicyIssue, validateLifecyclePolicy } from '../../../lib/lifecycle/validateLifecyclePolicy';
import { shortDigest } from '../../../lib/notify/present/format';
import { digestOf, EVENTS_DIR } from '../../support/events';

/** No command here may reach AWS: every ECR and SNS client answers from an empty mock. */
const ecr = mockClient(ECRClient);
const sns = mockClient(SNSClient);

const LIFECYCLE_DIR = resolve(DEFAULT_CONFIG_PATH, '../lifecycle');
const SERVICES_POLICY = join(LIFECYCLE_DIR, 'services.json');
const SNAPSHOT = `${EVENTS_DIR}registry-snapshot.json`;
const NOW = '2026-11-20T09:00:00Z';

let dir: string;





function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function tempFile(name: string, content: unknown): string {
  const file = join(dir, name);
  writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content, null, 2));
  return file;
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'ecr-autopilot-lifecycle-'));
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

beforeEach(() => {
  ecr.reset();
  sns.reset();
  vi.stubEnv('AUTOPILOT_CONFIG', '');
  captureCliOutput();
});

afterEach(() => {
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
});

describe('ecr-autopilot lifecycle check', () => {
  it.each(['mirrors.json', 'pull-through-cache.json', 'services.json'])('accepts infra/lifecycle/%s and exits 0', async (name) => {
    // Prepare
    const file = join(LIFECYCLE_DIR, name);

    // Act
    const code = await runCli('lifecycle', 'check', file);

    // Assess
    expect(code).toBe(0);
    expect(cliStdout()).toBe(`${file}: valid lifecycle policy\n`);
    expect(cliStderr()).toBe('');
  });

  it('exits 1 and prints every problem of an invalid policy', async () => {
    // Prepare: a tagged rule without a tag list, a duplicate priority, a unit where none is allowed, an unknown action.
    const text = JSON.stringify({
      rules: [
        { rulePriority: 1, selection: { tagStatus: 'tagged', countType: 'imageCountMoreThan', countNumber: 5 }, action: { type: 'expire' } },
        { rulePriority: 1, selection: { tagStatus: 'untagged', countType: 'imageCountMoreThan', countUnit: 'days', countNumber: 1 }, action: { type: 'expire' } },
        { rulePriority: 3, selection: { tagStatus: 'untagged', countType: 'sinceImagePushed', countUnit: 'days', countNumber: 7 }, action: { type: 'delete' } },
      ],
    });
    const file = tempFile('invalid-policy.json', text);
    const expected = validateLifecyclePolicy(text).map((issue) => `  - ${formatLifecyclePolicyIssue(issue)}`);

    // Act
    const code = await runCli('lifecycle', 'check', file);

    // Assess
    expect(code).toBe(1);
    expect(expected.length).toBeGreaterThanOrEqual(4);
    const lines = cliStdout().trimEnd().split('\n');
    expect(lines).toEqual([`${file}: ${expected.length} problems`, ...expected]);
    expect(cliStdout()).toContain('rules[0] (rulePriority 1) ');
    expect(cliStdout()).toContain('selection.countUnit');
    expect(cliStdout()).toContain('action.type');
  });

  it('prints the problems as JSON with --json', async () => {
    // Prepare
    const text = JSON.stringify({ rules: [{ rulePriority: 1, selection: { tagStatus: 'any', countType: 'imageCountMoreThan', countNumber: 0 }, action: { type: 'expire' } }] });
    const file = tempFile('invalid-count.json', text);

    // Act
    const code = await runCli('lifecycle', 'check', file, '--json');

    // Assess
    expect(code).toBe(1);
    expect(JSON.parse(cliStdout())).toEqual({ schemaVersion: 1, valid: false, issues: validateLifecyclePolicy(text), warnings: [] });
  });

  describe('a rule with two tag prefixes (test/samples/lifecycle/two-prefixes-in-one-rule.json)', () => {
    const SAMPLE = resolve(EVENTS_DIR, '../test/samples/lifecycle/two-prefixes-in-one-rule.json');
    const WARNING =
      'rules[0] (rulePriority 1) selection.tagPrefixList: selects only images that have tags matching ALL of "release-", "prod-" (fix: to protect or expire each prefix on its own, use one rule per prefix)';

    it('is valid, so exit 0, but the warning says the rule selects only images matching ALL prefixes', async () => {
      // Act
      const code = await runCli('lifecycle', 'check', SAMPLE);

      // Assess
      expect(code).toBe(0);
      expect(cliStdout()).toBe(`${SAMPLE}: valid lifecycle policy (1 warning)\n  warning: ${WARNING}\n`);
    });

    it('puts the warning in --json beside the (empty) issues', async () => {
      // Act
      const code = await runCli('lifecycle', 'check', SAMPLE, '--json');

      // Assess
      expect(code).toBe(0);
      expect(JSON.parse(cliStdout())).toEqual({
        schemaVersion: 1,
        valid: true,
        issues: [],
        warnings: [
          {
            path: 'rules[0].selection.tagPrefixList',
            rule: 'rules[0] (rulePriority 1)',
            field: 'selection.tagPrefixList',
            message: 'selects only images that have tags matching ALL of "release-", "prod-"',
            fix: 'to protect or expire each prefix on its own, use one rule per prefix',
          },
        ],
      });
    });

    it('warns for tagPatternList too', async () => {
      // Prepare
      const file = tempFile('two-patterns.json', {
        rules: [{ rulePriority: 1, selection: { tagStatus: 'tagged', tagPatternList: ['v*', '*-rc'], countType: 'imageCountMoreThan', countNumber: 5 }, action: { type: 'expire' } }],
      });

      // Act
      const code = await runCli('lifecycle', 'check', file, '--json');

      // Assess
      expect(code).toBe(0);
      expect(JSON.parse(cliStdout()).warnings).toEqual([expect.objectContaining({ field: 'selection.tagPatternList', message: 'selects only images that have tags matching ALL of "v*", "*-rc"' })]);
    });
  });

  it('exits 2 when the policy file does not exist', async () => {
    // Act
    const code = await runCli('lifecycle', 'check', join(dir, 'missing.json'));

    // Assess
    expect(code).toBe(2);
    expect(cliStderr()).toContain('error [USAGE]: Cannot read');
  });
});

describe('ecr-autopilot lifecycle preview', () => {
  const TAGGED = digestOf('preview-tagged');
  const OLD_ISO = digestOf('preview-old-iso');
  const OLD_EPOCH = digestOf('preview-old-epoch');
  const RECENT = digestOf('preview-recent');
  const RELEASE = digestOf('preview-release');

  /** What `aws ecr describe-images` prints: CLI v2 writes ISO-8601 times, CLI v1 epoch seconds. */
  function describeImagesFile(): string {
    return tempFile('describe-images.json', {
      imageDetails: [
        { registryId: '123456789012', repositoryName: 'team-a/api', imageDigest: TAGGED, imageTags: ['v1.4.0'], imageSizeInBytes: 50331648, imagePushedAt: '2026-11-20T08:55:00.123000+00:00', imageManifestMediaType: 'application/vnd.docker.distribution.manifest.v2+json', imageStatus: 'ACTIVE' },
        { registryId: '123456789012', repositoryName: 'team-a/api', imageDigest: OLD_ISO, imageSizeInBytes: 48234496, imagePushedAt: '2026-10-01T18:00:00+09:00', imageStatus: 'ACTIVE' },
        { registryId: '123456789012', repositoryName: 'team-a/api', imageDigest: OLD_EPOCH, imageSizeInBytes: 47185920, imagePushedAt: Date.parse('2026-09-15T09:00:00Z') / 1000 },
        { registryId: '123456789012', repositoryName: 'team-a/api', imageDigest: RECENT, imageSizeInBytes: 1000, imagePushedAt: Date.parse('2026-11-18T09:00:00Z') / 1000 + 0.5 },
        { registryId: '123456789012', repositoryName: 'team-a/api', imageDigest: RELEASE, imageTags: ['release-1.0'], imagePushedAt: '2025-01-01T00:00:00+00:00' },
      ],
    });
  }

  it('prints exactly the GetLifecyclePolicyPreview shape with --json, for ISO-8601 and epoch-second times', async () => {
    // Prepare
    const images = describeImagesFile();

    // Act
    const code = await runCli('lifecycle', 'preview', '--policy', SERVICES_POLICY, '--images', images, '--now', NOW, '--json');

    // Assess
    expect(code).toBe(0);
    const preview = JSON.parse(cliStdout()) as { previewResults: Array<Record<string, unknown>>; summary: unknown };
    // GetLifecyclePolicyPreview's two result fields, after the schemaVersion every --json document starts with.
    expect(Object.keys(preview)).toEqual(['schemaVersion', 'previewResults', 'summary']);
    for (const result of preview.previewResults) expect(Object.keys(result).sort()).toEqual(['action', 'appliedRulePriority', 'imageDigest', 'imagePushedAt', 'imageTags', 'storageClass']);
    expect(preview).toEqual({
      schemaVersion: 1,
      previewResults: [
        { imageDigest: OLD_EPOCH, imageTags: [], imagePushedAt: '2026-09-15T09:00:00.000Z', action: { type: 'EXPIRE' }, appliedRulePriority: 3, storageClass: 'STANDARD' },
        { imageDigest: OLD_ISO, imageTags: [], imagePushedAt: '2026-10-01T09:00:00.000Z', action: { type: 'EXPIRE' }, appliedRulePriority: 3, storageClass: 'STANDARD' },
      ],
      summary: { expiringImageTotalCount: 2, transitioningImageTotalCounts: [] },
    });
    expect(cliStderr()).toBe('');
  });

  it('measures ages from --now', async () => {
    // Prepare
    const images = describeImagesFile();

    // Act: a little over 8 days after the recent untagged image was pushed, the 7-day rule takes it too.
    const code = await runCli('lifecycle', 'preview', '--policy', SERVICES_POLICY, '--images', images, '--now', '2026-11-26T09:00:01Z', '--json');

    // Assess
    expect(code).toBe(0);
    const preview = JSON.parse(cliStdout()) as { previewResults: Array<{ imageDigest: string }> };
    expect(preview.previewResults.map((result) => result.imageDigest)).toEqual([OLD_EPOCH, OLD_ISO, RECENT]);
  });

  it('prints a table with the rule\'s description as the reason and the bytes freed', async () => {
    // Prepare
    const images = describeImagesFile();

    // Act
    const code = await runCli('lifecycle', 'preview', '--policy', SERVICES_POLICY, '--images', images, '--now', NOW);

    // Assess: the repository's class comes from the describe-images output; rule 3 of services.json explains both rows.
    expect(code).toBe(0);
    const lines = cliStdout().split('\n');
    expect(lines[0]).toBe(`team-a/api · class services (protects release-*, prod-*) · policy ${SERVICES_POLICY} · at 2026-11-20T09:00:00.000Z`);
    expect(lines[1]).toMatch(/^PUSHED\s+DIGEST\s+TAGS\s+STORAGE\s+ACTION\s+RULE\s+SIZE\s+REASON$/);
    const reason = 'Expire untagged images 7 days after push; ECR does not expire an image while a manifest list references it';
    expect(lines[2]).toMatch(new RegExp(`^2026-09-15 09:00:00\\s+${shortDigest(OLD_EPOCH)}\\s+\\(untagged\\)\\s+STANDARD\\s+EXPIRE\\s+3\\s+45\\.0 MB  ${escapeRegExp(reason)}$`));
    expect(lines[3]).toMatch(new RegExp(`^2026-10-01 09:00:00\\s+${shortDigest(OLD_ISO)}\\s+\\(untagged\\)\\s+STANDARD\\s+EXPIRE\\s+3\\s+46\\.0 MB  ${escapeRegExp(reason)}$`));
    expect(cliStdout()).toContain('5 images: 2 expire, 0 transition to archive; 91.0 MB freed.\n');
    expect(cliStdout()).toContain('3 images no rule acts on are not listed; --all lists them with the rule that keeps them.\n');
    expect(cliStdout()).not.toContain(shortDigest(TAGGED));
  });

  it('lists the images no rule acts on with --all, each with the rule that selected it', async () => {
    // Prepare
    const images = describeImagesFile();

    // Act
    const code = await runCli('lifecycle', 'preview', '--policy', SERVICES_POLICY, '--images', images, '--now', NOW, '--all');

    // Assess: release-1.0 is kept by rule 1 (its keep rule), v1.4.0 by rule 4's count, the recent untagged image by rule 3's age.
    expect(code).toBe(0);
    const row = (digest: string) => cliStdout().split('\n').find((line) => line.includes(shortDigest(digest))) ?? '';
    expect(row(RELEASE)).toMatch(/\sKEEP\s+1\s+.*Keep images tagged release-\*: this rule claims them/);
    expect(row(TAGGED)).toMatch(/\sKEEP\s+4\s+.*Expire other images beyond the 100 most recent/);
    expect(row(RECENT)).toMatch(/\sKEEP\s+3\s+.*Expire untagged images 7 days after push/);
    expect(cliStdout()).not.toContain('not listed');
  });

  it('says where ecr-autopilot keeps what the policy expires: a protected tag, which ECR\'s own engine still expires', async () => {
    // Prepare: a policy without a keep rule, over a repository of class services (protects release-*).
    const policy = tempFile('count-only.json', { rules: [{ rulePriority: 1, description: 'Keep the 2 most recent images', selection: { tagStatus: 'any', countType: 'imageCountMoreThan', countNumber: 2 }, action: { type: 'expire' } }] });
    const images = describeImagesFile();

    // Act
    const code = await runCli('lifecycle', 'preview', '--policy', policy, '--images', images, '--now', NOW);

    // Assess
    expect(code).toBe(0);
    const release = cliStdout().split('\n').find((line) => line.includes(shortDigest(RELEASE))) ?? '';
    expect(release).toMatch(/\sEXPIRE\s+1\s+/);
    expect(release).toContain(
      'Keep the 2 most recent images [ecr-autopilot keeps it: tag "release-1.0" matches protected pattern "release-*"; ECR\'s own engine still expires it: add a first rule that keeps this tag (a count no repository reaches)]',
    );
    expect(cliStdout()).toContain("ecr-autopilot's sweep keeps 1 of the 3 (1 with a protected tag): it frees 91.0 MB.\n");
    expect(cliStdout()).toContain('5 images: 3 expire, 0 transition to archive; 91.0 MB freed (size unknown for 1).\n');
  });

  it('says that ECR and ecr-autopilot keep the platform images of a kept index (--repository reads the index)', async () => {
    // Act: 2027, long after the mirrored platform images passed mirrors.json's 30 days.
    const code = await runCli('lifecycle', 'preview', '--policy', join(LIFECYCLE_DIR, 'mirrors.json'), '--repository', 'mirror/eks/aws-load-balancer-controller', '--snapshot', SNAPSHOT, '--now', '2027-11-20T09:00:00Z');

    // Assess
    expect(code).toBe(0);
    const rows = cliStdout().split('\n').filter((line) => line.includes('EXPIRE'));
    expect(rows).toHaveLength(2);
    for (const row of rows) expect(row).toMatch(/\[ecr-autopilot keeps it: listed by index sha256:[0-9a-f]{64} \(tags: v2\.9\.2\), which is kept; ECR does not expire it either while the manifest list references it\]$/);
    expect(cliStdout()).toContain("ecr-autopilot's sweep keeps 2 of the 2 (2 listed by a kept index): it frees 0 B.\n");
  });

  it('notes that describe-images cannot say which untagged images a kept index lists', async () => {
    // Prepare: a tagged index and an old untagged image.
    const images = tempFile('with-index.json', {
      imageDetails: [
        { repositoryName: 'team-a/web', imageDigest: digestOf('index'), imageTags: ['v2.0.0'], imagePushedAt: '2026-11-01T00:00:00Z', imageManifestMediaType: 'application/vnd.oci.image.index.v1+json' },
        { repositoryName: 'team-a/web', imageDigest: digestOf('amd64'), imagePushedAt: '2026-11-01T00:00:00Z', imageManifestMediaType: 'application/vnd.oci.image.manifest.v1+json' },
      ],
    });

    // Act
    const code = await runCli('lifecycle', 'preview', '--policy', SERVICES_POLICY, '--images', images, '--now', NOW);

    // Assess
    expect(code).toBe(0);
    expect(cliStdout()).toContain('note: describe-images does not say which manifests an image index lists: some of the 1 untagged images expiring here may be platform images of the 1 kept index');
  });

  it.each(['nextToken', 'NextToken'])('warns that a describe-images page with %s is partial, also with --json', async (key) => {
    // Prepare: `aws ecr describe-images --max-items 2` prints NextToken; --no-paginate prints nextToken.
    const file = tempFile(`page-${key}.json`, { ...JSON.parse(readFileSync(describeImagesFile(), 'utf8')), [key]: 'eyJuZXh0VG9rZW4iOiAiYWJjIn0=' });

    // Act
    const code = await runCli('lifecycle', 'preview', '--policy', SERVICES_POLICY, '--images', file, '--now', NOW, '--json');

    // Assess: still the exact preview shape on stdout; the warning on stderr says what is wrong and what to run.
    expect(code).toBe(0);
    expect(Object.keys(JSON.parse(cliStdout()))).toEqual(['schemaVersion', 'previewResults', 'summary']);
    expect(cliStderr()).toBe(
      `warning: ${file} is one page of describe-images (it has a nextToken): images on the other pages are missing, so counts and the result may be wrong; list every image with \`aws ecr describe-images --repository-name team-a/api\` (no --max-items or --no-paginate), or use --repository\n`,
    );
  });

  it('exits 2 when given both --images and --repository', async () => {
    // Prepare
    const images = describeImagesFile();

    // Act
    const code = await runCli('lifecycle', 'preview', '--policy', SERVICES_POLICY, '--images', images, '--repository', 'team-a/api', '--now', NOW);

    // Assess
    expect(code).toBe(2);
    expect(cliStderr()).toContain('error [USAGE]: Give exactly one of --images <describe-images.json> or --repository <name>');
    expect(cliStdout()).toBe('');
  });

  it('exits 2 when given neither --images nor --repository', async () => {
    // Act
    const code = await runCli('lifecycle', 'preview', '--policy', SERVICES_POLICY);

    // Assess
    expect(code).toBe(2);
    expect(cliStderr()).toContain('Give exactly one of');
  });

  it('exits 2 for a --repository ECR could never name, before any AWS call', async () => {
    // Act
    const code = await runCli('lifecycle', 'preview', '--policy', SERVICES_POLICY, '--repository', 'Team/API', '--now', NOW);

    // Assess
    expect(code).toBe(2);
    expect(cliStderr()).toContain('error [USAGE]: --repository Team/API: must be a valid ECR repository name');
    expect(ecr.calls()).toHaveLength(0);
  });

  it('reads a repository of a snapshot with --repository and --snapshot', async () => {
    // Act
    const code = await runCli('lifecycle', 'preview', '--policy', SERVICES_POLICY, '--repository', 'team-a/api', '--snapshot', SNAPSHOT, '--now', NOW, '--json');

    // Assess
    expect(code).toBe(0);
    const preview = JSON.parse(cliStdout()) as { summary: { expiringImageTotalCount: number } };
    expect(preview.summary.expiringImageTotalCount).toBe(2);
    expect(ecr.calls()).toHaveLength(0);
  });
});

describe('ecr-autopilot lifecycle sweep', () => {
  interface SweepOutput {
    mode: string;
    report: { function: string; outcome: string; changes: Array<{ change: { action: string; target: string; images?: Array<{ imageDigest: string }> }; outcome: { status: string } }> };
  }

  const snapshot = JSON.parse(readFileSync(SNAPSHOT, 'utf8')) as { repositories: Array<{ repositoryName: string; images: Array<{ imageDigest: string; imageTags?: string[] }> }> };
  const apiUntagged = (snapshot.repositories.find((repository) => repository.repositoryName === 'team-a/api')?.images ?? [])
    .filter((image) => (image.imageTags ?? []).length === 0)
    .map((image) => image.imageDigest)
    .sort();

  it('plans against the bundled snapshot with --plan --json and exits 0, with the BatchDeleteImage planned', async () => {
    // Act
    const code = await runCli('lifecycle', 'sweep', '--plan', '--json');

    // Assess
    expect(code).toBe(0);
    const output = JSON.parse(cliStdout()) as SweepOutput;
    expect(output.mode).toBe('plan');
    expect(output.report.function).toBe('sweepLifecycle');
    const deletions = output.report.changes.filter(({ change }) => change.action === 'ecr:BatchDeleteImage' && change.target === 'team-a/api');
    expect(deletions.map(({ outcome }) => outcome.status)).toEqual(['planned']);
    expect((deletions[0]?.change.images ?? []).map((image) => image.imageDigest).sort()).toEqual(apiUntagged);
    expect(output.report.changes.every(({ outcome }) => outcome.status === 'planned')).toBe(true);
    expect(apiUntagged).toHaveLength(2);
    expect(ecr.calls()).toHaveLength(0);
    expect(sns.calls()).toHaveLength(0);
  });

  it('passes --repository globs and --max-deletions to the sweep', async () => {
    // Act
    const code = await runCli('lifecycle', 'sweep', '--plan', '--snapshot', SNAPSHOT, '--repository', 'team-a/*', '--max-deletions', '1', '--json');

    // Assess
    expect(code).toBe(0);
    const output = JSON.parse(cliStdout()) as SweepOutput;
    expect(new Set(output.report.changes.map(({ change }) => change.target))).not.toContain('ecr-public/nginx/nginx');
    const deletions = output.report.changes.filter(({ change }) => change.action === 'ecr:BatchDeleteImage');
    expect(deletions.flatMap(({ change }) => change.images ?? [])).toHaveLength(1);
  });

  it('prints the plan and the ledger as readers will see it without --json', async () => {
    // Act
    const code = await runCli('lifecycle', 'sweep', '--plan');

    // Assess
    expect(code).toBe(0);
    expect(cliStdout()).toContain('sweepLifecycle · event manual-sweep-2026-11-20T09:00:00.000Z · plan mode (nothing changed)');
    expect(cliStdout()).toContain('[planned] ecr:BatchDeleteImage team-a/api');
    expect(cliStdout()).toMatch(/\| Lifecycle sweep \(plan\) over \d+ repositories: \d+ images? would expire/);
    expect(cliStdout()).toContain('rule 3: untagged images pushed more than 7 days ago');
  });

  it('exits 2 on --snapshot without --plan, rather than sweeping the live registry', async () => {
    // Act
    const code = await runCli('lifecycle', 'sweep', '--snapshot', SNAPSHOT, '--json');

    // Assess
    expect(code).toBe(2);
    expect(cliStderr()).toContain('error [USAGE]: --snapshot only applies with --plan');
    expect(ecr.calls()).toHaveLength(0);
    expect(cliStdout()).toBe('');
  });

  it.each(['many', '1.5', '-1', '10abc', '', '100001'])('exits 2 on --max-deletions %j, saying what a valid value is', async (value) => {
    // Act
    const code = await runCli('lifecycle', 'sweep', '--plan', '--max-deletions', value);

    // Assess
    expect(code).toBe(2);
    expect(cliStderr()).toContain(`error: option '--max-deletions <n>' argument '${value}' is invalid. --max-deletions must be a whole number from 0 to 100000, e.g. --max-deletions 50.`);
    expect(cliStdout()).toBe('');
  });

  it('takes the cap from lifecycle.maxDeletionsPerRun of the configuration without --max-deletions', async () => {
    // Prepare: the shipped configuration with a cap of 1, its policies beside it.
    const configDir = mkdtempSync(join(dir, 'config-'));
    symlinkSync(LIFECYCLE_DIR, join(configDir, 'lifecycle'));
    const shipped = readFileSync(DEFAULT_CONFIG_PATH, 'utf8');
    expect(shipped).toMatch(/^  maxDeletionsPerRun: 200\b/m);
    writeFileSync(join(configDir, 'autopilot.yml'), shipped.replace(/^  maxDeletionsPerRun: 200\b/m, '  maxDeletionsPerRun: 1'));
    vi.stubEnv('AUTOPILOT_CONFIG', join(configDir, 'autopilot.yml'));

    // Act
    const code = await runCli('lifecycle', 'sweep', '--plan', '--json');

    // Assess: team-a/api alone has two expiring images; one is planned, the cap is reported.
    expect(code).toBe(0);
    const output = JSON.parse(cliStdout()) as SweepOutput & { report: { decision: string } };
    const deletions = output.report.changes.filter(({ change }) => change.action === 'ecr:BatchDeleteImage');
    expect(deletions.flatMap(({ change }) => change.images ?? [])).toHaveLength(1);
    expect(output.report.decision).toContain('deletion cap reached');
  });

  it('accepts --max-deletions 0 (plan nothing for deletion)', async () => {
    // Act
    const code = await runCli('lifecycle', 'sweep', '--plan', '--max-deletions', '0', '--json');

    // Assess
    expect(code).toBe(0);
    const output = JSON.parse(cliStdout()) as SweepOutput;
    expect(output.report.changes.filter(({ change }) => change.action === 'ecr:BatchDeleteImage')).toEqual([]);
  });
});

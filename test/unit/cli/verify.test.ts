import {
  DeletePullThroughCacheRuleCommand,
  DeleteRepositoryCommand,
  DeleteRepositoryCreationTemplateCommand,
  DescribePullThroughCacheRulesCommand,
  DescribeRepositoriesCommand,
  DescribeRepositoryCreationTemplatesCommand,
  ECRClient,
} from '@aws-sdk/client-ecr';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { captureCliOutput, cliStderr, cliStdout, runCli } from '../../support/cli';
import { DEFAULT_SNAPSHOT } from '../../../cli/deps';

/** Live mode is only reached by the non-TTY teardown test; every other test must send nothing to ECR. */
const ecr = mockClient(ECRClient);

let stdinTty: PropertyDescriptor | undefined;





interface SnapshotJson {
  repositories: Array<Record<string, unknown> & { repositoryName: string }>;
  pullThroughCacheRules: Array<Record<string, unknown> & { ecrRepositoryPrefix: string }>;
  repositoryCreationTemplates: Array<Record<string, unknown> & { prefix: string }>;
  upstreamImages: Array<{ reference: string; digest: string; mediaType: string; platforms: string[] }>;
}

/**
 * The bundled snapshot with the lab completed: the k8s rule and its template, the quay template, a
 * github credential that validates, and cluster-autoscaler mirrored with every upstream platform
 * under the upstream digest (docker-hub stays an autoCreate rule not created yet: a warning).
 */
function completedLabSnapshot(): string {
  const snapshot = JSON.parse(readFileSync(DEFAULT_SNAPSHOT, 'utf8')) as SnapshotJson;
  const ecrPublicTemplate = snapshot.repositoryCreationTemplates.find((template) => template.prefix === 'ecr-public');
  const albRepository = snapshot.repositories.find((repository) => repository.repositoryName === 'mirror/eks/aws-load-balancer-controller');
  const upstream = snapshot.upstreamImages.find((image) => image.reference === 'registry.k8s.io/autoscaling/cluster-autoscaler:v1.32.0');
  if (!ecrPublicTemplate || !albRepository || !upstream) throw new Error('the bundled snapshot changed: update completedLabSnapshot()');

  snapshot.pullThroughCacheRules.push({ ecrRepositoryPrefix: 'k8s', upstreamRegistryUrl: 'registry.k8s.io', upstreamRegistry: 'k8s' });
  for (const prefix of ['k8s', 'quay']) snapshot.repositoryCreationTemplates.push({ ...ecrPublicTemplate, prefix, description: `Managed by ecr-autopilot: repositories of pull-through cache rule ${prefix}` });
  snapshot.pullThroughCacheRules = snapshot.pullThroughCacheRules.map((rule) => (rule.ecrRepositoryPrefix === 'github' ? { ...rule, validation: { isValid: true } } : rule));
  snapshot.repositories.push({
    ...albRepository,
    repositoryName: 'mirror/autoscaling/cluster-autoscaler',
    images: [
      {
        imageDigest: upstream.digest,
        imageTags: ['v1.32.0'],
        imagePushedAt: '2026-11-19T03:00:00Z',
        imageManifestMediaType: upstream.mediaType,
        manifest: {
          schemaVersion: 2,
          mediaType: upstream.mediaType,
          manifests: upstream.platforms.map((platform, index) => {
            const [os, architecture] = platform.split('/');
            return { mediaType: 'application/vnd.docker.distribution.manifest.v2+json', digest: `sha256:${String(index + 1).repeat(64)}`, size: 1200, platform: { os, architecture } };
          }),
        },
      },
    ],
  });
  const dir = mkdtempSync(join(tmpdir(), 'ecr-autopilot-verify-'));
  const file = join(dir, 'lab-complete.json');
  writeFileSync(file, JSON.stringify(snapshot, null, 2));
  return file;
}

beforeEach(() => {
  ecr.reset();
  captureCliOutput();
  // The project's own configuration and the snapshot's stack, whatever the calling shell sets.
  vi.stubEnv('AUTOPILOT_CONFIG', '');
  vi.stubEnv('NOTIFICATION_TOPIC_ARN', '');
  vi.stubEnv('STACK_NAME', '');
  stdinTty = Object.getOwnPropertyDescriptor(process.stdin, 'isTTY');
});

afterEach(() => {
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
  if (stdinTty) Object.defineProperty(process.stdin, 'isTTY', stdinTty);
  else delete (process.stdin as { isTTY?: boolean }).isTTY;
});

describe('ecr-autopilot verify --plan', () => {
  // The bundled snapshot's known gaps: no k8s rule, no quay template, github validation fails, no cluster-autoscaler mirror.
  it('exits 1 against the bundled snapshot and prints each failure with what was expected and the fix', async () => {
    // Act
    const code = await runCli('verify', '--plan');

    // Assess
    expect(code).toBe(1);
    expect(cliStdout()).toContain('  [FAIL] Rule k8s → registry.k8s.io: no rule\n         expected: the rule exists\n         fix: ecr-autopilot ptc sync\n');
    expect(cliStdout()).toContain("  [FAIL] Rule github → ghcr.io: invalid: Unable to retrieve the secret: Secrets Manager can't find the specified secret.");
    expect(cliStdout()).toContain('         fix: ecr-autopilot mirror --source registry.k8s.io/autoscaling/cluster-autoscaler');
    expect(cliStdout()).toContain('  [WARN] Rule docker-hub → registry-1.docker.io: not created yet');
    expect(cliStdout()).toContain('  [SKIP] Notification path (test message): plan mode: would publish a test message');
    expect(cliStdout()).toMatch(/\nFAILED: \d+ pass, 5 fail, 1 warn, 2 skipped \(plan mode: against the snapshot\)\.\n/);
    expect(cliStdout()).toContain('notification: lab checklist → planned');
    expect(ecr.calls()).toHaveLength(0);
  });

  it('prints the report as JSON with --json: the checklist items, nothing else on stdout', async () => {
    // Act
    const code = await runCli('verify', '--plan', '--json');

    // Assess
    expect(code).toBe(1);
    const parsed = JSON.parse(cliStdout()) as { mode: string; report: { outcome: string; checklist: { passed: boolean; items: Array<{ id: string; status: string; fix?: string }> } } };
    expect(parsed.mode).toBe('plan');
    expect(parsed.report.outcome).toBe('failed');
    expect(parsed.report.checklist.passed).toBe(false);
    expect(parsed.report.checklist.items.find((item) => item.id === 'ptc:k8s')).toMatchObject({ status: 'fail', fix: 'ecr-autopilot ptc sync' });
    expect(parsed.report.checklist.items.filter((item) => item.status === 'fail')).toHaveLength(5);
  });

  it('exits 0 against a snapshot where the lab is complete (warnings do not fail it)', async () => {
    // Prepare
    const snapshot = completedLabSnapshot();

    // Act
    const code = await runCli('verify', '--plan', '--snapshot', snapshot);

    // Assess
    expect(code).toBe(0);
    expect(cliStdout()).not.toContain('[FAIL]');
    expect(cliStdout()).toContain('  [PASS] mirror/autoscaling/cluster-autoscaler:v1.32.0: sha256:e49c2fb3809b with linux/amd64, linux/arm64, linux/s390x');
    expect(cliStdout()).toContain('  [PASS] Rule github → ghcr.io: validated upstream; template present');
    expect(cliStdout()).toMatch(/\nPASSED: \d+ pass, 0 fail, 1 warn, 2 skipped/);
  });

  it('skips the notification path and plans no notification with --no-notify', async () => {
    // Act
    const code = await runCli('verify', '--plan', '--no-notify');

    // Assess
    expect(code).toBe(1);
    expect(cliStdout()).toContain('  [SKIP] Notification path (test message): not tested (--no-notify)');
    expect(cliStdout()).not.toContain('notification:');
  });

  it('exits 2 when --snapshot is given without --plan', async () => {
    // Act
    const code = await runCli('verify', '--snapshot', DEFAULT_SNAPSHOT);

    // Assess
    expect(code).toBe(2);
    expect(cliStderr()).toContain('--snapshot only applies with --plan');
    expect(ecr.calls()).toHaveLength(0);
  });
});

describe('ecr-autopilot teardown', () => {
  it('lists what would be removed with --plan, touches nothing and exits 0', async () => {
    // Prepare
    const before = readFileSync(DEFAULT_SNAPSHOT, 'utf8');

    // Act
    const code = await runCli('teardown', '--plan');

    // Assess
    expect(code).toBe(0);
    expect(cliStdout()).toContain('Would remove 3 pull-through cache rule(s), 2 template(s) and 2 repositories (plan only');
    expect(cliStdout()).toContain('[planned] ecr:DeletePullThroughCacheRule github');
    expect(cliStdout()).toContain('[planned] ecr:DeleteRepositoryCreationTemplate ecr-public');
    expect(cliStdout()).toContain('[planned] ecr:DeleteRepository ecr-public/nginx/nginx');
    expect(cliStdout()).toContain('[planned] ecr:DeleteRepository mirror/eks/aws-load-balancer-controller');
    expect(cliStdout()).not.toContain('old-cache');
    expect(cliStdout()).not.toContain('team-a/api');
    expect(readFileSync(DEFAULT_SNAPSHOT, 'utf8')).toBe(before);
    expect(ecr.calls()).toHaveLength(0);
  });

  it('prints the plan as JSON with --plan --json', async () => {
    // Act
    const code = await runCli('teardown', '--plan', '--json');

    // Assess
    expect(code).toBe(0);
    const parsed = JSON.parse(cliStdout()) as { mode: string; report: { changes: Array<{ change: { action: string; target: string }; outcome: { status: string } }> } };
    expect(parsed.mode).toBe('plan');
    expect(parsed.report.changes.map((applied) => applied.change.target)).toEqual(['ecr-public', 'quay', 'github', 'ecr-public', 'github', 'ecr-public/nginx/nginx', 'mirror/eks/aws-load-balancer-controller']);
    expect(parsed.report.changes.every((applied) => applied.outcome.status === 'planned')).toBe(true);
  });

  it('exits 2 without --plan and without --yes when stdin is not a terminal, deleting nothing', async () => {
    // Prepare
    vi.stubEnv('AWS_REGION', 'ap-northeast-2');
    vi.stubEnv('AWS_ACCESS_KEY_ID', 'AKIDEXAMPLE');
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY');
    Object.defineProperty(process.stdin, 'isTTY', { value: false, configurable: true });
    ecr.on(DescribePullThroughCacheRulesCommand).resolves({ pullThroughCacheRules: [{ ecrRepositoryPrefix: 'ecr-public', upstreamRegistryUrl: 'public.ecr.aws' }] });
    ecr.on(DescribeRepositoryCreationTemplatesCommand).resolves({ repositoryCreationTemplates: [] });
    ecr.on(DescribeRepositoriesCommand).resolves({ repositories: [{ repositoryName: 'ecr-public/nginx/nginx' }] });

    // Act
    const code = await runCli('teardown');

    // Assess
    expect(code).toBe(2);
    expect(cliStderr()).toContain('teardown deletes repositories and images: confirm with --yes');
    expect(cliStdout()).toContain('[planned] ecr:DeletePullThroughCacheRule ecr-public');
    expect(ecr).not.toHaveReceivedCommand(DeletePullThroughCacheRuleCommand);
    expect(ecr).not.toHaveReceivedCommand(DeleteRepositoryCreationTemplateCommand);
    expect(ecr).not.toHaveReceivedCommand(DeleteRepositoryCommand);
  });
});

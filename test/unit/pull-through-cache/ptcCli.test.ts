import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { listSamples } from '../../../cli/commands/demo';
import { runInvoke } from '../../../cli/commands/invoke';
import { runPtcStatus, runPtcSync } from '../../../cli/commands/ptc';
import { memoryIo } from '../../../cli/terminal';
import { AutopilotError } from '../../../lib/errors';
import { PTC_POLICY_TEXT } from './ptcFixtures';

const SNAPSHOT = new URL('../../../events/registry-snapshot.json', import.meta.url).pathname;
const EVENTS = new URL('../../../events/', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'ptc-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The sample snapshot with its pull-through cache exactly as infra/autopilot.yml declares it. */
function inSyncSnapshot(): string {
  const snapshot = JSON.parse(readFileSync(SNAPSHOT, 'utf8')) as Record<string, unknown>;
  const declared = [
    ['ecr-public', 'public.ecr.aws', 'ecr-public'],
    ['k8s', 'registry.k8s.io', 'k8s'],
    ['quay', 'quay.io', 'quay'],
  ] as const;
  snapshot.pullThroughCacheRules = declared.map(([prefix, url, upstream]) => ({ ecrRepositoryPrefix: prefix, upstreamRegistryUrl: url, upstreamRegistry: upstream }));
  snapshot.repositoryCreationTemplates = declared.map(([prefix, url]) => ({
    prefix,
    description: `Managed by ecr-autopilot: repositories of pull-through cache rule ${prefix} (${url})`,
    appliedFor: ['PULL_THROUGH_CACHE'],
    imageTagMutability: 'MUTABLE',
    encryptionConfiguration: { encryptionType: 'AES256' },
    lifecyclePolicy: PTC_POLICY_TEXT,
  }));
  snapshot.secrets = ['docker-hub', 'github'].map((name) => ({ name: `ecr-pullthroughcache/${name}`, arn: `arn:aws:secretsmanager:ap-northeast-2:123456789012:secret:ecr-pullthroughcache/${name}-AbC123` }));
  const file = join(dir, 'in-sync.json');
  writeFileSync(file, JSON.stringify(snapshot));
  return file;
}

describe('ecr-autopilot ptc sync', () => {
  it('--plan prints each rule, the problems with their commands, and the plan; exit 1 while a problem remains', async () => {
    // Prepare
    const io = memoryIo();

    // Act
    const exitCode = await runPtcSync({ plan: true, snapshot: SNAPSHOT }, io);

    // Assess
    expect(exitCode).toBe(1);
    const text = io.lines.join('\n');
    expect(io.lines[0]).toBe('ptc sync · plan mode (nothing changed) · ap-northeast-2 · prune off');
    expect(text).toMatch(/k8s\s+missing\s+registry\.k8s\.io\s+none\s+-\s+missing\s+create/);
    expect(text).toMatch(/old-cache\s+exists\s+public\.ecr\.aws.*unmanaged \(not declared\)/);
    expect(text).toContain("$ aws secretsmanager create-secret --name ecr-pullthroughcache/github --region ap-northeast-2 --secret-string '{\"username\":\"<GitHub user name>\"");
    expect(text).toContain('[planned] ecr:CreatePullThroughCacheRule k8s');
  });

  it('--plan --json gives the report as data', async () => {
    // Prepare
    const io = memoryIo(true);

    // Act
    await runPtcSync({ plan: true, snapshot: SNAPSHOT }, io);

    // Assess
    const data = io.values[0] as { mode: string; report: { function: string; rules: Array<{ prefix: string; status: string }> } };
    expect(data.mode).toBe('plan');
    expect(data.report.function).toBe('syncPullThroughCache');
    expect(data.report.rules.map((rule) => rule.prefix)).toEqual(['ecr-public', 'k8s', 'quay', 'docker-hub', 'github', 'old-cache']);
    expect(io.lines).toEqual([]);
  });

  it('--prune plans the deletion of undeclared rules', async () => {
    // Prepare
    const io = memoryIo(true);

    // Act
    await runPtcSync({ plan: true, snapshot: SNAPSHOT, prune: true }, io);

    // Assess
    const data = io.values[0] as { report: { changes: Array<{ change: { action: string; target: string } }> } };
    expect(data.report.changes[0]?.change).toEqual(expect.objectContaining({ action: 'ecr:DeletePullThroughCacheRule', target: 'old-cache' }));
  });

  it('refuses --snapshot without --plan', async () => {
    // Act / Assess
    await expect(runPtcSync({ plan: false, snapshot: SNAPSHOT }, memoryIo())).rejects.toMatchObject({ code: 'USAGE' } satisfies Partial<AutopilotError>);
  });
});

describe('ecr-autopilot ptc status', () => {
  it('says NOT IN SYNC with the pending changes and problems, exit 1', async () => {
    // Prepare
    const io = memoryIo();

    // Act
    const exitCode = await runPtcStatus({ snapshot: SNAPSHOT }, io);

    // Assess
    expect(exitCode).toBe(1);
    expect(io.lines.join('\n')).toContain('4 change(s) pending');
    expect(io.lines.at(-1)).toBe('  status: NOT IN SYNC');
  });

  it('says in sync, exit 0, when the registry matches the configuration', async () => {
    // Prepare
    const io = memoryIo(true);

    // Act
    const exitCode = await runPtcStatus({ snapshot: inSyncSnapshot() }, io);

    // Assess
    const data = io.values[0] as { ok: boolean; rules: Array<{ prefix: string; status: string }>; pendingChanges: unknown[] };
    expect(exitCode).toBe(0);
    expect(data.ok).toBe(true);
    expect(data.pendingChanges).toEqual([]);
    expect(data.rules.map((rule) => `${rule.prefix}:${rule.status}`)).toEqual(['ecr-public:in-sync', 'k8s:in-sync', 'quay:in-sync', 'docker-hub:on-demand', 'github:on-demand']);
  });
});

describe('the sample events', () => {
  it('are routed to the pull-through cache functions', () => {
    // Act
    const routed = listSamples().map((sample) => [sample.file.slice(EVENTS.length), sample.function]);

    // Assess
    expect(routed).toEqual(
      expect.arrayContaining([
        ['ptc-action/sync-failed.json', 'onPullThroughCache'],
        ['ptc-action/sync-succeeded.json', 'onPullThroughCache'],
        ['cloudtrail/batch-get-image-repository-not-found.json', 'onPullThroughCache'],
        ['scheduled/sync-pull-through-cache.json', 'syncPullThroughCache'],
      ]),
    );
  });

  it('`invoke onPullThroughCache --plan` prints the plan for the failed-pull event', async () => {
    // Prepare
    const io = memoryIo();

    // Act
    const exitCode = await runInvoke({ functionName: 'onPullThroughCache', event: `${EVENTS}cloudtrail/batch-get-image-repository-not-found.json`, plan: true, snapshot: SNAPSHOT }, io);

    // Assess
    expect(exitCode).toBe(0);
    expect(io.lines).toContain('    [planned] ecr:CreatePullThroughCacheRule docker-hub');
    expect(io.lines.join('\n')).toContain('docker pull 123456789012.dkr.ecr.ap-northeast-2.amazonaws.com/docker-hub/library/alpine:3.20');
  });
});

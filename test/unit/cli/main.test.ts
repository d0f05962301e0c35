import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { captureCliOutput, cliStderr, cliStdout, runCli } from '../../support/cli';
import { eventFile, EVENTS_DIR, loadEvent, SAMPLE_EVENTS } from '../../support/events';






function tempFile(name: string, content: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'ecr-autopilot-cli-'));
  const file = join(dir, name);
  writeFileSync(file, content);
  return file;
}

beforeEach(() => {
  captureCliOutput();
});

afterEach(() => {
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
});

describe('ecr-autopilot invoke', () => {
  it('runs onImagePush in plan mode against the bundled snapshot and exits 0', async () => {
    // Act
    const code = await runCli('invoke', 'onImagePush', '--event', eventFile(SAMPLE_EVENTS.pushTagged), '--plan');

    // Assess
    expect(code).toBe(0);
    expect(cliStdout()).toContain('onImagePush · event 13cde686-328b-6117-af20-0e5566167482 · plan mode (nothing changed)');
    expect(cliStdout()).toContain('[planned] ecr:PutLifecyclePolicy team-a/api');
    expect(cliStdout()).toMatch(/\[planned\] sns:Publish arn:aws:sns:ap-northeast-2:123456789012:ecr-autopilot-[\w-]*notifications\n/);
    expect(cliStdout()).toContain('notification it would publish (email / SNS default):');
  });

  it('speaks in the conditional in plan mode: would fix, would publish, never "Published" beside [planned]', async () => {
    const code = await runCli('invoke', 'onImagePush', '--event', eventFile(SAMPLE_EVENTS.pushTagged), '--plan');

    expect(code).toBe(0);
    expect(cliStdout()).toContain('decision: team-a/api (class services): would fix 3 settings. Would publish the push summary for team-a/api:v1.4.0.');
    expect(cliStdout()).not.toMatch(/Published|governance change\(s\)/);
  });

  it('runs onImageScan in plan mode and shows the verdict', async () => {
    // Act
    const code = await runCli('invoke', 'onImageScan', '--event', eventFile(SAMPLE_EVENTS.platformScan), '--plan');

    // Assess
    expect(code).toBe(0);
    expect(cliStdout()).toContain('decision: Scan of team-a/web:v2.0.0 (linux/arm64/v8): 2 finding(s), verdict WARN');
    expect(cliStdout()).toContain('[planned] events:PutEvents default');
  });

  it('prints only the report as JSON with --json', async () => {
    // Act
    const code = await runCli('invoke', 'onImagePush', '--event', eventFile(SAMPLE_EVENTS.pushIndex), '--plan', '--json');

    // Assess
    expect(code).toBe(0);
    const parsed = JSON.parse(cliStdout()) as { mode: string; report: { function: string; eventId: string; changes: Array<{ change: { action: string }; outcome: { status: string } }> } };
    expect(parsed.mode).toBe('plan');
    expect(parsed.report.function).toBe('onImagePush');
    expect(parsed.report.eventId).toBe('4f1a3c1e-7b9d-4b8e-9d2a-6a0f3e2b1c55');
    expect(parsed.report.changes.map(({ change, outcome }) => [change.action, outcome.status])).toEqual([['sns:Publish', 'planned']]);
  });

  it('reads another snapshot with --snapshot', async () => {
    // Prepare
    const snapshot = tempFile(
      'snapshot.json',
      JSON.stringify({
        registryId: '123456789012',
        region: 'ap-northeast-2',
        repositories: [{ repositoryName: 'team-a/api', imageTagMutability: 'IMMUTABLE_WITH_EXCLUSION', imageTagMutabilityExclusions: ['latest', 'main', 'dev-*'], scanOnPush: true }],
      }),
    );

    // Act
    const code = await runCli('invoke', 'onImagePush', '--event', eventFile(SAMPLE_EVENTS.pushTagged), '--plan', '--snapshot', snapshot, '--json');

    // Assess
    expect(code).toBe(0);
    const { report } = JSON.parse(cliStdout()) as { report: { changes: Array<{ change: { action: string } }> } };
    expect(report.changes.map(({ change }) => change.action)).toEqual(['ecr:PutLifecyclePolicy', 'sns:Publish']);
  });

  it('exits 2 for an unknown function, naming the known ones', async () => {
    // Act
    const code = await runCli('invoke', 'onImagePull', '--event', eventFile(SAMPLE_EVENTS.pushTagged), '--plan');

    // Assess
    expect(code).toBe(2);
    expect(cliStderr()).toContain('error [USAGE]: Unknown function "onImagePull"; choose one of onImagePush, onImageScan, notifySlack');
    expect(cliStdout()).toBe('');
  });

  it('exits 2 for a malformed event file, listing the offending field', async () => {
    // Prepare
    const event = loadEvent(SAMPLE_EVENTS.pushTagged);
    event.detail['image-digest'] = 'c4fa8457ad16';
    const file = tempFile('bad-event.json', JSON.stringify(event));

    // Act
    const code = await runCli('invoke', 'onImagePush', '--event', file, '--plan');

    // Assess
    expect(code).toBe(2);
    expect(cliStderr()).toContain('error: Invalid ECR Image Action event (event id 13cde686-328b-6117-af20-0e5566167482):\n');
    expect(cliStderr()).toContain('  - detail.image-digest: must be "sha256:" followed by the digest');
    // Each problem once: the headline does not repeat what the list says.
    expect(cliStderr().split('detail.image-digest').length - 1).toBe(1);
  });

  it('exits 2 for an event file that is not JSON', async () => {
    // Prepare
    const file = tempFile('not-json.json', '{ "id": ');

    // Act
    const code = await runCli('invoke', 'onImagePush', '--event', file, '--plan');

    // Assess
    expect(code).toBe(2);
    expect(cliStderr()).toMatch(/error \[USAGE\]: .*not-json\.json is not valid JSON/);
  });

  it('exits 2 for an event file that does not exist', async () => {
    // Act
    const code = await runCli('invoke', 'onImagePush', '--event', join(tmpdir(), 'no-such-event.json'), '--plan');

    // Assess
    expect(code).toBe(2);
    expect(cliStderr()).toContain('ENOENT; check the path');
  });

  it('exits 2 for --snapshot without --plan', async () => {
    // Act
    const code = await runCli('invoke', 'onImagePush', '--event', eventFile(SAMPLE_EVENTS.pushTagged), '--snapshot', join(EVENTS_DIR, 'registry-snapshot.json'));

    // Assess
    expect(code).toBe(2);
    expect(cliStderr()).toContain('--snapshot only applies with --plan');
  });

  it('exits 2 without --event', async () => {
    // Act
    const code = await runCli('invoke', 'onImagePush', '--plan');

    // Assess
    expect(code).toBe(2);
    expect(cliStderr()).toContain("required option '--event <file>' not specified");
  });

  it('exits 2 for an invalid snapshot file', async () => {
    // Prepare
    const snapshot = tempFile('bad-snapshot.json', JSON.stringify({ registryId: '1', region: 'nowhere', repositories: [] }));

    // Act
    const code = await runCli('invoke', 'onImagePush', '--event', eventFile(SAMPLE_EVENTS.pushTagged), '--plan', '--snapshot', snapshot);

    // Assess
    expect(code).toBe(2);
    expect(cliStderr()).toContain('error [SNAPSHOT_INVALID]');
    expect(cliStderr()).toContain('registryId: must be a 12-digit AWS account id');
  });
});

describe('ecr-autopilot demo', () => {
  const samples = readdirSync(EVENTS_DIR, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .flatMap((dir) => readdirSync(join(EVENTS_DIR, dir.name)).filter((name) => name.endsWith('.json')).map((name) => `${dir.name}/${name}`));

  it('replays every sample event in plan mode and exits 0', async () => {
    // Act
    const code = await runCli('demo');

    // Assess
    expect(code).toBe(0);
    expect(samples.length).toBeGreaterThanOrEqual(8);
    for (const sample of samples) expect(cliStdout()).toContain(`━━ ${sample} → `);
    expect(cliStdout()).toContain(`${samples.length} sample events replayed;`);
    expect(cliStdout()).toContain('none applied.');
    expect(cliStderr()).toBe('');
  });

  it('fits 100 columns and says first that the sample registry fails on purpose', async () => {
    // Act
    await runCli('demo');

    // Assess
    const lines = cliStdout().split('\n');
    expect(lines.filter((line) => [...line].length > 100)).toEqual([]);
    expect(lines.slice(0, 8).join('\n')).toContain('The sample registry is an ECR lab left half done on purpose');
    expect(cliStdout()).not.toMatch(/^ {2}decision: .*\bPublished\b/m);
  });

  it('prints each notification as its Slack Block Kit payload with --slack', async () => {
    // Act
    const code = await runCli('demo', '--slack');

    // Assess: every payload is JSON Slack takes (text and blocks), as it would be posted
    expect(code).toBe(0);
    const payloads = [...cliStdout().matchAll(/Slack Block Kit payload, [^\n]*:\n((?: {4}.*\n)+)/g)].map((match) => JSON.parse(match[1] ?? '') as { text: string; blocks: Array<{ type: string }> });
    expect(payloads.length).toBeGreaterThanOrEqual(10);
    for (const payload of payloads) {
      expect(payload.text.length).toBeGreaterThan(0);
      expect(payload.blocks[0]?.type).toBe('header');
    }
  });

  it('prints every report as JSON with --json', async () => {
    // Act
    const code = await runCli('demo', '--json');

    // Assess
    expect(code).toBe(0);
    const parsed = JSON.parse(cliStdout()) as { results: Array<{ sample: string; function: string; report: { outcome: string } }> };
    expect(parsed.results.map((result) => result.sample).sort()).toEqual([...samples].sort());
    expect(parsed.results.find((result) => result.sample === 'sns/push-summary-notice.json')).toMatchObject({ function: 'notifySlack', report: { outcome: 'done' } });
    expect(parsed.results.find((result) => result.sample === 'ecr-image-action/delete.json')?.report.outcome).toBe('ignored');
  });
});

describe('ecr-autopilot config', () => {
  it('validates the configuration and shows how each class governs', async () => {
    // Act
    const code = await runCli('config');

    // Assess
    expect(code).toBe(0);
    expect(cliStdout()).toMatch(/infra\/autopilot\.yml: valid/);
    expect(cliStdout()).toContain('services: ** → lifecycle lifecycle/services.json; scan on push on; IMMUTABLE_WITH_EXCLUSION; protects release-*, prod-*');
  });

  it('shows which class governs the mirrored repositories and each pull-through cache prefix', async () => {
    // Act
    const code = await runCli('config');

    // Assess
    expect(code).toBe(0);
    expect(cliStdout()).toContain('mirror.repositoryPrefix mirror → class mirrors (mirror/**): mirror/eks/aws-load-balancer-controller, mirror/autoscaling/cluster-autoscaler\n');
    expect(cliStdout()).toContain('pull-through cache ecr-public/ → class pull-through-cache (ecr-public/**)\n');
    expect(cliStderr()).toBe('');
  });

  it('warns when the mirror prefix or a cache prefix falls through to a catch-all class (test/samples/config/mirror-prefix-in-catch-all.yml)', async () => {
    // Prepare: repositoryPrefix "mirrors" beside a class for mirror/**.
    vi.stubEnv('AUTOPILOT_CONFIG', join(EVENTS_DIR, '../test/samples/config/mirror-prefix-in-catch-all.yml'));

    // Act
    const code = await runCli('config');

    // Assess: accepted (exit 0), shown, and warned about, each naming the glob to add.
    expect(code).toBe(0);
    expect(cliStdout()).toContain('mirror.repositoryPrefix mirrors → class services (catch-all **: not a class meant for them): mirrors/eks/aws-load-balancer-controller\n');
    expect(cliStdout()).toContain('pull-through cache gcr/ → class services (catch-all **: not a class meant for them)\n');
    expect(cliStderr()).toContain(
      'warning: mirror.repositoryPrefix (mirrors): the mirrored repositories (mirrors/eks/aws-load-balancer-controller), governed by class services only through its catch-all "**", a class not meant for them; add "mirrors/**" to the class meant for them, before any catch-all\n',
    );
    expect(cliStderr()).toContain('warning: mirror.images[1].repository (tools/cluster-autoscaler): the mirrored repository of registry.k8s.io/autoscaling/cluster-autoscaler, governed by class services');
    expect(cliStderr()).toContain('warning: pullThroughCache.rules[1].prefix (gcr): repositories cached under gcr/, governed by class services only through its catch-all "**"');
    expect(cliStderr()).not.toContain('ecr-public/,');
  });

  it('puts where generated repositories land in --json', async () => {
    // Prepare
    vi.stubEnv('AUTOPILOT_CONFIG', join(EVENTS_DIR, '../test/samples/config/mirror-prefix-in-catch-all.yml'));

    // Act
    const code = await runCli('config', '--json');

    // Assess
    expect(code).toBe(0);
    const { generatedRepositories } = JSON.parse(cliStdout()) as { generatedRepositories: Array<{ path: string; className?: string; glob?: string; named: boolean }> };
    expect(generatedRepositories.map(({ path, className, glob, named }) => ({ path, className, glob, named }))).toEqual([
      { path: 'mirror.repositoryPrefix', className: 'services', glob: '**', named: false },
      { path: 'mirror.images[1].repository', className: 'services', glob: '**', named: false },
      { path: 'pullThroughCache.rules[0].prefix', className: 'pull-through-cache', glob: 'ecr-public/**', named: true },
      { path: 'pullThroughCache.rules[1].prefix', className: 'services', glob: '**', named: false },
    ]);
  });

  it('exits 2 for an invalid configuration named by AUTOPILOT_CONFIG', async () => {
    // Prepare
    const file = tempFile('autopilot.yml', 'version: 1\nrepositoryClasses:\n  - name: a\n    repositories: ["**"]\n    scanOnpush: true\n');
    vi.stubEnv('AUTOPILOT_CONFIG', file);

    // Act
    const code = await runCli('config');

    // Assess
    expect(code).toBe(2);
    expect(cliStderr()).toContain('repositoryClasses[0].scanOnpush: is not a known field (fix: remove it or check its spelling)');
  });
});

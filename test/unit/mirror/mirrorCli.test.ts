import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { captureCliOutput, cliStderr, cliStdout, runCli } from '../../support/cli';
import { SnapshotRegistry } from '../../../lib/ecr/SnapshotRegistry';

const SNAPSHOT = new URL('../../../events/registry-snapshot.json', import.meta.url).pathname;
const CA_REFERENCE = 'registry.k8s.io/autoscaling/cluster-autoscaler:v1.32.0';




interface JsonReport {
  mode: string;
  report: {
    function: string;
    outcome: string;
    changes: Array<{ change: Record<string, unknown> & { action: string; target: string }; outcome: { status: string } }>;
  };
}

beforeEach(() => {
  captureCliOutput();
});

afterEach(() => {
  vi.restoreAllMocks();
});

describe('ecr-autopilot mirror', () => {
  it('plans the lab against the bundled snapshot and exits 0', async () => {
    // Act
    const code = await runCli('mirror', '--plan');

    // Assess
    expect(code).toBe(0);
    const out = cliStdout();
    expect(out).toContain('mirrorImages · event manual-mirror-');
    expect(out).toContain('plan mode (nothing changed)');
    expect(out).toContain('[planned] oci:CopyImage mirror/autoscaling/cluster-autoscaler:v1.32.0');
    expect(out).toContain('[planned] ecr:CreateRepository mirror/autoscaling/cluster-autoscaler');
    expect(out).not.toContain('[planned] oci:CopyImage mirror/eks/aws-load-balancer-controller');
  });

  it('prints the report as JSON with the CopyImage change for the cluster autoscaler', async () => {
    // Prepare
    const upstream = SnapshotRegistry.fromFile(SNAPSHOT).snapshot.upstreamImages.find((image) => image.reference === CA_REFERENCE);

    // Act
    const code = await runCli('mirror', '--plan', '--json');

    // Assess
    expect(code).toBe(0);
    const parsed = JSON.parse(cliStdout()) as JsonReport;
    expect(parsed.mode).toBe('plan');
    expect(parsed.report.function).toBe('mirrorImages');
    const copies = parsed.report.changes.filter(({ change }) => change.action === 'oci:CopyImage');
    expect(copies).toEqual([
      {
        change: expect.objectContaining({
          action: 'oci:CopyImage',
          target: 'mirror/autoscaling/cluster-autoscaler:v1.32.0',
          source: CA_REFERENCE,
          repository: 'mirror/autoscaling/cluster-autoscaler',
          tag: 'v1.32.0',
          platforms: 'all',
          expectedDigest: upstream?.digest,
        }),
        outcome: { status: 'planned' },
      },
    ]);
    expect(upstream?.digest).toMatch(/^sha256:/);
    const actions = parsed.report.changes.map(({ change }) => change.action);
    expect(actions.indexOf('ecr:CreateRepository')).toBeLessThan(actions.indexOf('oci:CopyImage'));
    expect(actions.at(-1)).toBe('sns:Publish');
  });

  it('limits the plan to the sources given with --source', async () => {
    // Act
    const code = await runCli('mirror', '--plan', '--json', '--source', 'public.ecr.aws/eks/aws-load-balancer-controller');

    // Assess
    expect(code).toBe(0);
    const parsed = JSON.parse(cliStdout()) as JsonReport;
    expect(parsed.report.changes).toEqual([]);
  });

  it('exits 2 and names the source when --source is not in mirror.images', async () => {
    // Act
    const code = await runCli('mirror', '--plan', '--source', 'quay.io/unknown/image');

    // Assess
    expect(code).toBe(2);
    expect(cliStderr()).toContain('error [USAGE]: Not in mirror.images: quay.io/unknown/image');
  });

  it('refuses --snapshot without --plan, so a snapshot run never goes live', async () => {
    // Act
    const code = await runCli('mirror', '--snapshot', SNAPSHOT);

    // Assess
    expect(code).toBe(2);
    expect(cliStderr()).toContain('--snapshot only applies with --plan');
  });
});

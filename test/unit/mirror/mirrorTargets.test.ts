import { describe, expect, it } from 'vitest';
import type { MirrorSettings } from '../../../lib/config/types';
import { mirrorTargets, platformSubsetKey } from '../../../lib/mirror/mirrorTargets';
import { ALB, CA, mirrorConfig } from './mirrorFixtures';

function settings(overrides: Partial<MirrorSettings> = {}): MirrorSettings {
  return { repositoryPrefix: 'mirror', platforms: 'all', includeReferrers: false, images: [], ...overrides };
}

describe('mirrorTargets', () => {
  it('expands every tag of every image into <prefix>/<source path>, all platforms by default', () => {
    // Prepare
    const mirror = settings({ images: [{ source: ALB, tags: ['v2.9.2', 'v2.10.0'] }, { source: CA, tags: ['v1.32.0'] }] });

    // Act
    const targets = mirrorTargets(mirror);

    // Assess
    expect(targets).toEqual([
      { source: ALB, tag: 'v2.9.2', sourceReference: `${ALB}:v2.9.2`, repository: 'mirror/eks/aws-load-balancer-controller', platforms: 'all', includeReferrers: false },
      { source: ALB, tag: 'v2.10.0', sourceReference: `${ALB}:v2.10.0`, repository: 'mirror/eks/aws-load-balancer-controller', platforms: 'all', includeReferrers: false },
      { source: CA, tag: 'v1.32.0', sourceReference: `${CA}:v1.32.0`, repository: 'mirror/autoscaling/cluster-autoscaler', platforms: 'all', includeReferrers: false },
    ]);
  });

  it('drops only the registry host (with its port) from the destination path and uses the configured prefix', () => {
    // Prepare
    const mirror = settings({ repositoryPrefix: 'lab/mirrors', images: [{ source: '127.0.0.1:5000/upstream/app', tags: ['v1'] }] });

    // Act
    const [target] = mirrorTargets(mirror);

    // Assess
    expect(target?.repository).toBe('lab/mirrors/upstream/app');
    expect(target?.sourceReference).toBe('127.0.0.1:5000/upstream/app:v1');
  });

  it('uses the repository an image names instead of the default destination', () => {
    // Prepare
    const mirror = settings({ images: [{ source: CA, tags: ['v1.32.0'], repository: 'platform/cluster-autoscaler' }] });

    // Act
    const [target] = mirrorTargets(mirror);

    // Assess
    expect(target?.repository).toBe('platform/cluster-autoscaler');
  });

  it("lets an image's platforms override mirror.platforms, and the others keep the global setting", () => {
    // Prepare
    const mirror = settings({ platforms: ['linux/arm64'], images: [{ source: ALB, tags: ['v2.9.2'], platforms: 'all' }, { source: CA, tags: ['v1.32.0'] }] });

    // Act
    const targets = mirrorTargets(mirror);

    // Assess
    expect(targets.map((target) => [target.source, target.platforms])).toEqual([
      [ALB, 'all'],
      [CA, ['linux/arm64']],
    ]);
  });

  it('sorts a platform subset, so the same subset written in any order is the same target', () => {
    // Prepare
    const mirror = settings({ images: [{ source: CA, tags: ['v1.32.0'], platforms: ['linux/s390x', 'linux/amd64', 'linux/arm64'] }] });

    // Act
    const [target] = mirrorTargets(mirror);

    // Assess
    expect(target?.platforms).toEqual(['linux/amd64', 'linux/arm64', 'linux/s390x']);
    expect(platformSubsetKey(['linux/s390x', 'linux/amd64'])).toBe('linux/amd64,linux/s390x');
  });

  it('does not reorder the configuration it was given', () => {
    // Prepare
    const platforms = ['linux/s390x', 'linux/amd64'];
    const mirror = settings({ images: [{ source: CA, tags: ['v1.32.0'], platforms }] });

    // Act
    mirrorTargets(mirror);

    // Assess
    expect(platforms).toEqual(['linux/s390x', 'linux/amd64']);
  });

  it('carries includeReferrers to every target', () => {
    // Act
    const targets = mirrorTargets(settings({ includeReferrers: true, images: [{ source: ALB, tags: ['a', 'b'] }] }));

    // Assess
    expect(targets.map((target) => target.includeReferrers)).toEqual([true, true]);
  });

  it('has no targets without a mirror section or without images', () => {
    // Act / Assess
    expect(mirrorTargets(undefined)).toEqual([]);
    expect(mirrorTargets(settings())).toEqual([]);
  });

  it('reads the mirror section through the configuration loader (defaults filled)', () => {
    // Prepare
    const config = mirrorConfig({ images: [{ source: ALB, tags: ['v2.9.2'] }], platforms: undefined, repositoryPrefix: undefined });

    // Act
    const targets = mirrorTargets(config.mirror);

    // Assess
    expect(targets).toEqual([expect.objectContaining({ repository: 'mirror/eks/aws-load-balancer-controller', platforms: 'all' })]);
  });
});

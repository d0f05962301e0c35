import { describe, expect, it } from 'vitest';
import { fitBatchResult } from '../../../lib/fleet/fitBatchResult';
import type { SweepBatchResult } from '../../../lib/fleet/types';

function result(repositories: number, imagesEach: number): SweepBatchResult {
  return {
    job: 'sweep',
    runId: 'run-1',
    dryRun: false,
    notReached: [],
    repositoriesScanned: repositories,
    totals: { governanceChanges: 0, imagesExpired: repositories * imagesEach, bytesReclaimed: 0, failures: 0, keptBySafety: repositories * 50, capReached: false },
    repositories: Array.from({ length: repositories }, (_, r) => ({
      repositoryName: `team/service-${r}`,
      repositoryClass: 'services',
      governance: [],
      expired: Array.from({ length: imagesEach }, (_, i) => ({ imageDigest: `sha256:${String(i).padStart(64, '0')}`, imageTags: [`build-${i}`], pushedAt: '2026-10-01T00:00:00.000Z', rulePriority: 2, reason: 'untagged for more than 7 days' })),
      kept: Array.from({ length: 50 }, (_, i) => ({ imageDigest: `sha256:${String(i).padStart(64, '1')}`, imageTags: [`release-${i}`], reason: 'protected-tag', detail: 'matches release-*' })),
      failures: [],
      bytesReclaimed: 0,
      transitionsLeftToEcr: 0,
    })),
  };
}

describe('fitBatchResult', () => {
  it('returns a result that fits unchanged', () => {
    // Prepare
    const small = result(2, 3);

    // Act / Assess
    expect(fitBatchResult(small)).toBe(small);
  });

  it('cuts lists (kept first) until the result fits, keeping the totals and saying what was cut', () => {
    // Prepare: 50 repositories × (100 expired + 50 kept) is far over 200 KiB.
    const large = result(50, 100);

    // Act
    const fitted = fitBatchResult(large);

    // Assess
    expect(Buffer.byteLength(JSON.stringify(fitted))).toBeLessThanOrEqual(200 * 1024);
    expect(fitted.totals).toEqual(large.totals);
    expect(fitted.shortened).toMatch(/^images kept by the safety rules are counted, not listed; expired and failed images are listed in part/);
    expect(fitted.repositories.every((repository) => repository.kept.length === 0 && repository.expired.length === 5)).toBe(true);
  });
});

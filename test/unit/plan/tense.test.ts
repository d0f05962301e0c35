import { describe, expect, it } from 'vitest';
import { PUBLISH, statusOf, tell } from '../../../lib/plan/tense';
import type { AppliedChange } from '../../../lib/plan/types';

const change = (status: AppliedChange['outcome']['status']): AppliedChange => ({ change: { action: 'sns:Publish', target: 'topic', reason: 'summary' }, outcome: { status } });

describe('tell', () => {
  it.each([
    [['planned', 'planned'], 'would publish'],
    [['applied'], 'published'],
    [['applied', 'failed'], 'could not publish'],
    [['applied', 'stopped'], 'did not publish'],
  ] as const)('says %j as "%s"', (statuses, said) => {
    expect(tell(statusOf(statuses.map(change)), PUBLISH)).toBe(said);
  });

  it('has no status for no changes', () => {
    expect(statusOf([])).toBeUndefined();
  });
});

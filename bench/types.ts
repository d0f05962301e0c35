/**
 * What every benchmark section returns. `npm run bench` prints each measurement next to the
 * baseline measured in the same run, and the ratio, so numbers are comparable across machines.
 */
export interface Measurement {
  /** What was measured, e.g. `copy ~105 MB two-layer image`. */
  name: string;
  value: number;
  unit: 'ms' | 's' | 'KB' | 'MB' | 'MB/s' | 'images/s' | 'count' | 'calls/s' | 'calls/repo';
  /** The named baseline measured in the same run, when there is one (e.g. `skopeo copy`). */
  baseline?: { name: string; value: number };
  /** The target for `value` (or for value/baseline when `targetIsRatio`). */
  target?: { max: number; ratio?: boolean };
  /** Why the value is what it is, printed under it (e.g. what bounds a missed target). */
  note?: string;
}

export interface BenchSection {
  title: string;
  run(): Promise<Measurement[]>;
}

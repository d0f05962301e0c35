/**
 * The progress line of `copy`: where the copy is, in the user's terms (which registry it waits
 * on), and while blobs move, how fast and how long is left.
 */
import type { CopyProgress } from '../lib/oci/copy/types';
import { formatBytes } from '../lib/notify/present/format';

/** Transfers are counted in decimal units, as registries and `skopeo` count them. */
const DECIMAL = 1000;

/** The rate is measured over the last few seconds, so a stall shows quickly and a burst does not mislead. */
const RATE_WINDOW_MS = 5_000;
/** Before this much of a window, a rate is noise. */
const MIN_RATE_SPAN_MS = 1_000;

/**
 * `45 s`, `3 min 20 s`, `1 h 05 min`.
 *
 * @example
 * formatDuration(200_000); // '3 min 20 s'
 */
export function formatDuration(ms: number): string {
  const seconds = Math.max(0, Math.round(ms / 1000));
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min ${String(seconds % 60).padStart(2, '0')} s`;
  return `${Math.floor(minutes / 60)} h ${String(minutes % 60).padStart(2, '0')} min`;
}

/**
 * Turns `CopyProgress` snapshots into lines, keeping the recent byte counts for the rate.
 *
 * @example
 * const line = copyProgressLine({ source: 'quay.io/team/app:v1', destinationRegistry: '127.0.0.1:5000' });
 * io.progress(line(progress));
 */
export function copyProgressLine(subject: { source: string; destinationRegistry: string }, now: () => number = () => performance.now()): (progress: CopyProgress) => string {
  const samples: Array<{ at: number; bytes: number }> = [];
  return (progress) => {
    if (progress.phase === 'planning') return `Reading ${subject.source}…`;
    if (progress.phase === 'comparing') return `Checking what ${subject.destinationRegistry} already has…`;
    if (progress.phase === 'manifests') return `Pushing manifests to ${subject.destinationRegistry} ${progress.manifestsDone}/${progress.manifestsTotal}`;
    if (progress.phase === 'referrers') return 'Copying referrers…';
    if (progress.phase === 'done') return 'Done';

    const at = now();
    samples.push({ at, bytes: progress.bytesDone });
    while (samples.length > 2 && (samples[0] as { at: number }).at < at - RATE_WINDOW_MS) samples.shift();
    const first = samples[0] as { at: number; bytes: number };
    const span = at - first.at;
    let speed = '';
    if (span >= MIN_RATE_SPAN_MS) {
      const perMs = (progress.bytesDone - first.bytes) / span;
      const remaining = progress.bytesTotal - progress.bytesDone;
      speed = perMs > 0 ? ` · ${formatBytes(perMs * 1000, DECIMAL)}/s · ${formatDuration(remaining / perMs)} left` : ' · stalled';
    }
    return `Copying blobs ${progress.blobsDone}/${progress.blobsTotal} · ${formatBytes(progress.bytesDone, DECIMAL)} of ${formatBytes(progress.bytesTotal, DECIMAL)}${speed}`;
  };
}

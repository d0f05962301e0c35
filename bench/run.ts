import { cpus, loadavg } from 'node:os';
import type { BenchSection, Measurement } from './types';

/**
 * `npm run bench [section...]`: runs the benchmark sections and prints each measurement with its
 * baseline (measured in the same run), the ratio, and whether it meets its target. Sections:
 * bundles, lifecycle, copy, cli, fleet. Targets are reported, never asserted: a slow machine prints a miss.
 */
// The sections load the AWS SDK in this process; its Node-version notice would sit in the middle of
// the figures (the CLI and the test config silence it the same way).
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const SECTIONS: Record<string, () => Promise<BenchSection>> = {
  bundles: async () => (await import('./bundles')).bundlesBench,
  lifecycle: async () => (await import('./lifecycle')).lifecycleBench,
  copy: async () => (await import('./copy')).copyBench,
  cli: async () => (await import('./cli')).cliBench,
  fleet: async () => (await import('./fleet')).fleetBench,
};

async function main(): Promise<void> {
  const wanted = process.argv.slice(2);
  const names = wanted.length > 0 ? wanted : Object.keys(SECTIONS);
  for (const name of names) {
    const load = SECTIONS[name];
    if (!load) throw new Error(`Unknown bench section "${name}"; choose from ${Object.keys(SECTIONS).join(', ')}`);
    const section = await load();
    console.log(`\n## ${section.title}`);
    const started = performance.now();
    const loadBefore = loadavg()[0] ?? Number.NaN;
    const measurements = await section.run();
    for (const line of formatMeasurements(measurements)) console.log(line);
    // Other work on the machine slows both sides of a ratio, but not alike: say how busy it was.
    console.log(`(${((performance.now() - started) / 1000).toFixed(1)} s; load average ${loadBefore.toFixed(2)} before, ${(loadavg()[0] ?? Number.NaN).toFixed(2)} after, ${cpus().length} CPUs)`);
  }
}

export function formatMeasurements(measurements: readonly Measurement[]): string[] {
  const width = Math.max(...measurements.map((m) => m.name.length));
  return measurements.map((m) => {
    const value = `${m.value} ${m.unit}`.padStart(12);
    const ratio = m.baseline && m.baseline.value > 0 ? m.value / m.baseline.value : undefined;
    const baseline = m.baseline ? `  vs ${m.baseline.name} ${m.baseline.value} ${m.unit}: ratio ${ratio?.toFixed(2) ?? 'n/a'}` : '';
    let verdict = '';
    if (m.target) {
      const measured = m.target.ratio ? ratio : m.value;
      const ok = measured !== undefined && measured <= m.target.max;
      verdict = `  target ${m.target.ratio ? 'ratio ' : ''}≤ ${m.target.max}${m.target.ratio ? '' : ` ${m.unit}`}: ${ok ? 'met' : 'MISSED'}`;
    }
    const line = `${m.name.padEnd(width)} ${value}${baseline}${verdict}`;
    return m.note ? `${line}\n${' '.repeat(width + 1)}↳ ${m.note}` : line;
  });
}

await main();

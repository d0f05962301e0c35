/**
 * Copy benchmark: our engine against `skopeo copy --all` between two local registries, measured
 * side by side in the same run (interleaved, rotating who goes first, so disk and CPU drift hits
 * all alike), plus our peak RSS while copying a 1 GiB layer. A third series runs our engine on
 * undici (`UndiciWire`, what it uses behind an HTTP proxy) instead of our own wire: the baseline
 * that shows what `HttpWire` is worth.
 *
 * Fairness rules: layers are real gzip streams (skopeo would otherwise gzip uncompressed layers on
 * push, doing more work and changing digests); every run copies into a fresh destination
 * repository; skopeo's blob-info cache is deleted before each skopeo run (otherwise it would skip
 * work we do); one unmeasured warm-up run precedes each series; the median of `RUNS` is reported.
 * Our engine runs in-process (as the mirror Lambda runs it); skopeo runs as its CLI.
 *
 * Run alone with:
 *   npx tsx -e "import('./bench/copy.ts').then(async m => console.log(await m.copyBench.run()))"
 */
import { execFile, spawn } from 'node:child_process';
import { readFileSync, rmSync, statfsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { copyImage } from '../lib/oci/copy/copyImage';
import { parseImageReference } from '../lib/oci/reference';
import { anonymousCredentials } from '../lib/oci/transport/credentials';
import { UndiciWire } from '../lib/oci/transport/UndiciWire';
import type { Wire } from '../lib/oci/transport/wire';
import { type RegistryServer, startRegistry } from '../test/support/registryServer';
import { buildTestImage, headManifestDigest, type TestImage } from '../test/support/testImages';
import type { BenchSection, Measurement } from './types';

const run = promisify(execFile);

/** Measured runs per series; odd, so the median is a real run. */
const RUNS = 7;
/** skopeo's blob-info cache (as root): without deleting it, skopeo would skip blobs it has seen. */
export const SKOPEO_BLOB_INFO_CACHE = '/var/lib/containers/cache/blob-info-cache-v1.boltdb';
/** The issue's targets: at most 0.8 × skopeo's time, at most 200 MB peak RSS. */
const TARGET_RATIO = 0.8;
const TARGET_PEAK_RSS_MB = 200;
const MB = 1_000_000;
const GIB = 1024 * 1024 * 1024;
/** Registry storage on tmpfs when it has room (blobs are stored once per registry: ~3 GiB here). */
const TMPFS = '/dev/shm';
const TMPFS_NEEDED_BYTES = 6 * GIB;

/**
 * Both registries store on tmpfs when available, so disk write-back (which neither tool controls
 * and which varies run to run) stays out of the comparison; the OS temp directory otherwise.
 */
export function registryStorageParent(): string | undefined {
  try {
    const stats = statfsSync(TMPFS);
    return stats.bavail * stats.bsize >= TMPFS_NEEDED_BYTES ? TMPFS : undefined;
  } catch {
    return undefined;
  }
}

interface Fixture {
  name: string;
  repository: string;
  image: TestImage;
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

/** One timed copy: wall-clock time and the CPU time the copier itself used. */
interface Sample {
  ms: number;
  cpuMs: number;
}

/** Clock ticks per second for /proc times (USER_HZ, 100 on every mainstream Linux). */
const USER_HZ = 100;

/**
 * CPU time of waited-for children (cutime + cstime in /proc/self/stat), i.e. of finished skopeo
 * runs; undefined off Linux. Registries are children too, but still running, so not counted.
 */
function childrenCpuMs(): number | undefined {
  try {
    const stat = readFileSync('/proc/self/stat', 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // After "pid (comm) ", cutime and cstime are the 14th and 15th fields (stat fields 16 and 17).
    return ((Number(fields[13]) + Number(fields[14])) * 1000) / USER_HZ;
  } catch {
    return undefined;
  }
}

async function timeOurs(source: RegistryServer, destination: RegistryServer, fixture: Fixture, target: string, wire?: Wire): Promise<Sample> {
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  const report = await copyImage(parseImageReference(`${source.host}/${fixture.repository}:v1`), parseImageReference(`${destination.host}/${target}:v1`), {
    credentials: () => anonymousCredentials,
    ...(wire ? { wire } : {}),
  });
  const ms = performance.now() - started;
  const cpu = process.cpuUsage(cpuBefore);
  if (report.destinationDigest !== fixture.image.digest) throw new Error(`our copy of ${fixture.name} changed the digest`);
  return { ms, cpuMs: (cpu.user + cpu.system) / 1000 };
}

async function timeSkopeo(source: RegistryServer, destination: RegistryServer, fixture: Fixture, target: string): Promise<Sample> {
  rmSync(SKOPEO_BLOB_INFO_CACHE, { force: true });
  const cpuBefore = childrenCpuMs() ?? Number.NaN;
  const started = performance.now();
  await run('skopeo', [
    'copy',
    '--all',
    '--src-tls-verify=false',
    '--dest-tls-verify=false',
    `docker://${source.host}/${fixture.repository}:v1`,
    `docker://${destination.host}/${target}:v1`,
  ]);
  const ms = performance.now() - started;
  const cpuMs = (childrenCpuMs() ?? Number.NaN) - cpuBefore;
  if ((await headManifestDigest(destination.url, target, 'v1')) !== fixture.image.digest) throw new Error(`skopeo's copy of ${fixture.name} changed the digest`);
  return { ms, cpuMs };
}

async function compare(source: RegistryServer, destination: RegistryServer, fixture: Fixture): Promise<Measurement[]> {
  const ours: Sample[] = [];
  const undici: Sample[] = [];
  const skopeo: Sample[] = [];
  for (let round = 0; round <= RUNS; round += 1) {
    const series: Array<[Sample[], () => Promise<Sample>]> = [
      [ours, () => timeOurs(source, destination, fixture, `ours/${fixture.repository}-${round}`)],
      [undici, () => timeOurs(source, destination, fixture, `undici/${fixture.repository}-${round}`, new UndiciWire())],
      [skopeo, () => timeSkopeo(source, destination, fixture, `skopeo/${fixture.repository}-${round}`)],
    ];
    // Rotate who goes first, so none always inherits another's disk write-back.
    for (const [samples, run] of [...series.slice(round % series.length), ...series.slice(0, round % series.length)]) {
      const sample = await run();
      // Round 0 warms page caches, JIT and the registries' first writes.
      if (round > 0) samples.push(sample);
    }
  }
  const ms = (samples: Sample[]): number => Math.round(median(samples.map((s) => s.ms)));
  const cpu = (samples: Sample[]): number => Math.round(median(samples.map((s) => s.cpuMs)));
  const runs = (samples: Sample[]): string => samples.map((s) => Math.round(s.ms)).join(', ');
  const [value, undiciValue, baseline] = [ms(ours), ms(undici), ms(skopeo)];
  const cpuBaseline = cpu(skopeo);
  process.stderr.write(
    `copy bench: ${fixture.name}: ours ${value} ms, undici wire ${undiciValue} ms, skopeo ${baseline} ms, ratio ${(value / baseline).toFixed(2)} (target ≤ ${TARGET_RATIO}); ` +
      `runs ours [${runs(ours)}] undici [${runs(undici)}] skopeo [${runs(skopeo)}]; ` +
      `CPU per copy ours ${cpu(ours)} ms, undici wire ${cpu(undici)} ms, skopeo ${Number.isNaN(cpuBaseline) ? 'n/a' : `${cpuBaseline} ms`}\n`,
  );
  const measurements: Measurement[] = [
    { name: `copy ${fixture.name}`, value, unit: 'ms', baseline: { name: 'skopeo copy --all', value: baseline }, target: { max: TARGET_RATIO, ratio: true } },
    { name: `copy ${fixture.name} on the undici wire`, value: undiciValue, unit: 'ms', baseline: { name: 'skopeo copy --all', value: baseline } },
    { name: `copy ${fixture.name}: our wire`, value, unit: 'ms', baseline: { name: 'the undici wire', value: undiciValue } },
  ];
  // CPU time does not depend on what else the machine runs, unlike wall-clock time on a busy host.
  if (!Number.isNaN(cpuBaseline)) {
    measurements.push({ name: `CPU time to copy ${fixture.name}`, value: cpu(ours), unit: 'ms', baseline: { name: 'skopeo copy --all', value: cpuBaseline } });
    measurements.push({ name: `CPU time to copy ${fixture.name} on the undici wire`, value: cpu(undici), unit: 'ms', baseline: { name: 'skopeo copy --all', value: cpuBaseline } });
  }
  return measurements;
}

/**
 * Copies `source` to `destination` and reports the process's peak RSS in KB on stdout as JSON.
 * Called in a child process, so the measurement covers nothing but one copy.
 *
 * @example
 * await copyAndReportPeakRss('127.0.0.1:5000/big:v1', '127.0.0.1:5001/big:v1');
 */
export async function copyAndReportPeakRss(source: string, destination: string): Promise<void> {
  await copyImage(parseImageReference(source), parseImageReference(destination), { credentials: () => anonymousCredentials });
  process.stdout.write(`${JSON.stringify({ maxRssKb: process.resourceUsage().maxRSS })}\n`);
}

async function measurePeakRss(source: RegistryServer, destination: RegistryServer): Promise<Measurement> {
  await buildTestImage({ url: source.url, repository: 'bench/gib', tag: 'v1' }, { layers: [GIB], seed: 'bench-gib' });
  const modulePath = fileURLToPath(import.meta.url);
  const script = `const m = await import(${JSON.stringify(modulePath)}); await m.copyAndReportPeakRss(${JSON.stringify(`${source.host}/bench/gib:v1`)}, ${JSON.stringify(`${destination.host}/rss/gib:v1`)});`;
  const output = await new Promise<string>((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve(stdout) : reject(new Error(`RSS child exited with ${code}`))));
  });
  const line = output.trim().split('\n').at(-1) ?? '{}';
  const { maxRssKb } = JSON.parse(line) as { maxRssKb: number };
  const value = Math.round(maxRssKb / 1024);
  process.stderr.write(`copy bench: peak RSS copying a 1 GiB layer: ${value} MB (target ≤ ${TARGET_PEAK_RSS_MB} MB)\n`);
  return { name: 'peak RSS copying a 1 GiB layer', value, unit: 'MB', target: { max: TARGET_PEAK_RSS_MB } };
}

export const copyBench: BenchSection = {
  title: 'OCI copy engine vs skopeo (two local registries)',
  async run(): Promise<Measurement[]> {
    const parentDirectory = registryStorageParent();
    const storage = parentDirectory === undefined ? {} : { parentDirectory };
    const [source, destination] = await Promise.all([startRegistry(storage), startRegistry(storage)]);
    try {
      const [image, index] = await Promise.all([
        buildTestImage({ url: source.url, repository: 'bench/image', tag: 'v1' }, { layers: [50 * MB, 55 * MB], seed: 'bench-image', compression: 'gzip' }),
        buildTestImage({ url: source.url, repository: 'bench/index', tag: 'v1' }, { layers: [25 * MB, 27.5 * MB], platforms: ['linux/amd64', 'linux/arm64'], seed: 'bench-index', compression: 'gzip' }),
      ]);
      const measurements = [
        ...(await compare(source, destination, { name: '~105 MB two-layer image', repository: 'bench/image', image })),
        ...(await compare(source, destination, { name: '~105 MB two-platform index', repository: 'bench/index', image: index })),
      ];
      measurements.push(await measurePeakRss(source, destination));
      return measurements;
    } finally {
      await Promise.all([source.stop(), destination.stop()]);
    }
  },
};

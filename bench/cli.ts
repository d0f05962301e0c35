/**
 * The CLI as users meet it: whole processes, cold, each beside the baseline a user would compare it
 * with, measured in the same run and interleaved (so load on the machine hits both alike).
 *
 * - `--help` and `lifecycle check` against an empty `node -e 0` (what no CLI written for Node can beat);
 * - `copy` of the ~105 MB two-layer test image between two local registries, into a fresh
 *   destination repository each time, against `skopeo copy` (its blob-info cache deleted before
 *   each run), with the peak memory (max RSS) of both.
 *
 * The CLI is built from the current sources first, exactly as `npm ci` builds dist/, and run
 * through its `#!/usr/bin/env node` line, as an installed `ecr-autopilot` runs. Medians of `RUNS`.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { buildCli } from '../infra/build/buildCli.mjs';
import { startRegistry } from '../test/support/registryServer';
import { buildTestImage, headManifestDigest } from '../test/support/testImages';
import { median, registryStorageParent, SKOPEO_BLOB_INFO_CACHE } from './copy';
import type { BenchSection, Measurement } from './types';

const ROOT = resolve(import.meta.dirname, '..');
/** Measured runs per series; odd, so the median is a real run. */
const RUNS = 7;
/** The targets, as ratios to the baseline. */
const HELP_TARGET = 3;
const CHECK_TARGET = 5;
const COPY_TARGET = 0.8;
const MB = 1_000_000;
/** GNU time: wall clock, max RSS and CPU of the process it runs. */
const GNU_TIME = '/usr/bin/time';

interface ProcessSample {
  ms: number;
  maxRssMb: number;
  cpuMs: number;
}

/** Runs a command to completion under GNU time; the wall clock is taken around the whole process. */
async function timeProcess(command: string, args: readonly string[]): Promise<ProcessSample> {
  const report = join(mkdtempSync(join(tmpdir(), 'ecr-autopilot-bench-time-')), 'time.txt');
  const started = performance.now();
  const { code, stderr } = await new Promise<{ code: number | null; stderr: string }>((done, fail) => {
    const child = spawn(GNU_TIME, ['-f', '%M %U %S', '-o', report, command, ...args], { stdio: ['ignore', 'ignore', 'pipe'], env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '' } });
    let text = '';
    child.stderr.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
    child.on('error', fail);
    child.on('close', (exit) => done({ code: exit, stderr: text }));
  });
  const ms = performance.now() - started;
  if (code !== 0) throw new Error(`${command} ${args.join(' ')} exited ${code}: ${stderr}`);
  const [maxRssKb, user, system] = (readFileSync(report, 'utf8').trim().split('\n').at(-1) ?? '').split(' ').map(Number);
  rmSync(report, { force: true });
  return { ms, maxRssMb: (maxRssKb ?? Number.NaN) / 1024, cpuMs: ((user ?? Number.NaN) + (system ?? Number.NaN)) * 1000 };
}

/** One unmeasured round, then `RUNS` rounds of every series in turn, the order rotating each round. */
async function interleaved(series: ReadonlyArray<() => Promise<ProcessSample>>): Promise<ProcessSample[][]> {
  const samples: ProcessSample[][] = series.map(() => []);
  for (let round = 0; round <= RUNS; round += 1) {
    for (let step = 0; step < series.length; step += 1) {
      const index = (round + step) % series.length;
      const sample = await (series[index] as () => Promise<ProcessSample>)();
      if (round > 0) samples[index]?.push(sample);
    }
  }
  return samples;
}

const round1 = (value: number): number => Math.round(value * 10) / 10;
const medianOf = (samples: readonly ProcessSample[], pick: (sample: ProcessSample) => number): number => round1(median(samples.map(pick)));

export const cliBench: BenchSection = {
  title: 'CLI, whole process, cold (beside empty node and skopeo)',
  async run(): Promise<Measurement[]> {
    const dist = mkdtempSync(join(tmpdir(), 'ecr-autopilot-bench-dist-'));
    const parentDirectory = registryStorageParent();
    const [source, destination] = await Promise.all([startRegistry(parentDirectory ? { parentDirectory } : {}), startRegistry(parentDirectory ? { parentDirectory } : {})]);
    try {
      await buildCli(dist);
      const cli = join(dist, 'ecr-autopilot.js');
      const policy = join(ROOT, 'infra/lifecycle/services.json');

      const [empty, help, check, skopeoHelp] = await interleaved([
        () => timeProcess(process.execPath, ['-e', '0']),
        () => timeProcess(cli, ['--help']),
        () => timeProcess(cli, ['lifecycle', 'check', policy]),
        () => timeProcess('skopeo', ['--help']),
      ]);
      const emptyMs = medianOf(empty ?? [], (s) => s.ms);

      const image = await buildTestImage({ url: source.url, repository: 'bench/cli-image', tag: 'v1' }, { layers: [50 * MB, 55 * MB], seed: 'bench-cli-image', compression: 'gzip' });
      let run = 0;
      const target = (tool: string) => `${destination.host}/${tool}/cli-image-${(run += 1)}:v1`;
      const verified = async (tool: string, copy: (to: string) => Promise<ProcessSample>): Promise<ProcessSample> => {
        const to = target(tool);
        const sample = await copy(to);
        const [, repository = ''] = /^[^/]+\/(.+):v1$/.exec(to) ?? [];
        if ((await headManifestDigest(destination.url, repository, 'v1')) !== image.digest) throw new Error(`${tool} changed the digest of the copied image`);
        return sample;
      };
      const [ours, skopeo] = await interleaved([
        () => verified('ours', (to) => timeProcess(cli, ['copy', `${source.host}/bench/cli-image:v1`, to])),
        () =>
          verified('skopeo', (to) => {
            rmSync(SKOPEO_BLOB_INFO_CACHE, { force: true });
            return timeProcess('skopeo', ['copy', '--all', '--src-tls-verify=false', '--dest-tls-verify=false', `docker://${source.host}/bench/cli-image:v1`, `docker://${to}`]);
          }),
      ]);
      const skopeoMs = medianOf(skopeo ?? [], (s) => s.ms);
      process.stderr.write(
        `cli bench: copy runs ours [${(ours ?? []).map((s) => Math.round(s.ms)).join(', ')}] skopeo [${(skopeo ?? []).map((s) => Math.round(s.ms)).join(', ')}] ms\n`,
      );
      return [
        { name: '`--help`', value: medianOf(help ?? [], (s) => s.ms), unit: 'ms', baseline: { name: 'node -e 0', value: emptyMs }, target: { max: HELP_TARGET, ratio: true } },
        { name: '`skopeo --help` (for reference)', value: medianOf(skopeoHelp ?? [], (s) => s.ms), unit: 'ms', baseline: { name: 'node -e 0', value: emptyMs } },
        { name: '`lifecycle check <policy>`', value: medianOf(check ?? [], (s) => s.ms), unit: 'ms', baseline: { name: 'node -e 0', value: emptyMs }, target: { max: CHECK_TARGET, ratio: true } },
        { name: '`copy` ~105 MB image, wall', value: medianOf(ours ?? [], (s) => s.ms), unit: 'ms', baseline: { name: 'skopeo copy --all', value: skopeoMs }, target: { max: COPY_TARGET, ratio: true } },
        { name: '`copy` ~105 MB image, CPU', value: medianOf(ours ?? [], (s) => s.cpuMs), unit: 'ms', baseline: { name: 'skopeo copy --all', value: medianOf(skopeo ?? [], (s) => s.cpuMs) } },
        { name: '`copy` ~105 MB image, peak memory (max RSS)', value: medianOf(ours ?? [], (s) => s.maxRssMb), unit: 'MB', baseline: { name: 'skopeo copy --all', value: medianOf(skopeo ?? [], (s) => s.maxRssMb) } },
      ];
    } finally {
      await Promise.all([source.stop(), destination.stop()]);
      rmSync(dist, { recursive: true, force: true });
    }
  },
};

import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { AutopilotError } from '../../lib/errors';
import { parseEvent } from '../../lib/events/parseEvent';
import type { FunctionReport } from '../../lib/runtime/types';
import { DEFAULT_SNAPSHOT, planDeps } from '../deps';
import { loadFunction } from '../functionCatalog';
import type { CommandIo, ExitCode } from '../io';
import { fitWidth } from '../fitWidth';
import { printReport } from '../printReport';
import { readJsonFile } from '../readInput';
import { printChecklist } from './verify';
import { verifyLab } from '../../lib/verify/verifyLab';

/** The demo is read in a terminal next to the code: its lines fit 100 columns. */
export const DEMO_COLUMNS = 100;

/** Said before anything else, so the failures that follow read as the point, not as a broken tool. */
export const SAMPLE_FAILURES = [
  'The sample registry is an ECR lab left half done on purpose: repositories that drifted from their',
  'class, pull-through cache rules, a template and a secret missing, an image not mirrored yet, images',
  'with critical findings. So the plans below fix things, a scan fails its thresholds and the lab',
  'checklist at the end fails: that is what the demo is for. (--slack also prints each notification',
  'as the Slack Block Kit payload notifySlack would post.)',
].join('\n');

export const EVENTS_DIR = new URL('../../events/', import.meta.url).pathname;

/**
 * Which function each sample of `events/` is for: a whole folder, or one file of a folder that
 * several functions share (`scheduled/`). Every sample must be routed: a sample nobody consumes is
 * a test that cannot fail.
 */
export const SAMPLE_ROUTES: ReadonlyArray<{ folder: string; file?: string; function: string }> = [
  { folder: 'ecr-image-action', function: 'onImagePush' },
  { folder: 'ecr-image-scan', function: 'onImageScan' },
  { folder: 'inspector2-scan', function: 'onImageScan' },
  { folder: 'sns', function: 'notifySlack' },
  { folder: 'ptc-action', function: 'onPullThroughCache' },
  { folder: 'cloudtrail', function: 'onPullThroughCache' },
  { folder: 'scheduled', file: 'sync-pull-through-cache.json', function: 'syncPullThroughCache' },
  { folder: 'scheduled', file: 'sweep-lifecycle.json', function: 'sweepLifecycle' },
  { folder: 'scheduled', file: 'mirror-images.json', function: 'mirrorImages' },
  { folder: 'step-functions', function: 'onFleetRunInterrupted' },
];

export interface DemoSample {
  file: string;
  function: string;
}

/** Every sample event with the function it is replayed through, in a stable order. */
export function listSamples(eventsDir: string = EVENTS_DIR): DemoSample[] {
  const samples: DemoSample[] = [];
  const fileRoutes = new Set(SAMPLE_ROUTES.flatMap((route) => (route.file ? [`${route.folder}/${route.file}`] : [])));
  const jsonFiles = (folder: string) => readdirSync(join(eventsDir, folder)).sort().filter((name) => name.endsWith('.json') && statSync(join(eventsDir, folder, name)).isFile());
  for (const route of SAMPLE_ROUTES) {
    if (route.file) {
      if (!jsonFiles(route.folder).includes(route.file)) {
        throw new AutopilotError('INTERNAL', `SAMPLE_ROUTES names events/${route.folder}/${route.file}, which does not exist (cli/commands/demo.ts)`);
      }
      samples.push({ file: join(eventsDir, route.folder, route.file), function: route.function });
      continue;
    }
    // A folder route takes every file that has no route of its own.
    for (const name of jsonFiles(route.folder)) {
      if (!fileRoutes.has(`${route.folder}/${name}`)) samples.push({ file: join(eventsDir, route.folder, name), function: route.function });
    }
  }
  const wholeFolders = new Set(SAMPLE_ROUTES.flatMap((route) => (route.file ? [] : [route.folder])));
  for (const name of readdirSync(eventsDir)) {
    if (!statSync(join(eventsDir, name)).isDirectory() || wholeFolders.has(name)) continue;
    const unrouted = jsonFiles(name).find((file) => !fileRoutes.has(`${name}/${file}`));
    if (unrouted !== undefined || !SAMPLE_ROUTES.some((route) => route.folder === name)) {
      throw new AutopilotError('INTERNAL', `events/${name}/${unrouted ?? ''} has no function in SAMPLE_ROUTES (cli/commands/demo.ts); route it`);
    }
  }
  return samples;
}

/**
 * `ecr-autopilot demo` (= `npm run demo`): replays every sample in `events/` through its function in
 * plan mode against `events/registry-snapshot.json`, printing per event the decision, the plan and
 * the rendered notification. Needs no AWS account: nothing is read from or written to AWS.
 */
export async function runDemo(options: { snapshot?: string; verbose?: boolean; slack?: boolean }, raw: CommandIo): Promise<ExitCode> {
  const snapshot = options.snapshot ?? DEFAULT_SNAPSHOT;
  const results: Array<{ sample: string; function: string; report: FunctionReport }> = [];
  const io = fitWidth(raw, DEMO_COLUMNS);
  io.out(`ecr-autopilot demo: every sample event, in plan mode, against ${relative(process.cwd(), snapshot) || snapshot}.`);
  io.out('Nothing is read from or written to AWS.');
  if (options.snapshot === undefined) io.out(`${SAMPLE_FAILURES}\n`);
  else io.out('');
  for (const sample of listSamples()) {
    const definition = await loadFunction(sample.function);
    if (!definition) throw new AutopilotError('INTERNAL', `SAMPLE_ROUTES names ${sample.function}, which is not in the function catalog`);
    const name = relative(EVENTS_DIR, sample.file);
    const event = parseEvent(definition.eventSchema, readJsonFile(sample.file), definition.eventName);
    const report = await definition.run(event, planDeps({ io, snapshot, verbose: options.verbose ?? false }));
    results.push({ sample: name, function: sample.function, report });
    io.out(`━━ ${name} → ${sample.function}`);
    printReport(io, report, { mode: 'plan', ...(options.slack ? { slackPayloadsTo: raw } : {}) });
    io.out('');
  }
  // The demo ends where a lab ends: the checklist of the whole lab, against the same snapshot.
  const verify = await verifyLab({ notify: true }, planDeps({ io, snapshot, verbose: options.verbose ?? false }));
  io.out('━━ verifyLab (the lab checklist, against the snapshot)');
  printChecklist(io, verify.checklist.items);
  const c = verify.checklist.counts;
  io.out(`\n  ${verify.checklist.passed ? 'PASSED' : 'FAILED'}: ${c.pass} pass, ${c.fail} fail, ${c.warn} warn, ${c.skipped} skipped — the failures are what the plans above would fix.\n`);
  io.data({ snapshot, results, checklist: verify.checklist });
  io.out(`${results.length} sample events replayed; ${results.reduce((n, r) => n + r.report.changes.length, 0)} planned changes, none applied.`);
  return 0;
}

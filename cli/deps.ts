import { loadConfig } from '../lib/config/loadConfig';
import type { AutopilotConfig } from '../lib/config/types';
import type { RegistryReader } from '../lib/ecr/RegistryReader';
import { SnapshotRegistry } from '../lib/ecr/SnapshotRegistry';
import { AutopilotError } from '../lib/errors';
import { type FleetStore, MemoryFleetStore } from '../lib/fleet/FleetStore';
import type { MirrorDeps } from '../lib/mirror/mirrorImages';
import { SnapshotUpstreamReader } from '../lib/mirror/UpstreamReader';
import { PlanningWriter } from '../lib/plan/PlanningWriter';
import type { PtcStateReader } from '../lib/pull-through-cache/PtcStateReader';
import { SnapshotPtcReader } from '../lib/pull-through-cache/SnapshotPtcReader';
import { readOptionalEnv } from '../lib/runtime/env';
import type { AutopilotDeps, LoggerPort } from '../lib/runtime/types';
import { MemoryStateStore } from '../lib/state/MemoryStateStore';
import type { StateStore } from '../lib/state/StateStore';
import { SnapshotStackReader } from '../lib/verify/SnapshotStackReader';
import type { VerifyDeps } from '../lib/verify/verifyLab';
import type { FlagValues } from './flags';
import type { CommandIo } from './io';

/** The deployed stack to verify: STACK_NAME, or the `dev` stage's name. */
export function stackName(): string {
  return readOptionalEnv('STACK_NAME') ?? 'ecr-autopilot-dev';
}

/** The bundled sample registry, used by `--plan` without `--snapshot` and by the demo. */
export const DEFAULT_SNAPSHOT = new URL('../events/registry-snapshot.json', import.meta.url).pathname;

export interface CliDeps extends AutopilotDeps, Pick<MirrorDeps, 'upstream' | 'destinationRegistry'>, Pick<VerifyDeps, 'stack' | 'stackName'> {
  mode: 'live' | 'plan';
  /** In plan mode: every change the run would have made. */
  planned?: PlanningWriter;
  /** Pull-through cache rules, templates and secret metadata (the snapshot's sections in plan mode). */
  ptc: PtcStateReader;
  /** State kept between runs: the state table when STATE_TABLE_NAME is set (live), otherwise in memory. */
  state: StateStore;
  /** The fleet bucket (FLEET_BUCKET, live), where fleet runs leave their items and results; empty in plan mode. */
  store: FleetStore;
}

/** Logs to stderr, so stdout stays clean for results. */
export function cliLogger(io: CommandIo, verbose = false): LoggerPort {
  const write = (level: string) => (message: string, ...extra: Record<string, unknown>[]) =>
    io.err(`${level} ${message}${extra.length > 0 ? ` ${JSON.stringify(Object.assign({}, ...extra))}` : ''}`);
  return { debug: verbose ? write('debug') : () => undefined, info: verbose ? write('info') : () => undefined, warn: write('warn'), error: write('error') };
}

/** The flags that choose between live AWS and a snapshot, and how to reach AWS. */
export type DepsOptions = FlagValues<'plan' | 'snapshot' | 'verbose' | 'region' | 'profile'>;

/**
 * The dependencies for a command: plan mode with `--plan` (from `--snapshot`, or the bundled
 * sample), live AWS otherwise. Commands that change things refuse `--snapshot` without `--plan`
 * (the user meant the snapshot, not a live run); read-only commands take `--snapshot` alone as plan
 * mode (`readOnly`). The live wiring, and with it the AWS SDK, is loaded only for live runs.
 *
 * @example
 * const deps = await cliDeps({ plan: true }, io);
 */
export async function cliDeps(options: DepsOptions, io: CommandIo, { readOnly = false }: { readOnly?: boolean } = {}): Promise<CliDeps> {
  if (options.snapshot !== undefined && !options.plan && !readOnly) {
    throw new AutopilotError('USAGE', '--snapshot only applies with --plan; add --plan to run against the snapshot');
  }
  const verbose = options.verbose ?? false;
  // The first Ctrl-C ends long work as its deadline would: it stops, reports, and the run exits 130.
  const deadline = { interrupted: io.interrupt };
  if (options.plan || options.snapshot !== undefined) return { ...planDeps({ io, verbose, ...(options.snapshot !== undefined ? { snapshot: options.snapshot } : {}) }), deadline };
  const { liveDeps } = await import('./liveDeps');
  return { ...(await liveDeps({ io, verbose, aws: options })), deadline };
}

/**
 * Only a registry reader (no configuration, no other service): the snapshot with `--plan` or
 * `--snapshot`, live ECR otherwise.
 */
export async function cliRegistryReader(options: DepsOptions): Promise<RegistryReader> {
  if (options.plan || options.snapshot !== undefined) return SnapshotRegistry.fromFile(options.snapshot ?? DEFAULT_SNAPSHOT);
  const { liveEcrRegistry } = await import('./liveDeps');
  return (await liveEcrRegistry(options)).registry;
}

/**
 * Plan mode: reads come from a registry snapshot, every change is recorded instead of made, and the
 * clock is the snapshot's capture time (so a plan is reproducible).
 */
export function planDeps(options: { snapshot?: string; config?: AutopilotConfig; io: CommandIo; verbose?: boolean }): CliDeps {
  const registry = SnapshotRegistry.fromFile(options.snapshot ?? DEFAULT_SNAPSHOT);
  const planned = new PlanningWriter();
  const captured = registry.snapshot.capturedAt ? new Date(registry.snapshot.capturedAt) : new Date();
  return {
    mode: 'plan',
    planned,
    config: options.config ?? loadConfig().config,
    registry,
    ptc: new SnapshotPtcReader(registry.snapshot),
    // Plan mode never moves the live sweep's cursor.
    state: new MemoryStateStore(),
    // No fleet run's results are in a snapshot.
    store: new MemoryFleetStore(),
    upstream: new SnapshotUpstreamReader(registry.snapshot.upstreamImages),
    stack: new SnapshotStackReader(registry.snapshot.stack, registry.registryId),
    stackName: registry.snapshot.stack?.name ?? stackName(),
    destinationRegistry: async () => `${registry.registryId}.dkr.ecr.${registry.region}.amazonaws.com`,
    writer: planned,
    topicArn: readOptionalEnv('NOTIFICATION_TOPIC_ARN') ?? registry.snapshot.stack?.topic?.arn ?? `arn:aws:sns:${registry.region}:${registry.registryId}:${stackName()}-notifications`,
    eventBusName: readOptionalEnv('EVENT_BUS_NAME') ?? 'default',
    clock: () => captured,
    logger: cliLogger(options.io, options.verbose),
  };
}

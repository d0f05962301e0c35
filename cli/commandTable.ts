import { type FlagName, type FlagValues, PLAN_FLAGS } from './flags';
import { FUNCTION_NAMES } from './functionCatalog';
import type { CommandIo, ExitCode } from './io';

/**
 * Every command of `ecr-autopilot` as data: its words, help, positional arguments and the flags it
 * takes (by name from cli/flags.ts). cli/main.ts builds the parser from this table and the
 * completion scripts are generated from it. A command's module is imported only when the command
 * runs, so `--help`, `lifecycle check` or `copy` never load what `verify` needs (the AWS SDK
 * clients above all).
 */
export interface ArgumentSpec {
  name: string;
  description: string;
  /**
   * What the shell completes it with: files, nothing, or a list of values (which the parser
   * enforces when `enforce` is set; `invoke` checks function names itself, with a better message).
   */
  complete: 'file' | 'none' | { values: readonly string[]; enforce: boolean };
}

export interface CommandInput<N extends FlagName> {
  args: string[];
  options: FlagValues<N>;
}

export interface CommandSpec<N extends FlagName = FlagName> {
  /** The words after `ecr-autopilot`, e.g. `['lifecycle', 'check']`. */
  path: readonly [string] | readonly [string, string];
  description: string;
  args: readonly ArgumentSpec[];
  flags: readonly N[];
  run(input: CommandInput<N>, io: CommandIo): Promise<ExitCode>;
}

/** Keeps each command's flag names precise while the table holds them all. */
function command<const N extends FlagName>(spec: CommandSpec<N>): CommandSpec {
  return spec as unknown as CommandSpec;
}

/** The first word of two-word commands. */
export const GROUPS: ReadonlyArray<{ name: string; description: string }> = [
  { name: 'lifecycle', description: 'lifecycle policies offline: validate, preview; sweep the registry' },
  { name: 'ptc', description: 'pull-through cache: reconcile the declared rules and templates, or show where they stand' },
];

export const SHELLS = ['bash', 'zsh', 'fish'] as const;

export const COMMANDS: readonly CommandSpec[] = [
  command({
    path: ['invoke'],
    description: "run a function's handler locally with an event (live AWS, or --plan against a snapshot)",
    args: [{ name: 'function', description: 'function name, e.g. onImagePush', complete: { values: FUNCTION_NAMES, enforce: false } }],
    flags: ['event', ...PLAN_FLAGS],
    run: async ({ args: [functionName = ''], options }, io) => (await import('./commands/invoke')).runInvoke({ functionName, ...options, event: options.event ?? '' }, io),
  }),
  command({
    path: ['demo'],
    description: 'replay every sample event in events/ through its function in plan mode (no AWS account needed)',
    args: [],
    flags: ['snapshot', 'json', 'verbose', 'slack'],
    run: async ({ options }, io) => (await import('./commands/demo')).runDemo(options, io),
  }),
  command({
    path: ['config'],
    description: 'validate the configuration (AUTOPILOT_CONFIG or infra/autopilot.yml) and print it resolved',
    args: [],
    flags: ['json'],
    run: async (_input, io) => (await import('./commands/config')).runConfigCheck(io),
  }),
  command({
    path: ['lifecycle', 'check'],
    description: 'validate a lifecycle policy with every rule ECR enforces (exit 1 and every problem when invalid)',
    args: [{ name: 'policy', description: 'lifecycle policy JSON file', complete: 'file' }],
    flags: ['json'],
    run: async ({ args: [policy = ''] }, io) => (await import('./commands/lifecycle')).runLifecycleCheck({ policy }, io),
  }),
  command({
    path: ['lifecycle', 'preview'],
    description: 'what ECR would expire or archive: same result and shape as GetLifecyclePolicyPreview',
    args: [],
    flags: ['policy', 'images', 'repository', 'now', 'all', ...PLAN_FLAGS],
    run: async ({ options }, io) => (await import('./commands/lifecycle')).runLifecyclePreview({ ...options, policy: options.policy ?? '' }, io),
  }),
  command({
    path: ['lifecycle', 'sweep'],
    description: 'run sweepLifecycle now: fix governance drift and expire, with the safety rules',
    args: [],
    flags: ['repository', 'maxDeletions', ...PLAN_FLAGS],
    run: async ({ options }, io) => {
      const { repository, maxDeletions, ...rest } = options;
      const event = { ...(repository ? { repositories: repository } : {}), ...(maxDeletions !== undefined ? { maxDeletions } : {}) };
      return (await import('./commands/invoke')).runFunction({ ...rest, functionName: 'sweepLifecycle', event }, io);
    },
  }),
  command({
    path: ['copy'],
    description: 'copy an image between registries: every platform (or --platform), digests unchanged, no Docker daemon',
    args: [
      { name: 'source', description: 'registry/repository:tag or registry/repository@sha256:…', complete: 'none' },
      { name: 'destination', description: 'registry/repository[:tag] (without a tag, the source tag is kept)', complete: 'none' },
    ],
    flags: ['platform', 'srcCreds', 'destCreds', 'authfile', 'insecureRegistry', 'includeReferrers', 'json', 'profile', 'timeout'],
    run: async ({ args: [source = '', destination = ''], options }, io) =>
      (await import('./commands/copy')).runCopy(
        {
          source,
          destination,
          ...(options.platform ? { platforms: options.platform } : {}),
          ...(options.srcCreds !== undefined ? { srcCreds: options.srcCreds } : {}),
          ...(options.destCreds !== undefined ? { destCreds: options.destCreds } : {}),
          ...(options.insecureRegistry ? { insecureRegistries: options.insecureRegistry } : {}),
          ...(options.authfile !== undefined ? { authfile: options.authfile } : {}),
          ...(options.includeReferrers ? { includeReferrers: true } : {}),
          aws: { ...(options.profile !== undefined ? { profile: options.profile } : {}), ...(options.timeout !== undefined ? { timeout: options.timeout } : {}) },
        },
        io,
      ),
  }),
  command({
    path: ['mirror'],
    description: 'run mirrorImages now: copy the configured public images into private ECR (every platform, digests unchanged)',
    args: [],
    flags: ['source', ...PLAN_FLAGS],
    run: async ({ options }, io) => {
      const { source, ...rest } = options;
      return (await import('./commands/invoke')).runFunction({ ...rest, functionName: 'mirrorImages', event: source ? { sources: source } : {} }, io);
    },
  }),
  command({
    path: ['verify'],
    description: 'check the whole ECR lab and print a pass/fail checklist (exit 0 only when every check passes)',
    args: [],
    flags: ['notify', ...PLAN_FLAGS],
    run: async ({ options }, io) => (await import('./commands/verify')).runVerify(options, io),
  }),
  command({
    path: ['teardown'],
    description: 'remove what the lab created: declared pull-through cache rules and templates, their repositories, mirrored repositories',
    args: [],
    flags: ['yes', ...PLAN_FLAGS],
    run: async ({ options }, io) => (await import('./commands/verify')).runTeardown(options, io),
  }),
  command({
    path: ['ptc', 'sync'],
    description: 'create missing rules and templates, update changed credentials, validate authenticated rules, report unmanaged rules and missing secrets',
    args: [],
    flags: ['prune', ...PLAN_FLAGS],
    run: async ({ options }, io) => (await import('./commands/ptc')).runPtcSync(options, io),
  }),
  command({
    path: ['ptc', 'status'],
    description: 'each declared rule: exists, upstream, credential, validation, template; plus undeclared rules (exit 1 when not in sync)',
    args: [],
    flags: [...PLAN_FLAGS],
    run: async ({ options }, io) => (await import('./commands/ptc')).runPtcStatus(options, io),
  }),
  command({
    path: ['completion'],
    description: 'print the shell completion script, e.g. `source <(ecr-autopilot completion bash)`',
    args: [{ name: 'shell', description: SHELLS.join(', '), complete: { values: SHELLS, enforce: true } }],
    flags: [],
    run: async ({ args: [shell = ''] }, io) => (await import('./commands/completion')).runCompletion({ shell }, io),
  }),
];

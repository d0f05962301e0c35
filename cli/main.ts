import { Command, CommanderError, Option } from 'commander';
import { AutopilotError, ConfigError, EventValidationError, formatIssue } from '../lib/errors';
import type { CommandIo, ExitCode } from './io';
import { terminalIo } from './terminal';

/**
 * `ecr-autopilot`: every part of ecr-autopilot from the command line, against AWS (or
 * `AWS_ENDPOINT_URL`) or in plan mode against a registry snapshot. Commands are loaded lazily; this
 * file is the only place that turns errors into exit codes (see cli/io.ts).
 */
export function buildProgram(run: (command: (io: CommandIo) => Promise<ExitCode>, json: boolean) => Promise<void>): Command {
  const program = new Command('ecr-autopilot')
    .description('Event-driven control plane for Amazon ECR: governance, lifecycle, pull-through cache, mirroring, scan verdicts, lab verification')
    .showHelpAfterError()
    .exitOverride();

  program
    .command('invoke')
    .description("run a function's handler locally with an event file (live AWS, or --plan against a snapshot)")
    .argument('<function>', 'function name, e.g. onImagePush')
    .requiredOption('--event <file>', 'event JSON file, e.g. events/ecr-image-action/push-tagged.json')
    .option('--plan', 'change nothing: print the plan (reads from --snapshot)')
    .option('--snapshot <file>', 'registry snapshot for --plan (default: events/registry-snapshot.json)')
    .option('--json', 'print the report as JSON')
    .option('--verbose', 'log progress to stderr')
    .action(async (functionName: string, options: { event: string; plan?: boolean; snapshot?: string; json?: boolean; verbose?: boolean }) => {
      const { runInvoke } = await import('./commands/invoke');
      await run((io) => runInvoke({ functionName, event: options.event, plan: options.plan ?? false, ...(options.snapshot ? { snapshot: options.snapshot } : {}), verbose: options.verbose ?? false }, io), options.json ?? false);
    });

  program
    .command('demo')
    .description('replay every sample event in events/ through its function in plan mode (no AWS account needed)')
    .option('--snapshot <file>', 'registry snapshot (default: events/registry-snapshot.json)')
    .option('--json', 'print the reports as JSON')
    .action(async (options: { snapshot?: string; json?: boolean }) => {
      const { runDemo } = await import('./commands/demo');
      await run((io) => runDemo(options.snapshot ? { snapshot: options.snapshot } : {}, io), options.json ?? false);
    });

  const lifecycle = program.command('lifecycle').description('lifecycle policies offline: validate, preview; sweep the registry');
  lifecycle
    .command('check')
    .description('validate a lifecycle policy with every rule ECR enforces (exit 1 and every problem when invalid)')
    .argument('<policy>', 'lifecycle policy JSON file')
    .option('--json', 'print the result as JSON')
    .action(async (policy: string, options: { json?: boolean }) => {
      const { runLifecycleCheck } = await import('./commands/lifecycle');
      await run((io) => runLifecycleCheck({ policy }, io), options.json ?? false);
    });
  lifecycle
    .command('preview')
    .description('what ECR would expire or archive: same result and shape as GetLifecyclePolicyPreview')
    .requiredOption('--policy <file>', 'lifecycle policy JSON file')
    .option('--images <file>', 'the JSON `aws ecr describe-images` prints')
    .option('--repository <name>', 'read the images of this repository (live, or from --snapshot)')
    .option('--snapshot <file>', 'with --repository: read from a registry snapshot instead of AWS')
    .option('--now <iso>', 'evaluate at this time (default: now)')
    .option('--all', 'also list the images no rule acts on, with the rule that keeps them')
    .option('--json', 'print exactly the preview response shape')
    .action(async (options: { policy: string; images?: string; repository?: string; snapshot?: string; now?: string; all?: boolean; json?: boolean }) => {
      const { runLifecyclePreview } = await import('./commands/lifecycle');
      const { json, ...rest } = options;
      await run((io) => runLifecyclePreview(rest, io), json ?? false);
    });
  lifecycle
    .command('sweep')
    .description('run sweepLifecycle now: fix governance drift and expire, with the safety rules')
    .option('--plan', 'change nothing: print the plan (reads from --snapshot)')
    .option('--snapshot <file>', 'registry snapshot for --plan (default: events/registry-snapshot.json)')
    .option('--repository <glob...>', 'only these repositories (globs)')
    .option('--max-deletions <n>', 'deletion cap for this run', (value) => Number.parseInt(value, 10))
    .option('--json', 'print the report as JSON')
    .action(async (options: { plan?: boolean; snapshot?: string; repository?: string[]; maxDeletions?: number; json?: boolean }) => {
      const { runFunction } = await import('./commands/invoke');
      const event = { ...(options.repository ? { repositories: options.repository } : {}), ...(options.maxDeletions !== undefined ? { maxDeletions: options.maxDeletions } : {}) };
      await run((io) => runFunction({ functionName: 'sweepLifecycle', event, plan: options.plan ?? false, ...(options.snapshot ? { snapshot: options.snapshot } : {}) }, io), options.json ?? false);
    });

  program
    .command('copy')
    .description('copy an image between registries: every platform (or --platform), digests unchanged, no Docker daemon')
    .argument('<source>', 'registry/repository:tag or registry/repository@sha256:…')
    .argument('<destination>', 'registry/repository[:tag] (without a tag, the source tag is kept)')
    .option('--platform <platform...>', 'copy only these platforms (builds a new index), e.g. linux/amd64,linux/arm64')
    .option('--src-creds <user:password>', 'credentials for the source registry')
    .option('--dest-creds <user:password>', 'credentials for the destination registry')
    .option('--insecure-registry <host:port...>', 'registries reachable over plain http (loopback always is)')
    .option('--include-referrers', 'also copy signatures, SBOMs and attestations (OCI referrers)')
    .option('--json', 'print the copy report as JSON')
    .action(
      async (
        source: string,
        destination: string,
        options: { platform?: string[]; srcCreds?: string; destCreds?: string; insecureRegistry?: string[]; includeReferrers?: boolean; json?: boolean },
      ) => {
        const { runCopy } = await import('./commands/copy');
        await run(
          (io) =>
            runCopy(
              {
                source,
                destination,
                ...(options.platform ? { platforms: options.platform } : {}),
                ...(options.srcCreds ? { srcCreds: options.srcCreds } : {}),
                ...(options.destCreds ? { destCreds: options.destCreds } : {}),
                ...(options.insecureRegistry ? { insecureRegistries: options.insecureRegistry } : {}),
                ...(options.includeReferrers ? { includeReferrers: true } : {}),
              },
              io,
            ),
          options.json ?? false,
        );
      },
    );

  program
    .command('mirror')
    .description('run mirrorImages now: copy the configured public images into private ECR (every platform, digests unchanged)')
    .option('--plan', 'change nothing: print the plan (reads from --snapshot)')
    .option('--snapshot <file>', 'registry snapshot for --plan (default: events/registry-snapshot.json)')
    .option('--source <repository...>', 'only these sources from mirror.images')
    .option('--json', 'print the report as JSON')
    .action(async (options: { plan?: boolean; snapshot?: string; source?: string[]; json?: boolean }) => {
      const { runFunction } = await import('./commands/invoke');
      const event = options.source ? { sources: options.source } : {};
      await run((io) => runFunction({ functionName: 'mirrorImages', event, plan: options.plan ?? false, ...(options.snapshot ? { snapshot: options.snapshot } : {}) }, io), options.json ?? false);
    });

  program
    .command('verify')
    .description('check the whole ECR lab and print a pass/fail checklist (exit 0 only when every check passes)')
    .option('--plan', 'check against a registry snapshot instead of AWS (publishes nothing)')
    .option('--snapshot <file>', 'registry snapshot for --plan (default: events/registry-snapshot.json)')
    .option('--no-notify', 'do not publish the test message and the checklist')
    .option('--json', 'print the checklist as JSON')
    .action(async (options: { plan?: boolean; snapshot?: string; notify: boolean; json?: boolean }) => {
      const { runVerify } = await import('./commands/verify');
      await run((io) => runVerify({ plan: options.plan ?? false, notify: options.notify, ...(options.snapshot ? { snapshot: options.snapshot } : {}) }, io), options.json ?? false);
    });

  program
    .command('teardown')
    .description('remove what the lab created: declared pull-through cache rules and templates, their repositories, mirrored repositories')
    .option('--plan', 'only list what would be removed')
    .option('--snapshot <file>', 'registry snapshot for --plan (default: events/registry-snapshot.json)')
    .option('--yes', 'do not ask for confirmation')
    .option('--json', 'print the report as JSON')
    .action(async (options: { plan?: boolean; snapshot?: string; yes?: boolean; json?: boolean }) => {
      const { runTeardown } = await import('./commands/verify');
      await run((io) => runTeardown({ plan: options.plan ?? false, yes: options.yes ?? false, ...(options.snapshot ? { snapshot: options.snapshot } : {}) }, io), options.json ?? false);
    });

  program
    .command('config')
    .description('validate the configuration (AUTOPILOT_CONFIG or infra/autopilot.yml) and print it resolved')
    .addOption(new Option('--json', 'print the resolved configuration as JSON'))
    .action(async (options: { json?: boolean }) => {
      const { runConfigCheck } = await import('./commands/config');
      await run((io) => runConfigCheck(io), options.json ?? false);
    });

  const ptc = program.command('ptc').description('pull-through cache: reconcile the declared rules and templates, or show where they stand');
  ptc
    .command('sync')
    .description('create missing rules and templates, update changed credentials, validate authenticated rules, report unmanaged rules and missing secrets')
    .option('--plan', 'change nothing: print the plan (reads from --snapshot)')
    .option('--snapshot <file>', 'registry snapshot for --plan (default: events/registry-snapshot.json)')
    .option('--prune', 'also delete rules the configuration does not declare (default: pullThroughCache.prune)')
    .option('--json', 'print the report as JSON')
    .option('--verbose', 'log progress to stderr')
    .action(async (options: { plan?: boolean; snapshot?: string; prune?: boolean; json?: boolean; verbose?: boolean }) => {
      const { runPtcSync } = await import('./commands/ptc');
      await run(
        (io) => runPtcSync({ plan: options.plan ?? false, ...(options.snapshot ? { snapshot: options.snapshot } : {}), ...(options.prune ? { prune: true } : {}), verbose: options.verbose ?? false }, io),
        options.json ?? false,
      );
    });
  ptc
    .command('status')
    .description('each declared rule: exists, upstream, credential, validation, template; plus undeclared rules (exit 1 when not in sync)')
    .option('--snapshot <file>', 'read a registry snapshot instead of AWS')
    .option('--json', 'print the status as JSON')
    .option('--verbose', 'log progress to stderr')
    .action(async (options: { snapshot?: string; json?: boolean; verbose?: boolean }) => {
      const { runPtcStatus } = await import('./commands/ptc');
      await run((io) => runPtcStatus({ ...(options.snapshot ? { snapshot: options.snapshot } : {}), verbose: options.verbose ?? false }, io), options.json ?? false);
    });

  return program;
}

/** Maps an error to its exit code and a message; the stack only for bugs. */
export function reportError(error: unknown, io: CommandIo): ExitCode {
  if (error instanceof EventValidationError || error instanceof ConfigError) {
    io.err(`error: ${error.message.split('\n')[0]}`);
    for (const issue of error.issues) io.err(`  - ${formatIssue(issue)}`);
    return 2;
  }
  if (error instanceof AutopilotError) {
    io.err(`error [${error.code}]: ${error.message}`);
    if (error.code === 'INTERNAL' && error.stack) io.err(error.stack);
    return error.source === 'user' ? 2 : 3;
  }
  const err = error instanceof Error ? error : new Error(String(error));
  io.err(`error: ${err.name}: ${err.message}`);
  if (process.env.DEBUG) io.err(err.stack ?? '');
  return 3;
}

export async function main(argv: string[] = process.argv): Promise<ExitCode> {
  let exitCode: ExitCode = 0;
  const program = buildProgram(async (command, json) => {
    const io = terminalIo({ json });
    try {
      exitCode = await command(io);
    } catch (error) {
      exitCode = reportError(error, io);
    }
  });
  try {
    await program.parseAsync(argv);
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2;
    throw error;
  }
  return exitCode;
}

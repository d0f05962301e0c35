import { InvalidArgumentError } from 'commander';

/**
 * Every flag of `ecr-autopilot`, declared once: its commander syntax, help text, how its value is
 * parsed, and (through the phantom `value`) its type. Commands pick flags by name from this table
 * (cli/commandTable.ts), so `--plan` means the same thing, with the same help, everywhere; the
 * shell completion scripts are generated from it too.
 *
 * Keys are commander's attribute names (`--max-deletions` → `maxDeletions`, `--no-notify` →
 * `notify`); a unit test checks that they agree.
 */
export interface Flag<T> {
  /** Commander syntax: `--plan`, `--snapshot <file>`, `--repository <glob...>`. */
  readonly syntax: string;
  readonly description: string;
  /** Parses and checks one value; throws `InvalidArgumentError` with the fix. */
  readonly parse?: (value: string, previous: T | undefined) => T;
  /** What the shell should complete the value with. */
  readonly complete?: 'file' | 'none';
  /** The command cannot run without it. */
  readonly required?: boolean;
  /** Only for the type: never set. */
  readonly value?: T;
}

function flag<T>(syntax: string, description: string, extra: Omit<Flag<T>, 'syntax' | 'description' | 'value'> = {}): Flag<T> {
  return { syntax, description, ...extra };
}

/**
 * A whole number within bounds. `Number()` rather than `parseInt`, which reads `1.5` as 1 and
 * `10abc` as 10.
 *
 * @example
 * wholeNumber('--max-deletions', { min: 0, example: 50 })('abc'); // throws: … must be a whole number …
 */
export function wholeNumber(name: string, bounds: { min: number; max: number; example: number }): (value: string) => number {
  return (value) => {
    const trimmed = value.trim();
    const parsed = /^[+-]?\d+$/.test(trimmed) ? Number(trimmed) : Number.NaN;
    if (!Number.isSafeInteger(parsed) || parsed < bounds.min || parsed > bounds.max) {
      throw new InvalidArgumentError(`${name} must be a whole number from ${bounds.min} to ${bounds.max}, e.g. ${name} ${bounds.example}.`);
    }
    return parsed;
  };
}

/** Collects a repeatable flag's values (`--platform a --platform b`). */
export function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/** Seconds of silence `--timeout` allows: long enough for any registry commit, short enough to mean it. */
const TIMEOUT_BOUNDS = { min: 1, max: 3_600, example: 120 };

/** `lifecycle.maxDeletionsPerRun`'s own bounds (lib/config/writtenConfigSchema.ts). */
const MAX_DELETIONS_BOUNDS = { min: 0, max: 100_000, example: 50 };

export const FLAGS = {
  // Shared by every command that can take them.
  plan: flag<boolean>('--plan', 'plan mode: read the registry from --snapshot and change nothing; print what would be done'),
  snapshot: flag<string>('--snapshot <file>', 'registry snapshot for plan mode (default: events/registry-snapshot.json)', { complete: 'file' }),
  json: flag<boolean>('--json', 'print machine-readable JSON (one shape per command, see the README)'),
  verbose: flag<boolean>('--verbose', 'log progress to stderr'),
  region: flag<string>('--region <region>', 'AWS Region (default: AWS_REGION, or the profile\u2019s region)', { complete: 'none' }),
  profile: flag<string>('--profile <name>', 'AWS profile from ~/.aws/config (default: AWS_PROFILE)', { complete: 'none' }),
  timeout: flag<number>('--timeout <seconds>', 'give up on an AWS endpoint or registry silent this long (default: 30; connecting: at most 10)', {
    parse: wholeNumber('--timeout', TIMEOUT_BOUNDS),
    complete: 'none',
  }),
  // demo
  slack: flag<boolean>('--slack', 'also print each notification as the Slack Block Kit payload notifySlack would post'),
  // invoke
  event: flag<string>('--event <file>', 'event JSON file, or - to read it from stdin, e.g. events/ecr-image-action/push-tagged.json', { complete: 'file', required: true }),
  // lifecycle preview
  policy: flag<string>('--policy <file>', 'lifecycle policy JSON file', { complete: 'file', required: true }),
  images: flag<string>('--images <file>', 'the JSON `aws ecr describe-images` prints', { complete: 'file' }),
  repository: flag<string[]>('--repository <name>', 'a repository (lifecycle sweep: a glob); repeat for more', { parse: collect, complete: 'none' }),
  now: flag<string>('--now <iso>', 'evaluate at this time (default: now), e.g. 2026-11-20T09:00:00Z', { complete: 'none' }),
  all: flag<boolean>('--all', 'also list the images no rule acts on, with the rule that keeps them'),
  // lifecycle sweep
  maxDeletions: flag<number>('--max-deletions <n>', 'deletion cap for this run (default: lifecycle.maxDeletionsPerRun)', {
    parse: wholeNumber('--max-deletions', MAX_DELETIONS_BOUNDS),
    complete: 'none',
  }),
  // ptc sync
  prune: flag<boolean>('--prune', 'also delete rules the configuration does not declare (default: pullThroughCache.prune)'),
  // mirror
  source: flag<string[]>('--source <repository...>', 'only these sources from mirror.images', { complete: 'none' }),
  // verify
  notify: flag<boolean>('--no-notify', 'do not publish the test message and the checklist'),
  // teardown
  yes: flag<boolean>('--yes', 'do not ask for confirmation'),
  // copy
  // One value per flag (repeat it, or separate with commas): a variadic flag would swallow SRC and DST.
  platform: flag<string[]>('--platform <os/arch[/variant]>', 'copy only this platform (builds a new index); repeat, or separate with commas: linux/amd64,linux/arm64', {
    parse: collect,
    complete: 'none',
  }),
  srcCreds: flag<string>('--src-creds <user:password>', 'credentials for the source registry (or ECR_AUTOPILOT_SRC_CREDS; default: the auth files)', { complete: 'none' }),
  destCreds: flag<string>('--dest-creds <user:password>', 'credentials for the destination registry (or ECR_AUTOPILOT_DEST_CREDS; default: the auth files)', { complete: 'none' }),
  authfile: flag<string>('--authfile <file>', 'registry credentials file, as skopeo and podman write it (default: REGISTRY_AUTH_FILE, then containers auth.json, then ~/.docker/config.json)', {
    complete: 'file',
  }),
  insecureRegistry: flag<string[]>('--insecure-registry <host:port>', 'a registry reached over https without checking its certificate, or over plain http (loopback always is); repeat for more', {
    parse: collect,
    complete: 'none',
  }),
  includeReferrers: flag<boolean>('--include-referrers', 'also copy signatures, SBOMs and attestations (OCI referrers)'),
} as const satisfies Record<string, Flag<never> | Flag<boolean> | Flag<string> | Flag<string[]> | Flag<number>>;

export type FlagName = keyof typeof FLAGS;

/** The value type of one flag. */
export type FlagValue<N extends FlagName> = (typeof FLAGS)[N] extends Flag<infer T> ? T : never;

/** What commander hands a command for the flags it declares (absent when not given). */
export type FlagValues<N extends FlagName> = { [K in N]?: FlagValue<K> };

/** The flags every command that talks to AWS takes. */
export const AWS_FLAGS = ['region', 'profile', 'timeout'] as const satisfies readonly FlagName[];
/** The flags of every command that can run live or against a snapshot. */
export const PLAN_FLAGS = ['plan', 'snapshot', 'json', 'verbose', ...AWS_FLAGS] as const satisfies readonly FlagName[];

/** `--region`, `--profile` and `--timeout`, for the modules that build AWS SDK clients (cli/awsClientConfig.ts). */
export type AwsOptions = FlagValues<(typeof AWS_FLAGS)[number]>;
